"""The e-mails of a pack, composed with Python's `email` package: each a multipart/alternative
of a plain-text and an HTML body (for mail clients: tables and inline styles, no scripts, no
stylesheet, no outside images), both in the pack's language, with its attachments.

A letter is written once, as blocks (paragraphs, a note, a table of sessions, an invitation's
text), and set twice from them: as text here and as HTML by templates/mail.html, so the two
bodies always say the same. Every word comes from the gettext catalogs, like the documents'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import secrets
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr
from html.parser import HTMLParser
from pathlib import Path

import jinja2
from markupsafe import Markup

from materials.render.html import GROUP_LABEL, TemplateFiles
from materials.render.typography import nbsp, text_nodes
from materials.sources.catalogs import N_
from materials.sources.outline import PACKAGE_TEMPLATES

# Translators: the greeting of an e-mail; %(name)s is the contact person's name.
GREETING = N_("Dear %(name)s,")
# Translators: the greeting of an invitation e-mail to the participants.
GREETING_ALL = N_("Dear colleagues,")
CLOSING = N_("Kind regards,")
# Translators: the subject of an e-mail that replaces one sent before; %(subject)s is its subject.
UPDATED = N_("Updated: %(subject)s")
# Translators: the cover letter of a pack; %(file)s is the zip's name.
COVER_ATTACHED = N_("Attached is the materials pack of the Polarisation Framework for %(municipality)s: every "
                    "document as a web page and as a PDF to print, and a calendar file for each session. Unzip "
                    "%(file)s and open index.html to start.")
# Translators: the cover letter when the pack is too large for e-mail; %(size)s is like "12 MB".
COVER_TOO_LARGE = N_("The materials pack for %(municipality)s, %(file)s (%(size)s), is too large to send by "
                     "e-mail, so it is not attached; we will send it to you another way.")
COVER_REPLACES = N_("This pack replaces the one we sent you before.")
CHANGES = N_("What has changed")
# Translators: one line of the list of changes; %(session)s is a session's name, %(when)s its new date and time.
CHANGED = N_("%(session)s: now %(when)s, %(where)s")
# Translators: one line of the list of changes; %(session)s is a session's name.
CANCELLED = N_("%(session)s on %(when)s: cancelled")
DATES = N_("The dates")
SESSION, DATE, TIME, VENUE = N_("Session"), N_("Date"), N_("Time"), N_("Venue")
# Translators: in the cover letter; %(address)s is the address the invitations go to.
INVITATIONS_TO_LIST = N_("The invitations go to %(address)s in separate e-mails, one for each meeting and "
                         "training group, each with a calendar file for the participants.")
INVITATIONS_TO_YOU = N_("You will receive the invitations in separate e-mails, one for each meeting and training "
                        "group, each with a calendar file: please forward them to the participants.")
# Translators: in the cover letter; %(date)s is the registration deadline.
REGISTER_WITH_YOU = N_("Participants register with you by %(date)s.")
INVITATION_TEXTS = N_("The invitation texts")
# Translators: at the top of an invitation sent to the contact person, to pass on.
FORWARD = N_("Please forward this invitation to the participants. The calendar file attached adds the "
             "sessions to their calendars.")
# Translators: as the one before, for an invitation to a single session.
FORWARD_ONE = N_("Please forward this invitation to the participants. The calendar file attached adds the "
                 "session to their calendars.")
# Translators: the subject of an invitation to a session that has no invitation document.
INVITATION_SUBJECT = N_("Invitation: %(session)s")
# Translators: an invitation to a session that has no invitation document; a table of it follows.
INVITED = N_("You are invited to this session of the Polarisation Framework for %(municipality)s:")
AGENDA = N_("Agenda")
CONTACT = N_("Contact")
# Translators: under an invitation; %(file)s is the calendar file's name.
CALENDAR_ATTACHED = N_("The calendar file attached, %(file)s, adds the sessions to your calendar.")
# Translators: as the one before, for an invitation to a single session.
CALENDAR_ATTACHED_ONE = N_("The calendar file attached, %(file)s, adds the session to your calendar.")
# Translators: the subject of a cancellation; %(sessions)s names the sessions.
CANCEL_SUBJECT = N_("Cancelled: %(sessions)s")
# Translators: a cancellation; a table of the session or sessions follows.
NO_LONGER = N_("Cancelled; this will not take place:")
# Translators: a cancellation's last line.
REMOVES = N_("The calendar file attached removes what is cancelled from your calendar. We are sorry for the "
             "change of plan.")
# Translators: the small print of every e-mail; %(address)s is the recipient's address.
FOOTER = N_("This message was sent to %(address)s about the Polarisation Framework in %(municipality)s.")


@dataclass(frozen=True)
class Row:
    """A session in a letter's table."""

    session: str
    date: str
    time: str
    venue: str
    address: str = ""


