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

from typing import Annotated

import snowballstemmer
from pydantic import ConfigDict, Field, model_validator

from materials.errors import relative, shown
from materials.sources.project import LANG
from materials.sources.yamlfile import Strict, read_yaml, validate

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


class TermSpec(Strict):
    """One term: its words by language, and per language the variants not to use."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    forbidden: dict[str, list[Annotated[str, Field(min_length=1)]]] = {}

    @model_validator(mode="after")
    def _words(self):
        for lang, word in (self.model_extra or {}).items():
            if not LANG.match(lang) or not isinstance(word, str) or not word.strip():
                raise ValueError(f"expected language: term (such as fi: polarisaatio), got {lang}: {shown(word)}")
        return self


class GlossaryFile(Strict):
    terms: dict[str, TermSpec] = {}
    names: list[Annotated[str, Field(min_length=1)]] = []  # names no language translates (and that never break)


def load_glossary(root: Path) -> Glossary:
    path = root / "locale" / "glossary.yaml"
    name = relative(path, root)
    if not path.exists():
        return Glossary((), ())
    data, lines = read_yaml(path, name)
    spec = validate(GlossaryFile, data if data is not None else {}, name, lines)
    terms = tuple(Term(tid, dict(t.model_extra or {}), {k: tuple(v) for k, v in t.forbidden.items()})
                  for tid, t in spec.terms.items())
    return Glossary(terms, tuple(spec.names))


@lru_cache(maxsize=None)
def _stemmer(lang: str):
    algorithm = STEMMERS.get(lang)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@lru_cache(maxsize=4096)
def word_key(word: str, lang: str) -> str:
    """The part of a word every inflected (or compounded) form starts with: its stem; in Dutch,
    whose compounds the stemmer cuts short, never under 70% of the word ("bruggenbouwer" is not
    just "brug", which every bridge would match; Finnish stems change at the end, yleinen ->
    yleisen, so they keep the stemmer's length). English is matched as written (see `forms`)."""
    word = word.lower()
    if lang == "en":
        return word
    stemmer = _stemmer(lang)
    stem = stemmer.stemWord(word) if stemmer else word
    common = os.path.commonprefix([word, stem])
    # Finnish consonant gradation (syntipukki -> syntipukin) changes the stem's last letter.
    key = common[: max(4, len(common) - 1)] if len(common) > 4 else common
    floor = min(len(word), max(4, round(len(word) * STEM_FLOOR.get(lang, 0))))
    return word[: max(len(key), floor)]


STEM_FLOOR = {"nl": 0.7}


def forms(word: str) -> set[str]:
    """An English noun's forms: it, its plural and its possessive ("polarised" is another word)."""
    plural = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")
    return {word, plural, word + "'s", word + "’s", plural + "'", plural + "’"}


def tokens(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def contains_term(text_tokens: list[str], term: str, lang: str) -> bool:
    """True when the words of `term` occur in the text, in a row, each in some inflected form."""
    tests = _term_tests(term, lang)
    if not tests:
        return False
    (first, first_exact), rest = tests[0], tests[1:]
    for i in range(len(text_tokens) - len(tests) + 1):
        word = text_tokens[i]
        if (word in first if first_exact else word.startswith(first)) and all(
                text_tokens[i + j] in key if exact else text_tokens[i + j].startswith(key)
                for j, (key, exact) in enumerate(rest, 1)):
            return True
    return False


@lru_cache(maxsize=8192)
def _term_tests(term: str, lang: str) -> tuple[tuple, ...]:
    """For each word of a term, what a text's word must be: (its forms, True) in English, one of
    them; elsewhere (the word's key, False), a word that starts with it, or (a short word as a
    set, True), that word itself: "en" does not match "enkele". The stems are found once a term."""
    keys = [word_key(w, lang) for w in WORD.findall(term)]
    if lang == "en":
        return tuple((frozenset(forms(k)), True) for k in keys)
    return tuple((frozenset({k}), True) if len(k) <= SHORT_WORD else (k, False) for k in keys)


SHORT_WORD = 3
