"""Reading an input file safely: its kind, place and size are checked before a byte is read.

A content file that is a link to /dev/zero, a FIFO, or a file of gigabytes would otherwise take
the machine's memory or hang the command; here it is one clear problem naming the file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from materials.errors import Problem, ProjectError


def checked(path: Path, name: str, limit: int, inside: Path | None = None) -> os.stat_result:
    """The file's status, once it is known to be a regular file, inside `inside` (links
    resolved) and at most `limit` bytes; otherwise a ProjectError naming it."""
    path = Path(path)
    if inside is not None and not path.resolve().is_relative_to(Path(inside).resolve()):
        raise ProjectError(Problem(name, f"points outside the project's {Path(inside).name}/ folder; "
                                         "replace the link with the file itself"))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ProjectError(Problem(name, f"cannot be read: {exc.strerror}"))
    if not stat.S_ISREG(st.st_mode):
        raise ProjectError(Problem(name, "is not a regular file (a device, a pipe or a folder); "
                                         "replace it with the file itself"))
    if st.st_size > limit:
        raise ProjectError(Problem(name, f"is {st.st_size:,} bytes; files of this kind are limited to {limit:,}"))
    return st


def read_bytes(path: Path, name: str, limit: int, inside: Path | None = None) -> bytes:
    """The file's bytes, after `checked`. FileNotFoundError is left to the caller, which knows
    what a missing file means."""
    checked(path, name, limit, inside)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ProjectError(Problem(name, f"cannot be read: {exc.strerror}"))
    if len(data) > limit:  # it grew since it was checked
        raise ProjectError(Problem(name, f"is more than {limit:,} bytes; files of this kind are limited to {limit:,}"))
    return data


def digest(path: Path, limit: int) -> str:
    """A file's sha256 for the build's keys: "missing" or "refused" instead of reading
    something that is not a regular file of a sane size (the loader reports those)."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        return f"refused:{st.st_mode}:{st.st_size}"
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read(limit + 1)).hexdigest()
    except OSError:
        return "missing"


def read_text(path: Path, name: str, limit: int, inside: Path | None = None) -> str:
    """The file's text (UTF-8), after `checked`."""
    data = read_bytes(path, name, limit, inside)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProjectError(Problem(name, "is not UTF-8 text; save it as UTF-8", line))
