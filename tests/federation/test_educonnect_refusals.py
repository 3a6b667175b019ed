"""What the ENT refuses of ÉduConnect's responses (SECURITY.md): unsigned, signed by another key,
replayed, sent to another browser, cancelled; nobody is signed in and the person is told."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from saml2.metadata import entity_descriptor

from idp.demo_educonnect import identity_provider_config
from idp.directory import Directory
from tests.conftest import audit_events, has_event
from tests.federation.federated import (
    Federation,
    auto_posted_form,
    person,
    ref_id,
    sign_in_at_educonnect,
    signed_in_login,
)

NOT_VERIFIED = "n’a pas pu être vérifiée"


@pytest.fixture
def identity(federation: Federation, directory: Directory) -> Iterator[str]:
    login, key = person(directory)
    federation.add_identity(f"refused-{login}", ref_id(key))
    yield f"refused-{login}"
    federation.behaviour.sign_assertions = federation.behaviour.encrypt_assertions = True
    federation.behaviour.signing_folder = federation.behaviour.audience = None
    federation.behaviour.lifetime_minutes = 5


def test_an_unsigned_assertion_is_refused(federation: Federation, identity: str) -> None:
    federation.behaviour.sign_assertions = federation.behaviour.encrypt_assertions = False
    browser = requests.Session()
    page = sign_in_at_educonnect(browser, federation, identity)
    assert page.status_code == 400 and NOT_VERIFIED in page.text and 'href="/connexion' in page.text
    assert signed_in_login(browser, federation) is None
    assert has_event(audit_events(federation.ent), event="federation.refused", outcome="refused")


def test_an_assertion_signed_with_another_key_is_refused(federation: Federation, identity: str,
                                                         tmp_path: Path) -> None:
    federation.behaviour.signing_folder = tmp_path / "forger"
    browser = requests.Session()
    page = sign_in_at_educonnect(browser, federation, identity)
    assert page.status_code == 400 and NOT_VERIFIED in page.text
    assert signed_in_login(browser, federation) is None


def test_an_assertion_for_another_service_provider_is_refused(federation: Federation, identity: str) -> None:
    federation.behaviour.audience = "https://autre-ent.example.fr/saml/metadata"
    federation.behaviour.encrypt_assertions = False  # signed, for another: only the audience is wrong
    browser = requests.Session()
    page = sign_in_at_educonnect(browser, federation, identity)
    assert page.status_code == 400 and NOT_VERIFIED in page.text
    assert signed_in_login(browser, federation) is None


def test_an_expired_assertion_is_refused(federation: Federation, identity: str) -> None:
    federation.behaviour.lifetime_minutes = -10
    browser = requests.Session()
    page = sign_in_at_educonnect(browser, federation, identity)
    assert page.status_code == 400 and NOT_VERIFIED in page.text
    assert signed_in_login(browser, federation) is None


def test_a_response_used_once_is_refused_the_second_time(federation: Federation, identity: str) -> None:
    browser = requests.Session()
    sign_in_at_educonnect(browser, federation, identity)
    assert signed_in_login(browser, federation) is not None
    sent = federation.behaviour.sent[-1]
    replayed = {"SAMLResponse": sent["SAMLResponse"], "RelayState": sent["RelayState"]}
    # In the same browser: its request was answered already (the ENT's page posts it again, in vain).
    again_action, again_fields = auto_posted_form(browser.post(sent["destination"], data=replayed).text)
    again = browser.post(federation.issuer + again_action, data=again_fields)
    assert again.status_code == 400 and "Le délai de connexion est dépassé" in again.text
    # In another browser which started a sign-in of its own: the response answers no request of it…
    thief = requests.Session()
    thief.get(federation.issuer + "/saml/connexion")
    stolen = thief.post(sent["destination"], data=replayed)
    assert stolen.status_code == 400 and signed_in_login(thief, federation) is None


def test_a_replayed_assertion_is_refused_even_under_a_request_it_answers(federation: Federation,
                                                                        identity: str) -> None:
    """The assertion's id is used once, whatever the request it is posted under."""
    browser = requests.Session()
    page = browser.get(federation.issuer + "/saml/connexion")
    posted = browser.post(page.url.split("?")[0], data={"username": identity,
                                                        "password": federation.identities[identity].password})
    action, fields = auto_posted_form(posted.text)
    kept_cookies = browser.cookies.copy()
    assert browser.post(action, data=fields).url.endswith("/accueil")
    replaying = requests.Session()
    replaying.cookies = kept_cookies  # the flow cookie as it was before the response was used
    again = replaying.post(action, data=fields)
    assert again.status_code == 400 and NOT_VERIFIED in again.text
    assert has_event(audit_events(federation.ent), event="federation.refused", outcome="refused")


def test_a_response_from_another_site_is_posted_again_from_the_ent(federation: Federation, identity: str) -> None:
    """Browsers do not send the ENT's SameSite=Lax flow cookie with ÉduConnect's cross-site POST:
    the ENT's own page posts the response again, with it."""
    browser = requests.Session()
    page = browser.get(federation.issuer + "/saml/connexion")
    posted = browser.post(page.url.split("?")[0], data={"username": identity,
                                                        "password": federation.identities[identity].password})
    action, fields = auto_posted_form(posted.text)
    without_cookie = requests.post(action, data=fields)
    assert without_cookie.status_code == 200 and "data-envoi-automatique" in without_cookie.text
    again_action, again_fields = auto_posted_form(without_cookie.text)
    assert again_action == "/saml/acs" and again_fields["suite"] == "1"
    assert browser.post(federation.issuer + again_action, data=again_fields).url.endswith("/accueil")
    # Without the flow cookie even then: the sign-in is started again, nobody signed in.
    lost = requests.post(federation.issuer + again_action, data=again_fields)
    assert lost.status_code == 400 and "Le délai de connexion est dépassé" in lost.text


def test_cancelled_at_educonnect_says_so(federation: Federation, identity: str) -> None:
    browser = requests.Session()
    page = browser.get(federation.issuer + "/saml/connexion")
    cancelled = browser.get(page.url.split("?")[0] + "/annuler")
    action, fields = auto_posted_form(cancelled.text)
    answer = browser.post(action, data=fields)
    assert answer.status_code == 400 and "La connexion avec ÉduConnect a été annulée." in answer.text
    assert signed_in_login(browser, federation) is None


def test_a_new_signing_key_in_the_metadata_is_trusted_without_a_restart(federation: Federation, identity: str,
                                                                        tmp_path: Path) -> None:
    """ÉduConnect rotates its key: its new metadata (a file here, or a URL read every day) lists
    the new certificate, and the ENT trusts it at its next read, not before."""
    metadata = Path(federation.ent.config["ENT_IDP"].federation.educonnect.metadata)
    before = metadata.read_bytes()
    federation.behaviour.signing_folder = tmp_path / "rotated"
    assert sign_in_at_educonnect(requests.Session(), federation, identity).status_code == 400
    rotated = identity_provider_config(federation.educonnect_url, tmp_path, None, tmp_path / "rotated")
    try:
        metadata.write_text(str(entity_descriptor(rotated)), encoding="utf-8")
        os.utime(metadata, (time.time() + 5, time.time() + 5))
        browser = requests.Session()
        assert sign_in_at_educonnect(browser, federation, identity).url == federation.issuer + "/accueil"
    finally:
        metadata.write_bytes(before)
        os.utime(metadata, (time.time() + 10, time.time() + 10))
