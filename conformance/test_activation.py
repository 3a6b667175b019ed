"""Parents' guide, activation: A1–A8."""
import re

import pytest
from playwright.sync_api import Page, expect

from conformance.conftest import Instance, callout
from conformance.helpers import (
    INCORRECT,
    NEW_PASSWORD,
    accept_box,
    activate,
    confirmation_field,
    email_field,
    fill_activation,
    mobile_field,
    new_password_field,
    on_ent_home,
    on_login_page,
    open_login_page,
    refused,
    sign_in,
    start_activation,
    still_pending,
    toggle_of,
)


@pytest.mark.parametrize(("weak", "message"), [("abcdefgh", "au moins un chiffre"),
                                                ("12345678", "au moins une lettre"),
                                                ("abc1234", "au moins 8 caractères")],
                         ids=["abcdefgh", "12345678", "abc1234"])
def test_A1_password_rules_are_shown_and_enforced(page: Page, ent: Instance, weak: str, message: str) -> None:
    """The guide's rules on the page; each of its counter-examples refused, nothing saved."""
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    rules = page.get_by_role("list").filter(has_text="8 caractères au minimum")
    expect(rules).to_be_visible()
    expect(new_password_field(page)).to_have_accessible_description(
        re.compile("8 caractères au minimum.*au moins une lettre.*au moins un chiffre"))
    fill_activation(page, password=weak)
    # The rules tick as the person types (without JavaScript the list simply stays).
    for rule, met in (("8 caractères au minimum", len(weak) >= 8),
                      ("au moins une lettre", any(char.isalpha() for char in weak)),
                      ("au moins un chiffre", any(char.isdigit() for char in weak))):
        item = rules.get_by_role("listitem").filter(has_text=rule)
        if met:
            expect(item).to_have_class(re.compile("respectee"))
        else:
            expect(item).not_to_have_class(re.compile("respectee"))
    activate(page)
    refused(page, message)
    expect(new_password_field(page)).to_have_accessible_description(re.compile(message))
    expect(page).not_to_have_url(ent.base_url + "/accueil")
    still_pending(page, ent.base_url, person.login, person.secret)
    callout(page, new_password_field(page), 1)


def test_A2_password_is_confirmed(page: Page, ent: Instance) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    first, second = new_password_field(page), confirmation_field(page)

    # Each field has its own show/hide button.
    first.fill(NEW_PASSWORD)
    second.fill(NEW_PASSWORD + "x")
    expect(toggle_of(page, first)).to_have_count(1)
    expect(toggle_of(page, second)).to_have_count(1)
    toggle_of(page, second).click()
    expect(second).to_have_attribute("type", "text")
    expect(first).to_have_attribute("type", "password")
    toggle_of(page, second).click()
    toggle_of(page, first).click()
    expect(first).to_have_attribute("type", "text")
    expect(second).to_have_attribute("type", "password")

    fill_activation(page, confirmation="Kiwi4Zebre9")
    activate(page)
    refused(page, "ne sont pas identiques")
    callout(page, new_password_field(page), 1)
    expect(confirmation_field(page)).to_have_accessible_description(re.compile("ne sont pas identiques"))
    still_pending(page, ent.base_url, person.login, person.secret)


def test_A3_personal_email_is_required_and_checked(page: Page, ent: Instance) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)

    fill_activation(page, email="")
    activate(page)
    refused(page, re.compile("adresse de courriel", re.I))
    expect(email_field(page)).to_have_attribute("aria-invalid", "true")

    fill_activation(page, email="chloe.perso@@exemple", mobile="06 12 34 56 78")
    activate(page)
    refused(page, re.compile("courriel invalide", re.I))
    expect(email_field(page)).to_have_accessible_description(re.compile("invalide"))
    # What was typed is kept, the valid new password too: the person's own, not stored yet.
    expect(email_field(page)).to_have_value("chloe.perso@@exemple")
    expect(mobile_field(page)).to_have_value(re.compile(r"6\s?12\s?34\s?56\s?78$"))
    expect(new_password_field(page)).to_have_value(NEW_PASSWORD)
    expect(confirmation_field(page)).to_have_value(NEW_PASSWORD)
    still_pending(page, ent.base_url, person.login, person.secret)
    callout(page, email_field(page), 2)


def test_A4_mobile_is_optional_and_checked(page: Page, ent: Instance) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    # The guide: « par SMS quand le service sera disponible »; this instance has an SMS gateway.
    expect(page.get_by_role("main")).to_contain_text("réinitialisation du mot de passe par SMS")

    fill_activation(page, mobile="12")
    activate(page)
    refused(page, re.compile("mobile invalide", re.I))
    expect(mobile_field(page)).to_have_value("12")

    fill_activation(page, mobile="")
    activate(page)
    on_ent_home(page, ent.base_url, person.given_name, person.surname)


def test_A5_charter_can_be_read(page: Page, ent: Instance, request: pytest.FixtureRequest) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    link = page.get_by_role("main").get_by_role("link", name=re.compile("charte", re.I))
    with page.context.expect_page() as opened:
        link.click()
    charter = opened.value
    request.node.last_page = charter
    expect(charter.get_by_role("heading", level=1)).to_contain_text("Charte d’utilisation")
    expect(charter.get_by_role("main")).to_contain_text("Conditions générales d’utilisation")
    # The activation page is still there, with nothing lost.
    expect(page.get_by_role("heading", name="Activation de votre compte")).to_be_visible()


def test_A6_cgu_mandatory(page: Page, ent: Instance) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    expect(accept_box(page)).not_to_be_checked()
    fill_activation(page, accept=False)
    activate(page)
    refused(page, "Vous devez accepter les conditions générales d’utilisation")
    callout(page, accept_box(page), 4)
    expect(accept_box(page)).not_to_be_checked()
    still_pending(page, ent.base_url, person.login, person.secret)


def test_A7_activer_signs_in_to_the_ent_home(page: Page, ent: Instance) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    fill_activation(page, mobile="07 98 76 54 32")
    activate(page)
    on_ent_home(page, ent.base_url, person.given_name, person.surname)
    expect(page.get_by_role("navigation", name="Mon compte")).to_contain_text(person.login)


def test_A8_code_is_obsolete_after_activation(page: Page, ent: Instance) -> None:
    person = ent.pending()
    start_activation(page, ent.base_url, person.login, person.secret)
    fill_activation(page)
    activate(page)
    on_ent_home(page, ent.base_url, person.given_name, person.surname)

    page.context.clear_cookies()  # another day
    open_login_page(page, ent.base_url)
    sign_in(page, person.login, person.secret)
    on_login_page(page, ent.base_url)
    expect(page.get_by_role("alert")).to_contain_text(INCORRECT)
    expect(page.get_by_role("heading", name="Activation de votre compte")).to_have_count(0)

    sign_in(page, person.login, NEW_PASSWORD)
    on_ent_home(page, ent.base_url, person.given_name, person.surname)
