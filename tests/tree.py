"""The one helper for a copy of the project tree that a test may change."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "materials" / "render" / "templates"
STATIC = ROOT / "materials" / "render" / "static"


def copy_project(target: Path, *, municipalities: bool = True, tasks: bool = True, templates: bool = False) -> Path:
    """content/ and locale/ (and municipalities/, tasks.py) copied into `target`; `templates`:
    the project's own copy of the templates and styles, so that a test can edit one."""
    target = Path(target)
    names = ["content", "locale"] + (["municipalities"] if municipalities else [])
    for name in names:
        shutil.copytree(ROOT / name, target / name)
    if tasks:
        shutil.copy2(ROOT / "tasks.py", target / "tasks.py")
    if templates:
        shutil.copytree(TEMPLATES, target / "templates")
        shutil.copytree(STATIC, target / "static")
    return target
