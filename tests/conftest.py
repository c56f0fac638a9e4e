"""Shared fixtures: one real build of every language into a temporary folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def pdf_workers(tmp_path_factory):
    """The test run's own folder for the PDF workers kept between builds (workers.py): every
    build of the run shares one warm service, which is stopped when the run ends."""
    from materials import workers

    folder = tmp_path_factory.mktemp("workers")
    folder.chmod(0o700)
    previous = os.environ.get(workers.ENV_DIR)
    os.environ[workers.ENV_DIR] = str(folder)
    yield folder
    workers.stop(folder)
    if previous is None:
        os.environ.pop(workers.ENV_DIR, None)
    else:
        os.environ[workers.ENV_DIR] = previous


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
    from materials.project import load_project

    return load_project(ROOT)
