"""Parents' guide, portal: P1–P3."""
from playwright.sync_api import Page, expect

from conformance.conftest import Instance, callout


def test_P1_portal_leads_to_the_login_page(page: Page, ent: Instance) -> None:
    page.goto(ent.base_url + "/")
    page.get_by_role("link", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_label("Identifiant")).to_be_visible()
    page.go_back()  # the guide's picture is the portal, with its button
    callout(page, page.get_by_role("main").get_by_role("link", name="Se connecter"))


def test_P2_connected_colleges_lead_to_their_ent(page: Page, ent: Instance) -> None:
    page.goto(ent.base_url + "/")
    connected = "Si vous faites partie des collèges connectés, accédez directement à votre ENT"
    expect(page.get_by_text(connected)).to_be_visible()
    page.get_by_role("link", name="Collège Les Tilleuls").click()
    expect(page).to_have_url(ent.college(0).url + "/")
    expect(page.get_by_role("button", name="Se connecter avec l’ENT")).to_be_visible()


def test_P3_help_and_guides_lead_somewhere_real(page: Page, ent: Instance) -> None:
    for link, heading in (("Problème de connexion parents", "Problème de connexion parents"),
                          ("Guides parents", "Guide parents — Activer son compte"),
                          ("Guides professeurs", "Guide professeurs — Activer son compte")):
        page.goto(ent.base_url + "/")
        page.get_by_role("main").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.goto(ent.base_url + "/")  # the guide's picture is the portal, its three links marked
    for link in ("Problème de connexion parents", "Guides parents", "Guides professeurs"):
        callout(page, page.get_by_role("main").get_by_role("link", name=link))
