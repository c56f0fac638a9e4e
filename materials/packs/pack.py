"""`invoke pack`: a personal, reproducible zip of materials for a municipality.

A pack is the plain build with one more data layer: the municipality's names, dates and venues
go through the very same templates. The shared documents (programme, handouts) do not depend
on the municipality, so they are rendered once per language and reused by every pack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import time
import zipfile
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from materials.build import contents_of, pdf_job, renderer_for
from materials.errors import ProjectError, relative
from materials.output import BuildLock, sha256, write_atomic
from materials.packs.ledger import Ledger, Version, read as read_ledger
from materials.packs.ics import UID_DOMAIN, CalendarEvent, calendar
from materials.render.context import event
from materials.render.fonts import font_files
from materials.render.html import Page, Renderer
from materials.render.pdf import PdfJob, PdfRenderer, collect
from materials.rules.checks import gate, run as run_rules
from materials.sources.loader import Sources, every_municipality, load
from materials.sources.catalogs import N_
from materials.sources.content import ContentFile
from materials.sources.municipality import EventPlace, Held, MunicipalityFile, today
from materials.sources.project import Project

SHARED_KINDS = ("programme", "handout")
AHEAD = 3  # packs begun (HTML made, PDFs queued) before the oldest must be finished
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip
# Translators: the title of a pack's index page; %(municipality)s is its name.
PACK_TITLE = N_("Polarisation Framework materials for %(municipality)s")


@dataclass(frozen=True)
class PackResult:
    slug: str
    lang: str
    path: Path
    files: int
    size: int
    draft: bool
    sha256: str = ""
    # For send: each session's calendar event, and the calendar versions the pack's files carry.
    events: dict = field(default_factory=dict, compare=False)  # uid -> CalendarEvent
    versions: dict = field(default_factory=dict, compare=False)  # uid -> ledger.Version


@dataclass
class Pending:
    """A pack begun: its HTML made, its PDFs with the workers (futures)."""

    municipality: MunicipalityFile | None  # None: a language's shared documents
    lang: str
    renderer: Renderer
    files: dict[str, bytes]
    pages: list
    futures: list

    def rendered(self) -> bool:
        return all(f.done() for f in self.futures)


@dataclass(frozen=True)
class Item:
    """One personalised document of a pack: which document, for which sessions' places."""

    name: str  # file name in the pack, without extension
    doc_id: str
    places: dict
    group: int | None = None


def pack_items(project: Project, m: MunicipalityFile) -> list[Item]:
    """The personalised documents: every agenda and invitation of each occasion's sessions."""
    return [Item(f"{doc.id}{held.suffix}", doc.id, held.places, held.group)
            for held in m.occasions
            for doc in project.documents.values()
            if doc.kind not in SHARED_KINDS and set(doc.sessions) <= set(held.places)]


@dataclass(frozen=True)
class Occasion:
    """One occasion of a municipality as its calendars and messages know it. `name` is stable
    while occasions are added after it (training-group-1 stays training-group-1 when a second
    group is added), and so is each session's UID."""

    name: str  # introductory-meeting, training-group-1, intervision-meeting-2
    held: Held
    sessions: tuple[tuple[str, str, EventPlace, str], ...]  # (calendar file name, session id, place, uid)


def occasions_of(project: Project, m: MunicipalityFile) -> list[Occasion]:
    out = []
    for o in project.occasions:
        for n, held in enumerate(m.held(o.field), 1):
            singular = o.field.replace("_", "-").removesuffix("s")
            name = f"{singular}-{n}" if o.repeated else singular
            sessions = []
            for sid, place in held.places.items():
                key = f"{sid}-group-{n}" if o.repeated and o.participants else f"{sid}-{n}" if o.repeated else sid
                sessions.append((f"{sid}{held.suffix}", sid, place, f"{m.slug}-{key}@{UID_DOMAIN}"))
            out.append(Occasion(name, held, tuple(sessions)))
    return out


def held_as(place: EventPlace, minutes: int) -> tuple[str, str, str, str, str]:
    """A session's date, clock times, venue and address as the ledger keeps them."""
    end = dt.datetime.combine(place.date, place.start) + dt.timedelta(minutes=minutes)
    return place.date.isoformat(), f"{place.start:%H:%M}", f"{end:%H:%M}", place.venue, place.address


def pack_locale(project: Project, lang: str, country: str) -> str:
    """The pack's locale: its language as written in the municipality's country where Babel
    knows that pair (nl_BE, en_NL), else the language's own locale (fi in NL: fi_FI)."""
    from babel import Locale, UnknownLocaleError

    candidate = f"{lang}_{country}"
    try:
        Locale.parse(candidate)
        return candidate
    except (ValueError, UnknownLocaleError):
        return project.languages[lang].locale


