"""Lost password: R1 (by mail), R2 (by SMS, here with the file gateway)."""
import re

from playwright.sync_api import Page, expect

from conformance.conftest import Instance
from idp.directory import Profile

NEW_PASSWORD = "Marronnier2027"


def choose_new_password(page: Page) -> None:
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()


def test_R1_reset_link_by_mail_then_sign_in(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT)
    page.goto(ent.base_url + "/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Identifiant ou courriel").fill(parent.login)
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status")).to_contain_text("un courriel vient d’être envoyé")
    body = ent.mail_to(f"{parent.login}@example.fr")[-1]
    link = re.search(r"http\S+/mot-de-passe-oublie/nouveau\?jeton=[\w-]+", body).group(0)
    page.goto(link)
    choose_new_password(page)
    expect(page.get_by_role("heading", name=f"Bonjour {parent.given_name} {parent.surname}")).to_be_visible()
    page.get_by_role("navigation", name="Mon compte").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Déconnexion réussie")).to_be_visible()
    page.goto(ent.base_url + "/connexion")
    page.get_by_label("Identifiant", exact=False).first.fill(parent.login)
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name=f"Bonjour {parent.given_name} {parent.surname}")).to_be_visible()


def test_R2_reset_code_by_sms(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT, mobile="+33698765432")
    page.goto(ent.base_url + "/mot-de-passe-oublie")
    page.get_by_label("Identifiant ou courriel").fill(parent.login)
    page.get_by_label("Par SMS").check()
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status")).to_contain_text("un code à 6 chiffres vient de lui être envoyé")
    sms = ent.sms_to("+33698765432")
    code = re.search(r"\b(\d{6})\b", sms.read_text().split("\n\n", 1)[1]).group(1)
    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Valider").click()
    choose_new_password(page)
    expect(page.get_by_role("heading", name=f"Bonjour {parent.given_name} {parent.surname}")).to_be_visible()
