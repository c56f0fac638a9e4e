"""`invoke serve`: build/ on localhost, rebuilt as soon as a content, template or catalog file
is saved, so a translator sees the result in seconds (reload the page)."""

from __future__ import annotations

import functools
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from materials.build import build
from materials.errors import ProjectError
from materials.sources.project import load_project


def watched_files(root: Path) -> dict[Path, int]:
    """Every input a build reads, with its modification time."""
    project = load_project(root)
    folders = [project.content_dir, project.locale_dir, project.templates_dir, project.static_dir]
    files = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".md", ".yaml", ".po", ".html", ".css"):
                files[path] = path.stat().st_mtime_ns
    return files


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per request is noise for a translator
        pass


def serve(root: Path, lang: str = "all", port: int = 8000, interval: float = 0.5, say=print,
          stop: threading.Event | None = None) -> None:
    root = Path(root).resolve()
    build_dir = root / "build"
    result = build(root, build_dir, lang=lang)
    say(f"built {len(result.written)} files")
    handler = functools.partial(Quiet, directory=str(build_dir))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    start = "index.html" if lang == "all" else f"{lang}/index.html"
    say(f"serving http://127.0.0.1:{server.server_address[1]}/{start} (Ctrl+C to stop)")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = stop or threading.Event()
    seen = watched_files(root)
    try:
        while not stop.wait(interval):
            now = watched_files(root)
            if now == seen:
                continue
            changed = sorted(str(p.relative_to(root)) for p in set(now) | set(seen) if now.get(p) != seen.get(p))
            seen = now
            started = time.perf_counter()
            try:
                result = build(root, build_dir, lang=lang)
                say(f"{', '.join(changed[:3])}: rebuilt {len(result.written)} files in {time.perf_counter() - started:.1f} s")
            except ProjectError as exc:  # show the problem and keep serving the last good build
                say(f"error: {exc}")
    finally:
        server.shutdown()
        server.server_close()
