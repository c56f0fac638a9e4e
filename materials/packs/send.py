"""`invoke send`: a municipality's pack and invitations by e-mail, each message once.

The stages: the settings (checked before anything is made), the sources (loaded once and
passed by the rules, as for a pack), the pack (made again: the same inputs give the same zip,
so its sha256 says whether it changed), the letters (mail.py), then either the outbox (a dry
run: .eml files, nothing recorded) or the mail server, with the ledger (ledger.py) written after
each message it accepts. What the ledger has with the same content is not sent again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import smtplib
import socket
import ssl
import stat
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from materials.errors import Problem, ProjectError, relative
from materials.output import BuildLock, replace_files
from materials.packs.ledger import LedgerLock, utc_text
from materials.packs.mail import Letter, Letters, Sender, message
from materials.packs.pack import Packer, prepare
from materials.render.pdf import PdfRenderer
from materials.sources.municipality import EMAIL
from materials.sources.yamlfile import read_yaml

KEYS = ("MATERIALS_SMTP_HOST", "MATERIALS_SMTP_PORT", "MATERIALS_SMTP_SECURITY", "MATERIALS_SMTP_USER",
        "MATERIALS_SMTP_PASSWORD", "MATERIALS_MAIL_FROM", "MATERIALS_SMTP_CA_FILE", "MATERIALS_MAIL_MAX_ATTACHMENT")
PORTS = {"starttls": 587, "ssl": 465, "none": 25}
LOCAL = ("127.0.0.1", "localhost", "::1")
TIMEOUT = 60  # seconds a mail server may take to answer
DEFAULT_LIMIT_MB = 10  # a larger pack is named in the cover letter, not attached
UNSET_FROM = "mail-from-not-set@example.invalid"  # a dry run's sender until MATERIALS_MAIL_FROM is set


# -- settings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)
    sender: Sender
    ca_file: str
    pack_limit: int  # bytes


def credentials_file(environ) -> Path | None:
    """MATERIALS_SMTP_CREDENTIALS, else ~/.config/polarisation-materials/smtp.env when it exists."""
    named = environ.get("MATERIALS_SMTP_CREDENTIALS")
    if named:
        return Path(named).expanduser()
    base = Path(environ.get("XDG_CONFIG_HOME") or Path(environ.get("HOME", "~")).expanduser() / ".config")
    path = base / "polarisation-materials" / "smtp.env"
    return path if path.is_file() else None


def read_credentials(path: Path, root: Path) -> dict[str, str]:
    """KEY=VALUE lines (# comments) of the settings above, from a file outside the project,
    readable by its owner only when it holds the password."""
    name = str(path)
    if path.resolve().is_relative_to(root.resolve()):
        raise ProjectError(Problem(relative(path, root), "MATERIALS_SMTP_CREDENTIALS: a credentials file must be "
                                   "outside the project (it would be committed); move it, e.g. to "
                                   "~/.config/polarisation-materials/smtp.env"))
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 10_000:
            raise ProjectError(Problem(name, "MATERIALS_SMTP_CREDENTIALS: expected a small text file of KEY=VALUE lines"))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(Problem(name, "MATERIALS_SMTP_CREDENTIALS names this file, which does not exist"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(Problem(name, f"cannot be read: {getattr(exc, 'strerror', None) or exc}"))
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip().strip("'\"")
        if not eq or key not in KEYS:
            raise ProjectError(Problem(name, f"expected KEY=VALUE with one of {', '.join(KEYS)}, got '{key[:40]}'", number))
        values[key] = value
    if values.get("MATERIALS_SMTP_PASSWORD") and st.st_mode & 0o077:
        raise ProjectError(Problem(name, f"holds a password but others may read it (mode {stat.S_IMODE(st.st_mode):o}); "
                                         f"run chmod 600 {name}"))
    return values


def settings(root: Path, environ=None, dry_run: bool = False) -> Settings:
    """The mail settings: the environment, over a credentials file. A dry run needs none."""
    environ = os.environ if environ is None else environ
    path = credentials_file(environ)
    values = read_credentials(path, root) if path else {}
    values.update({k: environ[k] for k in KEYS if environ.get(k)})
    get = lambda key: values.get(key, "").strip()  # noqa: E731

    security = get("MATERIALS_SMTP_SECURITY").lower() or "starttls"
    if security not in PORTS:
        raise ProjectError(f"MATERIALS_SMTP_SECURITY: expected starttls, ssl or none, got '{security}'")
    host = get("MATERIALS_SMTP_HOST")
    if not host and not dry_run:
        raise ProjectError("MATERIALS_SMTP_HOST is not set: give the mail server's name (see README, Sending packs), "
                           "or add --dry-run to write the messages to build/outbox/ instead")
    if security == "none" and host and host not in LOCAL:
        raise ProjectError(f"MATERIALS_SMTP_SECURITY: none sends the password and the packs unencrypted, so it is "
                           f"allowed only for a server on this machine (127.0.0.1 or localhost), not '{host}'; "
                           "use starttls or ssl")
    port_text = get("MATERIALS_SMTP_PORT") or str(PORTS[security])
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ProjectError(f"MATERIALS_SMTP_PORT: expected a port number from 1 to 65535, got '{port_text}'")
    user, password = get("MATERIALS_SMTP_USER"), values.get("MATERIALS_SMTP_PASSWORD", "")
    if bool(user) != bool(password):
        missing = "MATERIALS_SMTP_PASSWORD" if user else "MATERIALS_SMTP_USER"
        raise ProjectError(f"{missing} is not set: give both MATERIALS_SMTP_USER and MATERIALS_SMTP_PASSWORD, or neither")
    raw_from = get("MATERIALS_MAIL_FROM")
    if not raw_from and not dry_run:
        raise ProjectError("MATERIALS_MAIL_FROM is not set: give the sender, such as "
                           "\"Inside Polarisation <training@insidepolarisation.example>\"")
    name, address = parseaddr(raw_from or UNSET_FROM)
    if not EMAIL.match(address):
        raise ProjectError(f"MATERIALS_MAIL_FROM: expected an address such as training@insidepolarisation.example "
                           f"or \"Name <address>\", got '{raw_from}'")
    ca_file = get("MATERIALS_SMTP_CA_FILE")
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise ProjectError(f"MATERIALS_SMTP_CA_FILE: no such file '{ca_file}'")
    limit_text = get("MATERIALS_MAIL_MAX_ATTACHMENT") or str(DEFAULT_LIMIT_MB)
    try:
        limit = float(limit_text)
        if limit < 0:
            raise ValueError
    except ValueError:
        raise ProjectError(f"MATERIALS_MAIL_MAX_ATTACHMENT: expected a size in MB such as 10, got '{limit_text}'")
    return Settings(host, int(port_text), security, user, password, Sender(name, address),
                    str(Path(ca_file).expanduser()) if ca_file else "", int(limit * 1_000_000))


# -- the plan ----------------------------------------------------------------------------------

@dataclass
class Planned:
    """One e-mail of a send: the letter, its message, and whether it goes."""

    letter: Letter
    msg: EmailMessage
    content: str  # the base letter's hash: what the ledger compares
    status: str  # new, changed (pack, dates, text), unchanged, resend
    previous: dict | None
    data: bytes = b""

    @property
    def goes(self) -> bool:
        return self.status != "unchanged"

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SendResult:
    slug: str
    planned: list[Planned]
    sent: list[Planned]
    outbox: Path | None
    seconds: float
    ledger: str


def status_of(base: Letter, content: str, previous: dict | None, resend: bool) -> str:
    if previous is None:
        return "new"
    if previous["content"] == content:
        return "resend" if resend and base.kind != "cancel" else "unchanged"
    if base.pack and previous.get("pack") != base.pack:
        return "changed: pack"
    if base.sessions != previous.get("sessions", {}):
        return "changed: dates"
    return "changed: text"


def plan(packer: Packer, m, lang: str, result, ledger, config: Settings, now: dt.datetime, resend: bool) -> list[Planned]:
    out = []
    for base, letter in Letters(packer, m, lang, result, ledger, config.sender, config.pack_limit, now).all():
        content = base.content_hash()
        previous = ledger.last(base.key)
        msg = message(letter, (config.sender.name or packer.project.organisation, config.sender.address), now)
        out.append(Planned(letter, msg, content, status_of(base, content, previous, resend), previous, msg.as_bytes()))
    return out


def outbox_files(planned: list[Planned]) -> dict[str, bytes]:
    return {f"{n:02d}-{p.letter.key.replace('/', '-')}.eml": p.data for n, p in enumerate(planned, 1)}


# -- sending -----------------------------------------------------------------------------------

def send(root: Path, slug: str, lang: str | None = None, dry_run: bool = False, outbox: Path | None = None,
         resend: bool = False, jobs: int | None = None, out_dir: Path | None = None, environ=None,
         on_sent=None) -> SendResult:
    """Send what is new or changed for a municipality (every message with `resend`); a dry run
    (or an outbox folder) writes the messages that would go as .eml files instead."""
    started = time.perf_counter()
    root = Path(root).resolve()
    dry_run = dry_run or outbox is not None
    config = settings(root, environ, dry_run)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = Path(out_dir) if out_dir else root / "build"
    with LedgerLock(root, slug), contextlib.ExitStack() as stack:
        sources, work, ledgers = prepare(root, slug, False, lang, False, False, what="send")
        ledger = ledgers[slug]
        # The server and the login are tried before the pack is made: a wrong setting is told at once.
        smtp = None if dry_run else stack.enter_context(Connection(config))
        planned: list[Planned] = []
        with BuildLock(out), PdfRenderer(jobs) as pdfs:
            pdfs.start()
            packer = Packer(sources, out, False, pdfs, now=now, ledgers=ledgers)
            for m, l in work:
                planned += plan(packer, m, l, packer.make(m, l), ledger, config, now, resend)
            if dry_run:
                folder = Path(outbox) if outbox is not None else out / "outbox" / slug
                replace_files(folder, outbox_files([p for p in planned if p.goes]), "[0-9][0-9]-*.eml")
                return SendResult(slug, planned, [], folder, time.perf_counter() - started, ledger.name)
        going = [p for p in planned if p.goes]
        sent: list[Planned] = []
        m = sources.municipalities[slug]
        smtp.total = len(going)
        smtp.fits(going)  # every message checked against the server's SIZE before the first goes
        for p in going:
            smtp.deliver(p, m, root, sent)
            # At once, before the next message: a crash from here on neither repeats nor skips it.
            ledger.record({
                "key": p.letter.key, "to": [str(p.msg["To"])], "subject": p.letter.subject,
                "message_id": str(p.msg["Message-ID"]), "content": p.content, "sent": utc_text(now_utc()),
                **({"pack": p.letter.pack} if p.letter.pack else {}),
                **({"sessions": p.letter.sessions} if p.letter.sessions else {}),
            }, p.letter.versions)
            sent.append(p)
            if on_sent:
                on_sent(p)
    return SendResult(slug, planned, sent, None, time.perf_counter() - started, ledger.name)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Connection:
    """One SMTP session for all of a send's messages; every failure is one line that says how
    many messages went before it (and are in the ledger) and what to do. The password is never
    part of a message."""

    def __init__(self, config: Settings):
        self.config, self.total, self.smtp = config, 0, None
        self.where = f"{config.host}:{config.port}"

    def fail(self, what: str, sent: int = 0) -> ProjectError:
        done = (f"; {sent} of {self.total} messages were sent and are in the ledger, run send again for the rest"
                if sent else "; nothing was sent")
        return ProjectError(what + done)

    def __enter__(self) -> "Connection":
        c = self.config
        context = ssl.create_default_context(cafile=c.ca_file or None)
        try:
            if c.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT, context=context)
            else:
                self.smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
            self.smtp.ehlo()
            if c.security == "starttls":
                if not self.smtp.has_extn("starttls"):
                    raise self.fail(f"the mail server {self.where} does not offer STARTTLS; use MATERIALS_SMTP_SECURITY=ssl "
                                    "with its TLS port, or ask its administrator")
                self.smtp.starttls(context=context)
                self.smtp.ehlo()
            if c.user:
                self.smtp.login(c.user, c.password)
        except ProjectError:
            self.close()
            raise
        except socket.gaierror:
            raise self.fail(f"MATERIALS_SMTP_HOST: cannot find the mail server '{c.host}' (its name does not resolve)")
        except ConnectionRefusedError:
            raise self.fail(f"cannot connect to the mail server {self.where}: connection refused; "
                            "check MATERIALS_SMTP_HOST and MATERIALS_SMTP_PORT")
        except (socket.timeout, TimeoutError):
            raise self.fail(f"the mail server {self.where} did not answer within {TIMEOUT} s")
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise self.fail(f"the mail server {self.where} has a certificate this machine does not trust "
                            f"({exc.verify_message}); set MATERIALS_SMTP_CA_FILE to its CA certificate")
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise self.fail(f"the mail server {self.where} refused the login of user '{c.user}' "
                            f"({exc.smtp_code} {reply(exc.smtp_error)}); check MATERIALS_SMTP_USER and MATERIALS_SMTP_PASSWORD")
        except smtplib.SMTPNotSupportedError:
            self.close()
            raise self.fail(f"the mail server {self.where} does not accept a login (no AUTH); "
                            "unset MATERIALS_SMTP_USER and MATERIALS_SMTP_PASSWORD, or use its submission port")
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            self.close()
            raise self.fail(f"cannot talk to the mail server {self.where}: {reply(getattr(exc, 'smtp_error', None)) or exc}")
        return self

    def fits(self, going: list[Planned]) -> None:
        """Every message within the size the server announced (SIZE), checked before the first goes."""
        limit = int(self.smtp.esmtp_features.get("size", "0") or 0) if self.smtp.does_esmtp else 0
        for p in going:
            if limit and p.size > limit:
                raise self.fail(f"{p.letter.key}: the message is {p.size / 1e6:.1f} MB but the mail server {self.where} "
                                f"accepts at most {limit / 1e6:.1f} MB; set MATERIALS_MAIL_MAX_ATTACHMENT below "
                                f"{limit / 1e6 * 0.7:.1f} (MB) to name the pack in the cover letter instead of attaching it")

    def deliver(self, p: Planned, m, root: Path, sent: list) -> None:
        to = parseaddr(p.msg["To"])[1]
        try:
            refused = self.smtp.sendmail(self.config.sender.address, [to], p.data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise self.fail(f"{self.whose(to, m, root)}: the mail server refused the address {to} ({code} {reply(text)})",
                            len(sent))
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code < 500:  # 421, 451: the server takes no more for now
                raise self.fail(f"the mail server {self.where} stopped taking messages before {p.letter.key} "
                                f"({exc.smtp_code} {reply(exc.smtp_error)})", len(sent))
            raise self.fail(f"MATERIALS_MAIL_FROM: the mail server refused the sender {self.config.sender.address} "
                            f"({exc.smtp_code} {reply(exc.smtp_error)})", len(sent))
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code == 552:
                raise self.fail(f"{p.letter.key}: the mail server refused the message of {p.size / 1e6:.1f} MB as too large "
                                f"({reply(exc.smtp_error)}); set MATERIALS_MAIL_MAX_ATTACHMENT to name the pack "
                                "instead of attaching it", len(sent))
            raise self.fail(f"{p.letter.key}: the mail server refused the message ({exc.smtp_code} {reply(exc.smtp_error)})",
                            len(sent))
        except smtplib.SMTPServerDisconnected:
            raise self.fail(f"the mail server {self.where} closed the connection before accepting {p.letter.key}", len(sent))
        except smtplib.SMTPResponseException as exc:
            raise self.fail(f"{p.letter.key}: the mail server answered {exc.smtp_code} {reply(exc.smtp_error)}", len(sent))
        except (socket.timeout, TimeoutError):
            raise self.fail(f"the mail server {self.where} stopped answering while {p.letter.key} was sent", len(sent))
        except OSError as exc:
            raise self.fail(f"the connection to the mail server {self.where} broke while {p.letter.key} was sent "
                            f"({exc.strerror or exc})", len(sent))
        if refused:  # with one recipient, refusing it raises above; kept for safety
            raise self.fail(f"the mail server refused {', '.join(refused)}", len(sent))

    @staticmethod
    def whose(address: str, m, root: Path) -> str:
        """Where an address comes from: the municipality file's line for it."""
        name = relative(m.path, root)
        try:
            _, lines = read_yaml(m.path, name)
        except (ProjectError, OSError):
            lines = {}
        field_path = ("distribution",) if address == m.distribution else ("contact", "email")
        line = lines.get(field_path)
        return f"{name}:{line}: {'.'.join(field_path)}" if line else f"{name}: {'.'.join(field_path)}"

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
            self.smtp = None

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self.close()


def reply(text) -> str:
    """A server's reply as one line."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text or "").split())
