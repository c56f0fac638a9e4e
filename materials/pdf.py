"""PDF rendering with WeasyPrint: A4, embedded fonts, tagged PDF/UA-1, in a pool of workers.

WeasyPrint is imported inside the worker, so a build that renders no PDF never pays for it;
each worker imports it once and serves many documents.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class PdfJob:
    key: str  # the output's path relative to build/ (or to the pack)
    html: str
    base_url: str  # where relative URLs (the fonts) resolve, as in the browser


SHARED_CSS = re.compile(r'<style id="shared-css">(.*?)</style>', re.S)
_worker: dict = {}  # per process: the font configuration and parsed shared stylesheets


def render_pdf(job: PdfJob) -> tuple[str, bytes]:
    """Render one PDF. The stylesheet every page shares is parsed once per worker and reused."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = _worker.setdefault("fonts", FontConfiguration())
    html, stylesheets = job.html, []
    match = SHARED_CSS.search(html)
    if match:
        key = (hash(match.group(1)), job.base_url)
        if key not in _worker:
            _worker[key] = CSS(string=match.group(1), base_url=job.base_url, font_config=fonts)
        stylesheets = [_worker[key]]
        html = html[: match.start()] + html[match.end():]
    document = HTML(string=html, base_url=job.base_url)
    # A fixed identifier (no random bytes) so the same inputs give the same PDF.
    return job.key, document.write_pdf(stylesheets=stylesheets, font_config=fonts, pdf_variant="pdf/ua-1",
                                       pdf_identifier=job.key.encode())


class PdfRenderer:
    """A pool of worker processes; use as a context manager around one build or pack run."""

    def __init__(self, workers: int | None = None):
        # Fixed timestamps: the same inputs give the same PDF bytes.
        os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "PdfRenderer":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def render(self, jobs: list[PdfJob], on_done=None) -> dict[str, bytes]:
        """Render every job; `on_done(key)` is called as each PDF is ready."""
        results: dict[str, bytes] = {}
        if self.workers == 1 or len(jobs) <= 1:
            outputs = map(render_pdf, jobs)
        else:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(max_workers=self.workers)
            outputs = self.pool.map(render_pdf, jobs)
        for key, data in outputs:
            results[key] = data
            if on_done:
                on_done(key)
        return results


def render_all(jobs: list[PdfJob], workers: int | None = None, on_done=None) -> dict[str, bytes]:
    with PdfRenderer(min(workers or os.cpu_count() or 1, max(len(jobs), 1))) as renderer:
        return renderer.render(jobs, on_done)
