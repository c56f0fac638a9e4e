"""./setup is safe to run again: a second run finds everything in place, changes nothing, exits 0."""

from __future__ import annotations

import os
import subprocess

import pytest

from tree import ROOT


def state() -> dict:
    """What set-up makes: the environment's installed packages and the validators, by mtime."""
    out = {}
    for folder in (ROOT / ".venv" / "lib", ROOT / "node_modules"):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not name.endswith(".pyc"):
                    out[path] = os.stat(path).st_mtime_ns
    return out


@pytest.mark.slow
def test_a_second_setup_changes_nothing():
    before = state()
    r = subprocess.run([str(ROOT / "setup")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    steps = [line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ")]
    assert steps and set(steps) == {"skipped"}, r.stdout
    assert state() == before
