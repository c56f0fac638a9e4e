"""PDF rendering with WeasyPrint: A4, embedded fonts, tagged PDF/UA-1, in a pool of workers.

WeasyPrint is imported inside the worker, so a build that renders no PDF never pays for it;
each worker imports it once and serves many documents.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from materials.errors import Problem, ProjectError
from materials.render import fit
from materials.render.lines import Unbroken


@dataclass(frozen=True)
class PdfJob:
    key: str  # the output's path relative to build/ (or to the pack)
    html: str
    base_url: str  # where relative URLs (the fonts) resolve, as in the browser
    allowed: tuple[str, ...] = ()  # folders WeasyPrint may read files from
    name: str = ""  # the document, for messages
    pdf_css: str = ""  # paged-media rules for the PDF only (static/pdf.css)
    # A pack's agenda or invitation: laid out once per municipality, with the same paragraphs,
    # so what one had to lose to the hyphenation rule is applied to the next (lines.Unbroken).
    personal: bool = False


def readable_roots(project, build_dir: Path) -> tuple[str, ...]:
    """What a document may load: the project's content (first: a job's `name` is a file under
    its parent), templates and styles, and the fonts the build placed in build/assets."""
    return tuple(str(p.resolve()) for p in (project.content_dir, project.templates_dir, project.static_dir,
                                            Path(build_dir) / "assets"))


def pdf_stylesheet(project) -> str:
    from materials.render.html import stylesheet

    return stylesheet(project, "pdf.css")


def make_fetcher(allowed: tuple[str, ...]):
    """Our URLFetcher: `data:` URLs, and `file:` URLs that resolve inside the allowed folders.

    Anything else (http, https, ftp, a file outside the project) stops the rendering: the
    materials never reach the network and never pull in a file from elsewhere.
    """
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = [Path(a).resolve() for a in allowed]
    fonts = pinned_fonts()

    class ProjectFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                parts = urlsplit(url)
                path = Path(unquote(parts.path))
                if not parts.netloc and path.parent.parts[-2:] == ("assets", "fonts") and path.name in fonts:
                    # The pinned fonts, from their packages: the same bytes build/assets/fonts gets
                    # for the HTML pages, but a PDF need not wait for them to be written there.
                    return super().fetch(fonts[path.name].as_uri(), headers)
                path = path.resolve()
                # No host: urllib would look a file URL's host up on the network.
                if not parts.netloc and any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
            raise FatalURLFetchingError(f"refused to load {url}: only files inside the project may be used")

    return ProjectFetcher()


@lru_cache(maxsize=1)
def pinned_fonts() -> dict[str, Path]:
    from materials.render.fonts import font_paths

    return {path.name: path for path in font_paths()}


TASKS_PER_WORKER = 60
SHARED_CSS = re.compile(r'<style id="shared-css">(.*?)</style>', re.S)
_worker: dict = {}  # per process: the font configuration and parsed shared stylesheets
# Emptied before the interpreter tears its modules down: a FontConfiguration dropped after that
# calls into a library already gone ("Exception ignored in FontConfiguration.__del__").
atexit.register(_worker.clear)


def add_table_scopes(data: bytes) -> bytes:
    """Give each table header cell its /Scope (Column in a table head, Row elsewhere).

    WeasyPrint tags header cells as /TH but does not write the scope that HTML's `scope`
    attribute carries; PDF/UA (7.5) asks for it so assistive technology can tell which data
    cells a header belongs to. The file is saved with a deterministic identifier.
    """
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return data
        stack, changed = [root], False
        while stack:
            element = stack.pop()
            kids = element.get("/K")
            if kids is None:
                continue
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid:
                    continue
                if kid.S == "/TH":
                    row = kid.get("/P")
                    group = row.get("/P") if row is not None else None
                    scope = "/Column" if group is not None and group.get("/S") == "/THead" else "/Row"
                    kid.A = pikepdf.Dictionary(O=pikepdf.Name("/Table"), Scope=pikepdf.Name(scope))
                    changed = True
                stack.append(kid)
        if not changed:
            return data
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def warm_up() -> None:
    """Ready a worker: WeasyPrint's modules and the font configuration documents share."""
    from weasyprint.text.fonts import FontConfiguration

    _worker.setdefault("fonts", FontConfiguration())


