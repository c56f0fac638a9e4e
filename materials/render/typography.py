"""Typography per language: quotation marks, non-breaking spaces, and Finnish hyphenation.

Quotation marks come from the language-neutral configuration (content/project.yaml) and are
set by Python-Markdown's smarty extension. English and Dutch are hyphenated by WeasyPrint
itself (CSS `hyphens: auto`, pyphen's dictionaries); pyphen has no Finnish, so Finnish PDFs get
soft hyphens from Voikko, which knows Finnish compounds (vastakkain-asettelu, not
vastakkai-nasettelu).
"""

from __future__ import annotations

import re
from functools import lru_cache

from materials.errors import ProjectError

TAG = re.compile(r"(<[^>]*>)")
SKIP = ("style", "script", "pre", "code", "title")
# A number and the word it counts stay on one line ("16 participants", "klo 9.00").
NUMBER_WORD = re.compile(r"(?<=\d) (?=[^\W\d_])")
LEFT_WORD = {"fi": re.compile(r"\b(klo|n\.|ks\.|s\.) (?=\d)")}
WORD = re.compile(r"[^\W\d_]{6,}")
MIN_LEFT, MIN_RIGHT = 2, 3
SOFT_HYPHEN = "\u00ad"
# What the PDF never breaks, so gets no soft hyphens: headings (style.css: hyphens: manual) and
# labels set in spaced capitals, where a soft hyphen takes the letter spacing too and the PDF's
# text reads "DIA MA TE RIAALI".
UNHYPHENATED = re.compile(r'<(?:h[1-6]|th|dt|caption)\b|<[^>]*\bclass="[^"]*\b(?:brand|doc-kind|own-notes|draft-mark)\b')


def text_nodes(html: str, transform, skip: re.Pattern | None = None) -> str:
    """Apply `transform` to the text between tags, outside style, script, pre, code and title
    (and outside the elements whose start tag `skip` matches)."""
    parts = TAG.split(html)
    skipping = None
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            name = name.group(1).lower() if name else ""
            opens = not part.startswith("</") and not part.endswith("/>")
            if skipping is None and opens and (name in SKIP or (skip is not None and skip.match(part))):
                skipping = name
            elif skipping == name and part.startswith("</"):
                skipping = None
        elif skipping is None and part:
            parts[i] = transform(part)
    return "".join(parts)


def smarty_substitutions(quotes: tuple[str, str, str, str]) -> dict:
    """The language's quotation marks for Python-Markdown's smarty extension."""
    double_open, double_close, single_open, single_close = quotes
    return {"left-double-quote": double_open, "right-double-quote": double_close,
            "left-single-quote": single_open, "right-single-quote": single_close}


def nbsp(text: str, lang: str) -> str:
    text = NUMBER_WORD.sub("\u00a0", text)
    if lang in LEFT_WORD:
        text = LEFT_WORD[lang].sub(lambda m: m.group(1) + "\u00a0", text)
    return text


@lru_cache(maxsize=None)
def _voikko():
    try:
        import libvoikko

        voikko = libvoikko.Voikko("fi")
        # No correct-but-ugly breaks such as one-letter syllables (vastakkain-a-set-telu).
        voikko.setNoUglyHyphenation(True)
        return voikko
    except (ImportError, OSError, Exception) as exc:  # the library or the Finnish dictionary is missing
        raise ProjectError("Finnish hyphenation needs Voikko: install the system packages libvoikko1 and voikko-fi "
                           f"(sudo apt-get install libvoikko1 voikko-fi); {exc}")


@lru_cache(maxsize=20000)
def hyphenate_word(word: str, lang: str) -> str:
    """The word with soft hyphens where it may break, leaving at least 2 letters before
    and 3 after a break."""
    if lang != "fi":
        return word
    pattern = _voikko().getHyphenationPattern(word)
    out = []
    for i, (char, mark) in enumerate(zip(word, pattern)):
        if mark == "-" and MIN_LEFT <= i <= len(word) - MIN_RIGHT:
            out.append(SOFT_HYPHEN)
        out.append(char)
    return "".join(out)


def hyphenate(text: str, lang: str) -> str:
    return WORD.sub(lambda m: hyphenate_word(m.group(), lang), text)


def for_print(html: str, lang: str) -> str:
    """The HTML a PDF is made from: for Finnish, with soft hyphens in the body text."""
    if lang != "fi":
        return html
    body = html.find("<body")
    return html[:body] + text_nodes(html[body:], lambda t: hyphenate(t, lang), UNHYPHENATED)
