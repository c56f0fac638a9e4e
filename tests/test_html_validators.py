"""HTML pages checked by the validators the public sector uses, on a full build:
the Nu Html Checker (vnu.jar, npm) and axe-core (npm) in headless Chromium (Debian's chromium);
and the slide deck and language switcher driven by keyboard alone."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As this machine's closed network wants: no background connections, a fresh profile.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def pages(out: Path) -> list[Path]:
    return sorted(out.glob("*/*.html")) + [out / "index.html"]


def test_the_validators_are_installed():
    # .ci/run installs them (npm ci; apt-get chromium); a missing one must fail, not skip.
    assert VNU.is_file(), "run `npm ci` to install vnu-jar"
    assert AXE.is_file(), "run `npm ci` to install axe-core"
    assert Path(CHROMIUM).exists(), "install Debian's chromium"


def assert_nu_html_checker_passes(files: list[Path]) -> None:
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True)
    # vnu writes its JSON report to stderr and exits 0 only when no page has an error; no report
    # at all (a Java that did not start) is a failure, not a pass.
    report = result.stderr.strip() or result.stdout.strip()
    assert report.startswith("{"), f"no report from the Nu Html Checker (exit {result.returncode}): {report[:500]}"
    messages = json.loads(report)["messages"]
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m.get('message')}" for m in messages if m.get("type") == "error"]
    assert errors == [], "\n".join(errors[:20])
    assert result.returncode == 0, report[:500]


def test_nu_html_checker_reports_no_error_on_any_page(full_build):
    out, _, _ = full_build
    files = pages(out)
    assert len(files) == 3 * 11 + 1
    assert_nu_html_checker_passes(files)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """The translator's desk (build/status.html and a side-by-side page per language and
    document) of a copy with an outdated section, a finding and a missing section, so that every
    part of the pages is there to validate."""
    from tree import copy_project

    from materials.translators.status import status

    tree = copy_project(tmp_path_factory.mktemp("desk") / "p", municipalities=False, tasks=False)
    en = tree / "content" / "en" / "programme.md"
    en.write_text(en.read_text(encoding="utf-8").replace("Social Development takes the lead",
                                                         "Social Development usually takes the lead"), encoding="utf-8")
    fi = tree / "content" / "fi" / "programme.md"
    text = fi.read_text(encoding="utf-8").replace("Kumpikin reitti johtaa samaan ohjelmaan.",
                                                  "Kumpikin reitti johtaa samaan ohjelmaan. This sentence was left in English.")
    fi.write_text(text[: text.index("## Missä lähestymistapaa")], encoding="utf-8")
    out = tree / "out"
    import io

    from rich.console import Console

    status(tree, "all", out, Console(file=io.StringIO()))
    return [out / "status.html"] + sorted((out / "status").glob("*/*.html"))


def test_nu_html_checker_reports_no_error_on_the_desk(desk):
    assert len(desk) == 1 + 2 * 10
    assert_nu_html_checker_passes(desk)


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_core_reports_no_violation_on_the_desk(desk, browser, width):
    assert_axe_finds_nothing(browser.new_page(viewport={"width": width, "height": 844}), desk, desk[0].parent)


def test_the_desk_is_driven_by_keyboard_alone(desk, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(desk[0].as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    focus_by_tab(page, "el.getAttribute('href') === 'status/fi/programme.html'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/status/fi/programme.html")
    focus_by_tab(page, "el.getAttribute('href') === '#where-it-starts'")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#where-it-starts"
    # On a phone the page is one column: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.slow
def test_axe_core_reports_no_violation_on_any_page(full_build, browser):
    out, _, _ = full_build
    assert_axe_finds_nothing(browser.new_page(), pages(out), out)


def assert_axe_finds_nothing(page, files: list[Path], out: Path) -> None:
    found = {}
    for path in files:
        page.goto(path.as_uri())
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
        if violations:
            found[str(path.relative_to(out))] = violations
    page.close()
    assert found == {}, json.dumps(found, indent=1)[:3000]


def focus_by_tab(page, predicate_js: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches; keyboard only, as a user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate_js}; }})()"):
            return
    raise AssertionError(f"never reached by Tab: {predicate_js}")


def current_slide(page) -> str:
    return page.evaluate("(() => { const r = document.querySelector('.slide-row.current'); return r ? r.id : null; })()")


def visible(page, selector: str) -> bool:
    return page.evaluate(f"(() => {{ const el = document.querySelector({selector!r}); "
                         "return !!el && getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0; })()")


def test_slide_deck_is_driven_by_keyboard_alone(full_build, browser):
    out, _, _ = full_build
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto((out / "fi" / "handout-training.html").as_uri())
    ids = page.evaluate("Array.from(document.querySelectorAll('.slide-row')).map(r => r.id)")
    assert len(ids) >= 8
    focus_by_tab(page, "el.id === 'present'")
    page.keyboard.press("Enter")
    assert page.evaluate("document.body.classList.contains('presenting')")
    assert current_slide(page) == ids[0]
    assert not visible(page, ".slide-row.current .notes")  # speaker notes hidden
    assert not visible(page, ".doc-head")  # only the slide fills the screen
    page.keyboard.press("ArrowRight")
    assert current_slide(page) == ids[1]
    page.keyboard.press("Space")
    assert current_slide(page) == ids[2]
    page.keyboard.press("ArrowLeft")
    assert current_slide(page) == ids[1]
    assert page.evaluate("document.getElementById('deck-status').textContent") == f"Dia 2/{len(ids)}"
    page.keyboard.press("n")
    assert visible(page, ".slide-row.current .notes")  # the notes view
    page.keyboard.press("n")
    assert not visible(page, ".slide-row.current .notes")
    page.keyboard.press("End")
    assert current_slide(page) == ids[-1]
    page.keyboard.press("Escape")
    assert not page.evaluate("document.body.classList.contains('presenting')")
    assert page.evaluate("document.activeElement.id") == "present"
    page.close()


def test_language_switcher_works_with_the_keyboard(full_build, browser):
    out, _, _ = full_build
    page = browser.new_page()
    page.goto((out / "nl" / "agenda-training-day.html").as_uri())
    focus_by_tab(page, "el.getAttribute('hreflang') === 'fi'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/fi/agenda-training-day.html")
    assert page.evaluate("document.documentElement.lang") == "fi"
    page.close()
