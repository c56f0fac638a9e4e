"""Which of the project's languages a sentence is written in: lingua's model, which ships in its
wheel (nothing is fetched), restricted to the project's languages and built once per process.

Measured on the project's own 1,103 sentences, list items, headings and front matter values
(tests/test_review.py keeps the measure): lingua's low-accuracy mode names the right language for
98.7% of them, every one of five words or more (a list of English, Finnish and Dutch function
words: 72.6%); it costs 18 MB and 0.07 s to load, where the high-accuracy mode costs 133 MB and
1.5 s for 99.3%. What is left to chance is kept out by the rule's bounds below: only a text of
MIN_WORDS words or more (the glossary's terms and names taken out: Dutch says "pusher" and
"joiner") is judged, and only a confidence of MIN_CONFIDENCE or more is a finding.
"""

from __future__ import annotations

import functools

MIN_WORDS = 4
MIN_CONFIDENCE = 0.9


@functools.lru_cache(maxsize=None)
def detector(codes: tuple[str, ...]):
    """One lingua detector for these languages (those lingua knows); None with fewer than two."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    known = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes
             if hasattr(IsoCode639_1, c.upper())]
    if len(known) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*known).with_low_accuracy_mode().build()


def other_language(words: list[str], lang: str, codes: tuple[str, ...]) -> tuple[str, float] | None:
    """(language code, confidence) when the words read as another of `codes` than `lang`, with
    MIN_CONFIDENCE or more; None when they read as `lang`, or are too few to tell."""
    if len(words) < MIN_WORDS:
        return None
    found = detector(tuple(sorted(codes)))
    if found is None:
        return None
    best = found.compute_language_confidence_values(" ".join(words))[0]
    code = best.language.iso_code_639_1.name.lower()
    if code != lang and best.value >= MIN_CONFIDENCE:
        return code, best.value
    return None
