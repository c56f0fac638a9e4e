"""The only module that writes to build/: atomic writes, and the manifest, written last.

Every file is written to a temporary file beside its target and renamed into place, so a
reader (or a build killed half-way) never sees a half-written output.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import Problem, ProjectError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Entry:
    """One output in the manifest."""

    lang: str
    doc: str
    kind: str
    format: str
    path: str  # relative to build/
    sha256: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ProjectError(Problem(str(path.parent), f"cannot write here: {exc.strerror}; check the folder's permissions"))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Output:
    """Writes a build's files under `build_dir` and keeps its manifest."""

    def __init__(self, build_dir: Path):
        self.dir = Path(build_dir)
        self.entries: dict[str, Entry] = {}

    def write(self, rel: str, data: bytes, *, lang: str = "", doc: str = "", kind: str = "", format: str = "") -> None:
        """Write an output; one whose bytes did not change is left alone (its mtime too)."""
        self.write_if_changed(rel, data)
        if doc:
            self.entries[rel] = Entry(lang, doc, kind, format, rel, sha256(data))

    def write_if_changed(self, rel: str, data: bytes) -> None:
        """Leave an identical file alone, so unchanged outputs keep their time stamps."""
        target = self.dir / rel
        if not target.exists() or target.read_bytes() != data:
            write_atomic(target, data)

    def previous(self) -> list[Entry]:
        try:
            data = json.loads((self.dir / MANIFEST).read_text(encoding="utf-8"))
            return [Entry(**e) for e in data["outputs"]]
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def write_manifest(self) -> list[Entry]:
        """Write the manifest last: this build's outputs plus earlier ones still intact on disk."""
        merged = {}
        for e in self.previous():
            # Earlier outputs stay listed while their file is on disk; the build's keys
            # (incremental.py) already vouch that an unchanged output was not touched.
            if e.path not in self.entries and (self.dir / e.path).is_file():
                merged[e.path] = e
        merged.update(self.entries)
        outputs = sorted(merged.values(), key=lambda e: (e.lang, e.kind, e.doc, e.format))
        data = {"outputs": [asdict(e) for e in outputs]}
        self.write_if_changed(MANIFEST, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return outputs
