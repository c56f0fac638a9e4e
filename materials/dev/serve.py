"""`invoke serve`: build/ on localhost, rebuilt as soon as a content, template or catalog file
is saved, so a translator sees the result in a second (reload the page).

One PDF worker pool lives as long as the server, so a rebuild pays for rendering only, never
for starting WeasyPrint again. A save that breaks something (content, project.yaml, a catalog)
prints the problem and keeps the last good build on show; the next good save rebuilds.
The server answers only requests addressed to this machine by name (127.0.0.1, localhost,
[::1]): a web page elsewhere cannot reach it through DNS rebinding.
"""

from __future__ import annotations

import functools
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from materials.build import build
from materials.errors import ProjectError
from materials.render.pdf import PdfRenderer
from materials.sources.project import PACKAGE_STATIC, PACKAGE_TEMPLATES

WATCHED = (".md", ".yaml", ".po", ".pot", ".html", ".css", ".json", ".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def watched_folders(root: Path) -> list[Path]:
    """Every folder a build reads from that exists."""
    folders = [root / "content", root / "locale", root / "templates", root / "static", PACKAGE_TEMPLATES, PACKAGE_STATIC]
    return [f for f in dict.fromkeys(folders) if f.is_dir()]


class Handler(SimpleHTTPRequestHandler):
    """Static files of build/; only for this machine's own names, and packs only when asked."""

    packs = False
    port = 0

    def log_message(self, format, *args):  # one line per request is noise for a translator
        pass

    def _allowed(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        if host not in {f"{h}:{self.port}" for h in LOCAL_HOSTS}:
            self.send_error(421, "this server answers only http://127.0.0.1, localhost or [::1] with its port")
            return False
        path = self.path.split("?", 1)[0]
        # send's outbox holds the packs and the contacts' addresses as well
        if not self.packs and any(path == f"/{d}" or path.startswith(f"/{d}/") for d in ("packs", "outbox")):
            self.send_error(404, "packs are not served (invoke serve --packs)")
            return False
        return True

    def do_GET(self):
        if self._allowed():
            super().do_GET()

    def do_HEAD(self):
        if self._allowed():
            super().do_HEAD()


def rebuild(root: Path, build_dir: Path, lang: str, pdfs: PdfRenderer, say, changed: list[str]) -> None:
    started = time.perf_counter()
    try:
        result = build(root, build_dir, lang=lang, pdfs=pdfs)
    except ProjectError as exc:  # show the problem and keep serving the last good build
        say(f"error: {exc}\n(still serving the last good build)")
        return
    what = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    say(f"{what + ': ' if what else ''}rebuilt {len(result.written)} files in {time.perf_counter() - started:.2f} s")


def serve(root: Path, lang: str = "all", port: int = 8000, say=print, stop: threading.Event | None = None,
          packs: bool = False) -> None:
    from watchfiles import watch

    root = Path(root).resolve()
    build_dir = root / "build"
    stop = stop or threading.Event()
    with PdfRenderer() as pdfs:
        before = snapshot(root)
        rebuild(root, build_dir, lang, pdfs, say, [])
        build_dir.mkdir(exist_ok=True)
        handler = type("LocalHandler", (Handler,), {"packs": packs})
        server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(build_dir)))
        handler.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        start = "index.html" if lang == "all" else f"{lang}/index.html"
        ready = False
        try:
            # watchfiles waits on inotify and groups a burst of saves (an editor's temp file and
            # rename) into one change set, so one save is one rebuild. Its first (empty) answer
            # says it is watching: only then is "serving" printed, and what was saved while the
            # first build ran is caught by comparing with the files as they were before it.
            for changes in watch(*watched_folders(root), stop_event=stop, debounce=50, step=10,
                                 rust_timeout=300, yield_on_timeout=True,
                                 watch_filter=lambda _, path: path.endswith(WATCHED) and "/build/" not in path):
                if not ready:
                    ready = True
                    say(f"serving http://127.0.0.1:{handler.port}/{start} (Ctrl+C to stop)")
                    now = snapshot(root)
                    changed = sorted(str(p.relative_to(root)) if p.is_relative_to(root) else p.name
                                     for p in set(now) | set(before) if now.get(p) != before.get(p))
                    if changed:
                        rebuild(root, build_dir, lang, pdfs, say, changed)
                    continue
                if not changes:
                    continue
                changed = sorted({str(Path(p).relative_to(root)) if Path(p).is_relative_to(root) else Path(p).name
                                  for _, p in changes})
                rebuild(root, build_dir, lang, pdfs, say, changed)
        finally:
            server.shutdown()
            server.server_close()


def snapshot(root: Path) -> dict[Path, int]:
    """Every watched file with its modification time."""
    return {p: p.stat().st_mtime_ns for folder in watched_folders(root) for p in folder.rglob("*")
            if p.is_file() and p.name.endswith(WATCHED)}
