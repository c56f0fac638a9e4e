"""What each output is made from, by content hash, so that a rebuild renders only what changed.

An output's key hashes everything it depends on: its content file (every content file of the
language for an index page), the language-neutral data, the templates it uses, the stylesheet,
the language's catalog, the fonts and the code itself. Keys are kept in build/.state/keys.json;
an output whose key is unchanged and whose file is still on disk is not rendered again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from materials import __version__
from materials.errors import ProjectError
from materials.sources.files import digest as file_digest, read_bytes
from materials.sources.images import IMAGE, is_local
from materials.render.fonts import font_paths

PACKAGE = Path(__file__).resolve().parent.parent  # materials/
MAX_INPUT = 10_000_000  # larger than any input the loader accepts (images up to 10 MB)


def digest(path: Path) -> str:
    """An input's sha256 (never more than a sane input's size; the loader reports the rest)."""
    return file_digest(path, MAX_INPUT)
TEMPLATE_REFS = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+["']([^"']+)["']""")


def code_hash() -> str:
    """The code's own version: every module of the package, by content."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        h.update(name.encode() + hashlib.sha256(path.read_bytes()).hexdigest().encode())
    return h.hexdigest()


class Inputs:
    """Hashes of input files, each read once per build."""

    def __init__(self, project, draft: bool = False):
        self.project = project
        self.draft = draft
        self.hashes: dict[Path, str] = {}
        self.shown: dict[Path, list[str]] = {}  # content file -> its hash and its images'
        self._code: str | None = None
        self._fonts: str | None = None

    def file(self, path: Path) -> str:
        if path not in self.hashes:
            # Never more than a sane input's size: a link to /dev/zero is the loader's to report.
            self.hashes[path] = digest(path)
        return self.hashes[path]

    def code(self) -> str:
        if self._code is None:
            self._code = code_hash()
        return self._code

    def fonts(self) -> str:
        if self._fonts is None:
            # Name and size: the font packages are pinned files, and reading 2 MB on every
            # no-op build would cost more than it guards against.
            h = hashlib.sha256()
            for path in font_paths():
                h.update(path.name.encode() + str(path.stat().st_size).encode())
            self._fonts = h.hexdigest()
        return self._fonts

    def templates(self, name: str, seen: set[str] | None = None) -> list[str]:
        """A template and everything it extends or includes, as (name, hash) strings."""
        seen = seen if seen is not None else set()
        if name in seen:
            return []
        seen.add(name)
        path = self.project.templates_dir / name
        out = [f"{name}:{self.file(path)}"]
        try:  # never more than a sane template: the renderer's loader reports the rest
            text = read_bytes(path, name, MAX_INPUT).decode("utf-8", "replace")
        except (OSError, ProjectError):
            return out
        for ref in TEMPLATE_REFS.findall(text):
            out += self.templates(ref, seen)
        return out

    def common(self, lang: str) -> list[str]:
        p = self.project
        catalog = p.locale_dir / lang / "LC_MESSAGES" / "messages.po"
        return ["draft" if self.draft else "final", self.file(p.locale_dir / "glossary.yaml")] + [
            self.code(), self.fonts(),
            self.file(p.content_dir / "project.yaml"),
            self.file(self.project.static_dir / "style.css"),
            self.file(self.project.static_dir / "pdf.css"),
            "source" if p.languages[lang].source else self.file(catalog),
        ]

    def content(self, lang: str, doc_id: str) -> list[str]:
        """A document's words; for a translation also its source and its stamp, which the
        rules compare it with (a changed source makes it outdated) and a draft shows."""
        p = self.project
        parts = self.words(p.content_file(lang, doc_id))
        if lang != p.source_language:
            parts += [*self.words(p.content_file(p.source_language, doc_id)),
                      self.file(p.locale_dir / "stamps" / lang / f"{doc_id}.json")]
        return parts

    def words(self, path: Path) -> list[str]:
        """A content file and the images it shows, by content (a picture saved again rebuilds
        its pages); the file is read once."""
        if path not in self.shown:
            try:
                data = read_bytes(path, path.name, MAX_INPUT)
            except (OSError, ProjectError):  # missing or refused: the loader reports it
                self.shown[path] = [self.file(path)]
            else:
                text = data.decode("utf-8", "replace")
                self.shown[path] = [hashlib.sha256(data).hexdigest()] + [
                    f"{src}:{self.file(path.parent / src)}" for _, src in IMAGE.findall(text) if is_local(src)]
        return self.shown[path]

    def document_key(self, lang: str, doc_id: str) -> str:
        doc = self.project.documents[doc_id]
        parts = self.common(lang) + self.templates(f"{doc.kind}.html") + self.content(lang, doc_id)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def index_key(self, lang: str) -> str:
        parts = self.common(lang) + self.templates("index.html")
        parts += [part for d in self.project.documents for part in self.content(lang, d)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()
