"""What every command needs of content/project.yaml to find its way: where things live, the
languages and the documents. `Project` (project.py) is an Outline with everything else; a
rebuild with nothing to do plans from an Outline kept by the last build, read without pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from materials.errors import ProjectError

# The package's own templates and styles (a project may bring its own templates/ and static/).
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "render" / "templates"
PACKAGE_STATIC = Path(__file__).resolve().parent.parent / "render" / "static"


@dataclass
class Outline:
    root: Path
    languages: dict  # code -> the language (at least .source)
    documents: dict  # id -> the document (at least .kind)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def locale_dir(self) -> Path:
        return self.root / "locale"

    @property
    def templates_dir(self) -> Path:
        """The shared templates: the package's, unless the project has its own templates/."""
        own = self.root / "templates"
        return own if own.is_dir() else PACKAGE_TEMPLATES

    @property
    def static_dir(self) -> Path:
        own = self.root / "static"
        return own if own.is_dir() else PACKAGE_STATIC

    @property
    def source_language(self) -> str:
        return next(code for code, lang in self.languages.items() if lang.source)

    def content_file(self, lang: str, doc_id: str) -> Path:
        return self.content_dir / lang / f"{doc_id}.md"

    def select_languages(self, lang: str) -> list[str]:
        """`all` or one known code; anything else is a user error naming the known ones."""
        if lang == "all":
            return list(self.languages)
        if lang not in self.languages:
            known = ", ".join(self.languages)
            raise ProjectError(f"unknown language '{lang}'; known languages: {known}, or all")
        return [lang]

    def select_documents(self, doc: str | None) -> list[str]:
        if doc is None:
            return list(self.documents)
        if doc not in self.documents:
            known = ", ".join(self.documents)
            raise ProjectError(f"unknown document '{doc}'; known documents: {known}")
        return [doc]

    def as_json(self) -> dict:
        return {"languages": {c: l.source for c, l in self.languages.items()},
                "documents": {d: doc.kind for d, doc in self.documents.items()}}

    @classmethod
    def from_json(cls, root: Path, data: dict) -> "Outline":
        return cls(Path(root), {c: SimpleNamespace(source=bool(s)) for c, s in data["languages"].items()},
                   {d: SimpleNamespace(kind=str(k)) for d, k in data["documents"].items()})