def deterministic_zip(files: dict[str, bytes]) -> bytes:
    """A zip whose bytes depend only on the files: sorted names, fixed times and permissions."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            # A plain relative name: no absolute path, no drive, no backslash, no empty, . or .. part.
            if "\\" in name or ":" in name or any(part in ("", ".", "..") for part in name.split("/")):
                raise ValueError(f"unsafe zip entry name: {name!r}")
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            # PDFs are compressed inside already; deflating them again costs time and saves little.
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".pdf") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, files[name])
    return buf.getvalue()


class Packer:
    """Makes packs from the loaded sources; keeps what every pack shares (renderers, the shared
    documents of each language, fonts)."""

    def __init__(self, sources: Sources, out_dir: Path, draft: bool, pdfs: PdfRenderer,
                 now: dt.datetime | None = None, ledgers: dict | None = None):
        """`now`: when a calendar version not in the send ledger is sent (send gives it; a
        pack alone keeps to the ledger and fixed times, so its bytes follow its inputs);
        `ledgers`: the send ledgers read already, by slug."""
        self.sources = sources
        self.now = now
        self.ledgers = dict(ledgers or {})
        self.project = sources.project
        self.out = out_dir
        self.draft = draft
        self.pdfs = pdfs
        self.renderers: dict[tuple[str, str], Renderer] = {}
        self.shared: dict[str, dict[str, bytes]] = {}
        self.contents: dict[str, dict[str, ContentFile]] = {}
        self.fonts = font_files()
        self.rendered: dict[tuple, Future] = {}  # pdf(): a page's PDF, by key and HTML

    RENDERED = 64  # PDFs kept by pdf(); a PDF is at most a few hundred kB

    def renderer(self, lang: str, locale: str) -> Renderer:
        if (lang, locale) not in self.renderers:
            self.renderers[lang, locale] = renderer_for(self.sources, lang, locale=locale, pack=True, draft=self.draft)
        return self.renderers[lang, locale]

    def content(self, lang: str, doc_id: str) -> ContentFile:
        """A document's words; in a draft, the English stands in for what is not translated."""
        if lang not in self.contents:
            self.contents[lang] = contents_of(self.sources, lang, self.draft)[0]
        return self.contents[lang][doc_id]

    def job(self, name: str, page: Page, personal: bool = True) -> PdfJob:
        # A pack's pages sit beside its assets/: the fonts resolve from build/, not build/<lang>/.
        return pdf_job(self.project, self.out, page.lang, page.doc_id, page.html, key=name, base=self.out,
                       personal=personal)

    def start_shared(self, lang: str) -> None:
        """Programme and handouts in `lang`: rendered once, then reused by every pack."""
        if lang not in self.shared:
            renderer = self.renderer(lang, self.project.languages[lang].locale)
            pages = [renderer.document(d, self.content(lang, d.id))
                     for d in self.project.documents.values() if d.kind in SHARED_KINDS]
            self.shared[lang] = Pending(None, lang, renderer,
                                        {f"{p.doc_id}.html": p.html.encode("utf-8") for p in pages}, [],
                                        self.pdfs.submit([self.job(p.doc_id, p, personal=False) for p in pages]))

    def shared_files(self, lang: str) -> dict[str, bytes]:
        self.start_shared(lang)
        shared = self.shared[lang]
        if shared.futures:
            shared.files.update({f"{key}.pdf": data for key, data in collect(shared.futures).items()})
            shared.futures = []
        return shared.files

    def begin(self, m: MunicipalityFile, lang: str) -> Pending:
        """A pack's HTML, with its PDFs handed to the workers: `finish` it later, and begin the
        next packs meanwhile, so the workers always have PDFs to render while HTML is made."""
        self.start_shared(lang)
        renderer = self.renderer(lang, pack_locale(self.project, lang, m.country))
        files: dict[str, bytes] = {}
        pages: list[tuple[Item, Page]] = []
        for item in pack_items(self.project, m):
            doc = self.project.documents[item.doc_id]
            page = renderer.document(doc, self.content(lang, item.doc_id), m.view(item.places), item.group)
            pages.append((item, page))
            files[f"{item.name}.html"] = page.html.encode("utf-8")
        return Pending(m, lang, renderer, files, pages, [self.pdf(self.job(item.name, page)) for item, page in pages])

    def pdf(self, job: PdfJob) -> Future:
        """The job's PDF, rendered once per run for the same page: a document whose HTML is the
        same in many packs (the workbook of a language's first training group) is not rendered
        again; the same HTML and key give the same bytes."""
        key = (job.key, job.base_url, hashlib.sha256(job.html.encode("utf-8")).digest())
        if key not in self.rendered:
            if len(self.rendered) >= self.RENDERED:  # memory stays flat: forgotten all at once
                self.rendered.clear()
            [self.rendered[key]] = self.pdfs.submit([job])
        return self.rendered[key]

    def finish(self, pending: Pending) -> PackResult:
        """The pack begun: its PDFs (waited for), calendars, index and manifest, zipped and written."""
        m, lang, renderer, pages = pending.municipality, pending.lang, pending.renderer, pending.pages
        pdfs = collect(pending.futures)
        files = {**self.shared_files(lang), **pending.files, **{f"{key}.pdf": data for key, data in pdfs.items()}}
        events, versions = self.calendars(m, lang, renderer, files)
        for name, data in self.fonts.items():
            files[f"assets/fonts/{name}"] = data
        files["index.html"] = self.index(m, lang, renderer, pages).encode("utf-8")
        manifest = {
            "municipality": m.slug, "language": lang, "draft": self.draft,
            "files": [{"path": name, "sha256": sha256(files[name]), "bytes": len(files[name])} for name in sorted(files)],
        }
        files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        folder = f"{m.slug}-{lang}"
        data = deterministic_zip({f"{folder}/{name}": content for name, content in files.items()})
        path = self.out / "packs" / f"{folder}.zip"
        write_atomic(path, data)
        return PackResult(m.slug, lang, path, len(files), len(data), self.draft, sha256(data), events, versions)

    def make(self, m: MunicipalityFile, lang: str) -> PackResult:
        return self.finish(self.begin(m, lang))

    def ledger(self, m: MunicipalityFile) -> Ledger:
        if m.slug not in self.ledgers:
            self.ledgers[m.slug] = read_ledger(self.project.root, m.slug)
        return self.ledgers[m.slug]

    def calendars(self, m: MunicipalityFile, lang: str, renderer: Renderer, files: dict[str, bytes]) -> tuple[dict, dict]:
        """A calendar file per session, one per occasion of several sessions (a training group)
        and one of every session; each session at its version in the send ledger."""
        ledger = self.ledger(m)
        events, versions = {}, {}
        for occasion in occasions_of(self.project, m):
            for name, session_id, place, uid in occasion.sessions:
                minutes = self.project.sessions[session_id].minutes
                versions[uid] = ledger.version(uid, occasion.name, session_id, held_as(place, minutes), self.now)
                events[uid] = self.event(m, lang, renderer, uid, session_id, place, versions[uid])
                files[f"calendar/{name}.ics"] = calendar([events[uid]])
            if len(occasion.sessions) > 1:
                files[f"calendar/{occasion.name}.ics"] = calendar([events[s[3]] for s in occasion.sessions])
        files["calendar/all-sessions.ics"] = calendar(list(events.values()))
        return events, versions

    def event(self, m: MunicipalityFile, lang: str, renderer: Renderer, uid: str, session_id: str, place: EventPlace,
              version: Version, cancelled: bool = False) -> CalendarEvent:
        session = self.project.sessions[session_id]
        tr = renderer.gettext
        summary = f"{tr(session.name)} – {tr('Polarisation Framework')}"
        agenda = next((self.content(lang, d.id) for d in self.project.documents.values()
                       if d.kind == "agenda" and session_id in d.sessions), None)
        e = event(session, renderer.fmt, tr, place)
        titles = {s.id: s.title for s in agenda.sections} if agenda else {}
        lines = [f"{m.name} · {self.project.organisation}", ""]
        lines += [f"{slot.time_range}  {titles.get(slot.id, slot.id)}" for slot in e.slots]
        lines += ["", f"{tr('Contact')}: {m.contact['name']}, {m.contact['email']}, {m.contact['phone']}"]
        start = dt.datetime.combine(place.date, place.start, tzinfo=ZoneInfo(m.timezone))
        return CalendarEvent(uid, start, start + dt.timedelta(minutes=session.minutes), summary,
                             f"{place.venue}, {place.address}", "\n".join(lines), lang, version.sequence, version.stamp,
                             cancelled)

    def index(self, m: MunicipalityFile, lang: str, renderer: Renderer, pages) -> str:
        docs = [(d, self.content(lang, d.id)) for d in self.project.documents.values() if d.kind in SHARED_KINDS]
        shared = [{"name": d.id, "title": c.meta["title"], "kind": d.kind, "group": None, "date": None} for d, c in docs]
        date = lambda place: renderer.fmt.date(place.date, "long")  # noqa: E731
        personal = [{"name": item.name, "title": self.content(lang, item.doc_id).meta["title"], "group": item.group,
                     "kind": self.project.documents[item.doc_id].kind,
                     "date": date(min(item.places.values(), key=lambda place: place.date))} for item, _ in pages]
        # The files calendars() writes: all sessions, each occasion of several sessions (a training
        # group), each session.
        calendars = [{"kind": "all", "name": "all-sessions"}]
        occasions = occasions_of(self.project, m)
        calendars += [{"kind": "group", "name": o.name, "group": o.held.group or 1,
                       "sessions": [{"session": sid, "date": date(place)} for _, sid, place, _ in o.sessions]}
                      for o in occasions if len(o.sessions) > 1]
        calendars += [{"kind": "session", "name": name, "session": sid, "group": o.held.group, "date": date(place)}
                      for o in occasions for name, sid, place, _ in o.sessions]
        title = renderer.gettext(PACK_TITLE) % {"municipality": m.name}
        return renderer.pack_index(title, m, personal + shared, calendars)


