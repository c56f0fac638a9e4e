"""Invoke tasks: thin wrappers that parse arguments, call the package, and turn a
project error into one clear message and exit code 1."""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path

from invoke import Collection, Exit, task

ROOT = Path(__file__).resolve().parent


def debugging() -> bool:
    """`invoke --debug <task>` (or MATERIALS_DEBUG=1) shows tracebacks."""
    return bool(os.environ.get("MATERIALS_DEBUG")) or logging.getLogger("invoke").isEnabledFor(logging.DEBUG)


def job_count(value) -> int | None:
    """--jobs as given: a whole number from 1, or nothing (every core). Anything else: one line."""
    if value in (None, ""):
        return None
    try:
        n = int(str(value))
    except ValueError:
        n = 0
    if n < 1:
        raise Exit(f"error: --jobs must be a whole number of 1 or more, got '{value}'", code=1)
    return n


def user_errors(fn):
    """Report a ProjectError as its message: no traceback, exit code 1 (unless debugging)."""

    @functools.wraps(fn)
    def wrapper(c, *args, **kwargs):
        from materials.errors import ProjectError

        try:
            return fn(c, *args, **kwargs)
        except Exit:
            raise
        except ProjectError as exc:
            if debugging():
                raise
            raise Exit(f"error: {exc}", code=1)
        except KeyboardInterrupt:
            raise Exit("interrupted; build/ keeps only complete files", code=130)
        except Exception as exc:  # a bug or an environment problem: still one clear line
            if debugging():
                raise
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            raise Exit(f"error: {type(exc).__name__}{where}: {exc}; run `invoke --debug {fn.__name__}` "
                       "for the traceback", code=1)

    return wrapper


