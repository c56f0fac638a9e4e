"""Translation stamps: what the source said when a translator last confirmed a translation.

`locale/stamps/<lang>/<doc>.json` keeps, per section id, the source text the translator worked
from. A section is outdated when the source now differs from its stamp, and the difference is
exactly what the translator has to carry over; no git history is needed.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import yaml

from materials.sources.content import ContentFile
from materials.output import write_atomic

META = "front-matter"


def path(root: Path, lang: str, doc_id: str) -> Path:
    return root / "locale" / "stamps" / lang / f"{doc_id}.json"


def source_texts(src: ContentFile) -> dict[str, str]:
    """Each source section's text (heading and body) and the front matter, by id."""
    texts = {META: yaml.safe_dump(src.meta, allow_unicode=True, sort_keys=True).strip()}
    for s in src.sections:
        texts[s.id] = s.text
    return texts


def diff(old: str, new: str, before: str = "when last confirmed", after: str = "now") -> str:
    """What changed in a source section since its stamp: the one diff check and status show."""
    return "\n".join(difflib.unified_diff(old.split("\n"), new.split("\n"), before, after, lineterm="", n=1))


def load(root: Path, lang: str, doc_id: str) -> dict[str, str]:
    try:
        data = json.loads(path(root, lang, doc_id).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.get("sections", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def stamp(root: Path, lang: str, src: ContentFile, tr: ContentFile) -> int:
    """Confirm the translation: record the current source text of each section it has."""
    texts = source_texts(src)
    keep = {sid: text for sid, text in texts.items() if sid == META or tr.section(sid) is not None}
    data = {"source": f"content/{src.lang}/{src.doc_id}.md", "sections": keep}
    write_atomic(path(root, lang, src.doc_id), (json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    return len(keep)
