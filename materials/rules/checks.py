"""The rules: is every source well-formed, and every translation complete, current and
consistent with the English source?

Each rule is written once, here, and judges the loaded `Sources`: `invoke check` reports its
findings, and build and pack refuse on the errors among them (`gate`), through the same code.
Sections are aligned across languages by their stable ids, not by position. Each rule has a
stable code; every finding names the language, document, file and line and says, in one
sentence, what to do. A finding is `draft_ok` when it says a translation is unfinished (a draft
build shows the English in its place); a malformed source stops even a draft.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.checkers import python_format
from babel.messages.catalog import TranslationError

from materials.errors import Problem, ProjectError, relative
from materials.sources import catalogs, stamps
from materials.sources.loader import Sources, load
from materials.sources.content import INTRO, ContentFile, Section
from materials.sources.images import IMAGE
from materials.sources.glossary import Glossary, contains_term, tokens
from materials.rules.review import Issue, Reviewer, english_name
from materials.rules.segments import blocks
from materials.sources.project import Project

# The codes, each with what it says. A finding is an error (it stops a build and a pack) unless
# its code is in WARNINGS (listed, never stopping). This is the one place a level is set.
CODES = {
    "content": "a content file cannot be read (front matter, headings, encoding)",
    "missing-document": "a document has no translation file",
    "extra-document": "a content file no document of project.yaml names",
    "missing-section": "a section (or front matter key) of the source is not translated",
    "extra-section": "a section the source does not have",
    "structure": "list items, table rows, sub-headings (and their {.box} attributes) or notes markers differ from the source's",
    "placeholder": "template values differ from the source's",
    "number": "numbers differ from the source's (each read in its language's notation, or as words)",
    "link": "a link to another host than the source's, or one dropped or added",
    "image": "images differ from the source's, or one has no alt text",
    "untranslated": "a paragraph, list item, heading or front matter value identical to the source",
    "language": "a sentence (of a paragraph, list item, heading or the front matter) in another language",
    "missing-paragraph": "a paragraph of the source with no counterpart in the translation",
    "extra-paragraph": "a paragraph of the translation with no counterpart in the source",
    "outdated": "the source section changed since its translation was confirmed",
    "glossary": "a glossary term not rendered as the glossary says, or a forbidden variant used",
    "unpaired": "a quotation mark or bracket that does not pair within its paragraph",
    "word-list": "a project word list (locale/words/) cannot be read",
    "catalog": "a catalog cannot be read, or a message is untranslated, fuzzy or malformed",
    "agenda": "an agenda's sections are not its session's items, or the items do not add up",
    "catalog-placeholder": "a catalog placeholder dropped or added",
    "catalog-brackets": "unpaired brackets in a catalog string",
    "catalog-unchanged": "a catalog string of two or more words left in English",
    "catalog-spacing": "a double space, or white space at an end, in a catalog string",
    "catalog-punctuation": "a catalog string ends otherwise than its source",
    "catalog-repeated-word": "a word written twice in a row in a catalog string",
    "catalog-capitals": "a catalog string starts with a small or capital letter unlike its source",
    "catalog-glossary": "a glossary term in a catalog source, not its translation",
    "catalog-spelling": "a word of a catalog string neither the dictionary nor the project's own words know",
    "accepted": "an acceptance in locale/accepted.yaml that matches no finding now",
    "accepted-file": "locale/accepted.yaml cannot be read",
    "section-order": "sections in another order than the source's",
    "emphasis": "bold or italic the source has and the translation not, or the other way",
    # Measured, so warnings: a reviewer looks, and accepts what is right (review.py says how).
    "missing-sentence": "a paragraph or list item much shorter than its source, with fewer sentences",
    "extra-sentence": "a paragraph or list item much longer than its source, with more sentences",
    "spelling": "a word neither the language's dictionary nor the project's own words know",
    "term-variant": "a glossary term written both as the glossary says and another way in one section",
    "repeated-word": "a word written twice in a row, where the source has no such repetition",
}
WARNINGS = {"accepted", "emphasis", "catalog-spacing", "catalog-punctuation", "catalog-repeated-word", "catalog-capitals",
            "catalog-glossary", "catalog-spelling", "missing-sentence", "extra-sentence", "spelling", "term-variant", "repeated-word"}
# In a catalog string: %(name)s, %s, {name}; the words; the ends a sentence or label may have.
CATALOG_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
END_PUNCTUATION = ".!?:;…"
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
# A number as written: 10,000 / 10 000 (with a no-break space) / 10.000, 1.5 / 1,5, and the
# ordinals 1st, 1e, 1ste (the Finnish and Dutch "1." is the number and a full stop).
NUMBER = re.compile(r"(?<![\w.,:])(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])|\d+(?:[.,:]\d+)*)(?:st|nd|rd|th|ste|de|e)?(?![\w])")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)[^)]*\)|<((?:https?|mailto):[^>]+)>")
CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


@dataclass(frozen=True)
class Finding:
    code: str
    lang: str
    doc: str
    file: str
    line: int | None
    message: str
    diff: str = ""
    severity: str = "error"
    draft_ok: bool = False  # an unfinished translation: a draft build or pack may go on
    section: str = ""  # the section (or catalog message) it is about
    subject: str = ""  # the text it is about: an acceptance holds while this is unchanged

    @property
    def fingerprint(self) -> str:
        """What an acceptance names: the finding and the text it was about."""
        key = "\0".join((self.code, self.lang, self.doc, self.section, self.subject))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]

    @property
    def acceptable(self) -> bool:
        """A translator's judgement can settle it: an unfinished or questionable translation, not
        a malformed source."""
        return bool(self.subject) and self.code != "outdated" and (self.draft_ok or self.severity == "warning")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    accepted: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, the translator's reason)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def counts(self) -> Counter:
        return Counter(f.code for f in self.findings)

    def as_json(self) -> dict:
        return {
            "languages": self.langs,
            "errors": len(self.errors),
            "counts": dict(sorted(self.counts().items())),
            "findings": [asdict(f) | {"fingerprint": f.fingerprint} for f in self.findings],
            "accepted": [asdict(f) | {"fingerprint": f.fingerprint, "reason": reason} for f, reason in self.accepted],
        }


# -- comparing one section with its source ---------------------------------------------------

def structure_of(section: Section) -> Counter:
    """What a translation must keep: list items, table rows, sub-headings by level, notes markers."""
    shape: Counter = Counter()
    fenced = False
    for line in section.body.split("\n"):
        s = line.strip()
        if s.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        if re.match(r"^([-*+]|\d+[.)])\s+", s):
            shape["list items"] += 1
        elif s.startswith("|") and not re.match(r"^\|[\s:|-]+\|?$", s):
            shape["table rows"] += 1
        elif m := re.match(r"^(#{3,6})\s", s):
            shape[f"level-{len(m.group(1))} headings"] += 1
            # A heading's attribute list ({.box .half}: a workbook's box) is the source's, as written.
            if attrs := re.search(r"\{:?\s*([^{}]*?)\s*\}\s*$", s):
                shape[f"level-{len(m.group(1))} headings with {{{' '.join(sorted(attrs.group(1).split()))}}}"] += 1
        elif s == "???":
            shape["notes markers"] += 1
    return shape


def emphasis(text: str) -> Counter:
    """Bold and italic spans, as the reader sees them (rendered Markdown)."""
    from materials.sources.stamps import normalised

    html = normalised(text)
    return Counter({"bold": html.count("<strong>"), "italic": html.count("<em>")})


def describe_emphasis(c: Counter) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(c.items()) if n) or "no emphasis"


def expressions(text: str) -> Counter:
    return Counter(re.sub(r"\s+", "", e) for e in EXPRESSION.findall(text))


def numbers(text: str, locale: str = "en") -> Counter:
    """The numbers a text says, each read in its language's own notation (Babel): "10,000" in
    English, "10 000" in Finnish and "10.000" in Dutch are all 10000; 9.00 and 9:00 are one time."""
    from babel.numbers import NumberFormatError, parse_decimal

    text = EXPRESSION.sub(" ", text)
    out: Counter = Counter()
    for n in NUMBER.findall(text):
        if CLOCK.fullmatch(n):
            out[n.replace(".", ":")] += 1
            continue
        try:
            out[f"{parse_decimal(n.replace(chr(0x202f), chr(0xa0)), locale=locale).normalize():f}"] += 1
        except (NumberFormatError, ValueError):
            out[re.sub(r"[,:]", ".", n)] += 1
    return out


SPELLED = 20  # numbers up to this may be written as words ("Step 1": "Ensimmäinen vaihe")


@functools.lru_cache(maxsize=None)
def number_words(n: int, lang: str) -> tuple[str, ...]:
    """How `lang` writes a small number in words, cardinal and ordinal (num2words)."""
    from num2words import num2words

    try:
        return tuple({num2words(n, lang=lang).lower(), num2words(n, lang=lang, to="ordinal").lower()})
    except (NotImplementedError, OverflowError):
        return ()


def spelled(n: str, words: list[str], lang: str) -> bool:
    """The number `n` (as numbers() gives it) is written as a word among `words`, in any
    inflected form (Finnish "ensimmäisessä" for "ensimmäinen")."""
    if not n.isdigit() or int(n) > SPELLED:
        return False
    for word in number_words(int(n), lang):
        stem = word[: max(4, len(word) - 3)] if len(word) >= 5 else word
        if any(w == word or (len(word) >= 5 and w.startswith(stem)) for w in words):
            return True
    return False


def number_difference(src_text: str, src_lang: str, src_locale: str, tr_text: str, lang: str, locale: str) -> str:
    """'missing: …; extra: …' for the numbers a translation says differently from its source,
    a number written as a word on either side counting as the number."""
    a, b = numbers(src_text, src_locale), numbers(tr_text, locale)
    src_words, tr_words = tokens(src_text), tokens(tr_text)
    for n in list((a - b).elements()):
        if spelled(n, tr_words, lang):
            a[n] -= 1
    for n in list((b - a).elements()):
        if spelled(n, src_words, src_lang):
            b[n] -= 1
    return multiset_difference(+a, +b)


def multiset_difference(source: Counter, translation: Counter) -> str:
    """'missing: a; extra: b' when the two differ, else ''."""
    if source == translation:
        return ""
    missing = ", ".join(sorted((source - translation).elements())) or "none"
    extra = ", ".join(sorted((translation - source).elements())) or "none"
    return f"missing: {missing}; extra: {extra}"


def links(text: str) -> list[str]:
    return [x or y for x, y in LINK.findall(text)]


def link_site(target: str) -> str:
    """What a link must keep: the site (a translation may link the site's page in its own
    language, rotterdam.nl/ for rotterdam.nl/en/); an address or a page of the materials, whole."""
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.hostname:
        return parts.hostname.lower().removeprefix("www.")
    return target


class Checker:
    def __init__(self, project: Project, glossary: Glossary, words: dict[str, frozenset[str]] | None = None):
        self.project = project
        self.glossary = glossary
        self.source = project.source_language
        self.review = Reviewer(project, glossary, words)
        self.findings: list[Finding] = []
        self.about: tuple[str, str] = ("", "")  # (section, its text) while one is being compared

    def add(self, code, lang, doc, file, line, message, diff="", draft_ok=False, subject=None):
        severity = "warning" if code in WARNINGS else "error"
        section, text = self.about
        self.findings.append(Finding(code, lang, doc, file, line, message, diff, severity, draft_ok, section,
                                     text if subject is None else subject))

    def issues(self, lang: str, tr: ContentFile, found: list[Issue]) -> None:
        """The reviewer's issues as findings: unfinished work (a draft may go on), each about its own text."""
        for i in found:
            self.add(i.code, lang, tr.doc_id, tr.name, i.line, i.message, draft_ok=True, subject=i.subject or None)

    # -- documents -------------------------------------------------------------------------
    def documents(self, sources: Sources, lang: str) -> dict[str, ContentFile]:
        """A language's content files as loaded; unreadable and unlisted ones are findings."""
        for u in sources.unreadable:
            if u.code == "content" and u.lang == lang:
                self.add("content", lang, u.doc, u.problem.file, u.problem.line, u.problem.message.rstrip(".") + ".")
        for name in sources.extra_files.get(lang, []):
            self.add("extra-document", lang, Path(name).stem, name, None,
                     "This file is not a document of content/project.yaml; add it there or remove the file.", draft_ok=True)
        if lang != self.source:
            for doc_id in self.project.documents:
                if (lang, doc_id) in sources.absent:
                    path = relative(self.project.content_file(lang, doc_id), self.project.root)
                    self.add("missing-document", lang, doc_id, path, None,
                             f"Translate content/{self.source}/{doc_id}.md into this file.", draft_ok=True)
        return {d: c for (l, d), c in sources.contents.items() if l == lang}

    # -- sections --------------------------------------------------------------------------
    def sections(self, lang: str, src: ContentFile, tr: ContentFile) -> None:
        src_ids = [s.id for s in src.sections]
        tr_ids = [s.id for s in tr.sections]
        for s in src.sections:
            if s.id not in tr_ids:
                self.add("missing-section", lang, tr.doc_id, tr.name, None,
                         f"Section '{s.id}' (line {s.line} of {src.name}) is missing; translate it here.", draft_ok=True)
        for s in tr.sections:
            if s.id not in src_ids:
                self.add("extra-section", lang, tr.doc_id, tr.name, s.line,
                         f"Section '{s.id}' is not in the source; remove it or fix its id.", draft_ok=True)
        shared = [sid for sid in tr_ids if sid in src_ids]
        expected = [sid for sid in src_ids if sid in shared]
        if shared != expected:
            first = next(i for i, (a, b) in enumerate(zip(shared, expected)) if a != b)
            moved = tr.section(shared[first])
            self.add("section-order", lang, tr.doc_id, tr.name, moved.line,
                     f"Section '{moved.id}' comes before '{expected[first]}' here, after it in the source; "
                     "keep the source's order.", draft_ok=True)
        complete = all(sid in tr_ids for sid in src_ids)
        for s in src.sections:
            t = tr.section(s.id)
            if t is not None:
                self.compare(lang, tr, s, t, complete)
        # The front matter is compared as one more section.
        for key in src.meta:
            if key not in tr.meta:
                self.add("missing-section", lang, tr.doc_id, tr.name, 1, f"Front matter key '{key}' is missing; translate it.", draft_ok=True)
        self.about = (stamps.META, "")
        self.issues(lang, tr, self.review.front_matter(lang, src.meta, tr.meta, tr.meta_line))
        self.about = ("", "")

    def compare(self, lang: str, tr: ContentFile, s: Section, t: Section, complete: bool = True) -> None:
        self.about = (s.id, t.text)
        try:
            self._compare(lang, tr, s, t, complete)
        finally:
            self.about = ("", "")

    def _compare(self, lang: str, tr: ContentFile, s: Section, t: Section, complete: bool) -> None:
        doc, file = tr.doc_id, tr.name
        a, b = structure_of(s), structure_of(t)
        if a != b:
            diffs = ", ".join(f"{k}: {a[k]} in the source, {b[k]} here" for k in sorted(set(a) | set(b)) if a[k] != b[k])
            self.add("structure", lang, doc, file, t.line, f"Section '{s.id}' has a different structure ({diffs}); match the source.", draft_ok=True)
        src_text, tr_text = s.text, t.text
        ea, eb = emphasis(src_text), emphasis(tr_text)
        if ea != eb:
            self.add("emphasis", lang, doc, file, t.line,
                     f"Section '{s.id}' has {describe_emphasis(eb)} where the source has {describe_emphasis(ea)}; "
                     "keep the source's emphasis.", draft_ok=True)
        if diff := multiset_difference(expressions(src_text), expressions(tr_text)):
            self.add("placeholder", lang, doc, file, t.line,
                     f"Section '{s.id}' uses different template values ({diff}); use exactly the source's.", draft_ok=True)
        languages = self.project.languages
        if diff := number_difference(src_text, self.source, languages[self.source].locale,
                                     tr_text, lang, languages[lang].locale):
            self.add("number", lang, doc, file, t.line,
                     f"Section '{s.id}' has different numbers ({diff}); keep the source's numbers.", draft_ok=True)
        la, lb = links(src_text), links(tr_text)
        if Counter(map(link_site, la)) != Counter(map(link_site, lb)):
            self.add("link", lang, doc, file, t.line,
                     f"Section '{s.id}' links to different targets ({', '.join(sorted(lb)) or 'none'} instead of {', '.join(sorted(la)) or 'none'}); link where the source links.", draft_ok=True)
        ia, ib = Counter(src for _, src in IMAGE.findall(src_text)), Counter(src for _, src in IMAGE.findall(tr_text))
        if ia != ib:
            self.add("image", lang, doc, file, t.line, f"Section '{s.id}' shows different images; use the source's images.", draft_ok=True)
        for alt, src in IMAGE.findall(tr_text):
            if not alt.strip():
                self.add("image", lang, doc, file, t.line, f"Image {src} in section '{s.id}' has no alt text; describe it in this language.", draft_ok=True)
        self.terms(lang, tr, s, t)
        source_name = relative(self.project.content_file(self.source, tr.doc_id), self.project.root)
        self.issues(lang, tr, self.review.section(lang, s, t, source_name, complete))

    def terms(self, lang: str, tr: ContentFile, s: Section, t: Section) -> None:
        src_tokens = tokens(EXPRESSION.sub(" ", s.text))
        tr_tokens = tokens(EXPRESSION.sub(" ", t.text))
        for term in self.glossary.terms:
            source_term, target = term.words.get(self.source), term.words.get(lang)
            if not source_term or not target:
                continue
            if contains_term(src_tokens, source_term, self.source) and not contains_term(tr_tokens, target, lang):
                self.add("glossary", lang, tr.doc_id, tr.name, t.line,
                         f"Section '{s.id}' uses the term \"{source_term}\"; use \"{target}\" (in any inflected form) in the translation.", draft_ok=True)
            for bad in term.forbidden.get(lang, ()):
                if contains_term(tr_tokens, bad, lang):
                    self.add("glossary", lang, tr.doc_id, tr.name, t.line,
                             f"Section '{s.id}' uses \"{bad}\", which the glossary forbids; write \"{target}\".", draft_ok=True)

    # -- outdated ----------------------------------------------------------------------------
    def outdated(self, lang: str, src: ContentFile, tr: ContentFile, stamped: dict[str, stamps.Confirmed]) -> None:
        """A section whose source reads differently from what its translator confirmed."""
        stamp_name = relative(stamps.path(self.project.root, lang, src.doc_id), self.project.root)
        for sid, text in stamps.source_texts(src).items():
            t = tr.section(sid) if sid != stamps.META else None
            if sid != stamps.META and t is None:
                continue  # reported as missing-section
            line = t.line if t else 1
            confirmed = stamped.get(sid)
            if confirmed is None:
                self.add("outdated", lang, src.doc_id, tr.name, line,
                         f"Section '{sid}' has never been confirmed; check it against the source, then run "
                         f"invoke i18n.stamp --lang {lang} --doc {src.doc_id}.", draft_ok=True)
            elif not stamps.is_current(confirmed, text):
                self.add("outdated", lang, src.doc_id, tr.name, line,
                         f"Section '{sid}' changed in the source since it was last confirmed ({stamp_name}); update the "
                         f"translation as the diff shows, then run invoke i18n.stamp --lang {lang} --doc {src.doc_id}.",
                         stamps.diff(confirmed.source, text), draft_ok=True)

    def source_words(self, content: ContentFile) -> None:
        """The source's own slips a reviewer sees: a word written twice."""
        for s in content.sections:
            self.about = (s.id, s.text)
            self.issues(self.source, content, self.review.repeated(self.source, s.id, (), blocks(s)))
        self.about = ("", "")

    # -- agendas -------------------------------------------------------------------------------
    def agenda(self, lang: str, content: ContentFile) -> None:
        doc = self.project.documents[content.doc_id]
        if doc.kind != "agenda":
            return
        expected = [i.id for sid in doc.sessions for i in self.project.sessions[sid].items]
        found = [s.id for s in content.sections if s.id != INTRO]
        if lang != self.source:  # a missing item is a missing section (that the draft may borrow)
            expected = [i for i in expected if i in found]
            found = [i for i in found if i in expected]
        if found != expected:
            self.add("agenda", lang, doc.id, content.name, None,
                     f"The agenda's sections must be the session's items in order ({', '.join(expected)}); found {', '.join(found) or 'none'}.")
        for s in content.sections:
            if m := CLOCK.search(EXPRESSION.sub(" ", s.text)):
                self.add("agenda", lang, doc.id, content.name, s.line,
                         f"Section '{s.id}' writes the clock time {m.group()} by hand; times come from content/project.yaml, remove it.")

    def sessions(self) -> None:
        for sid, session in self.project.sessions.items():
            if session.items_minutes != session.minutes:
                self.add("agenda", "", sid, "content/project.yaml", self.project.lines.get(("sessions", sid, "items")),
                         f"Session '{sid}' lasts {session.minutes} minutes but its items add up to "
                         f"{session.items_minutes}; make them agree.")

    # -- catalogs ------------------------------------------------------------------------------
    def catalogs(self, sources: Sources, langs: list[str]) -> None:
        root = self.project.root
        for u in sources.unreadable:
            if u.code in ("catalog", "glossary", "word-list", "accepted-file") and (not u.lang or u.lang in langs):
                self.add(u.code, u.lang, "", u.problem.file, u.problem.line, u.problem.message)
        template = sources.template
        if template is not None:
            current = catalogs.message_ids(self.project)
            known = {m.id for m in template if m.id}
            if current != known:
                self.add("catalog", "", "", relative(catalogs.pot_path(root / "locale"), root), None,
                         f"messages.pot is out of date with the templates ({len(current - known)} new, {len(known - current)} removed); "
                         "run invoke i18n.extract and invoke i18n.update.")
        for lang in langs:
            if lang != self.source and lang in sources.catalogs:
                name = relative(catalogs.po_path(root / "locale", lang), root)
                self.catalog(lang, name, sources.catalogs[lang], template)

    def catalog(self, lang: str, name: str, catalog: Catalog, template: Catalog | None) -> None:
        expected_plural = Catalog(locale=catalog.locale).plural_forms if catalog.locale else None
        if expected_plural and catalog.plural_forms != expected_plural:
            self.add("catalog", lang, "", name, None,
                     f"Plural-Forms is '{catalog.plural_forms}' but {lang} needs '{expected_plural}'; fix the header.")
        for m in catalog:
            if not m.id:
                continue
            line = m.lineno
            mid = m.id[0] if isinstance(m.id, tuple) else m.id
            state = catalogs.state(m)
            if state == catalogs.UNTRANSLATED:
                self.add("catalog", lang, "", name, line, f"Message \"{mid}\" is not translated; translate it.", draft_ok=True)
                continue
            if state == catalogs.FUZZY:
                self.add("catalog", lang, "", name, line, f"Message \"{mid}\" is marked fuzzy; check it and remove the fuzzy flag.",
                         draft_ok=True)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            if isinstance(m.id, tuple) and len(strings) != catalog.num_plurals:
                self.add("catalog", lang, "", name, line,
                         f"Message \"{mid}\" has {len(strings)} plural forms; {lang} needs {catalog.num_plurals}.")
            formats_ok = True
            try:
                python_format(catalog, m)
            except TranslationError as exc:
                self.add("catalog", lang, "", name, line, f"Message \"{mid}\": {exc}; keep the source's placeholders.")
                formats_ok = False
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            for n, text in enumerate(strings):
                if text:
                    self.catalog_string(lang, name, line, ids[min(n, len(ids) - 1)], text, placeholders=formats_ok)
        if template is not None:
            for mid in [m.id for m in template if m.id and m.id not in catalog]:
                self.add("catalog", lang, "", name, None, f"Message \"{mid}\" of messages.pot is missing; run invoke i18n.update.",
                         draft_ok=True)


    def catalog_string(self, lang: str, name: str, line: int | None, source: str, text: str,
                       placeholders: bool = True) -> None:
        """One translated catalog string against its source: what pofilter's checks look at
        that applies to us, without its false alarms on words that are the same in both
        languages ("Agenda", "PDF")."""
        mid = source if len(source) <= 50 else source[:47] + "..."

        def add(code: str, message: str) -> None:
            self.about = (source, text)
            self.add(code, lang, "", name, line, f"Message \"{mid}\": {message}")
            self.about = ("", "")

        a, b = Counter(CATALOG_PLACEHOLDER.findall(source)), Counter(CATALOG_PLACEHOLDER.findall(text))
        if a != b and placeholders:  # (not when Babel's format check has said it already)
            add("catalog-placeholder", f"placeholders differ ({multiset_difference(a, b)}); keep exactly the source's.")
        bare = CATALOG_PLACEHOLDER.sub("", text)  # (a placeholder's own brackets do not count)
        for opening, closing in ("()", "[]"):  # a translation may add a pair (Finnish: "(%(name)s)")
            if bare.count(opening) != bare.count(closing):
                add("catalog-brackets", f"its {opening}{closing} brackets do not pair; close each one.")
        words = WORDS.findall(source)
        if text == source and len(words) >= 2:
            add("catalog-unchanged", "the translation is the English text; translate it.")
        if ("  " in text and "  " not in source) or (text != text.strip() and source == source.strip()):
            add("catalog-spacing", "it has a double space or white space at an end that the source has not; remove it.")
        ends = (source.rstrip()[-1:] if source.rstrip()[-1:] in END_PUNCTUATION else "",
                text.rstrip()[-1:] if text.rstrip()[-1:] in END_PUNCTUATION else "")
        if ends[0] != ends[1] and {ends[0], ends[1]} != {".", "…"}:
            add("catalog-punctuation", f"it ends with \"{ends[1] or 'no punctuation'}\" where the source ends with "
                                       f"\"{ends[0] or 'none'}\"; end it as the source does.")
        repeated = re.search(r"\b(\w+)\s+\1\b", text, re.I)
        if repeated and not re.search(rf"\b{re.escape(repeated.group(1))}\s+{re.escape(repeated.group(1))}\b", source, re.I):
            add("catalog-repeated-word", f"\"{repeated.group(1)}\" is repeated; write it once.")
        first_a, first_b = next((c for c in source if c.isalpha()), ""), next((c for c in text if c.isalpha()), "")
        acronym = bool(words) and len(words[0]) > 1 and words[0].isupper()  # "PDF": Dutch writes "pdf"
        if first_a and first_b and first_a.isupper() != first_b.isupper() and not acronym:
            add("catalog-capitals", "it starts with a " + ("small" if first_a.isupper() else "capital")
                + " letter where the source starts with a " + ("capital" if first_a.isupper() else "small") + " one.")
        src_tokens, tr_tokens = tokens(source), tokens(text)
        for term in self.glossary.terms:
            source_term, target = term.words.get(self.source), term.words.get(lang)
            if source_term and target and contains_term(src_tokens, source_term, self.source) \
                    and not contains_term(tr_tokens, target, lang):
                add("catalog-glossary", f"it has the term \"{source_term}\"; use \"{target}\" (in any inflected form).")
        for word in self.review.misspelled(lang, CATALOG_PLACEHOLDER.sub(" ", source), CATALOG_PLACEHOLDER.sub(" ", text)):
            add("catalog-spelling", f"\"{word}\" is not in the {english_name(lang)} dictionary; correct it, "
                                    f"or add it to locale/words/{lang}.txt if it is right.")


