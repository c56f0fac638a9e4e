"""Errors that are the user's to fix: each names the file and, where it can, the line."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from pathlib import Path

_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother = 3, 80, 80
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 8


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected."""

    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class ProjectError(Exception):
    """A user error: bad content, configuration or arguments. Never shown as a traceback."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p).removeprefix(": ") for p in self.problems]
        return "\n".join(lines)


def relative(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the project when it is inside it."""
    path, root = Path(path), Path(root).resolve()
    # The name as written (a link is named as the link, even when it points elsewhere), then resolved.
    for candidate in (path.parent.resolve() / path.name, path.resolve()):
        try:
            return str(candidate.relative_to(root))
        except ValueError:
            continue
    return str(path)


def shown(value) -> str:
    """A value as a message quotes it: its repr, cut short (a YAML alias bomb has a huge one)."""
    text = _SHOWN.repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
