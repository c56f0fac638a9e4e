"""Errors that are the user's to fix: each names the file and, where it can, the line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