def run(sources: Sources, langs: list[str]) -> Report:
    """Every rule over the loaded sources, for the selected languages (and the source's own
    consistency, which every language depends on)."""
    started = time.perf_counter()
    project = sources.project
    checker = Checker(project, sources.glossary, sources.words)
    source = project.source_language
    checker.sessions()
    source_docs = checker.documents(sources, source)
    for content in source_docs.values():
        checker.agenda(source, content)
        checker.source_words(content)
    for l in langs:
        if l == source:
            continue
        translated = checker.documents(sources, l)
        checker.review.calibrate(l, [(s, t) for d, tr in translated.items() if d in source_docs
                                     for s in source_docs[d].sections if (t := tr.section(s.id)) is not None])
        for doc_id, tr in translated.items():
            src = source_docs.get(doc_id)
            checker.agenda(l, tr)
            if src is None:
                continue
            checker.sections(l, src, tr)
            checker.outdated(l, src, tr, sources.stamps.get((l, doc_id), {}))
    for l, why in checker.review.unavailable.items():
        checker.add("spelling", l, "", "", None, f"Spelling was not checked: {why}.")
    checker.catalogs(sources, langs)
    report = accept(Report(checker.findings, langs), sources, langs)
    order = {c: i for i, c in enumerate(CODES)}
    report.findings.sort(key=lambda f: (f.lang, f.doc, f.file, f.line or 0, order.get(f.code, 99)))
    report.seconds = time.perf_counter() - started
    return report


