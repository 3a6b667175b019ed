"""« Mon compte »: M1–M4 (beyond the guide: the person's own account)."""
import re

from playwright.sync_api import Browser, Page, expect

from conformance.conftest import Instance, callout
from conformance.helpers import on_ent_home, on_login_page, open_login_page, sign_in
from idp.directory import Profile

NEW_PASSWORD = "Marronnier2027"
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.5 Mobile/15E148 Safari/604.1")


def open_my_account(page: Page, login: str) -> None:
    link = page.get_by_role("navigation", name="Mon compte").get_by_role("link", name=f"Mon compte ({login})")
    link.click()
    expect(page.get_by_role("heading", name="Mon compte", exact=True)).to_be_visible()


def signed_in_elsewhere(browser: Browser, ent: Instance, login: str, secret: str) -> Page:
    """The same person on another device (a phone)."""
    phone = browser.new_context(locale="fr-FR", user_agent=PHONE).new_page()
    open_login_page(phone, ent.base_url)
    sign_in(phone, login, secret)
    return phone


def test_M1_my_account_shows_who_i_am(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT, mobile="+33645678912")
    open_login_page(page, ent.base_url)
    sign_in(page, parent.login, parent.secret)
    on_ent_home(page, ent.base_url, parent.given_name, parent.surname)
    header_link = page.get_by_role("link", name=f"Mon compte ({parent.login})")
    callout(page, header_link, 1)
    open_my_account(page, parent.login)
    main = page.get_by_role("main")
    expect(main).to_contain_text(parent.login)
    expect(main).to_contain_text("Parent")
    expect(main).to_contain_text(f"{parent.login[0]}•••@example.fr")
    expect(main).to_contain_text("06 •• •• •• 12")
    expect(main).not_to_contain_text(f"{parent.login}@example.fr")
    expect(main.get_by_role("heading", name="Mes applications")).to_be_visible()
    callout(page, main.get_by_role("heading", name="Sécurité"), 2)


def test_M2_new_password_signs_out_the_other_devices(page: Page, ent: Instance, browser: Browser) -> None:
    parent = ent.active(Profile.PARENT)
    phone = signed_in_elsewhere(browser, ent, parent.login, parent.secret)
    open_login_page(page, ent.base_url)
    sign_in(page, parent.login, parent.secret)
    open_my_account(page, parent.login)
    page.get_by_role("link", name="Modifier mon mot de passe").click()
    page.get_by_label("Mot de passe actuel", exact=True).fill(parent.secret)
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("status")).to_contain_text("Votre mot de passe a été modifié.")
    callout(page, page.get_by_role("status"), 1)

    assert any("mot de passe" in body.lower() for body in ent.mail_to(f"{parent.login}@example.fr"))
    phone.goto(ent.base_url + "/compte")
    on_login_page(phone, ent.base_url)  # the other device is signed out
    phone.context.close()
    page.get_by_role("navigation", name="Mon compte").get_by_role("button", name="Se déconnecter").click()
    open_login_page(page, ent.base_url)
    sign_in(page, parent.login, NEW_PASSWORD)
    on_ent_home(page, ent.base_url, parent.given_name, parent.surname)


def test_M3_new_recovery_email_is_used_once_confirmed(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT)
    new_address = f"nouvelle.{parent.login}@example.org"
    open_login_page(page, ent.base_url)
    sign_in(page, parent.login, parent.secret)
    open_my_account(page, parent.login)
    page.get_by_role("link", name="Modifier mon courriel").click()
    page.get_by_label("Nouvelle adresse de courriel").fill(new_address)
    page.get_by_label("Mot de passe actuel", exact=True).fill(parent.secret)
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page.get_by_role("status")).to_contain_text("Un lien de confirmation a été envoyé")
    expect(page.get_by_role("main")).to_contain_text(f"{parent.login[0]}•••@example.fr")  # not yet the new one

    body = ent.mail_to(new_address)[-1]
    link = re.search(r"http\S+/compte/courriel/confirmer\?jeton=[\w-]+", body).group(0)
    page.goto(link)
    confirm = page.get_by_role("button", name="Confirmer cette adresse")
    callout(page, confirm, 1)
    confirm.click()
    expect(page.get_by_role("heading", name="Votre adresse de courriel est confirmée")).to_be_visible()
    told = ent.mail_to(f"{parent.login}@example.fr")
    assert any(new_address in message for message in told), told
    open_my_account(page, parent.login)
    expect(page.get_by_role("main")).to_contain_text("n•••@example.org")


def test_M4_where_i_am_signed_in_and_signing_out_a_device(page: Page, ent: Instance, browser: Browser) -> None:
    parent = ent.active(Profile.PARENT)
    phone = signed_in_elsewhere(browser, ent, parent.login, parent.secret)
    open_login_page(page, ent.base_url)
    sign_in(page, parent.login, parent.secret)
    open_my_account(page, parent.login)
    devices = page.get_by_role("main").get_by_role("list").filter(has_text="cet appareil")
    expect(devices.get_by_role("listitem")).to_have_count(2)
    phone_item = devices.get_by_role("listitem").filter(has_text="iPhone")
    callout(page, phone_item, 1)
    phone_item.get_by_role("button", name="Déconnecter cet appareil").click()
    expect(page.get_by_role("status")).to_contain_text("L’appareil a été déconnecté.")
    expect(devices.get_by_role("listitem")).to_have_count(1)
    phone.goto(ent.base_url + "/compte")
    on_login_page(phone, ent.base_url)
    phone.context.close()
