"""`invoke send` against a real SMTP server (aiosmtpd on 127.0.0.1, started by the fixtures):
what the server received, the ledger that makes each message go once, calendars that follow
changes, the dry run's .eml files, and every bad input as one line with exit 1."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import zipfile
from email import policy
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from icalendar import Calendar

from tree import copy_project

FROM = "Inside Polarisation <training@insidepolarisation.example>"
PASSWORD = "s3cret-Pa55word"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    """Keeps every message it accepts; can refuse an address, or act on the n-th MAIL FROM."""

    def __init__(self):
        self.received: list[tuple[str, list[str], bytes]] = []
        self.mails = 0
        self.on_mail = None  # called with the number of the MAIL FROM; returns a reply to refuse it
        self.refuse: set[str] = set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if self.on_mail and (answer := self.on_mail(self.mails)):
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Message accepted"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(data, policy=policy.default) for _, _, data in self.received]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"coordinator" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


class Server:
    def __init__(self, **options):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> "Server":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture
def server():
    with Server() as s:
        yield s


@pytest.fixture
def proj(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def env_for(proj: Path, port: int | None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATERIALS_SMTP") and k != "MATERIALS_MAIL_FROM"}
    env.pop("MATERIALS_DEBUG", None)
    env.update({"COLUMNS": "400", "XDG_CONFIG_HOME": str(proj.parent / "config"), "MATERIALS_MAIL_FROM": FROM})
    if port is not None:
        env.update({"MATERIALS_SMTP_HOST": "127.0.0.1", "MATERIALS_SMTP_PORT": str(port), "MATERIALS_SMTP_SECURITY": "none"})
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def send(proj: Path, port: int | None, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", "send", *args, "--jobs", "1"], cwd=proj,
                          env=env_for(proj, port, **extra), capture_output=True, text=True, timeout=300)


def ledger_of(proj: Path, slug: str) -> dict:
    return yaml.safe_load((proj / "municipalities" / "sent" / f"{slug}.yaml").read_text(encoding="utf-8"))


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def attachments(msg) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() if part.get_content_maintype() != "text"
            else part.get_payload(decode=True) for part in msg.iter_attachments()}


def parts(msg) -> list[tuple[str, str | None, bytes]]:
    """Every leaf part: its type, file name and decoded bytes."""
    return [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True)) for p in msg.walk() if not p.is_multipart()]


def events_of(ics: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(ics).walk("VEVENT")}


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 1, r.stdout + r.stderr
    # What went before the error ("sent <key> to <address>", one line per message) and one line.
    lines = [l for l in r.stderr.strip().split("\n") if l.strip() and not l.startswith("sent ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout and PASSWORD not in r.stderr + r.stdout
    return lines[0]


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# -- what the server receives --------------------------------------------------------------------

@pytest.mark.slow
def test_a_send_delivers_the_pack_and_every_invitation_in_dutch_once(proj, server):
    r = send(proj, server.port, "--municipality", "lindenhoven")
    assert r.returncode == 0, r.stderr
    assert "sent 6 of 6 messages" in r.stderr
    got = server.handler.messages()
    contact = "m.vandenberg@lindenhoven.example"
    assert [rcpt for _, rcpt, _ in server.handler.received] == [[contact]] * 6
    assert all(mail_from == "training@insidepolarisation.example" for mail_from, _, _ in server.handler.received)
    subjects = [m["Subject"] for m in got]
    assert subjects == [
        "Materialen bij het Polarisatiekader voor Gemeente Lindenhoven",
        "Uitnodiging voor de introductiebijeenkomst, 9 maart 2027 – Gemeente Lindenhoven",
        "Uitnodiging voor de training, groep 1, 6 april 2027 – Gemeente Lindenhoven",
        "Uitnodiging voor de training, groep 2, 13 april 2027 – Gemeente Lindenhoven",
        "Uitnodiging: Intervisiebijeenkomst, 8 juni 2027 – Gemeente Lindenhoven",
        "Uitnodiging: Intervisiebijeenkomst, 14 september 2027 – Gemeente Lindenhoven",
    ]
    pack = proj / "build" / "packs" / "lindenhoven-nl.zip"
    files = zip_files(pack)
    for m in got:
        assert m["Content-Language"] == "nl" and m["From"] == FROM
        text, html = m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content()
        assert text.startswith("Beste Marieke van den Berg,") and "Met vriendelijke groet," in text
        assert "Beste Marieke van den Berg," in html and '<html lang="nl">' in html
        assert "<script" not in html and "<style" not in html and "http" not in html.split("<body", 1)[1]
    cover = got[0]
    assert attachments(cover) == {"lindenhoven-nl.zip": pack.read_bytes()}
    text = cover.get_body(("plain",)).get_content()
    assert "dinsdag 6 april 2027, 09:00–16:00" in text and "Wijkcentrum De Linde" in text
    assert "Uitnodiging voor de training" in text and "uiterlijk 23 februari 2027" in text
    # The training invitation: its PDF as in the pack, and a calendar request for both sessions.
    invitation = attachments(got[2])
    assert invitation["invitation-training-group-1.pdf"] == files["lindenhoven-nl/invitation-training-group-1.pdf"]
    part = next(p for p in got[2].iter_attachments() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    cal = Calendar.from_ical(invitation["training-group-1.ics"])
    assert str(cal["METHOD"]) == "REQUEST"
    events = events_of(invitation["training-group-1.ics"])
    uid = "lindenhoven-training-day-group-1@polarisation-framework.materials"
    assert set(events) == {uid, "lindenhoven-in-depth-session-group-1@polarisation-framework.materials"}
    day = events[uid]
    assert int(day["SEQUENCE"]) == 0 and str(day["STATUS"]) == "CONFIRMED"
    assert day.decoded("DTSTART") == dt.datetime(2027, 4, 6, 9, 0, tzinfo=day.decoded("DTSTART").tzinfo)
    assert str(day["ATTENDEE"]) == f"mailto:{contact}" and str(day["ORGANIZER"]) == "mailto:training@insidepolarisation.example"
    # The pack's own calendar files carry the versions that were sent.
    assert int(events_of(files["lindenhoven-nl/calendar/training-day-group-1.ics"])[uid]["SEQUENCE"]) == 0
    assert events_of(files["lindenhoven-nl/calendar/training-day-group-1.ics"])[uid]["DTSTAMP"].to_ical() == day["DTSTAMP"].to_ical()
    # The ledger: every accepted message, with its Message-ID, recipient and the pack's sha256.
    ledger = ledger_of(proj, "lindenhoven")
    assert [m["key"] for m in ledger["messages"]] == ["nl/cover", "nl/invitation/introductory-meeting",
                                                      "nl/invitation/training-group-1", "nl/invitation/training-group-2",
                                                      "nl/invitation/intervision-meeting-1", "nl/invitation/intervision-meeting-2"]
    assert ledger["messages"][0]["pack"] == hashlib.sha256(pack.read_bytes()).hexdigest()
    assert [m["message_id"] for m in ledger["messages"]] == [m["Message-ID"] for m in got]
    assert ledger["sessions"][uid]["sequence"] == 0 and ledger["sessions"][uid]["date"] == "2027-04-06"
    # Nothing changed: nothing goes again, and it says so; --resend sends them all again.
    r = send(proj, server.port, "--municipality", "lindenhoven")
    assert r.returncode == 0 and "nothing to send" in r.stderr and len(server.handler.received) == 6
    assert pack.read_bytes() == b"".join([attachments(cover)["lindenhoven-nl.zip"]])  # the same pack, byte for byte
    r = send(proj, server.port, "--municipality", "lindenhoven", "--resend")
    assert r.returncode == 0 and len(server.handler.received) == 12


@pytest.mark.slow
def test_invitations_go_to_the_distribution_address_in_finnish(proj, server):
    edit(proj / "municipalities" / "koivulahti.yaml", lambda d: d.update(distribution="koulutus@koivulahti.example"))
    r = send(proj, server.port, "--municipality", "koivulahti", "--lang", "fi")
    assert r.returncode == 0, r.stderr
    rcpts = [rcpt for _, rcpt, _ in server.handler.received]
    assert rcpts == [["aino.virtanen@koivulahti.example"]] + [["koulutus@koivulahti.example"]] * 4
    got = server.handler.messages()
    assert got[0]["Subject"] == "Polarisaation viitekehyksen materiaalit: Koivulahden kaupunki"
    cover = got[0].get_body(("plain",)).get_content()
    assert cover.startswith("Hyvä Aino Virtanen,") and "koulutus@koivulahti.example" in cover
    assert "tiistai 16. maaliskuuta 2027" in cover and "Ystävällisin terveisin" in cover
    invitation = got[2]
    text = invitation.get_body(("plain",)).get_content()
    assert text.startswith("Hyvät kollegat,") and "Välittäkää" not in text  # nothing to forward
    assert "8.30–15.30" in text
    html = invitation.get_body(("html",)).get_content()
    assert '<html lang="fi">' in html and "Hyvät kollegat," in html
    ics = next(p.get_payload(decode=True) for p in invitation.iter_attachments() if p.get_content_type() == "text/calendar")
    for event in events_of(ics).values():
        assert str(event["ATTENDEE"]) == "mailto:koulutus@koivulahti.example"
        assert str(event["SUMMARY"]).split(" – ")[0] in ("Koulutuspäivä", "Syventävä jakso")


# -- each message once: a crash, a dropped connection ---------------------------------------------

@pytest.mark.slow
def test_a_send_killed_after_the_second_of_five_messages_sends_the_rest_on_rerun(proj, server):
    proc = {}

    def kill_on_third(n: int):
        if n == 3:  # the second message is accepted and recorded: the sender has moved on to the third
            os.killpg(proc["p"].pid, signal.SIGKILL)
            return "451 4.3.0 Going away"
        return None

    server.handler.on_mail = kill_on_third
    proc["p"] = subprocess.Popen([sys.executable, "-m", "invoke", "send", "--municipality", "koivulahti", "--lang", "fi",
                                  "--jobs", "1"], cwd=proj, env=env_for(proj, server.port), start_new_session=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc["p"].communicate(timeout=300)
    assert proc["p"].returncode == -signal.SIGKILL
    assert len(server.handler.received) == 2
    assert [m["key"] for m in ledger_of(proj, "koivulahti")["messages"]] == ["fi/cover", "fi/invitation/introductory-meeting"]
    server.handler.on_mail = None
    r = send(proj, server.port, "--municipality", "koivulahti", "--lang", "fi")
    assert r.returncode == 0, r.stderr
    assert "sent 3 of 5 messages" in r.stderr
    subjects = [m["Subject"] for m in server.handler.messages()]
    assert len(subjects) == 5 and len(set(subjects)) == 5  # each message exactly once
    assert len(ledger_of(proj, "koivulahti")["messages"]) == 5


@pytest.mark.slow
def test_a_server_that_drops_the_connection_after_two_leaves_a_true_ledger(proj, server):
    server.handler.on_mail = lambda n: "421 4.3.2 Service shutting down" if n == 3 else None
    r = send(proj, server.port, "--municipality", "koivulahti", "--lang", "fi")
    line = one_line_error(r)
    assert line == ("error: the mail server 127.0.0.1:%d stopped taking messages before fi/invitation/training-group-1 "
                    "(421 4.3.2 Service shutting down); 2 of 5 messages were sent and are in the ledger, run send "
                    "again for the rest" % server.port)
    assert len(server.handler.received) == 2 and len(ledger_of(proj, "koivulahti")["messages"]) == 2
    server.handler.on_mail = None
    r = send(proj, server.port, "--municipality", "koivulahti", "--lang", "fi")
    assert r.returncode == 0 and len(server.handler.received) == 5
    assert len({m["Subject"] for m in server.handler.messages()}) == 5


# -- calendars that follow changes ---------------------------------------------------------------

@pytest.mark.slow
def test_a_changed_date_resends_exactly_that_invitation_with_the_next_sequence(proj, server):
    assert send(proj, server.port, "--municipality", "heidebeek").returncode == 0
    assert len(server.handler.received) == 4
    first = server.handler.messages()
    uid_day = "heidebeek-training-day-group-1@polarisation-framework.materials"
    uid_deep = "heidebeek-in-depth-session-group-1@polarisation-framework.materials"
    before = events_of(attachments(first[2])["training-group-1.ics"])

    edit(proj / "municipalities" / "heidebeek.yaml", lambda d: d["training_groups"][0]["training_day"].update(date="2027-06-08"))
    r = send(proj, server.port, "--municipality", "heidebeek")
    assert r.returncode == 0, r.stderr
    again = server.handler.messages()[4:]
    # The invitation of the changed group, and the cover letter with the pack that now has the new date.
    assert [m["Subject"].split(":")[0] for m in again] == ["Bijgewerkt", "Bijgewerkt"]
    cover, invitation = again
    assert "training" in invitation["Subject"] and "8 juni 2027" in invitation["Subject"]
    assert "Wat er is veranderd" in cover.get_body(("plain",)).get_content()
    assert "dinsdag 8 juni 2027" in cover.get_body(("plain",)).get_content()
    after = events_of(attachments(invitation)["training-group-1.ics"])
    assert int(after[uid_day]["SEQUENCE"]) == int(before[uid_day]["SEQUENCE"]) + 1 == 1
    assert int(after[uid_deep]["SEQUENCE"]) == 0  # the in-depth session did not change
    assert after[uid_deep]["DTSTAMP"].to_ical() == before[uid_deep]["DTSTAMP"].to_ical()
    assert after[uid_day].decoded("DTSTART").date() == dt.date(2027, 6, 8)
    assert "sent 2 of 4 messages" in r.stderr and "2 unchanged since sent; recorded in municipalities/sent/heidebeek.yaml" in r.stderr
    assert "sent (changed: pack)" in r.stdout and "sent (changed: dates)" in r.stdout and r.stdout.count("already sent") == 2
    # A pack made now carries the version that was sent, byte for byte.
    packed = zip_files(proj / "build" / "packs" / "heidebeek-nl.zip")
    assert int(events_of(packed["heidebeek-nl/calendar/training-day.ics"])[uid_day]["SEQUENCE"]) == 1



@pytest.mark.slow
def test_a_session_gone_from_the_file_is_sent_as_cancelled(proj, server):
    # Two intervision meetings, then one: the second is cancelled.
    path = proj / "municipalities" / "heidebeek.yaml"
    edit(path, lambda d: d["intervision_meetings"].append({"date": "2027-11-09", "start": "14:00",
                                                           "venue": "Sociaal Huis Heidebeek",
                                                           "address": "Stationsstraat 8, 3600 Heidebeek"}))
    assert send(proj, server.port, "--municipality", "heidebeek").returncode == 0
    assert len(server.handler.received) == 5
    edit(path, lambda d: d["intervision_meetings"].pop())
    r = send(proj, server.port, "--municipality", "heidebeek")
    assert r.returncode == 0, r.stderr
    cover, cancel = server.handler.messages()[5:]
    assert cover["Subject"].startswith("Bijgewerkt: ")
    assert cancel["Subject"] == "Geannuleerd: Intervisiebijeenkomst – Gemeente Heidebeek"
    assert server.handler.received[-1][1] == ["pieter.claes@heidebeek.example"]
    ics = attachments(cancel)["intervision-meeting-2-cancelled.ics"]
    cal = Calendar.from_ical(ics)
    assert str(cal["METHOD"]) == "CANCEL"
    (uid, event), = events_of(ics).items()
    assert uid == "heidebeek-intervision-meeting-2@polarisation-framework.materials"
    assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CANCELLED"
    assert "dinsdag 9 november 2027" in cancel.get_body(("plain",)).get_content()
    assert ledger_of(proj, "heidebeek")["sessions"][uid]["cancelled"] is True
    r = send(proj, server.port, "--municipality", "heidebeek")
    assert r.returncode == 0 and "nothing to send" in r.stderr and len(server.handler.received) == 7


# -- the dry run ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_dry_run_writes_eml_files_that_parse_back_into_the_same_parts(proj):
    r = send(proj, None, "--municipality", "lindenhoven", "--dry-run", MATERIALS_MAIL_FROM=None)
    assert r.returncode == 0, r.stderr
    assert "dry run: 6 of 6 messages would go" in r.stderr and "nothing sent" in r.stderr
    assert "Uitnodiging voor de introductiebijeenkomst" in r.stdout and "lindenhoven-nl.zip" in r.stdout
    outbox = proj / "build" / "outbox" / "lindenhoven"
    names = sorted(p.name for p in outbox.iterdir())
    assert names == ["01-nl-cover.eml", "02-nl-invitation-introductory-meeting.eml", "03-nl-invitation-training-group-1.eml",
                     "04-nl-invitation-training-group-2.eml", "05-nl-invitation-intervision-meeting-1.eml",
                     "06-nl-invitation-intervision-meeting-2.eml"]
    files = zip_files(proj / "build" / "packs" / "lindenhoven-nl.zip")
    for name in names:
        raw = (outbox / name).read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        types = [p.get_content_type() for p in msg.walk()]
        assert types[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
        assert msg.get_body(("plain",)).get_content().startswith("Beste Marieke van den Berg,")
        again = email.message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
        assert parts(again) == parts(msg)  # written out again and parsed: the same parts
        assert [p[0] for p in parts(msg)][2:] == [p.get_content_type() for p in msg.iter_attachments()]
        for filename, data in attachments(msg).items():
            if filename.endswith((".pdf", ".zip")):
                member = f"lindenhoven-nl/{filename}"
                assert data == (files[member] if member in files else (proj / "build" / "packs" / filename).read_bytes())
            else:
                Calendar.from_ical(data)
    assert not (proj / "municipalities" / "sent" / "lindenhoven.yaml").exists()
    # --to-outbox: the same, into another folder; the earlier files there are replaced.
    other = proj.parent / "outbox"
    other.mkdir()
    (other / "09-stale.eml").write_bytes(b"old")
    r = send(proj, None, "--municipality", "lindenhoven", "--to-outbox", str(other))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in other.iterdir()) == names



def test_the_letters_read_right_a_single_session_in_the_singular_and_the_contact_the_texts_name(proj):
    """What a reader of the dry run's letters notices: an invitation to one session does not speak
    of "the sessions", and the cover letter's invitation texts, which send participants to "the
    contact person named under Contact", are followed by that Contact."""
    r = send(proj, None, "--municipality", "lindenhoven", "--dry-run", MATERIALS_MAIL_FROM=None)
    assert r.returncode == 0, r.stderr
    outbox = proj / "build" / "outbox" / "lindenhoven"
    bodies = {}
    for path in sorted(outbox.iterdir()):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        bodies[path.stem.split("-", 2)[2]] = (" ".join(msg.get_body(("plain",)).get_content().split()),
                                              msg.get_body(("html",)).get_content())
    for one in ("invitation-introductory-meeting", "invitation-intervision-meeting-1", "invitation-intervision-meeting-2"):
        text, _ = bodies[one]
        assert "zij de bijeenkomst in hun agenda" in text and "zet u de bijeenkomst in uw agenda" in text, one
        assert "bijeenkomsten in" not in text, one
    text, _ = bodies["invitation-training-group-1"]
    assert "zij de bijeenkomsten in hun agenda" in text and "zet u de bijeenkomsten in uw agenda" in text
    text, html = bodies["cover"]
    appendix = text.index("De teksten van de uitnodigingen")
    assert "onder Contact staat vermeld" in text[appendix:]
    assert text.index("Contact ------- Marieke van den Berg, Beleidsadviseur", appendix) > text.rindex("onder Contact staat")
    assert html.index(">Contact</h2>") > html.index(">De teksten van de uitnodigingen</h2>")


