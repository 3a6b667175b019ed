"""What a person does again and again in the guide steps: sign in on the ENT's login page,
fill the activation page, read the college app's table. Driven by labels and roles only."""
from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from conformance import accessibility

NEW_PASSWORD = "Kiwi4Zebre8"
"""A personal password the rules accept (8+ characters, letters and digits, not common,
no name in it)."""

INCORRECT = "Identifiant ou mot de passe incorrect"


def login_field(page: Page) -> Locator:
    return page.get_by_label("Identifiant")


def password_field(page: Page) -> Locator:
    """« Mot de passe » on the login page (not the show/hide button « Afficher le mot de passe »)."""
    return page.get_by_label("Mot de passe", exact=True)


def new_password_field(page: Page) -> Locator:
    return page.get_by_label("Nouveau mot de passe", exact=True)


def confirmation_field(page: Page) -> Locator:
    return page.get_by_label("Confirmation du nouveau mot de passe", exact=True)


def email_field(page: Page) -> Locator:
    return page.get_by_label("Courriel")


def mobile_field(page: Page) -> Locator:
    return page.get_by_label(re.compile(r"^Téléphone mobile"))


def accept_box(page: Page) -> Locator:
    return page.get_by_role("checkbox", name="J’accepte les conditions générales d’utilisation")


def toggle_of(page: Page, field: Locator) -> Locator:
    """The show/hide button that sits with `field` (each secret has its own)."""
    return page.locator(".champ").filter(has=field).get_by_role(
        "button", name=re.compile(r"^(Afficher|Masquer) le mot de passe$"))


def on_login_page(page: Page, base_url: str) -> None:
    expect(page).to_have_url(re.compile("^" + re.escape(base_url + "/connexion")))
    expect(page.get_by_role("heading", name="Connexion", exact=True)).to_be_visible()
    expect(login_field(page)).to_be_visible()
    accessibility.check(page)


def sign_in(page: Page, login: str, secret: str, *, remember: bool = False) -> None:
    """On the login page: « Identifiant », « Mot de passe », maybe « Se souvenir de moi », « Connexion »."""
    login_field(page).fill(login)
    password_field(page).fill(secret)
    if remember:
        page.get_by_role("checkbox", name="Se souvenir de moi").check()
    page.get_by_role("button", name="Connexion", exact=True).click()


def open_login_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    on_login_page(page, base_url)


def on_activation_page(page: Page, login: str | None = None) -> None:
    expect(page.get_by_role("heading", name="Activation de votre compte")).to_be_visible()
    if login:
        expect(page.get_by_role("main")).to_contain_text(login)
    accessibility.check(page)


def start_activation(page: Page, base_url: str, login: str, code: str) -> None:
    """The first sign-in with the letter's activation code, up to the activation page."""
    open_login_page(page, base_url)
    sign_in(page, login, code)
    on_activation_page(page, login)


def fill_activation(page: Page, *, password: str = NEW_PASSWORD, confirmation: str | None = None,
                    email: str = "parent.personnel@exemple.fr", mobile: str = "", accept: bool = True) -> None:
    new_password_field(page).fill(password)
    confirmation_field(page).fill(password if confirmation is None else confirmation)
    email_field(page).fill(email)
    mobile_field(page).fill(mobile)
    if accept:
        accept_box(page).check()


def activate(page: Page) -> None:
    page.get_by_role("button", name="Activer", exact=True).click()


def refused(page: Page, message: str | re.Pattern[str]) -> None:
    """The activation page again, saying what to fix."""
    on_activation_page(page)
    expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    accessibility.check(page)


def still_pending(page: Page, base_url: str, login: str, code: str) -> None:
    """Nothing was saved: in another browser, the letter's code still leads to the activation
    page (`page` stays as it is, showing the refusal)."""
    browser = page.context.browser
    assert browser is not None
    elsewhere = browser.new_context(locale="fr-FR")
    try:
        start_activation(elsewhere.new_page(), base_url, login, code)
    finally:
        elsewhere.close()


def on_ent_home(page: Page, base_url: str, given_name: str, surname: str) -> None:
    expect(page).to_have_url(base_url + "/accueil")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {given_name} {surname}")
    accessibility.check(page)


def claim(page: Page, label: str) -> Locator:
    """The value the college app shows next to `label` in its table."""
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label, exact=True)).get_by_role("cell")


def connect_with_ent(page: Page, college_url: str) -> None:
    page.goto(college_url + "/")
    page.get_by_role("button", name="Se connecter avec l’ENT").click()


def on_college_signed_in(page: Page, college_url: str) -> None:
    expect(page).to_have_url(college_url + "/")
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_be_visible()


class Visits:
    """Every address the page's main frame goes to, from now on."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("framenavigated", lambda frame: frame.parent_frame is None and self.urls.append(frame.url))

    def to(self, prefix: str) -> list[str]:
        return [url for url in self.urls if url.startswith(prefix)]
