"""Brute force and enumeration at sign-in (SECURITY.md 7–9, 33, 34, 36), on a slapd of its own
with production's Argon2 cost and password policy (a backstop at twice the provider's lockout),
through the login page, with the counters of the provider's database."""
from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.app import create_app
from idp.config import load_settings
from idp.directory import Directory, NewAccount, Profile
from idp.directory.slapd import OWASP_ARGON2, PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from idp.sessions import COOKIE
from tests.conftest import audit_events, directory_of, has_event, settings_file
from tests.flows.conftest import PASSWORD, csrf_token

_addresses = count(1)


def new_address() -> str:
    """A client address no other attempt used (documentation range, RFC 5737)."""
    number = next(_addresses)
    return f"198.51.{number // 250}.{number % 250 + 1}"


@pytest.fixture(scope="module")
def production_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateSlapd]:
    slapd = PrivateSlapd(tmp_path_factory.mktemp("slapd-production"), port=free_port(), argon2=OWASP_ARGON2)
    slapd.start()
    yield slapd
    slapd.stop()


@pytest.fixture(scope="module")
def directory(production_slapd: PrivateSlapd) -> Directory:
    return directory_of(production_slapd)


@pytest.fixture
def app(production_slapd: PrivateSlapd, tmp_path: Path) -> Flask:
    settings = load_settings(settings_file(production_slapd, tmp_path), environ={})
    return create_app(settings.with_changes(rate_limits=True))


def owner(directory: Directory, surname: str) -> str:
    created = Provisioner(directory, 90).add(NewAccount("Nadia", surname, Profile.PARENT, ("0770001H",)))
    directory.activate(created.login, password=PASSWORD, recovery_email="nadia@example.fr")
    return created.login


def attempt(app: Flask, login: str, password: str, address: str):  # type: ignore[no-untyped-def]
    browser: FlaskClient = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(browser.get("/connexion").text)
    return browser.post("/connexion", data={"csrf_token": token, "login": login, "password": password})


def problem_of(page: str) -> str:
    return re.search(r'<p class="erreur" id="probleme">(.*?)</p>', page, re.S).group(1)


def test_tries_left_are_told_and_an_attackers_address_is_refused_while_the_owner_signs_in(
        app: Flask, directory: Directory) -> None:
    login, attacker = owner(directory, "Proprietaire"), new_address()
    first = attempt(app, login, "Pas-le-bon-1", attacker)
    assert first.status_code == 400
    assert problem_of(first.text) == ("Identifiant ou mot de passe incorrect. Il vous reste 4 essais avant un "
                                      "verrouillage temporaire.")
    for _ in range(3):
        attempt(app, login, "Pas-le-bon-1", attacker)
    last = attempt(app, login, "Pas-le-bon-1", attacker)
    assert "temporairement verrouillée" in problem_of(last.text)
    assert re.search(r"à partir de \d\d:\d\d", last.text)
    refused = attempt(app, login, PASSWORD, attacker)  # even the right password, from there
    assert refused.status_code == 400 and "temporairement verrouillée" in refused.text
    assert COOKIE not in refused.headers.get("Set-Cookie", "")
    signed_in = attempt(app, login, PASSWORD, new_address())  # the owner, from home
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/accueil")
    events = audit_events(app)
    assert has_event(events, event="login.failed", login=login, address=attacker, outcome="failure", tries_left=4)
    assert has_event(events, event="login.locked", login=login, address=attacker, outcome="refused")


def test_only_many_failures_from_many_addresses_refuse_the_login_everywhere(app: Flask,
                                                                           directory: Directory) -> None:
    login = owner(directory, "Assiegee")
    for _ in range(20):
        attempt(app, login, "Pas-le-bon-1", new_address())
    refused = attempt(app, login, PASSWORD, new_address())
    assert refused.status_code == 400 and "temporairement verrouillée" in refused.text
    directory.unlock(login)  # the school unlocks: counting starts again
    assert attempt(app, login, PASSWORD, new_address()).status_code == 302


def test_unknown_existing_and_locked_logins_get_the_same_pages_and_time(app: Flask, directory: Directory) -> None:
    """30 tries each, interleaved, each from a new address: same status and page at every
    try, and response times whose medians are within a third of each other (slapd hashes
    once in every case: the decoy never locks, and a locked account costs a hash too)."""
    existing = owner(directory, "Existante")
    locked = owner(directory, "Verrouillee")
    directory.lock(locked)
    logins = {"unknown": "personne.inexistante", "existing": existing, "locked": locked}
    times: dict[str, list[float]] = {kind: [] for kind in logins}
    for _ in range(30):
        pages = {}
        for kind, login in logins.items():
            started = time.perf_counter()
            response = attempt(app, login, "Pas-le-bon-1", new_address())
            times[kind].append(time.perf_counter() - started)
            pages[kind] = (response.status_code, problem_of(response.text))
        assert pages["unknown"] == pages["existing"] == pages["locked"], pages
    assert "temporairement verrouillée" in pages["unknown"][1]  # shown for a login that does not exist too
    medians = {kind: statistics.median(spent) for kind, spent in times.items()}
    for kind in ("unknown", "locked"):
        assert 0.75 <= medians[kind] / medians["existing"] <= 1.33, medians

