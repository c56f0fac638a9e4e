"""The glossary of key terms (locale/glossary.yaml) and inflection-tolerant term matching.

Finnish and Dutch inflect and compound their nouns (polarisaatio, polarisaation,
polarisaatiota, polarisaatiostrategia), so a term is matched by a stem-based prefix of each of
its words rather than by exact text, which is where Weblate-style exact checks raise false alarms.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
import yaml

from materials.errors import Problem, ProjectError, relative

STEMMERS = {"en": "english", "fi": "finnish", "nl": "dutch", "sv": "swedish", "de": "german", "fr": "french"}
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Term:
    id: str
    words: dict[str, str]  # lang -> the term in that language
    forbidden: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...]
    names: tuple[str, ...]


def load_glossary(root: Path) -> Glossary:
    path = root / "locale" / "glossary.yaml"
    name = relative(path, root)
    if not path.exists():
        return Glossary((), ())
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProjectError(Problem(name, f"is not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None))
    if not isinstance(data, dict) or not isinstance(data.get("terms", {}), dict):
        raise ProjectError(Problem(name, "expected a mapping with terms: and names:"))
    terms = []
    for tid, spec in (data.get("terms") or {}).items():
        if not isinstance(spec, dict):
            raise ProjectError(Problem(name, f"terms.{tid}: expected a mapping of language: term"))
        forbidden = spec.get("forbidden") or {}
        words = {k: str(v) for k, v in spec.items() if k != "forbidden"}
        terms.append(Term(str(tid), words, {k: tuple(v) for k, v in forbidden.items()}))
    names = tuple(str(n) for n in data.get("names") or ())
    return Glossary(tuple(terms), names)


@lru_cache(maxsize=None)
def _stemmer(lang: str):
    algorithm = STEMMERS.get(lang)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@lru_cache(maxsize=4096)
def word_key(word: str, lang: str) -> str:
    """The part of a word every inflected (or compounded) form starts with."""
    word = word.lower()
    stemmer = _stemmer(lang)
    stem = stemmer.stemWord(word) if stemmer else word
    common = os.path.commonprefix([word, stem])
    # Finnish consonant gradation (syntipukki -> syntipukin) changes the stem's last letter.
    return common[: max(4, len(common) - 1)] if len(common) > 4 else common


def tokens(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def contains_term(text_tokens: list[str], term: str, lang: str) -> bool:
    """True when the words of `term` occur in the text, in a row, each in some inflected form."""
    keys = [word_key(w, lang) for w in WORD.findall(term)]
    n = len(keys)
    return bool(keys) and any(
        all(text_tokens[i + j].startswith(k) for j, k in enumerate(keys))
        for i in range(len(text_tokens) - n + 1)
    )