@dataclass(frozen=True)
class LanguageRow:
    lang: str
    packs: int
    seconds: float
    size: int
    largest: int


def by_language(rows: list[tuple[PackResult, float]]) -> list[LanguageRow]:
    """(pack, seconds) rows summed by language, in the order the languages came."""
    langs = list(dict.fromkeys(r.lang for r, _ in rows))
    return [LanguageRow(lang, sum(1 for r, _ in rows if r.lang == lang), sum(s for r, s in rows if r.lang == lang),
                        sum(r.size for r, _ in rows if r.lang == lang), max(r.size for r, _ in rows if r.lang == lang))
            for lang in langs]


def pack(root: Path, slug: str | None = None, all: bool = False, lang: str | None = None,
         draft: bool = False, jobs: int | None = None, out_dir: Path | None = None, on_pack=None,
         on_start=None, allow_past: bool = False) -> list[PackResult]:
    """Make the packs asked for: every source, and every municipality file asked for, is loaded
    and judged by the rules before anything is written. A date that has passed is refused,
    unless `allow_past` (a pack about sessions already held). `on_pack(result, seconds)` is
    called as each pack is written, with the time since the one before (packs are made side
    by side, so that is the run's pace)."""
    sources, work, sent = prepare(root, slug, all, lang, draft, allow_past)
    if on_start:
        on_start(len(work))
    results = []
    out = Path(out_dir) if out_dir else sources.root / "build"
    with BuildLock(out), PdfRenderer(jobs) as pdfs:
        pdfs.start()
        packer = Packer(sources, out, draft, pdfs, ledgers=sent)
        begun: deque = deque()  # packs begun, oldest first

        last = [time.perf_counter()]

        def finish_oldest():
            results.append(packer.finish(begun.popleft()))
            now = time.perf_counter()
            if on_pack:  # the time since the previous pack was finished: the run's pace
                on_pack(results[-1], now - last[0])
            last[0] = now

        for m, l in work:
            begun.append(packer.begin(m, l))
            # Finish what the workers are done with; never more than AHEAD packs begun.
            while begun and (len(begun) > AHEAD or begun[0].rendered()):
                finish_oldest()
        while begun:
            finish_oldest()
    return results


