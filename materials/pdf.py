"""PDF rendering with WeasyPrint: A4, embedded fonts, tagged PDF/UA-1, in a pool of workers.

WeasyPrint is imported inside the worker, so a build that renders no PDF never pays for it.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class PdfJob:
    key: str  # the output's path relative to build/
    html: str
    base_url: str  # the folder the HTML page lives in, so relative URLs resolve as in the browser


def render_pdf(job: PdfJob) -> tuple[str, bytes]:
    from weasyprint import HTML

    document = HTML(string=job.html, base_url=job.base_url)
    return job.key, document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=job.key.encode())


def render_all(jobs: list[PdfJob], workers: int | None = None, on_done=None) -> dict[str, bytes]:
    """Render every job; `on_done(key)` is called as each PDF is ready."""
    # Fixed timestamps: the same inputs give the same PDF bytes.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    workers = workers or os.cpu_count() or 1
    results: dict[str, bytes] = {}
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            key, data = render_pdf(job)
            results[key] = data
            if on_done:
                on_done(key)
        return results
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        for key, data in pool.map(render_pdf, jobs):
            results[key] = data
            if on_done:
                on_done(key)
    return results
