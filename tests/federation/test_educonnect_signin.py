"""« Se connecter avec ÉduConnect » against a real SAML identity provider (pysaml2's): linking by
the académie's join key, several accounts, no account, a pending account activated (F1)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from idp.directory import AccountState, Directory, InvalidCredentials, Profile
from tests.conftest import audit_events, has_event
from tests.federation.federated import Federation, person, ref_id, session_amr, sign_in_at_educonnect, signed_in_login
from tests.flows.conftest import csrf_token


def test_an_identity_carrying_the_join_key_signs_in_without_ent_password(federation: Federation,
                                                                          directory: Directory) -> None:
    login, key = person(directory)
    federation.add_identity("parent-one", ref_id(key))
    browser = requests.Session()
    arrived = sign_in_at_educonnect(browser, federation, "parent-one")
    assert arrived.status_code == 200 and arrived.url == federation.issuer + "/accueil", arrived.text
    assert signed_in_login(browser, federation) == login
    assert has_event(audit_events(federation.ent), event="login.succeeded", login=login, provider="educonnect")


def test_the_session_says_it_came_through_educonnect(federation: Federation, directory: Directory) -> None:
    login, key = person(directory)
    federation.add_identity("parent-amr", ref_id(key))
    sign_in_at_educonnect(requests.Session(), federation, "parent-amr")
    assert session_amr(federation, login) == [["educonnect"]]


def test_several_accounts_the_person_chooses_which(federation: Federation, directory: Directory) -> None:
    parent, parent_key = person(directory)
    teacher, teacher_key = person(directory, Profile.TEACHER)
    federation.add_identity("two-profiles", ref_id(parent_key), ref_id(teacher_key))
    browser = requests.Session()
    choice = sign_in_at_educonnect(browser, federation, "two-profiles")
    assert choice.status_code == 200 and "Choisir un compte" in choice.text
    assert parent in choice.text and teacher in choice.text
    refused = browser.post(federation.issuer + "/connexion/federee", data={"csrf_token": csrf_token(choice.text),
                                                                          "account": "someone.else"})
    assert refused.status_code == 400 and "Choisissez le compte" in refused.text
    chosen = browser.post(federation.issuer + "/connexion/federee", data={"csrf_token": csrf_token(choice.text),
                                                                         "account": teacher})
    assert chosen.url == federation.issuer + "/accueil" and signed_in_login(browser, federation) == teacher
    assert session_amr(federation, teacher) == [["educonnect"]] and session_amr(federation, parent) == []


def test_no_account_registered_says_so_and_offers_the_help_form(federation: Federation, directory: Directory) -> None:
    _, key = person(directory)
    federation.add_identity("unknown", ref_id("0000000"), ref_id(key, academie="VER"))  # the other, in Versailles
    browser = requests.Session()
    page = sign_in_at_educonnect(browser, federation, "unknown")
    assert page.status_code == 403 and "n’a pas enregistré cette identité" in page.text
    assert 'href="/aide"' in page.text
    assert signed_in_login(browser, federation) is None
    assert has_event(audit_events(federation.ent), event="federation.no_account", provider="educonnect")


def test_a_pending_account_is_activated_by_educonnect_without_ent_password(federation: Federation,
                                                                          directory: Directory) -> None:
    login, key = person(directory, active=False)
    code = "ABCD-EFGH-JKLM"
    directory.issue_activation_code(login, code.replace("-", ""), datetime.now(UTC) + timedelta(days=9))
    federation.add_identity("pending", ref_id(key), mail="helene.martin@example.fr")
    browser = requests.Session()
    form = sign_in_at_educonnect(browser, federation, "pending")
    assert form.url == federation.issuer + "/connexion/federee/activation" and "Activation de votre compte" in form.text
    assert 'value="helene.martin@example.fr"' in form.text and 'type="password"' not in form.text
    refused = browser.post(form.url, data={"csrf_token": csrf_token(form.text), "email": "helene.martin@example.fr"})
    assert refused.status_code == 400 and "Vous devez accepter les conditions" in refused.text
    assert directory.get(login).stored_state is AccountState.PENDING
    done = browser.post(form.url, data={"csrf_token": csrf_token(form.text), "email": "helene.martin@example.fr",
                                        "mobile": "", "accept": "y"})
    assert done.url == federation.issuer + "/accueil" and "Votre compte est activé" in done.text
    account = directory.get(login)
    assert account.stored_state is AccountState.ACTIVE and account.recovery_email == "helene.martin@example.fr"
    assert account.terms_version
    with pytest.raises(InvalidCredentials):  # the letter's code is no password now
        directory.verify(login, code.replace("-", ""))
    assert has_event(audit_events(federation.ent), event="account.activated", login=login, provider="educonnect")