def lay_out(job: PdfJob):
    """The document laid out as its PDF will be: WeasyPrint's Document, whose pages hold the
    layout tree (`document.pages[i]._page_box`), each slide set to fit its frame and its notes
    their row (fit.py; a slide or notes that cannot fit is a ProjectError) and no paragraph with more than two hyphenated lines in a
    row (lines.py). The stylesheet every page shares is parsed once per
    worker and reused."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = _worker.setdefault("fonts", FontConfiguration())
    fetcher = make_fetcher(job.allowed)
    html, stylesheets = job.html, []
    match = SHARED_CSS.search(html)
    if match:
        key = (hash(match.group(1)), job.base_url, job.allowed)
        if key not in _worker:
            _worker[key] = CSS(string=match.group(1), base_url=job.base_url, font_config=fonts,
                               url_fetcher=fetcher)
        stylesheets = [_worker[key]]
        html = html[: match.start()] + html[match.end():]
    if job.pdf_css:
        key = (hash(job.pdf_css), job.base_url, job.allowed)
        if key not in _worker:
            _worker[key] = CSS(string=job.pdf_css, base_url=job.base_url, font_config=fonts, url_fetcher=fetcher)
        stylesheets.append(_worker[key])
    document = HTML(string=html, base_url=job.base_url, url_fetcher=fetcher)
    source = Path(job.allowed[0]).parent / job.name if job.allowed and job.name else None

    def render():
        return document.render(stylesheets=stylesheets, font_config=fonts, **PDF_OPTIONS)

    def trial(candidates):
        tree = fit.trial_tree(document.etree_element, candidates)
        return HTML(string=ElementTree.tostring(tree, encoding="unicode", method="html"), base_url=job.base_url,
                    url_fetcher=fetcher).render(stylesheets=stylesheets, font_config=fonts, **PDF_OPTIONS)

    unbroken = _worker.setdefault("unbroken", Unbroken()) if job.personal else None
    keys = unbroken.keys(document.etree_element, job.name or job.key) if unbroken else {}
    if unbroken:
        unbroken.apply(keys)
    return without_lone_page_count(fit.settled(render, trial, source, job.name or job.key, unbroken, keys))


PAGE_COUNT_BOX = "@bottom-right"  # the margin box that base.html gives the "Page 2 of 5" label


def without_lone_page_count(document):
    """The document, its page count left out when it has one page: "Page 1 of 1" tells the reader
    of a letter nothing. CSS cannot say this (no condition on counter(pages)), so the laid-out page
    loses that margin box, which is drawn from the layout tree and nothing else."""
    if len(document.pages) == 1:
        page = document.pages[0]._page_box
        page.children = [box for box in page.children if getattr(box, "at_keyword", None) != PAGE_COUNT_BOX]
    return document


PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}


def render_pdf(job: PdfJob) -> tuple[str, bytes | list[Problem]]:
    """Render one PDF; a refused URL or a slide too full for its frame comes back as problems
    instead of bytes."""
    from weasyprint.urls import FatalURLFetchingError

    try:
        document = lay_out(job)
        # A fixed identifier (no random bytes) so the same inputs give the same PDF.
        data = document.write_pdf(pdf_identifier=job.key.encode(), **PDF_OPTIONS)
        return job.key, add_table_scopes(data)
    except FatalURLFetchingError as exc:
        cause = exc.__cause__ or exc
        return job.key, [Problem(job.name or job.key, str(cause))]
    except ProjectError as exc:
        return job.key, exc.problems
    except OSError as exc:  # WeasyPrint writes the fonts to temporary files: a full disk ends here
        return job.key, [Problem(job.name or job.key, f"cannot render its PDF ({exc.strerror or exc}); "
                                                      "make room on the disk and in the temporary folder, then run again")]


def watch_owner(owner: int) -> None:
    """Run in each worker as it starts: end it as soon as the process that owns its pool is gone.

    A pool's workers hold their fork server open and wait for work forever, so when the owner is
    killed outright (SIGKILL, the OOM killer), they would stay.
    """
    import psutil

    def watch():
        try:
            psutil.Process(owner).wait()  # returns once the owner has ended (psutil polls, never a reused pid)
        except psutil.Error:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="watch-owner", daemon=True).start()


class Pool(ProcessPoolExecutor):
    """A process pool that always replaces a worker that ended after its share of documents.

    Python 3.11's pool does not when results came back faster than they were asked for (its
    idle-worker count says there is one to spare while none is left: CPython issue gh-115634,
    fixed in 3.13), and with work queued ahead the pool ends with no worker at all and waits
    for ever."""

    def _adjust_process_count(self):
        while len(self._processes) < self._max_workers:
            self._spawn_process()


def new_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that start from a clean server process (with WeasyPrint imported, but no
    font state: that is not safe to fork), each readied at once. WeasyPrint's native layer keeps
    about 0.3 MB per document it renders, so a worker is replaced after TASKS_PER_WORKER
    documents: memory stays flat however many packs are made."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", "materials.render.pdf"])
    pool = Pool(max_workers=workers, mp_context=context, max_tasks_per_child=TASKS_PER_WORKER,
                initializer=watch_owner, initargs=(os.getpid(),))
    # Starting the first worker waits for the server to import WeasyPrint (about 0.6 s): a thread
    # waits, and the caller goes on loading the sources meanwhile.
    threading.Thread(target=_ready, args=(pool, workers), name="start-workers", daemon=True).start()
    return pool


def _ready(pool: ProcessPoolExecutor, workers: int) -> None:
    try:
        for _ in range(workers):
            pool.submit(warm_up)
    except RuntimeError:  # the command ended (an error in the sources) before its workers started
        pass


class PdfRenderer:
    """Renders the PDFs of one command (use it as a context manager): a pool of worker processes
    that lives exactly as long as the command. `start()` early, so the workers import WeasyPrint
    while the HTML is rendered; `invoke serve` keeps one renderer for its whole run."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "PdfRenderer":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def start(self) -> "PdfRenderer":
        if self.pool is None:
            self.pool = new_pool(self.workers)
        return self

    def render(self, jobs: list[PdfJob], on_done=None) -> dict[str, bytes]:
        """Render every job; `on_done(key)` is called as each PDF is ready. A document that
        asked for a file outside the project, or has a slide too full for its frame, is
        reported, with every other such document."""
        if not jobs:
            return {}
        return collect(self.start().pool.map(render_pdf, jobs), on_done)

    def submit(self, jobs: list[PdfJob]) -> list[Future]:
        """Start rendering the jobs and return at once: the caller goes on (with the next pack's
        HTML) while the workers render, and `collect`s the futures when it needs the PDFs."""
        pool = self.start().pool
        return [pool.submit(render_pdf, job) for job in jobs]


def collect(results, on_done=None) -> dict[str, bytes]:
    """The PDFs of `results`, (key, bytes or problems) pairs or futures of them, in order; the
    problems of every refused document together, as one ProjectError."""
    pdfs: dict[str, bytes] = {}
    refused: list[Problem] = []
    for result in results:
        key, data = result.result() if isinstance(result, Future) else result
        if isinstance(data, list):
            refused += data
            continue
        pdfs[key] = data
        if on_done:
            on_done(key)
    if refused:
        raise ProjectError(refused)
    return pdfs
