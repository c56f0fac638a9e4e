"""The only module that writes to build/: staged writes, a lock, keys and the manifest.

Every file is written to a temporary file beside its target and renamed into place, so a
reader (or a build killed half-way) never sees a half-written output. A build's outputs are
renamed only once all of them are written (`Output.commit`), so a full disk leaves build/ as it
was. The manifest never lists a file while it is being replaced: its entries are dropped first
and added back once the new files are in place, so at any moment it matches the files on disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from materials.errors import Problem, ProjectError, relative

MANIFEST = "manifest.json"
KEYS = ".state/keys.json"
STATS = ".state/files.json"  # size, mtime and sha256 of each output as it was written
MAX_OUTPUT = 200_000_000  # larger than any output a build writes


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


def _cannot_write(folder: Path, exc: OSError) -> ProjectError:
    return ProjectError(Problem(str(folder), f"cannot write here ({exc.strerror or exc}); "
                                             "make sure it is a writable folder, or remove what is in the way"))


def _not_a_folder(path: Path, root: Path) -> ProjectError:
    return ProjectError(Problem(relative(path, root), "is a file, not a folder; remove it or move it away, then run again"))


def check_folder(base: Path, rel: str) -> None:
    """Nothing is in the way of writing `rel` under `base`: `base` and each folder down to the
    file's are folders or do not exist yet. Checked before anything is written."""
    folder = Path(base)
    for part in ("", *Path(rel).parent.parts):
        folder = folder / part if part else folder
        if os.path.lexists(folder) and not folder.is_dir():
            raise _not_a_folder(folder, Path(base).parent)


def same_bytes(path: Path, data: bytes) -> bool:
    """`path` is a plain file (not a link, device or pipe) holding exactly `data`; decided by
    its size before a byte is read, so whatever was put in build/ is never read whole."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


def read_state(path: Path) -> bytes | None:
    """One of build/'s own files (the manifest, the keys), or None when it is not a plain file
    of a sane size: the next save replaces it."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_OUTPUT:
            return None
        with open(path, "rb") as fh:
            return fh.read(MAX_OUTPUT)
    except OSError:
        return None


def _staged(path: Path, data: bytes, made: list[Path]) -> Path:
    """`data` in a temporary file beside `path` (its folders made, and listed in `made`)."""
    try:
        missing = [f for f in (path.parent, *path.parent.parents) if not f.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path.parent, exc)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(path.parent, exc) if isinstance(exc, OSError) else exc
    return Path(tmp)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    tmp = _staged(path, data, [])
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot_write(path.parent, exc)


class BuildLock:
    """One writer at a time in build/: a second build is told to wait, not allowed to interleave."""

    def __init__(self, build_dir: Path):
        self.dir = Path(build_dir)
        # Beside build/, not in it: a build that fails early leaves build/ exactly as it was.
        self.path = self.dir.parent / f".{self.dir.name}.lock"
        self.fh = None

    def __enter__(self) -> "BuildLock":
        check_folder(self.dir, "")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(self.path, "a+")
        except OSError as exc:
            raise _cannot_write(self.path.parent, exc)
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise ProjectError(Problem(str(self.dir), f"another build is writing here (pid {holder}); "
                                                      "wait for it to finish, then run again"))
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        # Temporary files left by a build that was killed are never outputs: remove them.
        if self.dir.is_dir():
            for stale in self.dir.rglob(".*.tmp"):
                stale.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