@task(help={
    "lang": "fi, en, nl or all (default: all)",
    "doc": "build one document, by id (default: every document)",
    "jobs": "PDFs rendered at once (default: the number of cores)",
    "draft": "show the English where a translation is missing, with a draft mark on those pages",
})
@user_errors
def build(c, lang="all", doc=None, jobs=None, draft=False):
    """Build every document as HTML and PDF into build/<lang>/."""
    from materials.build import build as run

    jobs = job_count(jobs)
    bar = {}

    def start(n: int) -> None:  # rich only when there is something to show: a no-op stays light
        if n and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar["progress"] = Progress(TextColumn("PDF"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                       transient=True)
            bar["progress"].start()
            bar["task"] = bar["progress"].add_task("pdf", total=n)

    try:
        result = run(ROOT, lang=lang, doc=doc, jobs=jobs, draft=draft, on_start=start,
                     on_pdf=lambda key: bar and bar["progress"].advance(bar["task"]))
    finally:
        if bar:
            bar["progress"].stop()
    print(f"built {len(result.written)} files in {result.seconds:.1f} s; "
          f"manifest lists {len(result.outputs)} outputs (build/manifest.json)", file=sys.stderr)


@task(help={
    "lang": "fi, nl, ... or all (default: all)",
    "format": "text (default) or json",
})
@user_errors
def check(c, lang="all", format="text"):
    """Check translations against the English source; exit 1 on any error."""
    from materials.rules.checks import check as run
    from materials.translators.report import print_report

    if format not in ("text", "json"):
        raise Exit("error: --format must be text or json", code=1)
    report = run(ROOT, lang)
    print_report(report, format)
    if report.errors:
        raise Exit(code=1)


@task(help={
    "municipality": "the municipality's slug: municipalities/<slug>.yaml",
    "all": "make a pack for every municipality file",
    "lang": "only this language (default: every language of the municipality)",
    "draft": "make the pack even if check finds errors, with a draft mark on every page",
    "jobs": "PDFs rendered at once (default: the number of cores)",
    "allow-past": "accept dates that have passed (a pack about sessions already held)",
})
@user_errors
def pack(c, municipality=None, all=False, lang=None, draft=False, jobs=None, allow_past=False):
    """Make a municipality's personal materials pack: build/packs/<slug>-<lang>.zip."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)
    from rich.table import Table

    from materials.packs.pack import by_language, pack as run

    console = Console(stderr=True)
    rows = []
    with Progress(TextColumn("packs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("left"), TimeRemainingColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        bar = progress.add_task("packs", total=None)

        def done(result, seconds):
            rows.append((result, seconds))
            progress.advance(bar)

        run(ROOT, municipality, all, lang, draft, job_count(jobs), on_pack=done,
            on_start=lambda n: progress.update(bar, total=n), allow_past=allow_past)
    draft_mark = " (DRAFT)" if draft else ""
    if all:
        table = Table("language", "packs", "time", "per pack", "size", "largest", title="Packs by language" + draft_mark)
        for row in by_language(rows):
            table.add_row(row.lang, str(row.packs), f"{row.seconds:.0f} s", f"{row.seconds / row.packs:.2f} s",
                          f"{row.size / 1e6:.0f} MB", f"{row.largest / 1e6:.1f} MB")
        Console().print(table)
        print(f"{len(rows)} packs in {(ROOT / 'build' / 'packs').relative_to(ROOT)}/", file=sys.stderr)
        return
    table = Table("pack", "files", "size", "seconds", title="Packs" + draft_mark)
    for r, seconds in rows:
        table.add_row(str(r.path.relative_to(ROOT)), str(r.files), f"{r.size / 1e6:.1f} MB", f"{seconds:.1f}")
    Console().print(table)


@task(help={
    "municipality": "the municipality's slug: municipalities/<slug>.yaml",
    "lang": "only this language (default: every language of the municipality)",
    "dry-run": "send nothing: write the messages that would go to build/outbox/<slug>/ as .eml files",
    "to-outbox": "a dry run into this folder instead of build/outbox/<slug>/",
    "resend": "send every message again, even those the ledger has as sent",
    "jobs": "PDFs rendered at once (default: the number of cores)",
})
@user_errors
def send(c, municipality, lang=None, dry_run=False, to_outbox=None, resend=False, jobs=None):
    """E-mail a municipality its pack and invitations; each message once (municipalities/sent/<slug>.yaml)."""
    from rich.console import Console
    from rich.table import Table

    from materials.packs.send import send as run

    err = Console(stderr=True)
    result = run(ROOT, municipality, lang, dry_run, Path(to_outbox) if to_outbox else None, resend, job_count(jobs),
                 on_sent=lambda p: err.print(f"sent {p.letter.key} to {p.msg['To']}", highlight=False))
    dry = result.outbox is not None
    table = Table("to", "subject", "attachments", "size", "status",
                  title=f"{'Dry run' if dry else 'Sent'}: {municipality}")
    for p in result.planned:
        attachments = ", ".join(f"{a.filename} ({a.data and len(a.data) // 1000} kB)" for a in p.letter.attachments)
        went = p in result.sent
        status = p.status if p.goes else f"already sent {p.previous['sent']}"
        if p.goes and not dry:
            status = f"sent ({status})" if went else f"not sent ({status})"
        table.add_row(p.msg["To"], p.letter.subject, attachments or "–", f"{p.size / 1e6:.2f} MB", status)
    Console(width=max(Console().width, 160)).print(table)
    going = [p for p in result.planned if p.goes]
    if dry:
        where = result.outbox.relative_to(ROOT) if result.outbox.is_relative_to(ROOT) else result.outbox
        print(f"dry run: {len(going)} of {len(result.planned)} messages would go; written to {where}/ "
              f"(nothing sent, {result.ledger} unchanged)", file=sys.stderr)
    elif result.sent:
        print(f"sent {len(result.sent)} of {len(result.planned)} messages in {result.seconds:.1f} s; "
              f"{len(result.planned) - len(result.sent)} unchanged since sent; recorded in {result.ledger}", file=sys.stderr)
    else:
        print(f"nothing to send: all {len(result.planned)} messages were sent before and have not changed "
              f"({result.ledger}); --resend sends them again", file=sys.stderr)


@task(help={"packs": "how many generated municipality packs to time (0 to skip; default 300)",
            "jobs": "PDFs rendered at once (default: the number of cores)",
            "runs": "runs of each scenario, interleaved; the table shows their median (default 5)",
            "quick": "a short run of about a minute: 3 runs, no packs"})
def bench(c, packs=300, jobs=0, runs=5, quick=False):
    """Time builds, rebuilds, serve, check and packs against the weasyprint command; build/bench.json."""
    from rich.console import Console

    from materials.dev.bench import bench as run, report

    console = Console()
    packs, runs = (0, 3) if quick else (int(packs), int(runs))
    report(run(ROOT, packs, int(jobs) or None, console, runs=runs), ROOT / "build", console)


@task(help={"lang": "fi, en, nl or all (default: all)", "doc": "one document id (default: every document)",
            "approve": "keep every page of a full build as the approved look (tests/approved/), which the tests compare with",
            "jobs": "PDFs rendered at once by the build --approve makes (default: the number of cores)"})
@user_errors
def preview(c, lang="all", doc=None, approve=False, jobs=None):
    """Picture every PDF page; one contact sheet per language in build/preview/."""
    from materials.dev.preview import approve as keep, preview as run
    from materials.sources.project import load_project

    if approve:
        if lang != "all" or doc:
            raise Exit("--approve keeps every page of every language; leave out --lang and --doc", code=1)
        print(f"tests/approved/: {keep(ROOT, jobs=job_count(jobs))} pages approved")
        return
    project = load_project(ROOT)
    for sheet in run(ROOT, project.select_languages(lang), project.select_documents(doc)):
        print(f"{sheet.png.relative_to(ROOT)}: {sheet.pages} pages (also {sheet.page.relative_to(ROOT)})")


@task(help={"lang": "fi, en, nl or all (default: all)", "port": "the port on localhost (default 8000; 0: any free port)",
            "packs": "also serve build/packs/ (they hold contacts' names and addresses)"})
@user_errors
def serve(c, lang="all", port=8000, packs=False):
    """Serve build/ on localhost and rebuild whenever content, a template or a catalog is saved."""
    from materials.dev.serve import serve as run

    try:
        run(ROOT, lang, int(port), say=lambda m: print(m, flush=True), packs=packs)
    except KeyboardInterrupt:
        pass


@task
def clean(c):
    """Remove build/."""
    import shutil

    shutil.rmtree(ROOT / "build", ignore_errors=True)


ns = Collection(build, check, pack, send, preview, serve, bench, clean)


# -- i18n: the translator's catalog workflow (Babel's API, in-process) -------------------------

@task
@user_errors
def extract(c):
    """Extract template strings into locale/messages.pot."""
    from materials.sources import catalogs
    from materials.sources.project import load_project

    catalog = catalogs.extract(load_project(ROOT))
    catalogs.write_catalog(catalog, catalogs.pot_path(ROOT / "locale"))
    print(f"locale/messages.pot: {len(catalog)} messages")


def translations(lang: str) -> tuple[list[str], dict[str, str]]:
    """The selected translations (never the source) and every language's locale."""
    from materials.sources.project import load_project

    project = load_project(ROOT)
    langs = [l for l in project.select_languages(lang) if l != project.source_language]
    return langs, {code: l.locale for code, l in project.languages.items()}


@task(help={"lang": "fi, nl, ... or all (default: every translation)"})
@user_errors
def update(c, lang="all"):
    """Merge locale/messages.pot into each language's messages.po."""
    from materials.sources import catalogs

    for r in catalogs.update(ROOT, *translations(lang)):
        print(f"{r.path}: {r.translated}/{r.messages} translated, {r.fuzzy} fuzzy")


@task(name="compile", help={"lang": "fi, nl, ... or all (default: every translation)"})
@user_errors
def compile_(c, lang="all"):
    """Compile each messages.po into messages.mo (the build also compiles in memory)."""
    from materials.sources import catalogs

    for r in catalogs.compile_all(ROOT, *translations(lang)):
        print(f"{r.path}: {r.translated}/{r.messages} translated")


@task(help={"lang": "the translation to confirm (fi, nl, ...)", "doc": "the document to confirm",
            "all": "confirm every document of the language",
            "unchanged": "a section whose source change needs no change in the translation (repeatable; with --doc)"},
      iterable=["unchanged"])
@user_errors
def stamp(c, lang, doc=None, all=False, unchanged=None):
    """Confirm the sections a translator brought up to date with the current English source."""
    from materials.translators.translation import stamp_translation

    for d in stamp_translation(ROOT, lang, doc, all, tuple(unchanged or ())):
        said = [f"{len(d.confirmed)} confirmed" + (f" ({', '.join(d.confirmed)})" if d.confirmed else "")]
        if d.unchanged:
            said.append(f"{len(d.unchanged)} confirmed unchanged ({', '.join(d.unchanged)})")
        if d.refreshed:
            said.append(f"{len(d.refreshed)} translation edits recorded ({', '.join(d.refreshed)})")
        print(f"locale/stamps/{lang}/{d.doc_id}.json: {'; '.join(said)}")


@task(help={"lang": "fi, nl, ... or all (default: every translation)",
            "format": "text (a table) or json (for a script or CI); exit 1 when a language is not complete"})
@user_errors
def status(c, lang="all", format="text"):
    """Show how far each translation is (exit 1 unless complete); writes the desk build/status.html."""
    from materials.translators.status import status as run

    incomplete = [s.name for s in run(ROOT, lang, format=format) if not s.complete]
    if incomplete:
        raise Exit(f"not complete: {', '.join(incomplete)}", code=1)


@task(name="export", help={
    "lang": "the translation to export (fi, nl, ...)", "doc": "one document (default: every document)",
    "format": "po (Poedit, Weblate) or xliff (XLIFF 1.2: OmegaT, Trados, memoQ); default po",
    "only": "outdated, missing or all units (default all)",
    "out": "write the files into this folder (default build/translation/<lang>/)"})
@user_errors
def export_(c, lang, doc=None, format="po", only="all", out=None):
    """Write each document's translation units for a CAT tool: build/translation/<lang>/<doc>.po or .xlf."""
    from materials.translators.exchange import export as run

    for e in run(ROOT, lang, doc, format, only, Path(out).resolve() if out else None):
        where = e.path.relative_to(ROOT) if e.path.is_relative_to(ROOT) else e.path
        states = ", ".join(f"{n} {state}" for state, n in e.counts.items() if n)
        if e.units or only == "all":
            print(f"{where}: {e.units} unit{'s' if e.units != 1 else ''}" + (f" ({states})" if states else ""))
        else:
            print(f"{e.doc}: no {only} units, no file")


@task(name="import", positional=["files"],
      help={"files": "the .po or .xlf file(s) to import: a path, a quoted pattern (\"build/translation/fi/*.po\") "
                     "or paths joined by commas; more may follow --"})
@user_errors
def import_(c, files):
    """Write translated units back into content/<lang>/ and confirm the units whose translation changed."""
    import glob as globbing

    from materials.translators.exchange import import_files

    given = [f for f in files.split(",") if f] + c.remainder.split()
    names = [Path(n) for f in given for n in (sorted(globbing.glob(f)) or [f])]
    for r in import_files(ROOT, names):
        if not r.content:
            print(f"{r.name}: nothing changed")
            continue
        print(f"{r.name}: {len(r.written)} units written into {r.content}, {len(r.confirmed)} confirmed"
              + (f"; sections still to review: {', '.join(r.pending)}" if r.pending else ""))


@task(name="new-language", help={"lang": "the new language's code, such as sv"})
@user_errors
def new_language(c, lang):
    """Add a language: registered in project.yaml, a catalog and content skeletons."""
    from materials.translators.translation import new_language as run

    for path in run(ROOT, lang):
        print(path)
    print(f"next: translate locale/{lang}/LC_MESSAGES/messages.po and content/{lang}/, then "
          f"`invoke check --lang {lang}`; `invoke build --lang {lang} --draft` previews it meanwhile")


i18n = Collection("i18n", extract, update, compile_, stamp, status, export_, import_, new_language)
ns.add_collection(i18n)
