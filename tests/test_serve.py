"""`invoke serve`: build/ on localhost, rebuilt when a content file is saved."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from tree import copy_project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_serve_rebuilds_a_saved_content_file(tmp_path):
    copy_project(tmp_path, municipalities=False)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "serve", "--lang", "en", "--port", str(port)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/en/programme.html"
        deadline = time.monotonic() + 120
        while True:
            try:
                page = fetch(url)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "server never answered"
                time.sleep(0.5)
        assert "The Polarisation Framework" in page
        path = tmp_path / "content" / "en" / "programme.md"
        path.write_text(path.read_text(encoding="utf-8").replace("# ", "# ", 1) + "\nA sentence added while serving.\n",
                        encoding="utf-8")
        deadline = time.monotonic() + 60
        while "A sentence added while serving." not in fetch(url):
            assert time.monotonic() < deadline, "the saved file was not rebuilt"
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
