"""Lost password and lost login (guide R1, R2; SECURITY.md 5, 9, 11, 12, 27), with a real
SMTP server and the real slapd."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from idp.app import create_app
from idp.config import Settings
from idp.directory import AccountState, Directory, InvalidCredentials
from idp.directory.slapd import free_port
from idp.provisioning.codes import normalize_typed_code
from idp.services import services
from idp.store import ResetToken
from tests.conftest import TEST_LOCKOUT, eventually, tasks_done
from tests.flows.conftest import (
    PASSWORD,
    Mailbox,
    SmtpServer,
    command,
    csrf_token,
    new_active,
    new_pending,
    reset_by_command,
    sign_in,
)

NEW_PASSWORD = "Marronnier2027"


@pytest.fixture
def mailbox(smtp: SmtpServer) -> tuple[Mailbox, int]:
    smtp.start()
    return smtp.mailbox, smtp.port


@pytest.fixture
def app(settings: Settings, mailbox: tuple[Mailbox, int], tmp_path: Path) -> Flask:
    return create_app(settings.with_changes(smtp_url=f"smtp://127.0.0.1:{mailbox[1]}",
                                            sms_gateway=f"file://{tmp_path / 'sms'}"))


def ask(client: FlaskClient, who: str, channel: str = "mail"):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/mot-de-passe-oublie").text)
    return client.post("/mot-de-passe-oublie", data={"csrf_token": token, "who": who, "channel": channel})


def reset_links(mailbox: Mailbox, address: str) -> list[str]:
    return [found.group(0) for body in mailbox.text_to(address)
            if (found := re.search(r"https?://\S+/mot-de-passe-oublie/nouveau\?jeton=[\w-]+", body))]


def reset_link(mailbox: Mailbox, address: str, count: int = 1) -> str:
    """The last reset link mailed to `address`, once `count` of them arrived (they are sent in the background)."""
    return eventually(lambda: len(reset_links(mailbox, address)) >= count and reset_links(mailbox, address))[-1]


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def choose(client: FlaskClient, link: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get(path_of(link))
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    return client.post("/mot-de-passe-oublie/nouveau", data={"csrf_token": csrf_token(page.text), "token": token,
                                                            "password": password, "confirmation": password})


def test_R1_reset_by_mail_signs_in_with_the_new_password(client: FlaskClient, directory: Directory,
                                                         mailbox: tuple[Mailbox, int], unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    assert ask(client, login).status_code == 200
    link = reset_link(mailbox[0], "d@example.fr")
    for _ in range(2):  # a mail scanner opens the link: nothing is used up
        assert client.get(path_of(link)).status_code == 200
    response = choose(client, link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/accueil")
    assert "Votre mot de passe a été modifié." in client.get("/accueil").text
    assert directory.verify(login, NEW_PASSWORD).login == login
    with pytest.raises(InvalidCredentials):
        directory.verify(login, PASSWORD)
    assert any("mot de passe" in text.lower() for text in mailbox[0].text_to("d@example.fr")[1:])  # notified
    assert not any(NEW_PASSWORD in text for text in mailbox[0].text_to("d@example.fr"))  # never mailed
    used = client.get(path_of(link))
    assert used.status_code == 400 and "n’est plus valable" in used.text  # single use


def test_recovery_gives_the_same_answer_for_unknown_logins(client: FlaskClient, directory: Directory,
                                                           unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    known, unknown = ask(client, login), ask(client, "nobody.at-all")
    assert known.status_code == unknown.status_code == 200
    assert re.sub(r'value="[^"]*"', "", known.text) == re.sub(r'value="[^"]*"', "", unknown.text)


def test_reset_unlocks_and_ends_every_other_session(app: Flask, directory: Directory,
                                                    mailbox: tuple[Mailbox, int], unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    elsewhere = app.test_client()
    sign_in(elsewhere, login, PASSWORD)
    assert elsewhere.get("/accueil").status_code == 200
    for _ in range(TEST_LOCKOUT.max_failures):
        sign_in(app.test_client(), login, "Wrong-password-1")
    assert directory.get(login).state is AccountState.LOCKED
    browser = app.test_client()
    ask(browser, login)
    assert choose(browser, reset_link(mailbox[0], "d@example.fr")).status_code == 302
    assert directory.get(login).state is AccountState.ACTIVE
    assert elsewhere.get("/accueil").status_code == 302  # the other browser was signed out


def test_expired_link_is_refused(app: Flask, client: FlaskClient, directory: Directory,
                                 mailbox: tuple[Mailbox, int], unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    ask(client, login)
    link = reset_link(mailbox[0], "d@example.fr")
    with app.app_context():
        db = services().store.session
        db.execute(update(ResetToken).where(ResetToken.login == login).values(expires_at=1))
        db.commit()
    page = client.get(path_of(link))
    assert page.status_code == 400 and "n’est plus valable" in page.text


def test_pending_account_is_pointed_to_its_letter(app: Flask, client: FlaskClient, directory: Directory,
                                                  mailbox: tuple[Mailbox, int], unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    page = ask(client, created.login)
    assert "code d’activation de la lettre" in page.text and "Problème de connexion parents" in page.text
    tasks_done(app)
    assert mailbox[0].messages == []


def test_R2_sms_code_after_three_wrong_codes_is_burnt(client: FlaskClient, directory: Directory,
                                                      tmp_path: Path, unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    from ldap3 import MODIFY_REPLACE
    directory._link.run(lambda c: c.modify(directory.dn_of(login),  # noqa: SLF001
                                           {"entidpRecoveryMobile": [(MODIFY_REPLACE, ["+33612345678"])]}))
    page = client.get(ask(client, login, "sms").headers["Location"])
    assert "un code à 6 chiffres vient de lui être envoyé" in page.text and "••" not in page.text
    code = re.search(r"\b(\d{6})\b", sms_to(tmp_path).read_text()).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        response = client.post("/mot-de-passe-oublie/code", data={"csrf_token": csrf_token(page.text), "code": wrong})
        assert response.status_code == 400 and "Code incorrect" in response.text
    response = client.post("/mot-de-passe-oublie/code", data={"csrf_token": csrf_token(page.text), "code": code})
    assert response.status_code == 400  # three attempts: the right code no longer works
    for old in (tmp_path / "sms").iterdir():
        old.unlink()
    page = client.get(ask(client, login, "sms").headers["Location"])
    code = re.search(r"\b(\d{6})\b", sms_to(tmp_path).read_text()).group(1)
    response = client.post("/mot-de-passe-oublie/code", data={"csrf_token": csrf_token(page.text), "code": code})
    assert response.status_code == 302 and "/mot-de-passe-oublie/nouveau?jeton=" in response.headers["Location"]


def sms_to(folder: Path) -> Path:
    """The SMS the file gateway wrote (sent in the background)."""
    return eventually(lambda: sorted((folder / "sms").glob("*.txt")) if (folder / "sms").exists() else [])[-1]


def test_sms_off_says_it_is_coming_soon(settings: Settings, mailbox: tuple[Mailbox, int]) -> None:
    client = create_app(settings.with_changes(smtp_url=f"smtp://127.0.0.1:{mailbox[1]}")).test_client()
    page = client.get("/mot-de-passe-oublie").text
    assert "bientôt disponible" in page and re.search(r'value="sms"[^>]*disabled', page)


@pytest.mark.parametrize("typed", ["daniele.adams", "d@", "d@@example.fr", "d @example.fr"])
def test_lost_login_checks_the_format_of_the_address_only(client: FlaskClient, typed: str,
                                                          mailbox: tuple[Mailbox, int]) -> None:
    token = csrf_token(client.get("/identifiant-oublie").text)
    refused = client.post("/identifiant-oublie", data={"csrf_token": token, "email": typed})
    assert refused.status_code == 400 and "Adresse de courriel invalide" in refused.text
    assert 'aria-invalid="true"' in refused.text


def test_lost_login_is_mailed_to_the_recovery_address(client: FlaskClient, directory: Directory,
                                                      mailbox: tuple[Mailbox, int], unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    token = csrf_token(client.get("/identifiant-oublie").text)
    assert client.post("/identifiant-oublie", data={"csrf_token": token, "email": "D@Example.fr"}).status_code == 200
    eventually(lambda: any(login in text for text in mailbox[0].text_to("d@example.fr")))


def test_mail_server_down_then_back_the_reset_mail_leaves(settings: Settings, directory: Directory,
                                                          unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    port = free_port()  # nothing listens there yet
    app = create_app(settings.with_changes(smtp_url=f"smtp://127.0.0.1:{port}"))
    client = app.test_client()
    assert ask(client, login).status_code == 200  # the person is not told about our mail server
    tasks_done(app)
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app.app_context():
            from idp.outbound.models import OutboxMessage
            db = services().store.session
            db.execute(update(OutboxMessage).values(next_attempt_at=0))
            db.commit()
            services().outbound.deliver_due()
        assert box.text_to("d@example.fr") and "/mot-de-passe-oublie/nouveau?jeton=" in box.text_to("d@example.fr")[0]
    finally:
        controller.stop()


def link_refused(client: FlaskClient, link: str) -> bool:
    """The link's page says it is no longer valid, and its form cannot set a password."""
    page = client.get(path_of(link))
    token = link.rsplit("=", 1)[1]
    posted = client.post("/mot-de-passe-oublie/nouveau", data={
        "csrf_token": csrf_token(client.get("/mot-de-passe-oublie").text), "token": token,
        "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    return page.status_code == posted.status_code == 400 and "n’est plus valable" in page.text + posted.text


def test_a_link_mailed_before_a_new_letter_no_longer_sets_a_password(
        client: FlaskClient, directory: Directory, mailbox: tuple[Mailbox, int], settings_path: Path,
        unique_surname: str) -> None:
    """SECURITY.md 29: `ent-idp accounts reset` (a new letter) kills the links already mailed;
    the new letter's code keeps working."""
    login = new_active(directory, unique_surname)
    ask(client, login)
    link = reset_link(mailbox[0], "d@example.fr")
    new_code = reset_by_command(settings_path, login)
    assert link_refused(client, link)
    with pytest.raises(InvalidCredentials):
        directory.verify(login, NEW_PASSWORD)
    assert directory.verify(login, new_code, normalize_code=normalize_typed_code).stored_state is AccountState.PENDING


def test_an_admin_lock_kills_the_links_and_no_reset_is_sent_while_it_lasts(
        app: Flask, client: FlaskClient, directory: Directory, mailbox: tuple[Mailbox, int], settings_path: Path,
        unique_surname: str) -> None:
    """SECURITY.md 29–30: after `ent-idp accounts lock`, an old link sets nothing, asking again
    gets the usual page but no mail, and the lock stays."""
    login = new_active(directory, unique_surname)
    ask(client, login)
    link = reset_link(mailbox[0], "d@example.fr")
    command(settings_path, "accounts", "lock", login)
    assert link_refused(client, link)
    again, unknown = ask(client, login), ask(client, "personne.inconnue")
    assert again.status_code == unknown.status_code == 200
    assert re.sub(r'value="[^"]*"', "", again.text) == re.sub(r'value="[^"]*"', "", unknown.text)
    tasks_done(app)
    assert len(reset_links(mailbox[0], "d@example.fr")) == 1
    assert directory.get(login).locked_by_admin
    command(settings_path, "accounts", "unlock", login)  # the unlock kills the links too: ask again
    assert link_refused(client, link)


def test_of_two_links_the_second_dies_when_the_first_is_used(client: FlaskClient, directory: Directory,
                                                             mailbox: tuple[Mailbox, int], unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    ask(client, login)
    first = reset_link(mailbox[0], "d@example.fr")
    ask(client, login)
    second = reset_link(mailbox[0], "d@example.fr", count=2)
    assert first != second
    assert choose(app_client := client, first).status_code == 302
    assert link_refused(app_client, second)
    assert directory.verify(login, NEW_PASSWORD).login == login


def test_an_sms_code_sent_before_a_new_letter_is_useless(client: FlaskClient, directory: Directory, tmp_path: Path,
                                                         settings_path: Path, unique_surname: str) -> None:
    login = new_active(directory, unique_surname, mobile="+33612345678")
    page = client.get(ask(client, login, "sms").headers["Location"])
    code = re.search(r"\b(\d{6})\b", sms_to(tmp_path).read_text()).group(1)
    reset_by_command(settings_path, login)
    response = client.post("/mot-de-passe-oublie/code", data={"csrf_token": csrf_token(page.text), "code": code})
    if response.status_code == 302:  # the code still gives a link: that link must be dead
        assert link_refused(client, response.headers["Location"])
    else:
        assert response.status_code == 400
    assert directory.get(login).stored_state is AccountState.PENDING


def test_the_sms_page_is_the_same_whoever_is_named(client: FlaskClient, directory: Directory,
                                                   unique_surname: str) -> None:
    """SECURITY.md 33: no masked number for a real account, the same text for anyone."""
    login = new_active(directory, unique_surname, mobile="+33612345678")
    known = client.get(ask(client, login, "sms").headers["Location"])
    unknown = client.get(ask(client, "personne.inconnue", "sms").headers["Location"])
    assert known.status_code == unknown.status_code == 200
    assert re.sub(r'value="[^"]*"', "", known.text) == re.sub(r'value="[^"]*"', "", unknown.text)
    assert "••" not in known.text and "+33612345678" not in known.text
