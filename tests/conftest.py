"""Shared fixtures: one real build of every language into a temporary folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
