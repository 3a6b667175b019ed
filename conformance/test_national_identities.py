"""Signing in with ÉduConnect or FranceConnect: F1–F2 (beyond the guide)."""
import re

import pytest
from playwright.sync_api import Page, expect

from conformance import accessibility
from conformance.conftest import Instance, NationalPerson, callout
from conformance.helpers import accept_box, email_field, open_login_page


def at_the_identity_provider(page: Page, person: NationalPerson) -> None:
    """The national service's own page: its identifier, its password, its one button."""
    page.get_by_role("textbox").first.fill(person.username)
    page.locator("input[type=password]").fill(person.password)
    page.get_by_role("button").click()


def activated_or_signed_in(page: Page, ent: Instance) -> None:
    """A pending account is activated (charter and e-mail, no ENT password); then the ENT's home."""
    if "/activation" in page.url:
        expect(page.locator("input[type=password]")).to_have_count(0)
        if not email_field(page).input_value():
            email_field(page).fill("helene.martin@example.fr")
        accept_box(page).check()
        accessibility.check(page)
        page.get_by_role("button", name="Activer").click()
    expect(page).to_have_url(re.compile("^" + re.escape(ent.base_url + "/accueil")))


def test_F1_educonnect_signs_in_and_activates_without_ent_password(page: Page, ent: Instance) -> None:
    person = ent.national_person("educonnect")
    open_login_page(page, ent.base_url)
    button = page.get_by_role("link", name="Se connecter avec ÉduConnect")
    expect(button).to_be_visible()
    button.click()
    at_the_identity_provider(page, person)
    expect(page.get_by_role("heading", name="Activation de votre compte")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(person.login)
    activated_or_signed_in(page, ent)
    welcome = page.get_by_role("status").or_(page.locator(".message")).first
    expect(welcome).to_contain_text("Votre compte est activé")
    callout(page, welcome, 1)


def test_F2_franceconnect_links_the_account_confirmed_with_the_letters_code(page: Page, ent: Instance) -> None:
    person = ent.national_person("franceconnect")
    if person.secret is None:
        pytest.skip("non exécuté : le code d’activation de ce compte n’est pas connu")
    open_login_page(page, ent.base_url)
    page.get_by_role("link", name="S’identifier avec FranceConnect").click()
    at_the_identity_provider(page, person)
    heading = "Relier votre identité FranceConnect à votre compte de l’ENT"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_label("Identifiant").fill(person.login)
    page.get_by_label("Mot de passe ou code d’activation").fill(person.secret)
    accessibility.check(page)
    page.get_by_role("button", name="Confirmer").click()
    activated_or_signed_in(page, ent)
    welcome = page.get_by_role("status").or_(page.locator(".message")).first
    expect(welcome).to_be_visible()
    callout(page, welcome, 1)
