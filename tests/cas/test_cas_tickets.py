"""Service, proxy-granting and proxy tickets: single use, short-lived, bound to their service,
hashed at rest."""
from __future__ import annotations

import re
from datetime import UTC

import pytest
from sqlalchemy import select, text

from idp.cas import services
from idp.cas.tickets import PURGE_EVERY_SECONDS, CasTickets, Code, ProxyTicket, Refused, Validated
from idp.config import Settings
from idp.directory import Profile
from idp.store import Store
from idp.store.cas import CasTicket
from idp.store.models import digest
from tests.cas.conftest import account

SERVICE = "https://moodle.college.fr/moodle/login/index.php?next=%2F"


class Callbacks:
    """The apps' proxy callbacks: records what they were given, answers as told."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.received: list[tuple[str, str, str]] = []

    def __call__(self, url: str, pgt: str, iou: str) -> bool:
        self.received.append((url, pgt, iou))
        return self.answer


class Directory:
    def __init__(self, *accounts) -> None:  # type: ignore[no-untyped-def]
        self.accounts = {item.login: item for item in accounts}

    def find(self, login: str):  # type: ignore[no-untyped-def]
        return self.accounts.get(login)


@pytest.fixture
def moodle(store: Store) -> services.RegisteredService:
    return services.add(store, name="Moodle", services=["https://moodle.college.fr/moodle"])


@pytest.fixture
def callbacks() -> Callbacks:
    return Callbacks()


@pytest.fixture
def tickets(store: Store, callbacks: Callbacks) -> CasTickets:
    return CasTickets(store, Settings(), directory=Directory(account()), proxy_callback=callbacks)  # type: ignore[arg-type]


def issue(tickets: CasTickets, service: services.RegisteredService, url: str = SERVICE, **options: object) -> str:
    options.setdefault("new_login", False)
    options.setdefault("session_digest", digest("browser-session"))
    return tickets.issue_service_ticket(url, service, account(), **options)  # type: ignore[arg-type]


def test_a_service_ticket_is_long_random_and_validates_once(tickets: CasTickets, moodle) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(tickets, moodle, authenticated_at=1_700_000_000)
    assert re.fullmatch(r"ST-[A-Za-z0-9]{32,}", ticket), ticket  # what mod_auth_cas accepts, ≥ 32 random characters
    assert set(ticket[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    result = tickets.validate(ticket, SERVICE)
    assert isinstance(result, Validated)
    assert (result.user, result.service_id, result.authenticated_at) == ("thomas.professeur", moodle.id, 1_700_000_000)
    assert result.attributes["uid"] == ["thomas.professeur"] and result.attributes["schools"] == ["0770001H",
                                                                                                    "0770942F"]
    assert result.proxies == () and result.pgt_iou is None
    replay = tickets.validate(ticket, SERVICE)
    assert isinstance(replay, Refused) and replay.code is Code.INVALID_TICKET
    assert issue(tickets, moodle) != issue(tickets, moodle)


def test_the_ticket_is_stored_hashed_and_its_attributes_leave_with_the_validation(
        tickets: CasTickets, moodle, store: Store) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(tickets, moodle)
    with store.engine.connect() as connection:
        dump = "\n".join(str(tuple(row)) for row in connection.execute(text("SELECT * FROM cas_tickets")))
        assert ticket not in dump and ticket[3:] not in dump and digest(ticket) in dump
        assert "Professeur" in dump  # the snapshot, until the app takes it
    tickets.validate(ticket, SERVICE)
    with store.engine.connect() as connection:
        row = connection.execute(select(CasTicket.__table__)).one()
    assert row.used_at is not None and row.attributes == {} and row.session_digest == digest("browser-session")
    assert (row.login, row.service_id, row.service) == ("thomas.professeur", moodle.id, SERVICE)


def test_a_ticket_validated_for_another_service_fails_and_dies(tickets: CasTickets, moodle) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(tickets, moodle)
    for other in ("https://moodle.college.fr/moodle/login/index.php", "https://moodle.college.fr/moodle/"):
        wrong = tickets.validate(ticket, other)
        assert isinstance(wrong, Refused)
    first = tickets.validate(issue(tickets, moodle), "https://moodle.college.fr/moodle/")
    assert isinstance(first, Refused) and first.code is Code.INVALID_SERVICE and first.login == "thomas.professeur"
    again = tickets.validate(ticket, SERVICE)
    assert isinstance(again, Refused) and again.code is Code.INVALID_TICKET


def test_a_ticket_expires(tickets: CasTickets, moodle, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(tickets, moodle)
    later = tickets_now() + Settings().cas.ticket_seconds
    monkeypatch.setattr("idp.cas.tickets.now", lambda: later)
    expired = tickets.validate(ticket, SERVICE)
    assert isinstance(expired, Refused) and expired.code is Code.INVALID_TICKET


def tickets_now() -> int:
    from idp.store.models import now
    return now()


def test_renew_wants_a_ticket_from_a_fresh_sign_in(tickets: CasTickets, moodle) -> None:  # type: ignore[no-untyped-def]
    from_sso = tickets.validate(issue(tickets, moodle, new_login=False), SERVICE, renew=True)
    assert isinstance(from_sso, Refused) and from_sso.code is Code.INVALID_TICKET
    fresh = tickets.validate(issue(tickets, moodle, new_login=True), SERVICE, renew=True)
    assert isinstance(fresh, Validated) and fresh.from_new_login


def test_a_removed_service_gets_its_tickets_refused(store: Store, moodle) -> None:  # type: ignore[no-untyped-def]
    tickets = CasTickets(store, Settings())
    ticket = issue(tickets, moodle)
    services.remove(store, moodle.id)
    refused = CasTickets(store, Settings()).validate(ticket, SERVICE)
    assert isinstance(refused, Refused) and refused.code is Code.INVALID_SERVICE


def test_a_ticket_is_never_issued_for_an_url_outside_its_service(tickets: CasTickets, moodle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        issue(tickets, moodle, url="https://moodle.college.fr/moodle2")


@pytest.mark.parametrize("ticket, service, code", [
    ("", SERVICE, Code.INVALID_REQUEST), ("ST-x", "", Code.INVALID_REQUEST),
    ("XX-abc", SERVICE, Code.INVALID_TICKET), ("ST-", SERVICE, Code.INVALID_TICKET),
    ("PGT-abc", SERVICE, Code.INVALID_TICKET), ("PT-abc", SERVICE, Code.INVALID_TICKET_SPEC),
])
def test_malformed_requests(tickets: CasTickets, ticket: str, service: str, code: Code) -> None:
    refused = tickets.validate(ticket, service)
    assert isinstance(refused, Refused) and refused.code is code


def test_the_proxy_flow(tickets: CasTickets, moodle, store: Store, callbacks: Callbacks) -> None:  # type: ignore[no-untyped-def]
    portal = services.add(store, name="Portail", services=["https://portail.college.fr/"])
    pgt_url = "https://portail.college.fr/cas/proxy-callback?app=1"
    tickets.registry._cached = None
    validated = tickets.validate(issue(tickets, portal, url="https://portail.college.fr/"),
                                 "https://portail.college.fr/", pgt_url=pgt_url)
    assert isinstance(validated, Validated) and validated.pgt_iou and validated.pgt_iou.startswith("PGTIOU-")
    [(called, pgt, iou)] = callbacks.received
    assert (called, iou) == (pgt_url, validated.pgt_iou) and pgt.startswith("PGT-") and len(pgt) >= 36
    proxied = tickets.issue_proxy_ticket(pgt, SERVICE)
    assert isinstance(proxied, ProxyTicket) and proxied.ticket.startswith("PT-") and proxied.service_id == moodle.id
    spec = tickets.validate(proxied.ticket, SERVICE)
    assert isinstance(spec, Refused) and spec.code is Code.INVALID_TICKET_SPEC  # /serviceValidate refuses a PT
    result = tickets.validate(proxied.ticket, SERVICE, proxy_tickets=True)
    assert isinstance(result, Validated) and result.proxies == (pgt_url,) and result.user == "thomas.professeur"
    assert isinstance(tickets.validate(proxied.ticket, SERVICE, proxy_tickets=True), Refused)
    second = tickets.issue_proxy_ticket(pgt, SERVICE)  # a PGT serves again
    renew = tickets.validate(second.ticket, SERVICE, proxy_tickets=True, renew=True)  # type: ignore[union-attr]
    assert isinstance(renew, Refused)
    for pgt_value, target, code in [("", SERVICE, Code.INVALID_REQUEST), (pgt, "", Code.INVALID_REQUEST),
                                    ("PGT-unknown", SERVICE, Code.INVALID_TICKET),
                                    (proxied.ticket, SERVICE, Code.INVALID_TICKET),
                                    (pgt, "https://evil.fr/", Code.UNAUTHORIZED_SERVICE)]:
        refused = tickets.issue_proxy_ticket(pgt_value, target)
        assert isinstance(refused, Refused) and refused.code is code


def test_a_proxy_ticket_is_refused_once_the_account_is_locked(store: Store, moodle, callbacks: Callbacks) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime
    directory = Directory(account(locked_until=datetime.max.replace(tzinfo=UTC)))
    tickets = CasTickets(store, Settings(), directory=directory, proxy_callback=callbacks)  # type: ignore[arg-type]
    pgt_url = "https://moodle.college.fr/moodle/callback"
    assert isinstance(tickets.validate(issue(tickets, moodle), SERVICE, pgt_url=pgt_url), Validated)
    refused = tickets.issue_proxy_ticket(callbacks.received[0][1], SERVICE)
    assert isinstance(refused, Refused) and refused.code is Code.INVALID_TICKET


@pytest.mark.parametrize("pgt_url, code", [
    ("http://moodle.college.fr/moodle/callback", Code.INVALID_PROXY_CALLBACK),
    ("http://127.0.0.1:8080/callback", Code.INVALID_PROXY_CALLBACK),
    ("https://evil.fr/callback", Code.UNAUTHORIZED_SERVICE_PROXY),
])
def test_proxy_callbacks_must_be_https_and_registered(tickets: CasTickets, moodle, callbacks: Callbacks,
                                                      pgt_url: str, code: Code) -> None:  # type: ignore[no-untyped-def]
    refused = tickets.validate(issue(tickets, moodle), SERVICE, pgt_url=pgt_url)
    assert isinstance(refused, Refused) and refused.code is code
    assert callbacks.received == []


def test_a_callback_that_does_not_take_the_ticket_fails_the_validation(store: Store, moodle) -> None:  # type: ignore[no-untyped-def]
    tickets = CasTickets(store, Settings(), proxy_callback=Callbacks(answer=False))
    refused = tickets.validate(issue(tickets, moodle), SERVICE, pgt_url="https://moodle.college.fr/moodle/cb")
    assert isinstance(refused, Refused) and refused.code is Code.INVALID_PROXY_CALLBACK
    with store.engine.connect() as connection:
        assert connection.execute(select(CasTicket.kind)).scalars().all() == ["ST"]  # no PGT left behind


def test_loopback_http_callbacks_are_accepted_in_demo_only(store: Store, callbacks: Callbacks) -> None:
    local = services.add(store, name="Local", services=["http://127.0.0.1:8080/"])
    tickets = CasTickets(store, Settings(demo=True), proxy_callback=callbacks)
    validated = tickets.validate(issue(tickets, local, url="http://127.0.0.1:8080/app"), "http://127.0.0.1:8080/app",
                                 pgt_url="http://127.0.0.1:8080/callback")
    assert isinstance(validated, Validated) and validated.pgt_iou


def test_the_purge_deletes_what_no_one_can_use(tickets: CasTickets, moodle, store: Store,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    spent, waiting = issue(tickets, moodle), issue(tickets, moodle)
    tickets.validate(spent, SERVICE)
    later = tickets_now() + 3600
    monkeypatch.setattr("idp.cas.tickets.now", lambda: later)
    clock = tickets._next_purge + PURGE_EVERY_SECONDS
    monkeypatch.setattr("idp.cas.tickets.time.monotonic", lambda: clock)
    tickets.purge_expired()
    with store.engine.connect() as connection:
        kept = connection.execute(select(CasTicket.ticket_digest)).scalars().all()
    assert kept == [digest(spent)]  # single logout still needs the validated one
    assert digest(waiting) not in kept


def test_ticket_seconds_is_at_most_300(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from idp.config import SettingsError, load_settings
    path = tmp_path / "idp.toml"
    path.write_text("[cas]\nticket_seconds = 301\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="cas.ticket_seconds : 300 secondes au plus"):
        load_settings(path, environ={})
    with pytest.raises(SettingsError, match="cas.ticket_seconds : doit être positif"):
        load_settings(environ={"ENT_IDP_CAS_TICKET_SECONDS": "0"})
    assert load_settings(environ={"ENT_IDP_CAS_TICKET_SECONDS": "300"}).cas.ticket_seconds == 300


def test_every_profile_has_its_attributes(tickets: CasTickets, store: Store) -> None:
    pronote = services.add(store, name="Pronote", services=["https://pronote.fr/"], attributes="pronote")
    ticket = tickets.issue_service_ticket("https://pronote.fr/eleve.html", pronote, account(Profile.STUDENT),
                                          new_login=True, session_digest=None)
    result = tickets.validate(ticket, "https://pronote.fr/eleve.html")
    assert isinstance(result, Validated) and result.attributes["categories"] == ["National_1"]