class Output:
    """Writes a build's files under `build_dir`, with their manifest entries and keys.

    Outputs are staged: each is written to a temporary file beside its target, and only when
    every one of them (and the new keys and manifest) is written are they renamed into place,
    at `commit`. A write that fails (a full disk) leaves build/ exactly as it was; a build
    killed during the renames leaves every file whole and the manifest never listing a file
    that is not the one it names. Use it as a context manager: leaving it with an error
    discards what was staged.
    """

    def __init__(self, build_dir: Path):
        self.dir = Path(build_dir)
        self.entries: dict[str, Entry] = {e.path: e for e in self._previous() if (self.dir / e.path).is_file()}
        self.keys: dict[str, str] = self._state(KEYS)
        self.stats: dict[str, list] = self._state(STATS)
        self.dirty = False
        self.staged: dict[str, Path] = {}  # rel -> its temporary file
        self.made: list[Path] = []  # folders staging created, removed again if nothing lands

    def __enter__(self) -> "Output":
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is not None:
            self.discard()

    def _state(self, rel: str) -> dict:
        try:
            data = json.loads(read_state(self.dir / rel) or b"{}")
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}

    def _previous(self) -> list[Entry]:
        try:
            data = json.loads(read_state(self.dir / MANIFEST) or b"{}")
            return [Entry(**e) for e in data["outputs"]]
        except (ValueError, KeyError, TypeError):
            return []

    def fresh(self, rel: str, key: str, listed: bool = False) -> bool:
        """True when the output on disk was made from inputs with this key and is still the file
        the manifest lists: when its size or mtime changed, its bytes are hashed again, so a
        damaged (truncated, edited) output is rebuilt. `listed`: an output the manifest must
        list as well (a document's HTML or PDF); one that an interrupted build took out of the
        manifest before replacing it, and was killed before it did, is made again, so that it
        is listed again."""
        if self.keys.get(rel) != key:
            return False
        if listed and rel not in self.entries:
            return False
        try:
            st = (self.dir / rel).stat()
        except OSError:
            return False
        recorded = self.stats.get(rel)
        if not isinstance(recorded, list) or len(recorded) != 3:
            return False
        if recorded[:2] == [st.st_size, st.st_mtime_ns]:
            return True
        if not stat.S_ISREG(os.lstat(self.dir / rel).st_mode) or st.st_size > MAX_OUTPUT:
            return False  # replaced by a link, a device or something huge: rebuild it
        data = (self.dir / rel).read_bytes()
        if sha256(data) != recorded[2]:
            return False  # damaged: rebuild it
        self._record(rel, self.dir / rel, data)
        return True

    def _record(self, rel: str, path: Path, data: bytes) -> None:
        """What an output's file is (size, mtime, sha256) once `path` (it, or its staged file,
        whose mtime the rename keeps) is in place."""
        st = path.stat()
        now = [st.st_size, st.st_mtime_ns, sha256(data)]
        if self.stats.get(rel) != now:
            self.stats[rel] = now
            self.dirty = True

    def _stage(self, rel: str, data: bytes) -> Path:
        check_folder(self.dir, rel)
        if rel in self.staged:
            self.staged.pop(rel).unlink(missing_ok=True)
        self.staged[rel] = _staged(self.dir / rel, data, self.made)
        return self.staged[rel]

    def write(self, rel: str, data: bytes, *, key: str = "", lang: str = "", doc: str = "", kind: str = "",
              format: str = "") -> None:
        """Stage an output; one whose bytes did not change is left alone (its mtime too)."""
        entry = Entry(lang, doc, kind, format, rel, sha256(data)) if doc else None
        target = self.dir / rel
        path = target if same_bytes(target, data) else self._stage(rel, data)
        if key:
            self._record(rel, path, data)
        if entry and self.entries.get(rel) != entry:
            self.entries[rel] = entry
            self.dirty = True
        if key and self.keys.get(rel) != key:
            self.keys[rel] = key
            self.dirty = True

    def write_if_changed(self, rel: str, data: bytes) -> None:
        """For files outside the manifest (the root index, the kept outline): staged like the
        outputs; an identical file is left alone."""
        if not same_bytes(self.dir / rel, data):
            self._stage(rel, data)

    def place(self, rel: str, data: bytes) -> None:
        """A file the rendering itself needs in build/ (the fonts the PDF loads): in place at
        once, left alone when identical."""
        if not same_bytes(self.dir / rel, data):
            check_folder(self.dir, rel)
            write_atomic(self.dir / rel, data)

    def manifest_bytes(self, entries=None) -> bytes:
        outputs = sorted((self.entries if entries is None else entries).values(),
                         key=lambda e: (e.lang, e.kind, e.doc, e.format))
        data = {"outputs": [asdict(e) for e in outputs]}
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def _state_bytes(self, data: dict) -> bytes:
        return (json.dumps(data, indent=0, sort_keys=True) + "\n").encode()

    def write_manifest(self) -> list[Entry]:
        """Last: every staged output into place, then the keys and the manifest of every output
        on disk (written only when something changed)."""
        self.commit()
        return sorted(self.entries.values(), key=lambda e: (e.lang, e.kind, e.doc, e.format))

    def commit(self) -> None:
        if not (self.staged or self.dirty or not (self.dir / MANIFEST).is_file()):
            return
        check_folder(self.dir, KEYS)
        replaced = set(self.staged)
        # Everything is written before anything is renamed: a full disk fails here, and
        # `discard` leaves build/ as it was. Renames need no space.
        before = {rel: e for rel, e in self.entries.items() if rel not in replaced}
        interim = _staged(self.dir / MANIFEST, self.manifest_bytes(before), self.made) if replaced else None
        state = [(self._stage(KEYS, self._state_bytes(self.keys)), KEYS),
                 (self._stage(STATS, self._state_bytes(self.stats)), STATS),
                 (self._stage(MANIFEST, self.manifest_bytes()), MANIFEST)]
        try:
            if interim:  # the manifest stops listing the files about to be replaced
                os.replace(interim, self.dir / MANIFEST)
            for rel, tmp in self.staged.items():
                if rel not in (KEYS, STATS, MANIFEST):
                    os.replace(tmp, self.dir / rel)
            for tmp, rel in state:
                os.replace(tmp, self.dir / rel)
        except OSError as exc:
            raise _cannot_write(self.dir, exc)
        finally:
            if interim:
                interim.unlink(missing_ok=True)
            self.discard()
        self.made.clear()
        self.dirty = False

    def discard(self) -> None:
        """Remove what was staged and not renamed, and the folders staging made for it."""
        for tmp in self.staged.values():
            tmp.unlink(missing_ok=True)
        self.staged.clear()
        for folder in reversed(self.made):
            try:
                folder.rmdir()
            except OSError:
                pass  # something landed in it
        self.made.clear()


def replace_files(folder: Path, files: dict[str, bytes], pattern: str) -> None:
    """`folder` holds exactly `files` among the files matching `pattern` (send's outbox): each
    written atomically, the others that match removed once the new ones are in place."""
    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        raise _not_a_folder(folder, folder.parent)
    for name, data in files.items():
        if not same_bytes(folder / name, data):
            write_atomic(folder / name, data)
    if not files and not os.path.lexists(folder):
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise _cannot_write(folder, exc)
    for stale in folder.glob(pattern):
        if stale.name not in files and stale.is_file():
            try:
                stale.unlink()
            except OSError as exc:
                raise _cannot_write(folder, exc)
