"""The flows in Chromium, as people use them beyond the mouse and the desktop.

With the keyboard alone (RGAA 7.3, 10.7; WCAG 2.1.1, 2.4.7): the login, activation, recovery,
help and account forms are completed with Tab, typing, Space and Enter; the element with the
focus is always visibly outlined; after a refused submit the focus is on the error summary.
On a phone (390 × 844): the help form and the help desk's list fit the screen's width. The
schools' console, on a tablet: no axe-core violation at three sizes, and an action done with
the keyboard."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from idp.app import create_app
from idp.config import load_settings
from idp.directory import Directory, NewAccount, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.http_server import closing_bodies
from idp.provisioning.service import Provisioner
from tests.conftest import settings_file
from tests.flows.conftest import PASSWORD, new_active, new_pending

NEW_PASSWORD = "Kiwi4Zebre8"
TILLEULS = "0770001H"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ENT served on a port of its own (the real slapd behind it)."""
    folder = tmp_path_factory.mktemp("keyboard")
    port = free_port()
    settings = load_settings(settings_file(slapd, folder, f'issuer = "http://127.0.0.1:{port}"\n'), environ={})
    app = create_app(settings.with_changes(terms_version="2026-09", schools={TILLEULS: "Collège Les Tilleuls"}))
    server = make_server("127.0.0.1", port, closing_bodies(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


def tab_to(page: Page, selector: str, most: int = 40) -> None:
    """Tab until `selector` has the focus, checking that each element on the way shows it."""
    target = page.locator(selector)
    for _ in range(most):
        page.keyboard.press("Tab")
        assert page.evaluate("""() => {
            const element = document.activeElement, style = getComputedStyle(element);
            return element === document.body || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0);
        }"""), f"no visible focus on {page.evaluate('() => document.activeElement.outerHTML.slice(0, 120)')}"
        if target.evaluate("(element) => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus with Tab")


def type_in(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def test_the_skip_link_comes_first_and_shows(page: Page, site: str) -> None:
    page.goto(site + "/connexion")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#contenu")


def test_sign_in_with_the_keyboard_and_the_focus_on_the_summary_after_a_refusal(
        page: Page, site: str, directory: Directory) -> None:
    login = new_active(directory, "Clavier")
    page.goto(site + "/connexion")
    type_in(page, "#login", login)
    type_in(page, "#password", "PasLeBon2026")
    page.keyboard.press("Enter")
    expect(page).to_have_title("Erreur : Connexion — ENT 77")
    expect(page.locator(".resume-erreurs")).to_be_focused()
    page.keyboard.press("Tab")  # the summary's link, then Enter: to the field
    page.keyboard.press("Enter")
    expect(page.locator("#login")).to_be_focused()
    type_in(page, "#password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Danièle Clavier")


def test_activation_with_the_keyboard(page: Page, site: str, directory: Directory) -> None:
    created = new_pending(directory, "Clavieractivation")
    page.goto(site + "/connexion")
    type_in(page, "#login", created.login)
    type_in(page, "#password", created.activation_code)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Activation de votre compte")).to_be_visible()
    type_in(page, "#password", NEW_PASSWORD)
    type_in(page, "#confirmation", NEW_PASSWORD)
    type_in(page, "#email", "clavier@exemple.fr")
    tab_to(page, "#accept")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit].large")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Votre compte est activé.")


def test_recovery_and_help_forms_with_the_keyboard(page: Page, site: str, directory: Directory) -> None:
    login = new_active(directory, "Clavierrecup")
    page.goto(site + "/mot-de-passe-oublie")
    type_in(page, "#who", login)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(site + "/aide")
    tab_to(page, "button[type=submit].large")
    page.keyboard.press("Enter")  # empty: refused, the focus on the summary
    expect(page.locator(".resume-erreurs")).to_be_focused()


def test_the_account_password_form_with_the_keyboard(page: Page, site: str, directory: Directory) -> None:
    login = new_active(directory, "Claviercompte")
    page.goto(site + "/connexion")
    type_in(page, "#login", login)
    type_in(page, "#password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Danièle Claviercompte")
    page.goto(site + "/compte/mot-de-passe")
    type_in(page, "#current", PASSWORD)
    type_in(page, "#password", NEW_PASSWORD)
    type_in(page, "#confirmation", NEW_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Votre mot de passe a été modifié.")
    directory.verify(login, NEW_PASSWORD)


def fits_the_width(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def signed_in_staff(chromium: Browser, site: str, directory: Directory, surname: str, school: str, role: str,
                    viewport: dict[str, int]) -> Page:
    """A staff member of `school` with `role`, signed in through the login page at `viewport`."""
    created = Provisioner(directory, 90).add(NewAccount("Hélène", surname, Profile.STAFF, (school,), roles=(role,)))
    directory.activate(created.login, password=PASSWORD, recovery_email="vs@example.fr", terms_version="x")
    page = chromium.new_context(locale="fr-FR", viewport=viewport).new_page()
    page.goto(site + "/connexion")
    page.get_by_label("Identifiant").fill(created.login)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    return page


def test_the_help_form_and_the_help_desk_list_fit_a_phone(chromium: Browser, site: str,
                                                          directory: Directory) -> None:
    parent = chromium.new_context(locale="fr-FR", viewport=PHONE).new_page()
    parent.goto(site + "/aide")
    assert fits_the_width(parent)
    parent.get_by_label("Vos nom et prénom").fill("Danièle Téléphone")
    parent.get_by_label("Courriel").fill("d.telephone@example.fr")
    parent.get_by_label("Nom et prénom de votre enfant").fill("Léo Téléphone")
    parent.get_by_label("Classe").fill("4e B")
    parent.get_by_label("Collège").select_option(TILLEULS)
    parent.get_by_role("radio").first.check()
    parent.get_by_label("Message").fill("Je n'ai pas reçu la lettre.")
    parent.get_by_role("button", name="Envoyer").click()
    expect(parent.get_by_role("status")).to_be_visible()
    parent.context.close()

    staff = signed_in_staff(chromium, site, directory, "Téléphone", TILLEULS, "helpdesk", PHONE)
    staff.goto(site + "/assistance")
    expect(staff.get_by_text("Danièle Téléphone")).to_be_visible()
    assert fits_the_width(staff)
    staff.context.close()


TABLET = {"width": 768, "height": 1024}
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
             "resultTypes": ["violations"]}


def test_the_console_on_a_tablet_with_the_keyboard_and_no_axe_violation(
        chromium: Browser, site: str, directory: Directory, unique_surname: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from idp.provisioning.aaf_import import AafImport
    from tests.provisioning.aaf import Export

    export = Export(unique_surname)
    report = AafImport(directory, Provisioner(directory, 90)).run(export.write(tmp_path_factory.mktemp("aaf")))
    secretary = next(c.login for c in report.created if c.person.join_key == export.secretary.key)
    uai = export.tilleuls.uai
    page = signed_in_staff(chromium, site, directory, unique_surname + "adm", uai, "school-admin", TABLET)
    axe, found = Axe(), []
    for path in ("/administration", f"/administration/{uai}", f"/administration/{uai}/comptes?profil=staff"):
        page.goto(site + path)
        for size in (TABLET, PHONE, {"width": 1280, "height": 800}):
            page.set_viewport_size(size)
            found += [(path, size["width"], violation["id"]) for violation in
                      axe.run(page, options=AXE_RULES).response["violations"]]
        page.set_viewport_size(TABLET)
        assert fits_the_width(page), path
    # Tick the secretary and lock her, with the keyboard only: Tab, Space, Enter.
    tab_to(page, f"input[value='{secretary}']")
    page.keyboard.press("Space")
    tab_to(page, "button[value=verrouiller]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Verrouiller\u00a0?")).to_be_visible()
    found += [("confirmation", TABLET["width"], violation["id"])
              for violation in axe.run(page, options=AXE_RULES).response["violations"]]
    tab_to(page, "button.bouton")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Comptes verrouillés")).to_be_visible()
    assert not found
    page.context.close()