def prepare(root: Path, slug: str | None, all: bool, lang: str | None, draft: bool,
            allow_past: bool, what: str = "pack") -> tuple[Sources, list[tuple[MunicipalityFile, str]], dict]:
    """The sources, loaded once and passed by the rules, the (municipality, language) pairs to
    make and each municipality's send ledger; `what` names the command that stops on the rules'
    errors. A ledger that cannot be read stops the command too, before anything is written."""
    root = Path(root).resolve()
    if all == bool(slug):
        raise ProjectError("give either --municipality SLUG or --all")
    slugs = every_municipality(root) if all else [slug]
    sources = load(root, municipalities=slugs, after=None if allow_past else today())
    project = sources.project
    if lang:
        project.select_languages(lang)
    work = []
    for s in slugs:
        m = sources.municipalities[s]
        if lang and lang not in m.languages:
            if all:
                continue  # --all --lang fi: the municipalities that asked for Finnish
            raise ProjectError(f"{relative(m.path, root)}: languages: {m.name} asked for "
                               f"{', '.join(m.languages)}, not {lang}; add {lang} to its languages to make that pack")
        work += [(m, l) for l in ([lang] if lang else m.languages)]
    if not work:
        raise ProjectError(f"no municipality file asks for {lang}; see the languages: field of each")
    sent = {m.slug: read_ledger(root, m.slug) for m, _ in work}
    gate(run_rules(sources, sorted({l for _, l in work})), draft, what)
    return sources, work, sent
