"""Mail: the outbox, a real SMTP server, retries, TLS and logins, the demo's .eml files."""
from __future__ import annotations

import email
import gc
import threading
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.config import Settings, SettingsError, load_settings
from idp.directory.slapd import free_port
from idp.outbound import Outbound, OutboxMessage, retry_delay
from idp.outbound.mail import TEMPLATES, template_names
from idp.store import Store
from tests.outbound.conftest import (
    RESET,
    SMTP_PASSWORD,
    SMTP_USER,
    Certificates,
    Logins,
    SmtpServers,
    change,
    make_due,
    row,
)
from tests.typography import faults, html_faults

CONTEXTS = {
    "password_reset": RESET,
    "password_changed": {"given_name": "Danièle", "when": "12/09/2026 à 10:02"},
    "login_reminder": {"given_name": "Danièle", "login": "daniele.adams"},
    "help_received": {"reference": "AB12CD", "name": "Danièle Adams"},
    "help_notification": {"reference": "AB12CD", "parent_name": "Danièle Adams", "parent_email": "d@example.fr",
                          "parent_phone": "+33612345678", "child_name": "Léo Adams", "child_class": "4e B",
                          "school_name": "Collège Les Tilleuls", "problem": "Lettre d’activation perdue",
                          "message": "Bonjour,\nje n’ai jamais reçu <la> lettre.",
                          "link": "https://ent77.example.fr/aide/AB12CD"},
    "help_answer": {"reference": "AB12CD", "name": "Danièle Adams", "answer": "Bonjour,\nvoici votre code."},
    "email_changed": {"given_name": "Danièle", "old_email": "old@example.fr", "new_email": "new@example.fr"},
    "email_confirm": {"given_name": "Danièle", "login": "daniele.adams", "expires_minutes": 60,
                      "link": "https://ent77.example.fr/compte/courriel/confirmer?jeton=abc"},
}


def parse(content: bytes) -> EmailMessage:
    message = email.message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def smtp_settings(base: Settings, url: str) -> Settings:
    return base.with_changes(smtp_url=url)


# Templates

def test_every_template_has_both_languages_text_and_html() -> None:
    assert sorted(CONTEXTS) == template_names()
    for name in template_names():
        files = sorted(path.name for path in (TEMPLATES / "mail" / name).iterdir())
        assert files == ["body.en.html", "body.en.txt", "body.fr.html", "body.fr.txt", "subject.en.txt",
                         "subject.fr.txt"], name


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_template_renders_with_its_documented_context(name: str, base_settings: Settings) -> None:
    from idp.outbound.mail import render
    for locale in ("fr", "en"):
        rendered = render(base_settings, name, CONTEXTS[name], locale)
        assert rendered.subject and "\n" not in rendered.subject
        assert "https://ent77.example.fr" in rendered.text  # portal_url
        assert f'<html lang="{locale}">' in rendered.html
        assert "ENT 77" in rendered.text and "ENT 77" in rendered.html
    french = render(base_settings, name, CONTEXTS[name], "fr")
    assert "L’équipe de l’ENT 77" in french.text and "L’équipe de l’ENT 77" in french.html


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_french_mails_follow_french_typography(name: str, base_settings: Settings) -> None:
    from idp.outbound.mail import render
    french = render(base_settings, name, CONTEXTS[name], "fr")
    assert not faults(french.subject) + faults(french.text) + html_faults(french.html)


def test_html_is_escaped_and_text_is_not(base_settings: Settings) -> None:
    from idp.outbound.mail import render
    rendered = render(base_settings, "help_notification", CONTEXTS["help_notification"], "fr")
    assert "je n’ai jamais reçu <la> lettre." in rendered.text
    assert "&lt;la&gt;" in rendered.html and "<la>" not in rendered.html
    assert rendered.subject == "Demande d’aide n° AB12CD\u00a0: Léo Adams (4e B)"