def accept(report: Report, sources: Sources, langs: list[str]) -> Report:
    """Set aside the findings translators accepted (locale/accepted.yaml); an acceptance that
    matches no finding any more (its text changed, or it was fixed) is a warning to remove it."""
    from materials.sources.acceptances import FILE

    by_print = {a.fingerprint: a for a in sources.accepted}
    kept, used = [], set()
    for f in report.findings:
        a = by_print.get(f.fingerprint)
        if a is not None and f.acceptable:
            report.accepted.append((f, a.reason))
            used.add(a.fingerprint)
        else:
            kept.append(f)
    for a in sources.accepted:
        if a.fingerprint not in used and a.lang in langs:
            kept.append(Finding("accepted", a.lang, "", FILE, a.line,
                                f"The acceptance {a.fingerprint} ({a.code}) matches no finding now: the text it was "
                                "about changed or the finding was fixed; remove it, or accept the new finding.",
                                severity="warning"))
    report.findings = kept
    return report


def gate(report: Report, draft: bool = False, what: str = "build") -> None:
    """Refuse a build or pack on the report's errors; a draft lets unfinished translations
    through (the English stands in, marked) but never a malformed source."""
    errors = [f for f in report.errors if not (draft and f.draft_ok)]
    if not errors:
        return
    # A translator's work item names its code (check's words); a malformed source is told as is.
    shown = [Problem(f.file, f"{f.code}: {f.message}" if f.draft_ok else f.message, f.line) for f in errors[:MAX_SHOWN]]
    if not any(f.draft_ok for f in errors) and len(errors) <= MAX_SHOWN:
        raise ProjectError(shown)  # its own message says what to fix
    langs = sorted({f.lang for f in errors if f.lang})
    hint = f"invoke check --lang {langs[0]}" if len(langs) == 1 else "invoke check"
    more = f"{len(errors) - MAX_SHOWN} more; " if len(errors) > MAX_SHOWN else ""
    draftable = not draft and all(f.draft_ok for f in errors)
    advice = (f"the {what} stops here: {more}run `{hint}` for every finding"
              + (", or add --draft to show the English where the translation is unfinished" if draftable else ""))
    raise ProjectError(shown + [Problem("", advice)])



MAX_SHOWN = 10


def check(root: Path, lang: str = "all") -> Report:
    """Load the sources under `root` and run every rule for the selected languages."""
    sources = load(root)
    return run(sources, sources.project.select_languages(lang))
