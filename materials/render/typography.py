"""Typography per language: quotation marks, non-breaking spaces, names, and the hyphenation
of the PDFs.

Quotation marks come from the language-neutral configuration (content/project.yaml) and are
set by Python-Markdown's smarty extension. Hyphenation is one rule set for every language, put
into the PDF's HTML as soft hyphens (the PDF's stylesheet lets WeasyPrint break words only there):

- break points from a dictionary-quality source: Finnish from Voikko, which knows compounds
  (vastakkain-asettelu, not vastakkai-nasettelu); Dutch from the OpenTaal patterns (pyphen's
  nl_NL, made from the Woordenlijst); English only where the British patterns (en_GB, from
  ukhyphen.tex) and the American ones (en_US, from Webster's) agree, since each alone has breaks
  the other's dictionary rejects (exper-ience, knowl-edge);
- at least 3 letters on each side of a break;
- no break in a name (the organisation's and the glossary's, in any inflected form:
  Rotterdamissa), in headings, labels, slides and list items, nor in a paragraph's last word;
- at most 2 hyphenated lines in a row: that needs the laid-out lines, so lines.py sees to it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from materials.errors import ProjectError

TAG = re.compile(r"(<[^>]*>)")
# A diagram's SVG (diagrams.py) is drawn text: its labels get no soft hyphens, no-break spaces or
# name spans (its lines are set where diagrams.py measured them).
SKIP = ("style", "script", "pre", "code", "title", "svg")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# A number and the word it counts stay on one line ("16 participants", "klo 9.00").
NUMBER_WORD = re.compile(r"(?<=\d) (?=[^\W\d_])")
LEFT_WORD = {"fi": re.compile(r"\b(klo|n\.|ks\.|s\.) (?=\d)")}
# A word long enough to break; an email address (its parts on either side of a <wbr>), a web
# address, a domain or an entity (&hellip;) is none.
WORD = re.compile(r"[\w.+-]+@[\w.-]*|https?://\S+|\w+(?:\.\w+)+|&#?\w+;|[^\W\d_]{6,}")
MIN_LEFT = MIN_RIGHT = 3
SOFT_HYPHEN = "\u00ad"
NAME_CLASS = "name"
# What the PDF never breaks, so gets no soft hyphens: headings and labels (and those set in
# spaced capitals, where a soft hyphen takes the letter spacing too and the PDF's text reads
# "DIA MA TE RIAALI"), header cells (not an agenda item's, whose description is running text),
# slides (read at a glance), list items (bullets; not a handout's rows, which hold the notes),
# the columns of details beside a letter or an agenda and a workbook's labels and prompts (set in
# the sans, whose font has no hyphen for a break) and names.
CLASS = r'\bclass="(?:[^"]*\s)?(?:{})(?=[\s"])'
UNHYPHENATED = re.compile(r"<(?:h[1-6]|dt|caption)\b|<th\b(?![^>]*" + CLASS.format("item") + r")|<li\b(?![^>]*"
                          + CLASS.format("slide-row") + r")|<[^>]*" + CLASS.format(
                              "brand|doc-kind|own-notes|draft-mark|item-title|slide|letter-side|agenda-side|fill-label|box-prompt|" + NAME_CLASS))
# The end of a paragraph, cell or line, after a word and what may follow it (punctuation, inline
# tags, an entity): the word before it is a paragraph's last, never broken.
INLINE_TAG = r"</?(?:a|abbr|b|cite|em|i|q|small|span|strong|sub|sup)\b[^>]*>"
LAST_WORD = re.compile(rf"[^\s<>]+(?=(?:[^\w\s<&]|&#?\w+;|{INLINE_TAG})*"
                       r"(?:</(?:p|li|td|th|dd|dt|div|caption|figcaption|blockquote|h[1-6])>|<br\b))")


def text_nodes(html: str, transform, skip: re.Pattern | None = None) -> str:
    """Apply `transform` to the text between tags, outside style, script, pre, code and title
    (and outside the elements whose start tag `skip` matches, with all they hold)."""
    parts = TAG.split(html)
    skipping, depth = None, 0
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            name = name.group(1).lower() if name else ""
            opens = not part.startswith("</") and not part.endswith("/>") and name not in VOID
            if skipping is None and opens and (name in SKIP or (skip is not None and skip.match(part))):
                skipping, depth = name, 1
            elif skipping == name and opens:
                depth += 1  # the same element nested inside the one skipped
            elif skipping == name and part.startswith("</"):
                depth -= 1
                if depth == 0:
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


@lru_cache(maxsize=None)
def _patterns(name: str):
    import pyphen

    return pyphen.Pyphen(lang=name, left=1, right=1)


# Where each language's break points come from: the dictionaries whose every break is taken.
PATTERNS = {"en": ("en_GB", "en_US"), "nl": ("nl_NL",)}


def break_points(word: str, lang: str) -> set[int]:
    """The positions where `word` may break (before the letter at that index)."""
    lower = word.lower()
    if lang == "fi":
        return {i for i, mark in enumerate(_voikko().getHyphenationPattern(word)) if mark == "-"}
    dictionaries = PATTERNS.get(lang)
    if not dictionaries:
        return set()
    points = [set(_patterns(name).positions(lower)) for name in dictionaries]
    return set.intersection(*points)


@lru_cache(maxsize=20000)
def hyphenate_word(word: str, lang: str) -> str:
    """The word with soft hyphens where it may break, leaving at least 3 letters on each side."""
    points = {i for i in break_points(word, lang) if MIN_LEFT <= i <= len(word) - MIN_RIGHT}
    return "".join((SOFT_HYPHEN if i in points else "") + char for i, char in enumerate(word))


def hyphenate(text: str, lang: str) -> str:
    return WORD.sub(lambda m: hyphenate_word(m.group(), lang) if m.group().isalpha() else m.group(), text)


def email(address: str) -> Markup:
    """An email address that may break after its @ (<wbr>), where a narrow column needs it."""
    local, at, domain = str(address).partition("@")
    return escape(local) + (Markup("@<wbr>") if at else "") + escape(domain)


def mark_names(text: str, names: tuple[str, ...]) -> str:
    """Each name in an HTML text, with the rest of its word (an inflection: Genkissä), in a span
    of class "name", which no line breaks inside a word and no soft hyphen enters."""
    if not names:
        return text
    return _names_pattern(tuple(names)).sub(lambda m: f'<span class="{NAME_CLASS}">{m.group()}</span>', text)


@lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern:
    """The names as they stand in HTML (escaped), the longest first."""
    escaped = sorted({str(escape(n)) for n in names if n}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in escaped) + r")\w*")


def for_print(html: str, lang: str) -> str:
    """The HTML a PDF is made from: soft hyphens in the running text, where the rules allow."""
    body = html.find("<body")
    text = text_nodes(html[body:], lambda t: hyphenate(t, lang), UNHYPHENATED)
    text = LAST_WORD.sub(lambda m: m.group().replace(SOFT_HYPHEN, ""), text)
    return html[:body] + text
