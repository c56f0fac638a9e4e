"""The send ledger, `municipalities/sent/<slug>.yaml`: what `invoke send` handed to the mail
server for a municipality, and the calendar version of each session it sent.

A YAML file beside the municipality file, not a database: it is small (a line or two per
message), it is committed with the municipality it belongs to, and a review of `git diff` shows
what went out, to whom and when. It is rewritten whole (a temporary file and a rename) after
each message the server accepts, under a lock, so a crash or a refused connection leaves it true.

Calendar versions follow RFC 5546: a session keeps its UID; SEQUENCE goes up by one when its
date, clock times or venue change (or it is cancelled); DTSTAMP is when that version was first
sent, so the same inputs (the municipality file and this ledger) give the same calendar bytes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Optional

import yaml
from pydantic import Field

from materials.errors import Problem, ProjectError, relative
from materials.output import write_atomic
from materials.packs.ics import stamp_time
from materials.sources.yamlfile import Strict, must, read_yaml, validate

FOLDER = "municipalities/sent"
HEADER = """\
# What `invoke send` handed to the mail server for municipalities/{slug}.yaml, and the calendar
# version of each session it sent. Written by send after every accepted message: commit it with
# the municipality file, and do not edit it by hand.
"""


def ledger_path(root: Path, slug: str) -> Path:
    return Path(root) / FOLDER / f"{slug}.yaml"


def utc_text(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_utc_text(value: str) -> bool:
    return bool(dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))


def parse_utc(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


Stamp = Annotated[str, must(_is_utc_text, "a UTC time such as 2027-01-15T09:30:00Z", before=True)]
Digest = Annotated[str, must(lambda v: len(v) == 64 and int(v, 16) >= 0, "a sha256 (64 hexadecimal digits)", before=True)]


IsoDate = Annotated[str, must(dt.date.fromisoformat, "a date such as 2027-03-15", before=True)]
Clock = Annotated[str, must(lambda v: dt.datetime.strptime(v, "%H:%M"), 'a clock time such as "09:30"', before=True)]


class SessionSpec(Strict):
    occasion: Annotated[str, Field(min_length=1)]
    session: Annotated[str, Field(min_length=1)]
    date: IsoDate
    start: Clock
    end: Clock
    venue: str
    address: str
    fingerprint: Digest
    sequence: Annotated[int, Field(ge=0)]
    stamp: Stamp
    cancelled: bool = False


class MessageSpec(Strict):
    key: Annotated[str, Field(min_length=1)]
    to: Annotated[list[str], Field(min_length=1)]
    subject: str
    message_id: str
    content: Digest
    sent: Stamp
    pack: Optional[Digest] = None
    sessions: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)


class LedgerSpec(Strict):
    municipality: str
    sessions: dict[str, SessionSpec] = Field(default_factory=dict)
    messages: list[MessageSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Version:
    """A session's calendar version: what it was sent as, and when that version was first sent."""

    occasion: str
    session: str
    date: str  # ISO
    start: str  # HH:MM
    end: str
    venue: str
    address: str
    fingerprint: str
    sequence: int
    stamp: dt.datetime
    cancelled: bool = False


