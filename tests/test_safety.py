"""Robust and safe, on real builds in temporary project copies: nothing half-written (a build
killed at any moment leaves only complete files, listed truthfully by the manifest), one writer
at a time, nothing leaks (no network, no file from outside the project), zip entries are plain
relative names, and the same inputs give the same bytes wherever the project lives."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from processes import group_members
from pypdf import PdfReader

import tree


def _outputs() -> int:
    from materials.sources.project import load_project

    project = load_project(tree.ROOT)
    return len(project.documents) * len(project.languages) * 2  # every document in every language, HTML and PDF


OUTPUTS = _outputs()
TIMEOUT = 300  # seconds for one build: generous, for a loaded 2-core machine


# -- helpers ---------------------------------------------------------------------------------

def copy_project(root: Path, dest: Path, own_templates: bool = False) -> Path:
    """A project copy: content, locale, municipalities and tasks.py (optionally its own templates)."""
    return tree.copy_project(dest, templates=own_templates)


def env() -> dict[str, str]:
    """The user's environment: SOURCE_DATE_EPOCH not set (the package sets it in-process)."""
    e = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "MATERIALS_DEBUG")}
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    return e


def start(cwd: Path, *args: str) -> subprocess.Popen:
    """`invoke <args>` in its own process group (it and its PDF workers can be killed together)."""
    return subprocess.Popen([sys.executable, "-m", "invoke", *args], cwd=cwd, env=env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def finish(p: subprocess.Popen, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(p)
        raise
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def invoke(cwd: Path, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return finish(start(cwd, *args), timeout)


def kill_group(p: subprocess.Popen) -> None:
    """SIGKILL the build and every process it started (PDF workers, the forkserver)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while group_members(p.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_members(p.pid), "a process of the killed build survived"


def keys(build: Path) -> dict[str, str]:
    """The build's key of every output: a hash of all its inputs (content, catalogs, templates, code)."""
    return json.loads((build / ".state" / "keys.json").read_text(encoding="utf-8"))


def assert_same_outputs(build: Path, ref_build: Path, ref_files: dict[str, bytes]) -> None:
    """Byte for byte the reference build's files (the inputs being the same: same keys)."""
    assert keys(build) == keys(ref_build), "the inputs (code, templates, content) changed during the test run"
    files = outputs(build)
    assert files.keys() == ref_files.keys()
    assert [k for k in files if files[k] != ref_files[k]] == []


def outputs(build: Path) -> dict[str, bytes]:
    """Every file under build/ except the build's own key store."""
    return {str(p.relative_to(build)): p.read_bytes()
            for p in sorted(build.rglob("*")) if p.is_file() and ".state" not in p.relative_to(build).parts}


def manifest(build: Path) -> list[dict]:
    return json.loads((build / "manifest.json").read_text(encoding="utf-8"))["outputs"]


def assert_nothing_half_written(build: Path) -> None:
    """Whatever moment a build stopped: the manifest (if any) matches the files on disk, every
    PDF is complete and opens, every HTML page is complete; temporary files are not outputs."""
    if not build.exists():
        return
    if (build / "manifest.json").exists():
        for entry in manifest(build):
            path = build / entry["path"]
            assert path.is_file(), f"manifest lists {entry['path']}, which is missing"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], \
                f"manifest's sha256 for {entry['path']} does not match the file"
    key_store = build / ".state" / "keys.json"
    if key_store.exists():
        json.loads(key_store.read_text(encoding="utf-8"))
    for pdf in build.rglob("*.pdf"):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), f"{pdf} is incomplete"
        reader = PdfReader(io.BytesIO(data), strict=True)
        assert len(reader.pages) >= 1
    for html in build.rglob("*.html"):
        assert html.read_text(encoding="utf-8").rstrip().endswith("</html>"), f"{html} is incomplete"


def temporaries(build: Path) -> list[Path]:
    return list(build.rglob(".*.tmp")) if build.exists() else []


def wait_for(condition, p: subprocess.Popen, timeout: float = TIMEOUT, step: float = 0.001) -> bool:
    """Poll until `condition()` holds (True) or the process ended (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if p.poll() is not None:
            return condition()
        time.sleep(step)
    raise AssertionError("the build neither reached the expected point nor ended")


def pdf_texts(data: bytes) -> str:
    """A PDF's text, its attachments and its raw bytes, for looking for leaked content."""
    reader = PdfReader(io.BytesIO(data))
    parts = [page.extract_text() or "" for page in reader.pages]
    for name, contents in reader.attachments.items():
        parts.append(name)
        parts += [c.decode("utf-8", "replace") for c in contents]
    parts.append(data.decode("latin-1"))
    return "\n".join(parts)


class Listener:
    """A local TCP server that only counts the connections it receives."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set() and self.accepted < 1000:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def connections(self) -> int:
        time.sleep(0.3)  # let the accept loop see anything still queued
        return self.accepted

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def reference(root, tmp_path_factory):
    """A clean build of a project copy, run as the user runs it."""
    proj = copy_project(root, tmp_path_factory.mktemp("reference") / "polarisation")
    r = invoke(proj, "build")
    assert r.returncode == 0, r.stderr
    return proj, outputs(proj / "build")


# -- 1. a build killed at any moment leaves only complete files ------------------------------

def edit_organisation(proj: Path, old: str, new: str) -> None:
    path = proj / "content" / "project.yaml"
    text = path.read_text(encoding="utf-8")
    assert f"organisation: {old}\n" in text
    path.write_text(text.replace(f"organisation: {old}\n", f"organisation: {new}\n", 1), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["0.3s", "1s", "2s", "3.5s", "first-output", "replacing-outputs"])
def test_a_killed_build_leaves_only_complete_files_and_the_next_build_recovers(reference, root, tmp_path, moment):
    ref_proj, ref_files = reference
    if moment == "replacing-outputs":
        # A complete earlier build whose every output is about to be replaced: the organisation's
        # name is on every page. Killed just after the build starts replacing files.
        proj = tmp_path / "polarisation"
        shutil.copytree(ref_proj, proj, copy_function=shutil.copy2)
        edit_organisation(proj, "Inside Polarisation", "Inside Polarisation Foundation")
        mtime = (proj / "build" / "manifest.json").stat().st_mtime_ns
        p = start(proj, "build")
        replacing = wait_for(lambda: any(f.suffix == ".tmp" for f in (proj / "build" / "en").iterdir())
                             or (proj / "build" / "manifest.json").stat().st_mtime_ns != mtime, p)
        time.sleep(0.02)  # some files replaced, most not yet
    else:
        proj = copy_project(root, tmp_path / "polarisation")
        p = start(proj, "build")
        if moment == "first-output":
            wait_for(lambda: (proj / "build" / "en").exists(), p)
        else:
            time.sleep(float(moment.removesuffix("s")))
    kill_group(p)
    build = proj / "build"
    assert_nothing_half_written(build)
    if moment == "replacing-outputs":
        assert replacing and len(manifest(build)) <= OUTPUTS
        edit_organisation(proj, "Inside Polarisation Foundation", "Inside Polarisation")

    # The next build removes what the killed one left half-done and completes the job.
    r = invoke(proj, "build")
    assert r.returncode == 0, r.stderr
    assert temporaries(build) == []
    assert_nothing_half_written(build)
    assert len(manifest(build)) == OUTPUTS
    assert_same_outputs(build, ref_proj / "build", ref_files)


def test_the_next_build_removes_stale_temporary_files(reference, tmp_path):
    ref_proj, ref_files = reference
    proj = tmp_path / "polarisation"
    shutil.copytree(ref_proj, proj, copy_function=shutil.copy2)
    stale = [proj / "build" / "en" / ".programme.pdf.k1ll3d.tmp", proj / "build" / ".manifest.json.x.tmp",
             proj / "build" / "assets" / "fonts" / ".SourceSansPro-Bold.ttf.y.tmp"]
    for path in stale:
        path.write_bytes(b"%PDF-1.7 half")
    r = invoke(proj, "build")
    assert r.returncode == 0, r.stderr
    assert temporaries(proj / "build") == []
    assert_same_outputs(proj / "build", ref_proj / "build", ref_files)


def test_outputs_a_killed_build_took_out_of_the_manifest_are_listed_again(reference, tmp_path):
    """A build that replaces outputs first takes them out of the manifest; killed before it
    replaced some of them, those are still the files their keys say, and the next build makes
    them again so that the manifest lists every output."""
    ref_proj, ref_files = reference
    proj = tmp_path / "polarisation"
    shutil.copytree(ref_proj, proj, copy_function=shutil.copy2)
    path = proj / "build" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["outputs"] = [e for e in data["outputs"] if not (e["lang"] == "fi" and e["doc"] == "programme")]
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    r = invoke(proj, "build")
    assert r.returncode == 0, r.stderr
    assert len(manifest(proj / "build")) == OUTPUTS
    assert_same_outputs(proj / "build", ref_proj / "build", ref_files)


def files_and_times(build: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(build)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(build.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_disk_that_fills_while_the_outputs_are_written_leaves_build_as_it_was(reference, tmp_path, monkeypatch):
    """Every page changes (the organisation's name is on each); the disk is full at the 20th file
    written: all of the outputs land, or none (output.py stages them and renames them together)."""
    import errno

    from materials import output
    from materials.build import build
    from materials.errors import ProjectError

    ref_proj, ref_files = reference
    proj = tmp_path / "polarisation"
    shutil.copytree(ref_proj, proj, copy_function=shutil.copy2)
    edit_organisation(proj, "Inside Polarisation", "Inside Polarisation Foundation")
    before = files_and_times(proj / "build")
    real, calls = output._staged, []

    def full_disk(path, data, made):
        calls.append(path)
        if len(calls) == 20:
            raise output._cannot_write(path.parent, OSError(errno.ENOSPC, "No space left on device"))
        return real(path, data, made)

    monkeypatch.setattr(output, "_staged", full_disk)
    with pytest.raises(ProjectError) as exc:
        build(proj, jobs=2)
    assert "cannot write here (No space left on device)" in str(exc.value)
    assert files_and_times(proj / "build") == before  # not one file new, not one left behind
    monkeypatch.setattr(output, "_staged", real)
    result = build(proj, jobs=2)  # room again: the next build does it all
    assert len(result.outputs) == OUTPUTS and temporaries(proj / "build") == []
    assert_nothing_half_written(proj / "build")
    assert "Inside Polarisation Foundation" in (proj / "build" / "fi" / "programme.html").read_text(encoding="utf-8")


# -- 2. one writer at a time -----------------------------------------------------------------

@pytest.mark.slow
def test_a_second_build_at_the_same_time_is_refused_and_the_first_completes(reference, root, tmp_path):
    proj = copy_project(root, tmp_path / "polarisation")
    first = start(proj, "build")
    lock = proj / ".build.lock"
    try:
        holding = wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), first, step=0.01)
        assert holding, finish(first).stderr
        # Three at once, so all of them meet the first build still running.
        others = {args: start(proj, *args)
                  for args in (("build",), ("build", "--lang", "fi"), ("pack", "--municipality", "heidebeek"))}
        for args, p in others.items():
            second = finish(p)
            assert second.returncode == 1, (args, second.stderr)
            assert "another build is writing here" in second.stderr
            assert f"pid {first.pid}" in second.stderr
            assert "Traceback" not in second.stderr
            assert len(second.stderr.strip().splitlines()) == 1
        done = finish(first)
    finally:
        if first.poll() is None:
            kill_group(first)
    assert done.returncode == 0, done.stderr
    build = proj / "build"
    assert_nothing_half_written(build)
    assert temporaries(build) == [] and not (build / "packs").exists()
    assert len(manifest(build)) == OUTPUTS
    assert_same_outputs(build, reference[0] / "build", reference[1])


# -- 3. nothing leaks ------------------------------------------------------------------------

DOCS = ["agenda-in-depth-session", "agenda-intervision-meeting", "agenda-introductory-meeting", "agenda-training-day",
        "handout-introductory-meeting", "handout-training", "invitation-introductory-meeting", "invitation-training",
        "programme"]


def add_to_template(proj: Path, where: str, html: str) -> None:
    """Add `html` to the project's own base.html: in <head>, or at the start of <body>."""
    path = proj / "templates" / "base.html"
    text = path.read_text(encoding="utf-8")
    anchor = '<style id="shared-css">' if where == "head" else '<header class="masthead">'
    assert anchor in text
    path.write_text(text.replace(anchor, f"{html}\n{anchor}", 1), encoding="utf-8")


def add_css_import(proj: Path, url: str) -> None:
    path = proj / "static" / "style.css"
    path.write_text(f'@import url("{url}");\n' + path.read_text(encoding="utf-8"), encoding="utf-8")


def assert_refused(r: subprocess.CompletedProcess, url: str, docs: list[str]) -> None:
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"refused to load {url}" in r.stderr
    for name in docs:
        assert f"{name}: refused to load {url}" in r.stderr, name


def assert_nothing_written(build: Path) -> None:
    """A refused build writes no document: only the fonts the PDFs were to load may be there."""
    if build.exists():
        assert [str(p.relative_to(build)) for p in build.rglob("*")
                if p.is_file() and p.relative_to(build).parts[0] != "assets"] == []


@pytest.mark.parametrize("how", ["css-import", "link-stylesheet", "img"])
def test_a_template_reference_to_the_network_is_refused_and_nothing_connects(root, tmp_path, listener, how):
    proj = copy_project(root, tmp_path / "polarisation", own_templates=True)
    url = f"http://127.0.0.1:{listener.port}/x.css"
    if how == "css-import":
        # The shared stylesheet of every page: every document of every language is refused.
        add_css_import(proj, url)
        r = invoke(proj, "build")
        named = [f"content/{lang}/{doc}.md" for lang in ("en", "fi", "nl") for doc in DOCS]
    else:
        add_to_template(proj, "head" if how == "link-stylesheet" else "body",
                        f'<link rel="stylesheet" href="{url}">' if how == "link-stylesheet" else f'<img src="{url}" alt="">')
        r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
        named = ["content/en/programme.md"]
    assert_refused(r, url, named)
    assert listener.connections() == 0
    assert_nothing_written(proj / "build")


@pytest.mark.parametrize("how", ["link-stylesheet", "img", "attachment", "relative-img"])
def test_a_template_reference_to_a_file_outside_the_project_is_refused(root, tmp_path, how):
    proj = copy_project(root, tmp_path / "polarisation", own_templates=True)
    url = "file:///etc/passwd"
    html = {
        "link-stylesheet": f'<link rel="stylesheet" href="{url}">',
        "img": f'<img src="{url}" alt="">',
        "attachment": f'<link rel="attachment" href="{url}">',
        # build/en/ + ../ x 12 is / on any machine: resolved by WeasyPrint, refused by our fetcher
        "relative-img": '<img src="' + "../" * 12 + 'etc/passwd" alt="">',
    }[how]
    add_to_template(proj, "head" if "link" in html else "body", html)
    r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
    assert_refused(r, url, ["content/en/programme.md"])
    build = proj / "build"
    assert_nothing_written(build)
    lines = [line for line in Path("/etc/passwd").read_text().splitlines() if line.strip()]
    assert "root:x:0:0" in "\n".join(lines)
    for pdf in build.rglob("*.pdf") if build.exists() else []:
        text = pdf_texts(pdf.read_bytes())
        assert "root:x:0:0" not in text and not any(line in text for line in lines), pdf


def content_line(proj: Path, rel: str, line: str) -> int:
    """Append `line` as a paragraph at the end of a content file; returns its line number."""
    path = proj / rel
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(f"{text}\n\n{line}\n", encoding="utf-8")
    return text.count("\n") + 3


@pytest.mark.parametrize("src, message", [
    ("../../../../etc/hostname", "is outside the project's content/ folder"),
    ("../../locale/glossary.png", "is outside the project's content/ folder"),
    ("images/map.png", "is outside the project's content/ folder"),  # a symlink to /etc/hostname
    ("/etc/hostname", "must be a file beside the content"),
    ("file:///etc/hostname", "must be a file beside the content"),
    ("http://127.0.0.1:1/x.png", "must be a file beside the content"),
])
@pytest.mark.parametrize("layout", ["paragraph", "under-heading"])
def test_a_content_image_outside_the_project_names_file_and_line(root, tmp_path, src, message, layout):
    proj = copy_project(root, tmp_path / "polarisation")
    if src == "images/map.png":
        (proj / "content" / "en" / "images").mkdir()
        (proj / "content" / "en" / "images" / "map.png").symlink_to("/etc/hostname")
    if layout == "paragraph":  # at the end of the last section, after a blank line
        line = content_line(proj, "content/en/programme.md", f"![x]({src})")
    else:  # a new section, the image on the line right after its heading
        line = content_line(proj, "content/en/programme.md", f"## A map {{#a-map}}\n![x]({src})") + 1
    r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"content/en/programme.md:{line}: image '{src}' {message}" in r.stderr
    assert not (proj / "build").exists() or not list((proj / "build").rglob("*.html"))


@pytest.fixture
def no_network(monkeypatch):
    """Every way to reach the network in this process is recorded, and fails."""
    calls = []

    def refuse(name):
        def fn(*args, **kwargs):
            calls.append((name, args))
            raise OSError(f"test: no network ({name})")
        return fn

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
        monkeypatch.setattr(socket, name, refuse(name))
    monkeypatch.setattr(socket.socket, "connect", lambda self, *a: refuse("connect")(*a))
    return calls


def test_the_fetcher_allows_data_and_project_files_only(tmp_path, listener, no_network):
    from weasyprint.urls import FatalURLFetchingError

    from materials.render.pdf import make_fetcher

    root = tmp_path / "project" / "content"
    root.mkdir(parents=True)
    (root / "style.css").write_text("p { color: red }", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "link.css").symlink_to(tmp_path / "secret.txt")
    fetcher = make_fetcher((str(root),))

    for url in ("data:text/css,p%20%7B%20color%3A%20red%20%7D", root.as_uri() + "/style.css",
                root.as_uri() + "/./style.css", "FILE://" + root.as_uri().removeprefix("file://") + "/style.css"):
        response = fetcher.fetch(url)
        try:
            assert response.read() == b"p { color: red }", url
        finally:
            response.close()

    refused = [
        f"http://127.0.0.1:{listener.port}/x.css",
        f"HTTP://127.0.0.1:{listener.port}/x.css",
        f"https://127.0.0.1:{listener.port}/x.css",
        "https://example.invalid/x.css",
        "ftp://example.invalid/x.css",
        "file:///etc/passwd",
        (tmp_path / "secret.txt").as_uri(),
        root.as_uri() + "/../../secret.txt",
        root.as_uri() + "/%2e%2e/%2e%2e/secret.txt",
        root.as_uri() + "/link.css",  # a symlink inside the project to a file outside it
        (tmp_path / "project" / "content-other").as_uri() + "/x.css",  # a sibling sharing the prefix
        # a file: URL naming a host: urllib would look the host up on the network
        "file://example.invalid" + root.as_uri().removeprefix("file://") + "/style.css",
        f"file://127.0.0.1:{listener.port}" + root.as_uri().removeprefix("file://") + "/style.css",
        "javascript:alert(1)",
        "about:blank",
    ]
    not_refused = []
    for url in refused:
        try:
            fetcher.fetch(url).close()
            not_refused.append((url, "allowed"))
        except FatalURLFetchingError as exc:
            assert "refused to load" in str(exc), url
        except BaseException as exc:  # refused, but only after trying to reach it
            not_refused.append((url, repr(exc)))
    assert not_refused == []
    assert no_network == []
    assert listener.connections() == 0


# -- 4. zip entries are plain relative names --------------------------------------------------

@pytest.fixture(scope="module")
def packs(root, tmp_path_factory):
    """`invoke pack --municipality heidebeek` in two project copies in different places."""
    zips = []
    for where in ("a", "b/elsewhere/deeper"):
        proj = copy_project(root, tmp_path_factory.mktemp("packs") / where / "polarisation")
        r = invoke(proj, "pack", "--municipality", "heidebeek")
        assert r.returncode == 0, r.stderr
        zips.append(proj / "build" / "packs" / "heidebeek-nl.zip")
    return zips


def test_pack_entries_are_plain_relative_names(packs):
    with zipfile.ZipFile(packs[0]) as zf:
        infos = zf.infolist()
        assert zf.testzip() is None
    assert len(infos) > 20
    for info in infos:
        name = info.filename
        parts = name.split("/")
        assert parts[0] == "heidebeek-nl" and len(parts) >= 2, name
        assert not name.startswith("/") and "\\" not in name and ":" not in name, name
        assert all(part not in ("", ".", "..") for part in parts), name
        assert not info.is_dir() and (info.external_attr >> 16) & 0o170000 in (0, 0o100000), name  # no symlinks


@pytest.mark.parametrize("name", [
    "/etc/passwd", "../evil.txt", "pack/../../evil.txt", "pack/..", "..\\evil.txt", "pack\\..\\..\\evil.txt",
    "C:/evil.txt", "C:\\evil.txt", "C:evil.txt", "//server/share/evil.txt", "", "pack/", "pack//evil.txt",
    "./evil.txt",
])
def test_deterministic_zip_refuses_an_unsafe_name(name):
    from materials.packs.pack import deterministic_zip

    with pytest.raises(ValueError, match="unsafe zip entry name"):
        deterministic_zip({"pack/index.html": b"ok", name: b"evil"})


def test_deterministic_zip_keeps_safe_names():
    from materials.packs.pack import deterministic_zip

    data = deterministic_zip({"pack/index.html": b"ok", "pack/calendar/a-b_c.1.ics": b"x"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["pack/calendar/a-b_c.1.ics", "pack/index.html"]


# -- 5. same inputs, same bytes ---------------------------------------------------------------

@pytest.mark.slow
def test_two_clean_builds_in_different_places_are_byte_identical(reference, root, tmp_path):
    assert "SOURCE_DATE_EPOCH" not in env()
    ref_proj, ref_files = reference
    proj = copy_project(root, tmp_path / "somewhere" / "else" / "entirely")
    assert proj.resolve() != ref_proj.resolve()
    r = invoke(proj, "build")
    assert r.returncode == 0, r.stderr
    assert_same_outputs(proj / "build", ref_proj / "build", ref_files)
    files = outputs(proj / "build")
    listed = manifest(proj / "build")
    assert len(listed) == OUTPUTS
    assert {e["format"] for e in listed} == {"html", "pdf"} and len({e["path"] for e in listed}) == OUTPUTS
    # The absolute path of the project is in no output.
    for name, data in files.items():
        assert str(proj).encode() not in data and str(ref_proj).encode() not in data, name


def test_two_packs_in_different_places_are_byte_identical(packs):
    a, b = (p.read_bytes() for p in packs)
    assert a == b
    for path in packs:
        assert str(path.parent.parent.parent).encode() not in a


# -- 6. raw HTML in content is shown as text --------------------------------------------------

class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_raw_html_in_content_is_shown_as_text(root, tmp_path, listener):
    proj = copy_project(root, tmp_path / "polarisation")
    script = "<script>alert(1)</script>"
    img = f'<img src="http://127.0.0.1:{listener.port}/x">'
    img1 = '<img src="http://127.0.0.1:1/x">'
    content_line(proj, "content/en/programme.md", script)
    content_line(proj, "content/en/programme.md", f"Inline: {img} and {img1} and {script}.")
    r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
    assert r.returncode == 0, r.stderr
    html = (proj / "build" / "en" / "programme.html").read_text(encoding="utf-8")
    page = Tags()
    page.feed(html)
    assert "script" not in {tag for tag, _ in page.tags}
    assert not [attrs for tag, attrs in page.tags if tag == "img" or "127.0.0.1" in " ".join(map(str, attrs.values()))]
    text = "".join(page.text)
    # Shown as the text that was typed (typography may curl its quotes).
    assert script in text and "<img src=" in text and f"127.0.0.1:{listener.port}/x" in text and "127.0.0.1:1/x" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    pdf = PdfReader(proj / "build" / "en" / "programme.pdf")
    assert "alert(1)" in "".join(p.extract_text() for p in pdf.pages)
    assert listener.connections() == 0
