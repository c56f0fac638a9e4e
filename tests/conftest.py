"""Shared fixtures: one real build of every language into a temporary folder (one per test
worker), and the `--full` option: without it the tests marked `slow` are left out (deselected,
and counted as such), which is the fast default; CI runs with --full, so nothing is left out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The day the tests take as today (packs refuse dates that have passed): fixed, so the sample
# municipalities' dates do not expire under the tests. Commands started by tests inherit it.
os.environ.setdefault("MATERIALS_TODAY", "2026-12-01")


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", help="run every test, the slow end-to-end ones too (as CI does)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: an end-to-end test of more than about ten seconds; run with --full")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--full"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def full_build(tmp_path_factory):
    """Build all languages and documents once; tests read the real outputs."""
    from materials.build import build

    out = tmp_path_factory.mktemp("build")
    result = build(ROOT, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, result, manifest


@pytest.fixture(scope="session")
def project():
    from materials.sources.project import load_project

    return load_project(ROOT)