def test_unknown_template_missing_key_or_bad_address_store_nothing(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(base_settings.with_changes(demo=True), store)
    with pytest.raises(ValueError, match="inconnu"):
        outbound.mail("d@example.fr", "nope", {})
    with pytest.raises(ValueError, match="link"):
        outbound.mail("d@example.fr", "password_reset", {"given_name": "D", "expires_minutes": 5})
    for address in ("pas une adresse", "a@b.fr\r\nBcc: x@y.fr", "A <a@b.fr>", "a@b.fr, c@d.fr"):
        with pytest.raises(ValueError, match="adresse"):
            outbound.mail(address, "password_reset", RESET)
    with Session(store.engine) as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_bad_smtp_url_or_sender_is_a_settings_error(base_settings: Settings, store: Store) -> None:
    for url in ("http://mail.example.fr", "smtp://", "smtp://mail.example.fr:port"):
        with pytest.raises(SettingsError, match="smtp_url"):
            Outbound(base_settings.with_changes(smtp_url=url), store)
    with pytest.raises(SettingsError, match="mail_from"):
        Outbound(base_settings.with_changes(mail_from="personne"), store)


# SMTP

def test_mail_reaches_the_server_in_french_and_english_with_both_parts_and_headers(
        base_settings: Settings, store: Store, smtp_servers: SmtpServers) -> None:
    inbox, port = smtp_servers.start()
    outbound = Outbound(smtp_settings(base_settings, f"smtp://127.0.0.1:{port}"), store)

    first = outbound.mail("daniele@example.fr", "password_reset", RESET)
    second = outbound.mail("daniele@example.fr", "password_reset", RESET, locale="en")

    assert first != second and len(inbox.messages) == 2
    assert row(store, first).status == "sent" and row(store, first).attempts == 1
    received = inbox.messages[0]
    assert received.mail_from == "ne-pas-repondre@ent77.example.fr"
    assert received.rcpt_tos == ["daniele@example.fr"]
    french, english = parse(received.content), parse(inbox.messages[1].content)
    assert french["Subject"] == "Réinitialisation de votre mot de passe"
    assert english["Subject"] == "Resetting your password"
    assert french["From"] == "ENT 77 <ne-pas-repondre@ent77.example.fr>"
    assert french["To"] == "daniele@example.fr"
    assert french["Date"] and french["Message-ID"].endswith("@ent77.example.fr>")
    assert french["Message-ID"] != english["Message-ID"]
    assert french["Auto-Submitted"] == "auto-generated"
    assert (french["Content-Language"], english["Content-Language"]) == ("fr", "en")
    text, html = parts(french)
    assert RESET["link"] in text and "60 minutes" in text and "une seule fois" in text
    assert "votre mot de passe n’a pas été modifié" in text
    assert 'href="https://ent77.example.fr/mot-de-passe/nouveau?jeton=abc&amp;x=1"' in html
    english_text, english_html = parts(english)
    assert "only once" in english_text and '<html lang="en">' in english_html
    assert outbound.pending() == []


def test_server_down_queues_then_delivers_once(base_settings: Settings, store: Store,
                                               smtp_servers: SmtpServers) -> None:
    port = free_port()  # nothing listens there yet
    outbound = Outbound(smtp_settings(base_settings, f"smtp://127.0.0.1:{port}"), store)
    before = int(time.time())
    ids = [outbound.mail(f"parent{n}@example.fr", "login_reminder", CONTEXTS["login_reminder"]) for n in range(5)]

    first = row(store, ids[0])
    assert first.status == "queued" and first.attempts == 1
    assert "injoignable" in (first.last_error or "") and f"127.0.0.1:{port}" in (first.last_error or "")
    assert before + 60 <= first.next_attempt_at <= int(time.time()) + 60
    listed = outbound.pending()
    assert [m["id"] for m in listed] == ids and listed[0]["status"] == "queued"
    assert set(listed[0]) >= {"id", "to", "subject", "attempts", "next_attempt_at", "last_error", "status"}
    assert outbound.deliver_due() == {"sent": 0, "failed": 0, "waiting": 5}  # not due yet

    inbox, _ = smtp_servers.start(port)
    for message_id in ids:
        make_due(store, message_id)
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:  # four "processes": each its own engine on the same database
        other = Store(store.url)
        try:
            barrier.wait()
            results.append(Outbound(outbound.settings, other).deliver_due())
        finally:
            other.dispose()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(result["sent"] for result in results) == 5
    assert sorted(m.rcpt_tos[0] for m in inbox.messages) == [f"parent{n}@example.fr" for n in range(5)]
    for message_id in ids:
        sent = row(store, message_id)
        assert sent.status == "sent" and sent.attempts == 2 and sent.last_error is None and sent.sent_at
    assert outbound.deliver_due() == {"sent": 0, "failed": 0, "waiting": 0}
    assert len(inbox.messages) == 5


def test_a_down_server_stops_the_round_early(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(smtp_settings(base_settings, f"smtp://127.0.0.1:{free_port()}"), store)
    ids = [outbound.mail("d@example.fr", "login_reminder", CONTEXTS["login_reminder"]) for _ in range(3)]
    for message_id in ids:
        make_due(store, message_id)
    assert outbound.deliver_due() == {"sent": 0, "failed": 0, "waiting": 3}
    assert [row(store, message_id).attempts for message_id in ids] == [2, 1, 1]


def test_back_off_schedule_then_failed_after_three_days(base_settings: Settings, store: Store) -> None:
    assert [retry_delay(n) for n in range(1, 10)] == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    outbound = Outbound(smtp_settings(base_settings, f"smtp://127.0.0.1:{free_port()}"), store)
    message_id = outbound.mail("d@example.fr", "password_changed", CONTEXTS["password_changed"])
    for attempts, delay in ((1, 60), (2, 120), (3, 240), (4, 480)):
        queued = row(store, message_id)
        assert queued.attempts == attempts and queued.status == "queued"
        assert abs(queued.next_attempt_at - int(time.time()) - delay) <= 2
        make_due(store, message_id)
        outbound.deliver_due()
    change(store, message_id, created_at=int(time.time()) - 3 * 86400 - 1, next_attempt_at=0)
    assert outbound.deliver_due() == {"sent": 0, "failed": 1, "waiting": 0}
    failed = row(store, message_id)
    assert failed.status == "failed" and "injoignable" in (failed.last_error or "")
    assert outbound.pending()[0]["status"] == "failed"


def test_a_refused_address_fails_at_once(base_settings: Settings, store: Store, smtp_servers: SmtpServers) -> None:
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 5.1.1 No such user"

    from aiosmtpd.controller import Controller
    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    smtp_servers.running.append(controller)
    outbound = Outbound(smtp_settings(base_settings, f"smtp://127.0.0.1:{port}"), store)
    failed = row(store, outbound.mail("nobody@example.fr", "login_reminder", CONTEXTS["login_reminder"]))
    assert failed.status == "failed" and "550" in (failed.last_error or "")


def test_starttls_and_login(base_settings: Settings, store: Store, smtp_servers: SmtpServers,
                            certificates: Certificates) -> None:
    logins = Logins()
    inbox, port = smtp_servers.start(tls_context=certificates.server_context, require_starttls=True,
                                     authenticator=logins, auth_required=True)
    user, password = SMTP_USER.replace("@", "%40"), "s3cr%C3%A8t%3A%2F%40mot"  # percent-encoded in the URL
    settings = smtp_settings(base_settings, f"smtp+starttls://{user}:{password}@127.0.0.1:{port}")

    sent = Outbound(settings, store, ssl_context=certificates.client_context())
    assert row(store, sent.mail("d@example.fr", "help_received", CONTEXTS["help_received"])).status == "sent"
    assert len(inbox.messages) == 1 and logins.accepted == [SMTP_USER]

    untrusted = Outbound(settings, store)  # the system's authorities do not know the test one
    queued = row(store, untrusted.mail("d@example.fr", "help_received", CONTEXTS["help_received"]))
    assert queued.status == "queued" and "CERTIFICATE_VERIFY_FAILED" in (queued.last_error or "")

    wrong = smtp_settings(base_settings, f"smtp+starttls://{user}:faux@127.0.0.1:{port}")
    refused = row(store, Outbound(wrong, store, ssl_context=certificates.client_context())
                  .mail("d@example.fr", "help_received", CONTEXTS["help_received"]))
    assert refused.status == "queued" and "identifiants refusés" in (refused.last_error or "")
    assert "faux" not in (refused.last_error or "") and SMTP_PASSWORD not in (refused.last_error or "")
    assert len(inbox.messages) == 1


def test_implicit_tls_with_login(base_settings: Settings, store: Store, smtp_servers: SmtpServers,
                                 certificates: Certificates) -> None:
    logins = Logins()  # aiosmtpd sees TLS only after STARTTLS: AUTH is allowed, not required here
    inbox, port = smtp_servers.start(ssl_context=certificates.server_context, authenticator=logins,
                                     auth_require_tls=False)
    settings = smtp_settings(base_settings,
                             f"smtps://robot%40ent77.example.fr:s3cr%C3%A8t%3A%2F%40mot@127.0.0.1:{port}")
    outbound = Outbound(settings, store, ssl_context=certificates.client_context())
    message_id = outbound.mail("d@example.fr", "help_answer", CONTEXTS["help_answer"], locale="en")
    assert row(store, message_id).status == "sent" and logins.accepted == [SMTP_USER]
    text, _ = parts(parse(inbox.messages[0].content))
    assert "Bonjour,\nvoici votre code." in text and "answered" in text


def test_plain_smtp_with_login(base_settings: Settings, store: Store, smtp_servers: SmtpServers) -> None:
    logins = Logins()
    inbox, port = smtp_servers.start(authenticator=logins, auth_require_tls=False)
    settings = smtp_settings(base_settings,
                             f"smtp://robot%40ent77.example.fr:s3cr%C3%A8t%3A%2F%40mot@127.0.0.1:{port}")
    assert row(store, Outbound(settings, store).mail("d@example.fr", "email_changed",
                                                     CONTEXTS["email_changed"])).status == "sent"
    assert len(inbox.messages) == 1 and logins.accepted == [SMTP_USER]


# Without a server

def test_demo_without_smtp_writes_eml_files(tmp_path: Path, store: Store) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('demo = true\noutbox_dir = "boite"\nissuer = "http://127.0.0.1:5000"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    outbound = Outbound(settings, store)

    message_id = outbound.mail("d@example.fr", "password_reset", RESET)

    path = tmp_path / "boite" / f"{message_id}-password_reset.eml"
    assert row(store, message_id).status == "sent"
    message = parse(path.read_bytes())
    assert message["Subject"] == "Réinitialisation de votre mot de passe" and message["To"] == "d@example.fr"
    assert message["Auto-Submitted"] == "auto-generated" and message["Content-Language"] == "fr"
    text, html = parts(message)
    assert RESET["link"] in text and "Choisir un nouveau mot de passe" in html
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_outside_demo_without_smtp_mail_waits(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(base_settings, store)
    message_id = outbound.mail("d@example.fr", "login_reminder", CONTEXTS["login_reminder"])
    queued = row(store, message_id)
    assert queued.status == "queued"
    assert queued.last_error == "aucun serveur de courrier configuré (smtp_url)"
    assert not Path(base_settings.outbox_dir).exists()


def test_bodies_of_sent_messages_are_purged_after_a_day(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(base_settings.with_changes(demo=True), store)
    old, recent = (outbound.mail("d@example.fr", "password_reset", RESET) for _ in range(2))
    change(store, old, sent_at=int(time.time()) - 86400 - 1)
    waiting = Outbound(base_settings, store).mail("d@example.fr", "password_reset", RESET)
    change(store, waiting, created_at=int(time.time()) - 2 * 86400)

    outbound.deliver_due()

    purged = row(store, old)
    assert purged.text_body is None and purged.html_body is None
    assert purged.subject == "Réinitialisation de votre mot de passe" and purged.status == "sent"
    assert RESET["link"] in (row(store, recent).text_body or "")
    assert RESET["link"] in (row(store, waiting).text_body or "")  # not sent yet: kept


def test_a_claim_left_by_a_dead_process_is_given_back(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(base_settings, store)
    message_id = outbound.mail("d@example.fr", "login_reminder", CONTEXTS["login_reminder"])
    change(store, message_id, status="sending", claimed_at=int(time.time()) - 3600)
    demo = Outbound(base_settings.with_changes(demo=True), store)
    assert demo.deliver_due() == {"sent": 1, "failed": 0, "waiting": 0}
    assert row(store, message_id).status == "sent"


# Background sender

def test_background_sender_retries_and_survives_errors(base_settings: Settings, store: Store,
                                                       smtp_servers: SmtpServers,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    outbound = Outbound(smtp_settings(base_settings, f"smtp://127.0.0.1:{port}"), store)
    message_id = outbound.mail("d@example.fr", "login_reminder", CONTEXTS["login_reminder"])
    real, calls = outbound.deliver_due, []

    def flaky() -> dict[str, int]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("base de données indisponible")
        return real()

    outbound.deliver_due = flaky  # type: ignore[method-assign]
    inbox, _ = smtp_servers.start(port)
    make_due(store, message_id)
    try:
        outbound.start_background_sender(every_seconds=0.05)
        sender = outbound._sender
        outbound.start_background_sender(every_seconds=0.05)
        assert outbound._sender is sender and sender is not None and sender.daemon
        deadline = time.monotonic() + 10
        while row(store, message_id).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        outbound.stop_background_sender()
    assert row(store, message_id).status == "sent" and len(inbox.messages) == 1
    assert "base de données indisponible" in caplog.text
    assert sender is not None and not sender.is_alive()


def test_background_sender_ends_with_its_outbound(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(base_settings, store)
    outbound.start_background_sender(every_seconds=0.02)
    sender = outbound._sender
    assert sender is not None
    del outbound
    gc.collect()
    sender.join(10)
    assert not sender.is_alive()