# -- STARTTLS with a throw-away certificate ------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    with Server(tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True) as s:
        yield s


@pytest.mark.slow
def test_starttls_and_login_with_a_throwaway_certificate(proj, tls_server, certificate):
    r = send(proj, tls_server.port, "--municipality", "heidebeek", MATERIALS_SMTP_SECURITY="starttls",
             MATERIALS_SMTP_CA_FILE=str(certificate[0]), MATERIALS_SMTP_USER="coordinator",
             MATERIALS_SMTP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert len(tls_server.handler.received) == 4 and PASSWORD not in r.stdout + r.stderr
    assert tls_server.handler.messages()[0]["Subject"] == "Materialen bij het Polarisatiekader voor Gemeente Heidebeek"


# -- bad input: one line, exit 1, the ledger unchanged ----------------------------------------------

def test_a_certificate_the_machine_does_not_trust_is_one_line(proj, tls_server):
    r = send(proj, tls_server.port, "--municipality", "heidebeek", MATERIALS_SMTP_SECURITY="starttls",
             MATERIALS_SMTP_USER="coordinator", MATERIALS_SMTP_PASSWORD=PASSWORD)
    line = one_line_error(r)
    assert "has a certificate this machine does not trust" in line and "MATERIALS_SMTP_CA_FILE" in line
    assert "nothing was sent" in line and not (proj / "municipalities" / "sent" / "heidebeek.yaml").exists()


def test_a_refused_login_is_one_line_without_the_password(proj, tls_server, certificate):
    r = send(proj, tls_server.port, "--municipality", "heidebeek", MATERIALS_SMTP_SECURITY="starttls",
             MATERIALS_SMTP_CA_FILE=str(certificate[0]), MATERIALS_SMTP_USER="coordinator",
             MATERIALS_SMTP_PASSWORD="wrong-" + PASSWORD)
    line = one_line_error(r)
    assert "refused the login of user 'coordinator' (535" in line and "MATERIALS_SMTP_PASSWORD" in line
    assert "wrong-" not in line and not tls_server.handler.received
    assert not (proj / "municipalities" / "sent" / "heidebeek.yaml").exists()


@pytest.mark.parametrize("extra, expected", [
    ({"MATERIALS_MAIL_FROM": None}, "error: MATERIALS_MAIL_FROM is not set"),
    ({"MATERIALS_MAIL_FROM": "training at insidepolarisation"}, "error: MATERIALS_MAIL_FROM: expected an address"),
    ({"MATERIALS_SMTP_HOST": None}, "error: MATERIALS_SMTP_HOST is not set"),
    ({"MATERIALS_SMTP_HOST": "mail.no-such-host.invalid", "MATERIALS_SMTP_SECURITY": "starttls"},
     "error: MATERIALS_SMTP_HOST: cannot find the mail server 'mail.no-such-host.invalid'"),
    ({"MATERIALS_SMTP_HOST": "smtp.insidepolarisation.example"}, "error: MATERIALS_SMTP_SECURITY: none sends the password"),
    ({"MATERIALS_SMTP_SECURITY": "tls13"}, "error: MATERIALS_SMTP_SECURITY: expected starttls, ssl or none, got 'tls13'"),
    ({"MATERIALS_SMTP_PORT": "http"}, "error: MATERIALS_SMTP_PORT: expected a port number"),
    ({"MATERIALS_SMTP_USER": "coordinator"}, "error: MATERIALS_SMTP_PASSWORD is not set"),
    ({"MATERIALS_SMTP_PORT": "CLOSED"}, "connection refused; check MATERIALS_SMTP_HOST and MATERIALS_SMTP_PORT; nothing was sent"),
])
def test_each_bad_setting_is_one_line(proj, extra, expected):
    if extra.get("MATERIALS_SMTP_PORT") == "CLOSED":
        extra = {**extra, "MATERIALS_SMTP_PORT": str(free_port())}
    r = send(proj, 2525, "--municipality", "heidebeek", **extra)
    assert expected in one_line_error(r)
    assert not (proj / "municipalities" / "sent").exists() or not list((proj / "municipalities" / "sent").glob("*.yaml"))
    assert not (proj / "build" / "packs").exists()  # refused before a pack was made


def test_a_credentials_file_inside_the_project_is_refused(proj):
    inside = proj / "smtp.env"
    inside.write_text(f"MATERIALS_SMTP_PASSWORD={PASSWORD}\n", encoding="utf-8")
    r = send(proj, 2525, "--municipality", "heidebeek", MATERIALS_SMTP_CREDENTIALS=str(inside))
    assert "error: smtp.env: MATERIALS_SMTP_CREDENTIALS: a credentials file must be outside the project" in one_line_error(r)


def test_a_credentials_file_adds_to_the_environment_and_must_be_private(proj, server):
    outside = proj.parent / "config" / "polarisation-materials" / "smtp.env"
    outside.parent.mkdir(parents=True)
    outside.write_text(f"# the relay\nMATERIALS_SMTP_USER=coordinator\nMATERIALS_SMTP_PASSWORD='{PASSWORD}'\n", encoding="utf-8")
    outside.chmod(0o644)
    r = send(proj, server.port, "--municipality", "heidebeek")
    line = one_line_error(r)
    assert f"{outside}: holds a password but others may read it (mode 644); run chmod 600" in line
    outside.write_text("MATERIALS_SMTP_PASWORD=x\n", encoding="utf-8")
    outside.chmod(0o600)
    line = one_line_error(send(proj, server.port, "--municipality", "heidebeek"))
    assert f"{outside}:1: expected KEY=VALUE with one of MATERIALS_SMTP_HOST" in line


@pytest.mark.slow
def test_a_refused_address_names_the_municipality_file_and_line(proj, server):
    server.handler.refuse.add("pieter.claes@heidebeek.example")
    r = send(proj, server.port, "--municipality", "heidebeek")
    line = one_line_error(r)
    assert line.startswith("error: municipalities/heidebeek.yaml:9: contact.email: the mail server refused the address "
                           "pieter.claes@heidebeek.example (550 5.1.1 No such mailbox here); nothing was sent")
    assert not (proj / "municipalities" / "sent" / "heidebeek.yaml").exists()


def test_an_invalid_address_in_the_municipality_file_is_refused_before_anything(proj, server):
    edit(proj / "municipalities" / "heidebeek.yaml", lambda d: d.update(distribution="training-at-heidebeek"))
    line = one_line_error(send(proj, server.port, "--municipality", "heidebeek"))
    assert "municipalities/heidebeek.yaml:" in line and "distribution: expected an email address" in line
    assert server.handler.mails == 0


@pytest.mark.slow
def test_a_message_over_the_servers_size_limit_is_refused_before_the_first_goes(proj):
    with Server(data_size_limit=400_000) as small:
        r = send(proj, small.port, "--municipality", "heidebeek")
        line = one_line_error(r)
        assert re.search(r"nl/cover: the message is \d+\.\d MB", line) and "accepts at most 0.4 MB" in line
        assert "MATERIALS_MAIL_MAX_ATTACHMENT" in line and "nothing was sent" in line
        assert small.handler.mails == 0 and not (proj / "municipalities" / "sent" / "heidebeek.yaml").exists()
        # Named instead of attached: the cover letter says so, and everything goes.
        r = send(proj, small.port, "--municipality", "heidebeek", MATERIALS_MAIL_MAX_ATTACHMENT="0.3")
        assert r.returncode == 0, r.stderr
        cover = small.handler.messages()[0]
        assert not list(cover.iter_attachments())
        assert "heidebeek-nl.zip" in cover.get_body(("plain",)).get_content()
        assert "te groot om per e-mail te versturen" in cover.get_body(("plain",)).get_content()


def test_a_pack_refused_by_check_sends_nothing(proj, server):
    po = proj / "locale" / "nl" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "Met vriendelijke groet,"', 'msgstr ""'), encoding="utf-8")
    r = send(proj, server.port, "--municipality", "heidebeek")
    line = one_line_error(r) if r.stderr.count("\n") <= 1 else r.stderr
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "locale/nl/LC_MESSAGES/messages.po:" in line and "Kind regards," in line
    assert server.handler.mails == 0 and not (proj / "build" / "packs").exists()


def test_a_malformed_ledger_names_its_line(proj, server):
    sent = proj / "municipalities" / "sent"
    sent.mkdir(exist_ok=True)
    (sent / "heidebeek.yaml").write_text("municipality: heidebeek\nmessages:\n  - key: nl/cover\n    to: []\n",
                                         encoding="utf-8")
    r = send(proj, server.port, "--municipality", "heidebeek")
    lines = r.stderr.strip().split("\n")  # one line per problem of the file, each with its line
    assert r.returncode == 1 and lines[0] == "error: municipalities/sent/heidebeek.yaml:4: messages[0].to: expected at least one item, got []"
    assert "municipalities/sent/heidebeek.yaml:3: messages[0].content: missing; it is required" in lines
    assert server.handler.mails == 0 and "Traceback" not in r.stderr


# -- the rules of calendar versions and time zones, in-process -------------------------------------

def test_versions_follow_the_ledger(tmp_path):
    from materials.packs.ics import stamp_time
    from materials.packs.ledger import Ledger, read

    ledger = Ledger(tmp_path, "x")
    place = ("2027-04-06", "09:00", "16:00", "Wijkcentrum De Linde", "Lindelaan 24")
    sent_at = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
    # Never sent: SEQUENCE 0 at the fixed time (a pack alone), or at the send's time.
    assert ledger.version("u", "training-group-1", "training-day", place, None).stamp == stamp_time()
    v0 = ledger.version("u", "training-group-1", "training-day", place, sent_at)
    assert (v0.sequence, v0.stamp) == (0, sent_at)
    ledger.record({"key": "nl/cover", "to": ["a@b.example"], "subject": "s", "message_id": "<m@b.example>",
                   "content": "0" * 64, "sent": "2026-12-01T10:00:00Z"}, {"u": v0})
    ledger = read(tmp_path, "x")  # what was written reads back the same
    assert ledger.sessions["u"] == v0
    later = dt.datetime(2027, 1, 5, 8, 0, tzinfo=dt.timezone.utc)
    assert ledger.version("u", "training-group-1", "training-day", place, later) == v0  # unchanged: as sent
    moved = ("2027-04-13",) + place[1:]
    v1 = ledger.version("u", "training-group-1", "training-day", moved, later)
    assert (v1.sequence, v1.stamp) == (1, later)
    # A pack made before the change is sent: the next SEQUENCE, and the time of the version before it.
    assert (ledger.version("u", "training-group-1", "training-day", moved, None).sequence,
            ledger.version("u", "training-group-1", "training-day", moved, None).stamp) == (1, sent_at)
    gone = ledger.cancelled(set(), later)["u"]
    assert (gone.sequence, gone.cancelled, gone.stamp) == (1, True, later)


def test_the_time_zone_comes_from_the_zone_database_and_covers_the_events():
    from zoneinfo import ZoneInfo

    from materials.packs.ics import CalendarEvent, calendar

    zone = ZoneInfo("Europe/Amsterdam")
    events = [CalendarEvent(f"u{n}", dt.datetime(*d, 9, 0, tzinfo=zone), dt.datetime(*d, 16, 0, tzinfo=zone), "S", "L", "D", "nl")
              for n, d in enumerate([(2027, 3, 9), (2027, 11, 9)])]
    cal = Calendar.from_ical(calendar(events))
    (tz,) = cal.walk("VTIMEZONE")
    hours = lambda n: dt.timedelta(hours=n)  # noqa: E731
    observances = [(c.name, c["DTSTART"].to_ical(), c.decoded("TZOFFSETFROM"), c.decoded("TZOFFSETTO"), str(c["TZNAME"]))
                   for c in tz.subcomponents]
    # In force on 9 March 2027: winter time since 25 October 2026; then the two changes of 2027.
    assert observances == [("STANDARD", b"20261025T030000", hours(2), hours(1), "CET"),
                           ("DAYLIGHT", b"20270328T020000", hours(1), hours(2), "CEST"),
                           ("STANDARD", b"20271031T030000", hours(2), hours(1), "CET")]
    assert "COMMENT" not in tz
    # Parsed back with its own VTIMEZONE, each event is at the right instant.
    starts = [e.decoded("DTSTART").astimezone(dt.timezone.utc).hour for e in cal.walk("VEVENT")]
    assert starts == [8, 8]