@dataclass(frozen=True)
class Block:
    """A piece of a letter: kind is p, note, h, list, table (of Rows), agenda (of (time, title)),
    lines (an address block), text (an invitation's words, titled when `text` is given) or small."""

    kind: str
    text: str = ""
    items: tuple = ()
    html: Markup = Markup("")


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str
    subtype: str
    params: dict = field(default_factory=dict)


@dataclass
class Letter:
    """One e-mail as written: its subject, its blocks and its attachments."""

    key: str  # what the ledger knows it by: nl/cover, nl/invitation/training-group-1, nl/cancel/...
    kind: str  # cover, invitation, cancel
    lang: str
    to: str
    subject: str
    title: str
    blocks: list[Block]
    attachments: list[Attachment] = field(default_factory=list)
    pack: str | None = None  # the pack's sha256, for the cover letter
    sessions: dict = field(default_factory=dict)  # uid -> SEQUENCE of the calendar it carries
    versions: dict = field(default_factory=dict)  # uid -> ledger.Version, recorded when it is accepted
    project: object = field(default=None, repr=False)  # whose templates set the HTML
    brand: str = ""  # "Polarisation Framework" in the letter's language, beside the organisation

    def content_hash(self) -> str:
        """What the message says and carries, without its date and Message-ID: a rerun compares
        this with the ledger's to know whether the message changed."""
        data = {"to": self.to, "subject": self.subject, "text": text_body(self),
                "html": html_body(self) if self.blocks else "",
                "attachments": [[a.filename, a.maintype, a.subtype, hashlib.sha256(a.data).hexdigest()]
                                for a in self.attachments]}
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


# -- the text body -------------------------------------------------------------------------

