"""Both buttons of the login page clicked in Chromium, to the end: ÉduConnect's and
FranceConnect's pages, back to the ENT signed in; the login page has no axe-core violation."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from idp.directory import AccountState, Directory
from tests.federation.federated import Federation, person, ref_id

AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
             "resultTypes": ["violations"]}


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


def test_the_login_page_shows_both_buttons_without_axe_violation(page: Page, federation: Federation) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(federation.issuer + "/connexion")
    expect(page.get_by_role("link", name="Se connecter avec ÉduConnect")).to_be_visible()
    expect(page.get_by_role("link", name="S’identifier avec FranceConnect")).to_be_visible()
    expect(page.get_by_role("link", name="Qu’est-ce que FranceConnect\u00a0?")).to_have_attribute("target", "_blank")
    found = []
    for size in ({"width": 390, "height": 844}, {"width": 1280, "height": 800}):
        page.set_viewport_size(size)
        found += [violation["id"] for violation in Axe().run(page, options=AXE_RULES).response["violations"]]
    assert not found


def test_se_connecter_avec_educonnect_in_chromium(page: Page, federation: Federation, directory: Directory) -> None:
    login, key = person(directory, given_name="Inès", surname="Haddad")
    identity = federation.add_identity("ines", ref_id(key))
    page.goto(federation.issuer + "/connexion")
    page.get_by_role("link", name="Se connecter avec ÉduConnect").click()
    page.get_by_label("Identifiant ÉduConnect").fill("ines")
    page.get_by_label("Mot de passe").fill(identity.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(federation.issuer + "/accueil")
    page.goto(federation.issuer + "/compte")
    expect(page.locator("dd").first).to_have_text(login)


def test_a_pending_parent_activates_through_franceconnect_with_the_letters_code_in_chromium(
        page: Page, federation: Federation, directory: Directory) -> None:
    login, _ = person(directory, active=False, given_name="Odile", surname="Fabre", birth_date="1986-09-30")
    directory.issue_activation_code(login, "PQRSTUVWXYZA", datetime.now(UTC) + timedelta(days=9))
    identity = federation.add_franceconnect_identity("odile", "Odile", "FABRE", "1986-09-30",
                                                     email="odile.fabre@example.fr")
    page.goto(federation.issuer + "/connexion")
    page.get_by_role("link", name="S’identifier avec FranceConnect").click()
    page.get_by_label("Identifiant").fill("odile")
    page.get_by_label("Mot de passe").fill(identity.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Relier votre identité FranceConnect à votre compte de l’ENT")
    expect(page.get_by_label("Identifiant")).to_have_value(login)
    page.get_by_label("Mot de passe ou code d’activation").fill("PQRS-TUVW-XYZA")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_label("Courriel")).to_have_value("odile.fabre@example.fr")
    page.get_by_label("J’accepte les conditions générales d’utilisation").check()
    page.get_by_role("button", name="Activer").click()
    page.wait_for_url(federation.issuer + "/accueil")
    expect(page.get_by_text("Votre compte est activé")).to_be_visible()
    assert directory.get(login).stored_state is AccountState.ACTIVE
