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


@pytest.fixture(scope="session")
def packs_made(tmp_path_factory):
    """Every example municipality's pack, and one more in every language whose every name is the
    longest the examples have (municipality, contact, role, venue, address), with two training
    groups: what a letter must fit on its page. Returns {pack folder name: its unpacked folder}."""
    import zipfile

    from materials.packs.pack import pack
    from tree import copy_project

    proj = copy_project(tmp_path_factory.mktemp("longest") / "p", tasks=False)
    write_longest_municipality(proj / "municipalities")
    results = pack(proj, all=True, out_dir=proj / "build")
    folders = {}
    for r in results:
        with zipfile.ZipFile(r.path) as zf:
            zf.extractall(r.path.parent)
        folders[f"{r.slug}-{r.lang}"] = r.path.parent / f"{r.slug}-{r.lang}"
    return folders


def write_longest_municipality(folder: Path) -> None:
    """municipalities/longest.yaml: Lindenhoven's dates and groups, with each text the longest
    of its kind in any example file."""
    import yaml

    files = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))]

    def places(data):
        for key in ("introductory_meeting",):
            yield data[key]
        for group in data["training_groups"]:
            yield from (group[k] for k in ("training_day", "in_depth_session"))
        yield from data["intervision_meetings"]

    longest = lambda values: max(values, key=len)
    venue = longest(p["venue"] for d in files for p in places(d))
    address = longest(p["address"] for d in files for p in places(d))
    data = next(d for d in files if len(d["training_groups"]) > 1)
    data.update(name=longest(d["name"] for d in files), languages=["en", "fi", "nl"],
                contact={k: longest(d["contact"][k] for d in files) for k in ("name", "role", "email", "phone")})
    for place in places(data):
        place.update(venue=venue, address=address)
    (folder / "longest.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