WIDTH = 72


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    import textwrap

    return textwrap.fill(text, WIDTH, initial_indent=first if first is not None else indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def text_body(letter: Letter) -> str:
    out: list[str] = []
    for b in letter.blocks:
        if b.kind in ("p", "small"):
            out += [wrap(b.text), ""]
        elif b.kind == "note":
            out += [wrap(b.text, "| ", "| "), ""]
        elif b.kind == "h":
            out += [b.text, "-" * min(len(b.text), WIDTH), ""]
        elif b.kind == "list":
            out += [wrap(item, "  ", "- ") for item in b.items] + [""]
        elif b.kind == "table":
            for r in b.items:
                out.append(wrap(r.session, "  ", "* "))
                out.append(wrap(f"{r.date}, {r.time}", "  "))
                out.append(wrap(", ".join(x for x in (r.venue, r.address) if x), "  "))
            out.append("")
        elif b.kind == "agenda":
            out += [f"  {time}  {title}" for time, title in b.items] + [""]
        elif b.kind == "lines":
            out += list(b.items) + [""]
        elif b.kind == "text":
            if b.text:
                out += [f"== {b.text} ==", ""]
            out += [html_to_text(b.html), ""]
            if b.text:
                out += ["=" * len(f"== {b.text} =="), ""]
    return "\n".join(out).rstrip() + "\n"


class _Text(HTMLParser):
    """Content HTML (Markdown's: p, h2-h4, ul, ol, li, strong, em, a, table) as plain text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current = ""
        self.lists: list[list] = []  # each open list: [ordered, count]
        self.href = None

    def flush(self, prefix: str = "", indent: str = "") -> None:
        text = " ".join(self.current.split())
        if text:
            self.blocks.append(wrap(text, indent, prefix or indent))
        self.current = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "h2", "h3", "h4", "tr"):
            self.flush()
        elif tag in ("ul", "ol"):
            self.flush()
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self.flush()
            self.lists[-1][1] += 1 if self.lists else 0
        elif tag == "a":
            self.href = dict(attrs).get("href")
        elif tag in ("td", "th"):
            self.current += " "
        elif tag == "br":
            self.current += "\n"

    def handle_endtag(self, tag):
        if tag == "li" and self.lists:
            ordered, n = self.lists[-1]
            self.flush(f"{n}. " if ordered else "- ", "   " if ordered else "  ")
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
            self.blocks.append("")
        elif tag in ("h2", "h3", "h4"):
            title = " ".join(self.current.split())
            self.current = ""
            self.blocks += [title, "-" * min(len(title), WIDTH)]
        elif tag == "p":
            self.flush()
            self.blocks.append("")
        elif tag == "a" and self.href:
            if self.href not in self.current and not self.href.startswith("#"):
                self.current += f" <{self.href.removeprefix('mailto:')}>"
            self.href = None

    def handle_data(self, data):
        self.current += data


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(str(markup))
    parser.flush()
    lines = "\n".join(parser.blocks).split("\n")
    out: list[str] = []
    for line in lines:  # at most one empty line in a row
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return "\n".join(out).strip()


# -- the HTML body -------------------------------------------------------------------------

INK, MUTED, ACCENT, ACCENT_2, TINT, RULE = "#1d2326", "#5b6770", "#1f5c6b", "#b5523b", "#eef4f5", "#c9d6da"
SERIF = "Georgia, 'Source Serif Pro', serif"
SANS = "'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"
# Mail clients drop <style> and classes: the project's look (style.css), as inline styles.
STYLES = {
    "p": f"margin:0 0 12px;font-family:{SERIF};font-size:16px;line-height:1.5;color:{INK};",
    "h2": f"margin:24px 0 8px;font-family:{SANS};font-size:19px;line-height:1.25;font-weight:600;color:{ACCENT};",
    "h3": f"margin:16px 0 6px;font-family:{SANS};font-size:16px;font-weight:600;color:{INK};",
    "h4": f"margin:12px 0 4px;font-family:{SANS};font-size:15px;font-weight:600;color:{INK};",
    "ul": "margin:0 0 12px;padding-left:22px;",
    "ol": "margin:0 0 12px;padding-left:22px;",
    "li": f"margin:0 0 4px;font-family:{SERIF};font-size:16px;line-height:1.5;color:{INK};",
    "a": f"color:{ACCENT};",
    "strong": "font-weight:700;",
    "em": "font-style:italic;",
    "table": "border-collapse:collapse;width:100%;margin:0 0 12px;",
    "th": f"text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid {RULE};font-family:{SANS};",
    "td": f"text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid {RULE};font-family:{SERIF};",
}
VOID = {"br", "hr", "img"}


class _Restyle(HTMLParser):
    """Content HTML with each element's style inline: its class and id (which mail clients
    drop or clash with) give way to the styles above. Text is escaped again as it passes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        keep = [(k, v) for k, v in attrs if k in ("href", "lang", "colspan", "rowspan", "scope")]
        if tag == "a" and not any(k == "href" and v and not v.startswith("#") for k, v in keep):
            self.out.append("<span>")  # a link within a document means nothing in a mail
            return
        if tag in STYLES:
            keep.append(("style", STYLES[tag]))
        text = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in keep)
        self.out.append(f"<{tag}{text}>")

    def handle_endtag(self, tag):
        if tag == "a" and self.out and self._open_span():
            self.out.append("</span>")
        elif tag not in VOID:
            self.out.append(f"</{tag}>")

    def _open_span(self) -> bool:
        depth = 0
        for part in reversed(self.out):
            if part == "</span>":
                depth += 1
            elif part == "<span>":
                if depth == 0:
                    return True
                depth -= 1
            elif part.startswith("<a "):
                return False
        return False

    def handle_data(self, data):
        self.out.append(html.escape(data, quote=False))


def mail_html(markup: str) -> Markup:
    parser = _Restyle()
    parser.feed(str(markup))
    parser.close()
    return Markup("".join(parser.out))


_TEMPLATES: dict = {}


