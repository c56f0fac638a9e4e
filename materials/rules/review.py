"""A reviewer's eye on a translated section, aligned with its source block by block (paragraph,
list item, heading) and sentence by sentence: another language left in it, spelling, content
lost or added, a glossary term written two ways, unpaired quotation marks or brackets, a word
written twice.

Each rule is one function of `Reviewer`; it returns `Issue`s and checks.py turns them into
findings with their code's level (checks.WARNINGS). The measures and their bounds are here, with
why they are what they are.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

from materials.rules import identify
from materials.rules.segments import Block, blocks, sentences
from materials.rules.spelling import Speller, Unavailable, speller
from materials.sources.content import Section
from materials.sources.glossary import Glossary, contains_term, tokens

WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
PREFIX = re.compile(r"\((?:[^\W\d_]{1,4})\)(?=[^\W\d_])")  # "(de)polarisatie": the word is polarisatie
REPEATED = re.compile(r"(?<![\w-])([^\W\d_]+)\s+\1(?![\w-])", re.I)
REPEATABLE = {"nl": {"dat", "die"}, "en": {"that", "had"}}  # "Hij zegt dat dat klopt"

# Lengths, in letters. A translation's paragraph is as long as its source's times the language's
# ratio: the median over every aligned block of the project (Finnish 1.12, Dutch 1.08 on our
# content), so that a new language calibrates itself. Measured on our content (tests/test_review.py
# keeps the measure): every paragraph's length divided by that lies within 0.75 and 1.33 (of 178),
# and no translation has fewer sentences than its source. A dropped sentence leaves a paragraph
# short AND with fewer sentences; a split or merged one changes the count, not the length;
# reordering changes neither. With the bounds below, dropping any one sentence of a paragraph is
# seen 341 times in 364, adding one of the translation's own (30 letters or more) 396 in 534;
# merging two sentences is taken for a drop 8 times in 224 (in paragraphs short already),
# splitting one for an addition once in 151; reordering never: a warning. Translations run longer
# than their source more than shorter, hence LONG is further from 1 than SHORT.
MIN_LETTERS = 40  # shorter blocks vary too much in length to tell (a heading, "Kind regards")
SHORT, LONG = 0.85, 1.25  # beyond these, with fewer (more) sentences than the source: one dropped (added)
VERY_SHORT, VERY_LONG = 0.6, 1.6  # beyond these whatever the sentence count
GAP = 1.0  # the cost of a paragraph with no counterpart, against |log(ratio)| of a pair (e: 2.7 times)
MIN_SAMPLES = 8  # fewer aligned blocks than this: the ratio is taken as 1


@dataclass(frozen=True)
class Issue:
    code: str
    line: int
    message: str
    subject: str = ""  # the text it is about, when narrower than the section (an acceptance holds while it stays)


NOT_LETTERS = re.compile(r"[\W\d_]+")


def translatable(text: str, names: tuple[str, ...]) -> bool:
    """False when a text is only names, values and punctuation (it may stay the same)."""
    for name in names:
        text = text.replace(name, " ")
    return len([w for w in tokens(text) if len(w) > 1]) >= 2


def english_name(code: str) -> str:
    """A language as the messages name it: Finnish, Dutch (Babel's names)."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code).get_language_name("en") or code
    except (UnknownLocaleError, ValueError):
        return code


def letters(text: str) -> int:
    return len(NOT_LETTERS.sub("", text))


def quoted(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


class Reviewer:
    def __init__(self, project, glossary: Glossary, words: dict[str, frozenset[str]] | None = None):
        self.project = project
        self.glossary = glossary
        self.source = project.source_language
        self.codes = tuple(project.languages)
        self.words = words  # lang -> its word list; a language missing from it: its list could not be read
        self.ratio: dict[str, float] = {}  # lang -> its length ratio to the source (calibrate)
        self._known: dict[str, frozenset[str]] = {}
        self.unavailable: dict[str, str] = {}

    # -- the tools, per language ------------------------------------------------------------
    def speller(self, lang: str) -> Speller | None:
        if lang in self.unavailable:
            return None
        try:
            return speller(lang, self.project.languages[lang].locale)
        except Unavailable as exc:
            self.unavailable[lang] = str(exc)
            return None

    def known(self, lang: str) -> frozenset[str]:
        """Our own words in `lang`: the word list, the glossary's terms and the names."""
        if lang not in self._known:
            own = set((self.words or {}).get(lang, ()))
            for term in self.glossary.terms:
                own.update(w.lower() for w in WORDS.findall(term.words.get(lang, "")))
            for name in self.glossary.names:
                own.update(w.lower() for w in WORDS.findall(name))
            self._known[lang] = frozenset(own)
        return self._known[lang]

    def terms_of(self, lang: str) -> frozenset[str]:
        """The words of the glossary's terms in `lang` (Dutch says "pusher": no sign of English)."""
        key = "terms:" + lang
        if key not in self._known:
            self._known[key] = frozenset(w for term in self.glossary.terms for w in tokens(term.words.get(lang, "")))
        return self._known[key]

    def calibrate(self, lang: str, pairs: list[tuple[Section, Section]]) -> None:
        """The language's length ratio to the source, from every aligned block of its sections."""
        ratios = []
        for s, t in pairs:
            a, b = blocks(s), blocks(t)
            if [x.kind for x in a] == [x.kind for x in b]:
                ratios += [letters(y.text) / letters(x.text) for x, y in zip(a, b) if letters(x.text) >= MIN_LETTERS]
        self.ratio[lang] = statistics.median(ratios) if len(ratios) >= MIN_SAMPLES else 1.0

    # -- a section ----------------------------------------------------------------------------
    def section(self, lang: str, s: Section, t: Section, source_name: str, complete: bool = True) -> list[Issue]:
        """Every rule below on one section. `complete`: the translation has all the source's
        sections (else a lost heading has moved its paragraphs into the section before: nothing
        there is called extra until the heading is back)."""
        a, b = blocks(s), blocks(t)
        identical = {x.text for x in a}
        out = self.untranslated(f"Section '{s.id}' has text identical to the source", a, b)
        out += [i for i in self.alignment(lang, s, a, b, source_name) if complete or not i.code.startswith("extra-")]
        for block in b:
            if block.text in identical:  # `untranslated` says so
                continue
            out += self.language(lang, s.id, block)
        out += self.spelling(lang, s.id, [x for x in b if x.text not in identical], skip={i.subject for i in out if i.code == "language"})
        out += self.term_variants(lang, s, t)
        out += self.pairs(lang, s.id, a, b)
        out += self.repeated(lang, s.id, a, b)
        return out

    def front_matter(self, lang: str, src: dict, tr: dict, line_of) -> list[Issue]:
        """The title, subtitle and summary: another language left, spelling."""
        out = []
        for key, value in tr.items():
            block = Block("paragraph", "body", line_of(key), str(value))
            if value == src.get(key):
                out += self.untranslated(f"The front matter's {key} is the source's", [block], [block])
                continue
            found = self.language(lang, f"front matter '{key}'", block, what=f"The front matter's {key}")
            out += found
            out += self.spelling(lang, f"front matter '{key}'", [block], skip={i.subject for i in found})
        return out

    # -- rules ---------------------------------------------------------------------------------
    def untranslated(self, what: str, a: list[Block], b: list[Block]) -> list[Issue]:
        """The first paragraph, list item or heading identical to one of the source's (and more
        than names and values, which stay the same)."""
        source = {x.text for x in a}
        for block in b:
            if block.text in source and translatable(block.text, self.glossary.names):
                return [Issue("untranslated", block.line, f"{what} (\"{block.text[:60]}\"); translate it.", block.text)]
        return []

    def language(self, lang: str, where: str, block: Block, what: str = "") -> list[Issue]:
        """A sentence in another of the project's languages (English left, usually)."""
        names = self.glossary.names
        own = self.terms_of(lang)
        found = []
        for sentence in sentences(block.text, lang):
            text = sentence
            for name in names:
                text = text.replace(name, " ")
            words = [w for w in WORDS.findall(text) if w.lower() not in own]
            other = identify.other_language(words, lang, self.codes)
            if other:
                found.append((sentence, other[0]))
        if not found:
            return []
        language = english_name(found[0][1])
        more = f" and {len(found) - 1} more" if len(found) > 1 else ""
        what = what or f"Section '{where}'"
        return [Issue("language", block.line,
                      f"{what} has a sentence in {language}{more} (\"{quoted(found[0][0])}\"); translate it.",
                      " ".join(s for s, _ in found))]

    def spelling(self, lang: str, where: str, chosen: list[Block], skip: set[str] = frozenset()) -> list[Issue]:
        """Words the language's dictionary and the project's own words do not know (a warning)."""
        check = self.speller(lang)
        if check is None or (self.words is not None and lang not in self.words):  # its word list is broken: word-list says so
            return []
        known = self.known(lang)
        place = where if where.startswith("front matter") else f"section '{where}'"
        out, seen = [], set()
        for block in chosen:
            for sentence in sentences(block.text, lang):
                if any(sentence in s for s in skip):
                    continue
                for word in WORDS.findall(PREFIX.sub("", sentence)):
                    if word in seen or self.spelled(word, check, known):
                        continue
                    seen.add(word)
                    out.append(Issue("spelling", block.line,
                                     f"In {place}, "
                                     f"\"{word}\" is not in the {english_name(lang)} dictionary; "
                                     f"correct it, or add it to locale/words/{lang}.txt if it is right.", word))
        return out

    def misspelled(self, lang: str, source: str, text: str) -> list[str]:
        """The words of a catalog string its language's dictionary and our words do not know; a
        word the source has as written is no misspelling (a file name, a key: index.html, Esc)."""
        check = self.speller(lang)
        if check is None or (self.words is not None and lang not in self.words):
            return []
        kept = set(WORDS.findall(source))
        known = self.known(lang)
        return list(dict.fromkeys(w for w in WORDS.findall(PREFIX.sub("", text)) if w not in kept and not self.spelled(w, check, known)))

    @staticmethod
    def spelled(word: str, check: Speller, known: frozenset[str]) -> bool:
        w = word.strip("'’-")
        low = w.lower()
        if len(w) < 2 or (w.isupper() and len(w) <= 6) or low in known or check.check(w):
            return True
        if "-" in w and all(Reviewer.spelled(part, check, known) for part in w.split("-") if part):
            return True
        # A compound or an inflected form of one of our words: intervisio-tapaaminen, Genk-issä.
        return any(low.startswith(k) and (len(low) - len(k) <= 5 or check.check(low[len(k):]))
                   for k in known if len(k) >= 4)

    def alignment(self, lang: str, s: Section, a: list[Block], b: list[Block], source_name: str) -> list[Issue]:
        """Paragraphs missing or extra (errors), and a paragraph or list item that lost or gained a
        sentence (a warning: it is measured by length)."""
        ratio = self.ratio.get(lang, 1.0)
        out = []
        for part in dict.fromkeys(x.part for x in a + b):
            pa = [x for x in a if x.part == part and x.kind == "paragraph"]
            pb = [x for x in b if x.part == part and x.kind == "paragraph"]
            pairs = align(pa, pb, ratio)
            for k, (x, y) in enumerate(pairs):
                if y is None:
                    after = next((q.line for _, q in reversed(pairs[:k]) if q), s.line)
                    out.append(Issue("missing-paragraph", after,
                                     f"Section '{s.id}' lacks the source's paragraph at {source_name}:{x.line} "
                                     f"(\"{quoted(x.text)}\"); translate it here.", x.text))
                elif x is None:
                    out.append(Issue("extra-paragraph", y.line,
                                     f"Section '{s.id}' has a paragraph the source has not (\"{quoted(y.text)}\"); "
                                     "remove it, or ask for it in the source.", y.text))
            items = [(x, y) for x, y in pairs if x and y]
            ia = [x for x in a if x.part == part and x.kind in ("item", "row")]
            ib = [x for x in b if x.part == part and x.kind in ("item", "row")]
            if len(ia) == len(ib):  # else `structure` says an item is missing
                items += list(zip(ia, ib))
            for x, y in items:
                out += self.sentence_count(lang, s.id, x, y, ratio)
        return out

    def sentence_count(self, lang: str, sid: str, x: Block, y: Block, ratio: float) -> list[Issue]:
        if letters(x.text) < MIN_LETTERS:
            return []
        r = letters(y.text) / letters(x.text) / ratio
        ns, nt = len(sentences(x.text, self.source)), len(sentences(y.text, lang))
        what = "paragraph" if x.kind == "paragraph" else "list item"
        if (r < SHORT and nt < ns) or r < VERY_SHORT:
            return [Issue("missing-sentence", y.line,
                          f"Section '{sid}': this {what} is {round(100 * (1 - r))}% shorter than its source and has "
                          f"{nt} sentence{'s' * (nt != 1)} where the source has {ns} (\"{quoted(x.text, 50)}\"); "
                          "translate what is missing.", y.text)]
        if (r > LONG and nt > ns) or r > VERY_LONG:
            return [Issue("extra-sentence", y.line,
                          f"Section '{sid}': this {what} is {round(100 * (r - 1))}% longer than its source and has "
                          f"{nt} sentences where the source has {ns}; remove what the source does not say.", y.text)]
        return []

    def term_variants(self, lang: str, s: Section, t: Section) -> list[Issue]:
        """A glossary term written both as the glossary writes it and as another compound or
        phrase of the same parts ("sillanrakentaja" and "siltojen rakentaja")."""
        check = self.speller(lang)
        if check is None:
            return []
        src_tokens, tr_tokens = tokens(s.text), tokens(t.text)
        out = []
        for term in self.glossary.terms:
            source_term, target = term.words.get(self.source), term.words.get(lang)
            if not source_term or not target:
                continue
            words = tokens(target)
            starts = [i for i, w in enumerate(tr_tokens) if w[:2] == words[0][:2]]  # cheap, before the rest
            if len(starts) < 2 or not contains_term(src_tokens, source_term, self.source) \
                    or not contains_term(tr_tokens, target, lang):
                continue
            wanted = sum((check.bases(w) for w in words), ())
            for i in starts:
                for size in range(1, len(words) + 2):
                    phrase = tr_tokens[i:i + size]
                    if len(phrase) == size and sum((check.bases(w) for w in phrase), ()) == wanted \
                            and not contains_term(phrase, target, lang):
                        variant = " ".join(phrase)
                        line = next((b.line for b in blocks(t) if variant in " ".join(tokens(b.text))), t.line)
                        out.append(Issue("term-variant", line,
                                         f"Section '{s.id}' writes the glossary term \"{target}\" also as \"{variant}\"; "
                                         f"write it one way (or add \"{variant}\" to the term's forbidden list).", variant))
        return list({i.subject: i for i in out}.values())

    def pairs(self, lang: str, sid: str, a: list[Block], b: list[Block]) -> list[Issue]:
        """Quotation marks and brackets that do not pair within a paragraph (where the source's do)."""
        quotes = self.project.languages[lang].quotes
        source_quotes = self.project.languages[self.source].quotes
        source_ok = [kind for kind in PAIRS if all(unpaired(x.text, kind, source_quotes) is None for x in a)]
        out = []
        for block in b:
            for kind in source_ok:
                if (found := unpaired(block.text, kind, quotes)) is not None:
                    mark, at = found
                    context = block.text[max(0, at - 30):at + 30].strip()
                    out.append(Issue("unpaired", block.line,
                                     f"Section '{sid}' has an unpaired {mark} (\"…{context}…\"); close it or remove it.",
                                     block.text))
                    break
        return out

    def repeated(self, lang: str, sid: str, a: list[Block], b: list[Block]) -> list[Issue]:
        """A word written twice in a row, where the source has no such repetition (and the
        language's grammar does not ask for it: Dutch "dat dat")."""
        source = " ".join(x.text for x in a)
        out = []
        for block in b:
            for m in REPEATED.finditer(block.text):
                if m.group(1).lower() in REPEATABLE.get(lang, ()):
                    continue
                if not re.search(rf"\b{re.escape(m.group(1))}\s+{re.escape(m.group(1))}\b", source, re.I):
                    out.append(Issue("repeated-word", block.line,
                                     f"Section '{sid}' repeats \"{m.group(1)}\" (\"{quoted(m.group(0))}\"); write it once.", m.group(0)))
        return out


PAIRS = ("()", "[]", "double quotes", "single quotes")


def unpaired(text: str, kind: str, quotes: str) -> tuple[str, int] | None:
    """The mark left unpaired in `text` and where, or None. `quotes`: the language's double open
    and close and single open and close marks (Finnish closes with the mark it opens with)."""
    if kind in ("()", "[]"):
        opened: list[int] = []
        for i, c in enumerate(text):
            if c == kind[0]:
                opened.append(i)
            elif c == kind[1]:
                if not opened:
                    return c, i
                opened.pop()
        return (kind[0], opened[0]) if opened else None
    opening, closing, straight = (quotes[0], quotes[1], '"') if kind == "double quotes" else (quotes[2], quotes[3], "'")
    if opening not in text and closing not in text and straight not in text:
        return None
    # An apostrophe between letters (collega’s, dia's) is no quotation mark; a straight ' is too
    # often an apostrophe to tell.
    marks = [(c, i) for i, c in enumerate(text) if c in (opening, closing, straight) and c != "'"
             and not (c == "’" and 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha())]
    for pair in ((straight, straight), (opening, closing)):
        depth, last = 0, None
        for c, i in marks:
            if c not in pair:
                continue
            if pair[0] == pair[1]:
                depth, last = 1 - depth, (c, i)
            elif c == pair[0]:
                depth, last = depth + 1, (c, i)
            elif depth == 0:
                return c, i
            else:
                depth -= 1
        if depth:
            return last
    return None


def align(a: list[Block], b: list[Block], ratio: float) -> list[tuple[Block | None, Block | None]]:
    """The source's paragraphs paired with the translation's in order, by length (an edit
    distance whose pair cost is how far the length ratio is from the language's); a paragraph
    with no counterpart is paired with None. With as many on both sides, they pair in order."""
    if len(a) == len(b):
        return list(zip(a, b))
    n, m = len(a), len(b)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    step = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            if i == j == 0:
                continue
            options = []
            if i and j:
                r = max(1, letters(b[j - 1].text)) / max(1, letters(a[i - 1].text)) / ratio
                options.append((cost[i - 1][j - 1] + abs(math.log(r)), "pair"))
            if i:
                options.append((cost[i - 1][j] + GAP, "missing"))
            if j:
                options.append((cost[i][j - 1] + GAP, "extra"))
            cost[i][j], step[i][j] = min(options)
    out: list[tuple[Block | None, Block | None]] = []
    i, j = n, m
    while i or j:
        kind = step[i][j]
        if kind == "pair":
            out.append((a[i - 1], b[j - 1]))
            i, j = i - 1, j - 1
        elif kind == "missing":
            out.append((a[i - 1], None))
            i -= 1
        else:
            out.append((None, b[j - 1]))
            j -= 1
    return out[::-1]
