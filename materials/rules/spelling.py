"""Spelling dictionaries: Finnish with Voikko (libvoikko1, voikko-fi), every other language with
Enchant's Hunspell dictionaries (libenchant-2-2; Dutch: hunspell-nl), each opened once.

Besides "is this word spelled right", a speller tells what a word is made of, so that a glossary
term written as another compound or phrase can be seen ("siltojen rakentaja" is made of what
"sillanrakentaja" is made of): Voikko analyses Finnish words into their base forms; elsewhere a
compound is split where both parts are words and each part is stemmed.
"""

from __future__ import annotations

import functools
import re

from materials.sources.glossary import STEMMERS

PART = 4  # the shortest part of a compound (not "gen" of "bruggen")
BASES = re.compile(r"\+[^(+]*\(([^)]*)\)")


class Speller:
    def __init__(self, lang: str, check, analyse=None):
        self.lang = lang
        self._check = check
        self._analyse = analyse

    @functools.lru_cache(maxsize=8192)
    def check(self, word: str) -> bool:
        return bool(self._check(word))

    @functools.lru_cache(maxsize=8192)
    def bases(self, word: str) -> tuple[str, ...]:
        """The parts a word is made of, each in its base form (an unknown word is itself, stemmed)."""
        word = word.lower()
        if self._analyse is not None:
            for analysis in self._analyse(word):
                found = BASES.findall(analysis.get("WORDBASES", ""))
                if found:
                    return tuple(b for b in found if b)
            return (self._stem(word),)
        return self._compound(word) or (self._stem(word),)

    def _compound(self, word: str) -> tuple[str, ...]:
        """A compound's parts, stemmed: the longest first part that is a word, then the rest
        (parts of four letters or more; a linking s between them, trainingsdag, is no part)."""
        for i in range(len(word) - PART, PART - 1, -1):
            head, tail = word[:i], word[i:]
            if not self.check(head):
                continue
            for rest in ((tail, tail[1:]) if tail.startswith("s") else (tail,)):
                parts = ((self._stem(rest),) if self.check(rest) else self._compound(rest)) if len(rest) >= PART else ()
                if parts:
                    return (self._stem(head),) + parts
        return ()

    def _stem(self, word: str) -> str:
        stemmer = _stemmer(self.lang)
        return stemmer.stemWord(word) if stemmer else word


@functools.lru_cache(maxsize=None)
def _stemmer(lang: str):
    import snowballstemmer

    return snowballstemmer.stemmer(STEMMERS[lang]) if lang in STEMMERS else None


class Unavailable(Exception):
    """No dictionary for the language on this machine (the message says what to install)."""


@functools.lru_cache(maxsize=None)
def speller(lang: str, locale: str) -> Speller:
    """The language's speller; Unavailable when its dictionary is not installed."""
    if lang == "fi":
        import libvoikko

        try:
            voikko = libvoikko.Voikko("fi")
        except (OSError, libvoikko.VoikkoException) as exc:  # no library, or no Finnish dictionary
            raise Unavailable(f"Voikko cannot be opened ({exc}); install libvoikko1 and voikko-fi (./setup)") from None
        return Speller(lang, voikko.spell, voikko.analyze)
    try:
        import enchant
    except ImportError:
        raise Unavailable("Enchant is not installed; install libenchant-2-2 (./setup)") from None
    for tag in (locale, lang):
        try:
            if enchant.dict_exists(tag):
                return Speller(lang, enchant.Dict(tag).check)
        except enchant.errors.Error:
            continue
    raise Unavailable(f"no spelling dictionary for {locale} (for Dutch: hunspell-nl, ./setup installs it)")