def templates(project) -> jinja2.Environment:
    """mail.html: the project's own templates/ first, then the package's."""
    key = str(project.templates_dir)
    if key not in _TEMPLATES:
        loader = jinja2.ChoiceLoader([TemplateFiles(project, project.templates_dir), TemplateFiles(project, PACKAGE_TEMPLATES)])
        _TEMPLATES[key] = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                             trim_blocks=True, lstrip_blocks=True)
    return _TEMPLATES[key]


def html_body(letter: Letter) -> str:
    project = letter.project
    page = templates(project).get_template("mail.html").render(
        lang=letter.lang, title=letter.title, blocks=letter.blocks, organisation=project.organisation, brand=letter.brand,
        styles={"ink": INK, "muted": MUTED, "accent": ACCENT, "accent_2": ACCENT_2, "tint": TINT, "rule": RULE,
                "serif": SERIF, "sans": SANS})
    body = page.find("<body")
    return page[:body] + text_nodes(page[body:], lambda t: nbsp(t, letter.lang))


# -- the message -----------------------------------------------------------------------------

class MailPolicy(EmailPolicy):
    """SMTP's policy (CRLF), with the subject folded by email.header (as encoded words unless it
    is plain ASCII): the default folding puts a space before the fold as well as after it, so a
    subject such as "9 maart 2027 – Gemeente" reads back with two spaces, and it may fold right
    after "Subject:", so a long one reads back with a leading space."""

    def fold_binary(self, name, value):
        if name.lower() == "subject":
            text = str(value)
            folded = Header(text, "us-ascii" if text.isascii() else "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {folded}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SMTP = MailPolicy(linesep="\r\n")

def message(letter: Letter, sender: tuple[str, str], now: dt.datetime) -> EmailMessage:
    """The letter as an EmailMessage: text and HTML as alternatives, then its attachments.
    Boundaries come from its content, so the same letter gives the same parts."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr(sender)
    msg["To"] = letter.to
    msg["Subject"] = letter.subject
    msg["Date"] = format_datetime(now)
    # Unique per message sent (a resend is a new message), short enough not to be folded.
    msg["Message-ID"] = f"<{letter.kind}.{secrets.token_hex(8)}@{sender[1].rpartition('@')[2]}>"
    msg.set_content(text_body(letter), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html_body(letter), subtype="html", charset="utf-8", cte="quoted-printable")
    for a in letter.attachments:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename,
                           params=dict(a.params) or None)
    msg["Content-Language"] = letter.lang  # last: set_content and add_attachment move Content-* headers
    digest = letter.content_hash()[:20]
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_{digest}_{n}")
    return msg


def size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


def read_zip_member(path: Path, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


# -- the letters of a pack -------------------------------------------------------------------

# Translators: at the top of an invitation that replaces one sent before.
REPLACES = N_("This invitation replaces the one we sent before; the dates below are the current ones.")
DETAILS = N_("Practical details")


@dataclass(frozen=True)
class Sender:
    name: str
    address: str


class Letters:
    """Writes the e-mails of one pack (a municipality in one language) from the pack just made:
    a cover letter to the contact, an invitation per occasion, a cancellation per occasion
    that was sent before and is no longer in the municipality file."""

    def __init__(self, packer, m, lang: str, result, ledger, sender: Sender, pack_limit: int, now: dt.datetime):
        from materials.packs.pack import occasions_of, pack_items, pack_locale

        self.packer, self.project, self.m, self.lang = packer, packer.project, m, lang
        self.result, self.ledger, self.sender, self.pack_limit, self.now = result, ledger, sender, pack_limit, now
        self.r = packer.renderer(lang, pack_locale(self.project, lang, m.country))
        self.tr, self.fmt = self.r.gettext, self.r.fmt
        self.occasions = occasions_of(self.project, m)
        self.items = pack_items(self.project, m)
        self.folder = f"{m.slug}-{lang}"

    # -- pieces -------------------------------------------------------------------------------
    def t(self, message: str, **values) -> str:
        return self.tr(message) % values if values else self.tr(message)

    def contact_to(self) -> str:
        return formataddr((self.m.contact["name"], self.m.contact["email"]))

    def session_name(self, sid: str, group: int | None) -> str:
        name = self.tr(self.project.sessions[sid].name)
        return f"{name}, {self.group(group)}" if group else name

    def group(self, number: int) -> str:
        """"group 1", kept on one line."""
        return self.t(GROUP_LABEL, number=number).lower().replace(" ", "\u00a0")

    def row(self, sid: str, group: int | None, date: dt.date, start: dt.time, end: dt.time, venue: str, address: str) -> Row:
        return Row(self.session_name(sid, group), self.fmt.date(date, "full"), self.fmt.time_range(start, end), venue, address)

    def rows(self, occasions) -> list[Row]:
        from materials.render.formatting import add_minutes

        return [self.row(sid, o.held.group, place.date, place.start,
                         add_minutes(place.start, self.project.sessions[sid].minutes), place.venue, place.address)
                for o in occasions for _, sid, place, _ in o.sessions]

    def version_row(self, v) -> Row:
        group = int(v.occasion.rsplit("-", 1)[1]) if v.occasion.startswith("training-group-") else None
        clock = lambda s: dt.datetime.strptime(s, "%H:%M").time()  # noqa: E731
        return self.row(v.session, group, dt.date.fromisoformat(v.date), clock(v.start), clock(v.end), v.venue, v.address)

    def closing(self) -> list[Block]:
        return [Block("p", self.t(CLOSING)), Block("p", self.project.organisation)]

    def footer(self, to: str) -> Block:
        address = to.rpartition("<")[2].rstrip(">") if "<" in to else to
        return Block("small", self.t(FOOTER, address=address, municipality=self.m.name))

    def greeting(self, to_contact: bool) -> Block:
        return Block("p", self.t(GREETING, name=self.m.contact["name"]) if to_contact else self.t(GREETING_ALL))

    def contact_blocks(self) -> list[Block]:
        """The contact person, whom the invitations name ("register with the contact person
        named under Contact")."""
        contact = self.m.contact
        return [Block("h", self.t(CONTACT)),
                Block("lines", items=(f"{contact['name']}, {contact['role']}", contact["email"], contact["phone"]))]

    def invitation_text(self, item) -> Markup:
        """An invitation document's words for this occasion, as the pack's page has them."""
        from materials.render.context import document_context
        from materials.sources.content import INTRO

        doc = self.project.documents[item.doc_id]
        content = self.packer.content(self.lang, item.doc_id)
        variables = document_context(self.project, doc.sessions, self.fmt, self.tr, self.m.view(item.places))
        parts = []
        intro = content.section(INTRO)
        if intro:
            parts.append(self.r.section(intro, variables, content).html)
        for s in content.sections:
            if s.id != INTRO:
                rendered = self.r.section(s, variables, content)
                parts.append(Markup("<h3>") + rendered.title + Markup("</h3>") + rendered.html)
        return mail_html(Markup("\n").join(parts))

    def letter(self, key: str, kind: str, to: str, subject: str, blocks: list[Block], **extra) -> Letter:
        return Letter(key, kind, self.lang, to, subject, subject, blocks, project=self.project,
                      brand=self.tr("Polarisation Framework"), **extra)

    # -- the letters --------------------------------------------------------------------------
    def all(self) -> list[tuple[Letter, Letter]]:
        """Each e-mail as (its base, the letter to send): the base is the letter as if sent for
        the first time, whose hash the ledger compares; one that changed since it was sent says
        so (Updated:, what has changed)."""
        out = [self.twice(self.cover, f"{self.lang}/cover")]
        out += [self.twice(lambda updated, o=o: self.invitation(o, updated), f"{self.lang}/invitation/{o.name}")
                for o in self.occasions]
        cancelled: dict[str, dict] = {}
        for uid, v in self.ledger.cancelled(set(self.result.versions), self.now).items():
            cancelled.setdefault(v.occasion, {})[uid] = v
        out += [self.twice(lambda updated, name=name, vs=vs: self.cancellation(name, vs), f"{self.lang}/cancel/{name}")
                for name, vs in sorted(cancelled.items())]
        return out

    def twice(self, make, key: str) -> tuple[Letter, Letter]:
        base = make(False)
        before = self.ledger.last(key)
        return base, (make(True) if before is not None and before["content"] != base.content_hash() else base)

    def cover(self, updated: bool) -> Letter:
        from materials.packs.pack import PACK_TITLE

        key, to = f"{self.lang}/cover", self.contact_to()
        subject = self.t(PACK_TITLE, municipality=self.m.name)
        file = self.result.path.name
        attached = self.result.size <= self.pack_limit
        blocks = [self.greeting(True),
                  Block("p", self.t(COVER_ATTACHED, municipality=self.m.name, file=file)) if attached else
                  Block("note", self.t(COVER_TOO_LARGE, municipality=self.m.name, file=file, size=size_text(self.result.size)))]
        if updated:
            subject = self.t(UPDATED, subject=subject)
            blocks.append(Block("p", self.t(COVER_REPLACES)))
            if changes := self.changes(self.ledger.last(key)):
                blocks += [Block("h", self.t(CHANGES)), Block("list", items=tuple(changes))]
        blocks += [Block("h", self.t(DATES)), Block("table", items=tuple(self.rows(self.occasions))),
                   Block("p", self.t(REGISTER_WITH_YOU, date=self.fmt.date(self.m.rsvp_deadline, "long"))),
                   Block("p", self.t(INVITATIONS_TO_LIST, address=self.m.distribution) if self.m.distribution
                         else self.t(INVITATIONS_TO_YOU))]
        blocks += self.closing()
        invitations = {}
        for item in self.items:  # each invitation document once: its words are the same for every group
            if self.project.documents[item.doc_id].kind == "invitation":
                invitations.setdefault(item.doc_id, item)
        if invitations:  # after the signature, as an appendix: each ends with a signature of its own
            blocks.append(Block("h", self.t(INVITATION_TEXTS)))
            for doc_id, item in invitations.items():
                blocks.append(Block("text", text=self.packer.content(self.lang, doc_id).meta["title"],
                                    html=self.invitation_text(item)))
            blocks += self.contact_blocks()  # the Contact the texts refer to, as the invitations show it
        blocks.append(self.footer(to))
        attachments = [Attachment(file, self.result.path.read_bytes(), "application", "zip")] if attached else []
        versions = self.result.versions
        return self.letter(key, "cover", to, subject, blocks, attachments=attachments, pack=self.result.sha256,
                           sessions={uid: v.sequence for uid, v in versions.items()}, versions=dict(versions))

    def changes(self, before: dict | None) -> list[str]:
        """The sessions whose calendar version is newer than the last cover letter's, and those
        it had that are gone: from the ledger, so a rerun writes the same list."""
        sent = (before or {}).get("sessions", {})
        out = []
        for o in self.occasions:
            for _, sid, place, uid in o.sessions:
                v = self.result.versions[uid]
                if uid in sent and v.sequence > sent[uid]:
                    row = self.version_row(v)
                    out.append(self.t(CHANGED, session=row.session, when=f"{row.date}, {row.time}",
                                      where=", ".join(x for x in (row.venue, row.address) if x)))
        for uid in sent:
            if uid not in self.result.versions and uid in self.ledger.sessions:
                row = self.version_row(self.ledger.sessions[uid])
                out.append(self.t(CANCELLED, session=row.session, when=row.date))
        return out

    def invitation(self, o, updated: bool) -> Letter:
        from materials.packs.ics import calendar

        key = f"{self.lang}/invitation/{o.name}"
        to_contact = not self.m.distribution
        to = self.contact_to() if to_contact else self.m.distribution
        item = next((i for i in self.items if self.project.documents[i.doc_id].kind == "invitation"
                     and i.places == o.held.places), None)
        first = min(place.date for _, _, place, _ in o.sessions)
        if item:
            title = self.packer.content(self.lang, item.doc_id).meta["title"]
            if o.held.group:
                title = f"{title}, {self.t(GROUP_LABEL, number=o.held.group).lower()}"
            heading = title
        else:
            title = self.t(INVITATION_SUBJECT, session=self.tr(self.project.sessions[o.sessions[0][1]].name))
        subject = f"{title}, {self.fmt.date(first, 'long')} – {self.m.name}"
        blocks = [self.greeting(to_contact)]
        one = len(o.sessions) == 1
        if to_contact:
            blocks.append(Block("note", self.t(FORWARD_ONE if one else FORWARD)))
        if updated:
            subject = self.t(UPDATED, subject=subject)
            blocks.append(Block("note", self.t(REPLACES)))
        blocks += [Block("h", self.t(DETAILS)), Block("table", items=tuple(self.rows([o])))]
        if item:  # to the contact, the words to pass on stand apart from the note above them
            blocks.append(Block("text", text=heading if to_contact else "", html=self.invitation_text(item)))
        else:
            sid, place = o.sessions[0][1], o.sessions[0][2]
            blocks.insert(len(blocks) - 2, Block("p", self.t(INVITED, municipality=self.m.name)))
            blocks += [Block("h", self.t(AGENDA)), Block("agenda", items=tuple(self.agenda(sid, place)))]
        blocks += self.contact_blocks()
        ics_name = f"{o.name}.ics"
        blocks.append(Block("p", self.t(CALENDAR_ATTACHED_ONE if one else CALENDAR_ATTACHED, file=ics_name)))
        if not item:
            blocks += self.closing()
        blocks.append(self.footer(to))
        address = to.rpartition("<")[2].rstrip(">") if "<" in to else to
        events = [self.result.events[uid] for _, _, _, uid in o.sessions]
        ics = calendar(events, "REQUEST", (self.project.organisation, self.sender.address), address)
        attachments = []
        if item:
            attachments.append(Attachment(f"{item.name}.pdf", read_zip_member(self.result.path, f"{self.folder}/{item.name}.pdf"),
                                          "application", "pdf"))
        attachments.append(Attachment(ics_name, ics, "text", "calendar", {"method": "REQUEST", "charset": "utf-8"}))
        versions = {uid: self.result.versions[uid] for _, _, _, uid in o.sessions}
        return self.letter(key, "invitation", to, subject, blocks, attachments=attachments,
                           sessions={uid: v.sequence for uid, v in versions.items()}, versions=versions)

    def agenda(self, sid: str, place) -> list[tuple[str, str]]:
        from materials.render.context import event

        agenda = next((self.packer.content(self.lang, d.id) for d in self.project.documents.values()
                       if d.kind == "agenda" and sid in d.sessions), None)
        titles = {s.id: s.title for s in agenda.sections} if agenda else {}
        e = event(self.project.sessions[sid], self.fmt, self.tr, place)
        return [(slot.time_range, titles.get(slot.id, slot.id)) for slot in e.slots]

    def cancellation(self, occasion: str, versions: dict) -> Letter:
        from materials.packs.ics import calendar
        from materials.sources.municipality import EventPlace

        key = f"{self.lang}/cancel/{occasion}"
        invited = self.ledger.last(f"{self.lang}/invitation/{occasion}")
        to = invited["to"][0] if invited else self.contact_to()
        to_contact = not invited or to == self.contact_to()
        rows = [self.version_row(v) for v in versions.values()]
        names = ", ".join(dict.fromkeys(r.session for r in rows))
        subject = f"{self.t(CANCEL_SUBJECT, sessions=names)} – {self.m.name}"
        blocks = [self.greeting(to_contact), Block("p", self.t(NO_LONGER)), Block("table", items=tuple(rows)),
                  Block("p", self.t(REMOVES))] + self.closing() + [self.footer(to)]
        events = []
        for uid, v in versions.items():
            clock = lambda s: dt.datetime.strptime(s, "%H:%M").time()  # noqa: E731
            place = EventPlace(dt.date.fromisoformat(v.date), clock(v.start), v.venue, v.address)
            events.append(self.packer.event(self.m, self.lang, self.r, uid, v.session, place, v, cancelled=True))
        address = to.rpartition("<")[2].rstrip(">") if "<" in to else to
        ics = calendar(events, "CANCEL", (self.project.organisation, self.sender.address), address)
        attachments = [Attachment(f"{occasion}-cancelled.ics", ics, "text", "calendar", {"method": "CANCEL", "charset": "utf-8"})]
        return self.letter(key, "cancel", to, subject, blocks, attachments=attachments,
                           sessions={uid: v.sequence for uid, v in versions.items()}, versions=dict(versions))
