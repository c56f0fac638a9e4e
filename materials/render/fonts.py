"""The fonts every output embeds, from font packages installed with the project (PyPI), so
that any machine produces the same PDFs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from materials.errors import ProjectError

FONT_PACKAGES = {"font_source_sans_pro": "SourceSansPro", "font_source_serif_pro": "SourceSerifPro"}
WEIGHTS = ("Regular", "It", "Semibold", "Bold")


def font_paths() -> list[Path]:
    """The TTF files the stylesheet names."""
    paths = []
    for package, family in FONT_PACKAGES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ProjectError(f"font package {package} is not installed; run `pip install -e .`")
        folder = Path(list(spec.submodule_search_locations)[0]) / "files"
        paths += [folder / f"{family}-{weight}.ttf" for weight in WEIGHTS]
    return paths


def font_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in font_paths()}