@dataclass
class Ledger:
    """A municipality's ledger as read (empty when it has none yet)."""

    root: Path
    slug: str
    sessions: dict[str, Version] = field(default_factory=dict)  # uid -> version last sent
    messages: list[dict] = field(default_factory=list)  # every accepted message, oldest first

    @property
    def path(self) -> Path:
        return ledger_path(self.root, self.slug)

    @property
    def name(self) -> str:
        return relative(self.path, self.root)

    def last(self, key: str) -> dict | None:
        """The last accepted message of this key (nl/cover, nl/invitation/training-group-1, ...)."""
        return next((m for m in reversed(self.messages) if m["key"] == key), None)

    def version(self, uid: str, occasion: str, session: str, place: tuple[str, str, str, str, str],
                now: dt.datetime | None) -> Version:
        """The version of a session as it is now: the ledger's while its date, times and venue
        are as sent; otherwise the next one, first sent at `now` (a session never sent: at the
        fixed time of stamp_time(); one changed but not yet sent: at the time of the version
        before it, until send gives it `now`)."""
        fp = fingerprint(*place)
        old = self.sessions.get(uid)
        if old is not None and old.fingerprint == fp and not old.cancelled:
            return old
        if old is None:
            return Version(occasion, session, *place, fp, 0, now or stamp_time())
        return Version(occasion, session, *place, fp, old.sequence + 1, now or old.stamp)

    def cancelled(self, current: set[str], now: dt.datetime | None) -> dict[str, Version]:
        """The sessions sent before that are no longer in the municipality file: each as its
        cancelled version (the ledger's, once the cancellation was sent)."""
        out = {}
        for uid, old in self.sessions.items():
            if uid in current:
                continue
            out[uid] = old if old.cancelled else replace(old, sequence=old.sequence + 1, stamp=now or old.stamp,
                                                         cancelled=True)
        return out

    def record(self, message: dict, versions: dict[str, Version]) -> None:
        """Add an accepted message and the versions it carried, and write the ledger at once."""
        self.messages.append(message)
        self.sessions.update(versions)
        write_atomic(self.path, self.dump())

    def dump(self) -> bytes:
        data = {
            "municipality": self.slug,
            "sessions": {uid: {"occasion": v.occasion, "session": v.session, "date": v.date, "start": v.start,
                               "end": v.end, "venue": v.venue, "address": v.address, "fingerprint": v.fingerprint, "sequence": v.sequence, "stamp": utc_text(v.stamp),
                               **({"cancelled": True} if v.cancelled else {})}
                         for uid, v in sorted(self.sessions.items())},
            "messages": self.messages,
        }
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
        return (HEADER.format(slug=self.slug) + text).encode("utf-8")


def fingerprint(date: str, start: str, end: str, venue: str, address: str) -> str:
    """What makes a new calendar version: the date and clock times, the venue and its address."""
    return hashlib.sha256("\n".join((date, start, end, venue, address)).encode("utf-8")).hexdigest()


def read(root: Path, slug: str) -> Ledger:
    """The municipality's ledger; none yet is an empty one. A ledger that cannot be read is a
    problem naming its file and line: send and pack stop rather than guess what went out."""
    ledger = Ledger(Path(root), slug)
    path, name = ledger.path, ledger.name
    if not path.exists() and not path.is_symlink():
        return ledger
    try:
        data, lines = read_yaml(path, name)
    except FileNotFoundError:
        return ledger
    if not path.resolve().is_relative_to((Path(root) / "municipalities").resolve()):
        raise ProjectError(Problem(name, "points outside the municipalities/ folder"))
    spec = validate(LedgerSpec, data, name, lines)
    if spec.municipality != slug:
        raise ProjectError(Problem(name, f"municipality: expected {slug} (the file's name), got {spec.municipality}",
                                   lines.get(("municipality",))))
    ledger.sessions = {uid: Version(s.occasion, s.session, s.date, s.start, s.end, s.venue, s.address, s.fingerprint,
                                    s.sequence, parse_utc(s.stamp), s.cancelled) for uid, s in spec.sessions.items()}
    ledger.messages = [m.model_dump(exclude_defaults=True) | {"to": list(m.to)} for m in spec.messages]
    return ledger


class LedgerLock:
    """One send per municipality at a time: a second one is told to wait, never interleaved."""

    def __init__(self, root: Path, slug: str):
        self.path = Path(root) / FOLDER / f".{slug}.lock"
        self.fh = None

    def __enter__(self) -> "LedgerLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(self.path, "a+")
        except OSError as exc:
            raise ProjectError(Problem(str(self.path.parent), f"cannot write here ({exc.strerror or exc})"))
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            raise ProjectError(Problem(str(self.path.parent), "another send for this municipality is running; "
                                                              "wait for it to finish, then run again"))
        return self

    def __exit__(self, *exc) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
