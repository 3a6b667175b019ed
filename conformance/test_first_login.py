"""Parents' guide, first sign-in: C1–C4."""
from playwright.sync_api import Page, expect

from conformance.conftest import Instance, callout
from conformance.helpers import login_field, on_activation_page, open_login_page, password_field, sign_in, toggle_of


def test_C1_login_is_typed_in_identifiant(page: Page, ent: Instance) -> None:
    person = ent.pending()
    assert person.login.startswith("helene.martin")  # prénom.nom, without accent
    open_login_page(page, ent.base_url)
    field = login_field(page)
    expect(field).to_be_editable()
    expect(field).to_have_attribute("type", "text")
    field.press_sequentially(person.login)
    expect(field).to_have_value(person.login)
    callout(page, field, 1)


def test_C2_activation_code_is_masked(page: Page, ent: Instance) -> None:
    person = ent.pending()
    open_login_page(page, ent.base_url)
    login_field(page).fill(person.login)
    secret = password_field(page)
    secret.press_sequentially(person.secret)
    expect(secret).to_have_attribute("type", "password")
    expect(secret).to_have_value(person.secret)
    callout(page, login_field(page), 1)
    callout(page, secret, 2)


def test_C3_show_hide_button_reveals_the_code(page: Page, ent: Instance) -> None:
    person = ent.pending()
    open_login_page(page, ent.base_url)
    secret = password_field(page)
    secret.fill(person.secret)
    button = toggle_of(page, secret)
    expect(button).to_have_accessible_name("Afficher le mot de passe")

    button.click()
    expect(secret).to_have_attribute("type", "text")
    expect(secret).to_have_value(person.secret)
    expect(button).to_have_accessible_name("Masquer le mot de passe")
    state = page.locator("#password-etat")  # a live region: screen readers hear the change
    expect(state).to_have_attribute("aria-live", "polite")
    expect(state).to_have_text("Votre mot de passe est visible.")
    button.click()
    expect(secret).to_have_attribute("type", "password")
    expect(button).to_have_accessible_name("Afficher le mot de passe")
    expect(state).to_have_text("Votre mot de passe est masqué.")

    # From the keyboard: Tab from the field to its button, then Enter, then Space.
    secret.focus()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(secret).to_have_attribute("type", "text")
    expect(button).to_have_accessible_name("Masquer le mot de passe")
    expect(button).to_be_focused()
    page.keyboard.press("Space")
    expect(secret).to_have_attribute("type", "password")
    expect(button).to_have_accessible_name("Afficher le mot de passe")
    expect(secret).to_have_value(person.secret)
    button.click()  # the screenshot shows the code in clear, as the guide's picture does
    callout(page, secret, 2)
    callout(page, button, 3)


def test_C4_connexion_with_the_code_leads_to_activation(page: Page, ent: Instance) -> None:
    person = ent.pending()
    open_login_page(page, ent.base_url)
    sign_in(page, person.login, person.secret)
    on_activation_page(page, person.login)
    expect(page).not_to_have_url(ent.base_url + "/accueil")
    expect(page.get_by_role("heading", name="Bonjour")).to_have_count(0)

    # The code as a person may type it: lower case, no hyphens.
    other = ent.pending(given_name="Hugo", surname="Petit")
    page.context.clear_cookies()
    open_login_page(page, ent.base_url)
    sign_in(page, other.login, other.secret.lower().replace("-", ""))
    on_activation_page(page, other.login)
