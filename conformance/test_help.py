"""Parents' guide, help for parents: H1–H2."""
import re
import time
from email.header import decode_header, make_header
from email.message import Message

from playwright.sync_api import Page, expect

from conformance.conftest import SCHOOL, Instance

PROBLEM = "Je n’arrive pas à activer mon compte"


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def mails_to(ent: Instance, address: str, containing: str, seconds: float = 10) -> list[Message]:
    """The messages the instance's SMTP server received for `address` whose subject has `containing`."""
    deadline = time.monotonic() + seconds
    while True:
        found = [m for m in ent.messages() if m["To"] == address and containing in subject(m)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def plain_text(message: Message) -> str:
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def open_help_form(page: Page, ent: Instance) -> None:
    page.goto(ent.base_url + "/connexion")
    page.get_by_role("main").get_by_role("link", name="Problème de connexion parents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Problème de connexion parents")


def send(page: Page) -> None:
    page.get_by_role("button", name="Envoyer la demande").click()


def test_H1_login_page_offers_the_parents_help_form(page: Page, ent: Instance) -> None:
    open_help_form(page, ent)
    expect(page).to_have_url(ent.base_url + "/aide")
    for label in ("Vos nom et prénom", "Courriel", "Téléphone", "Votre identifiant (si vous le connaissez)",
                  "Nom et prénom de votre enfant", "Classe", "Collège", "Message"):
        expect(page.get_by_label(label)).to_be_visible()
    problems = page.get_by_role("group", name="Votre problème")
    for choice in (PROBLEM, "J’ai perdu mon mot de passe", "Autre"):
        expect(problems.get_by_role("radio", name=choice)).to_be_visible()
    expect(page.get_by_role("button", name="Envoyer la demande")).to_be_visible()


def test_H2_parent_in_difficulty_fills_the_form_and_gets_a_reference(page: Page, ent: Instance) -> None:
    open_help_form(page, ent)
    name, email = page.get_by_label("Vos nom et prénom"), page.get_by_label("Courriel")
    phone, school = page.get_by_label("Téléphone"), page.get_by_label("Collège")
    child, school_class = page.get_by_label("Nom et prénom de votre enfant"), page.get_by_label("Classe")
    problem, message = page.get_by_role("radio", name=PROBLEM), page.get_by_label("Message")
    name.fill("Hélène Martin")
    email.fill("helene.martin@exemple")  # the mistake: no domain extension
    phone.fill("06 12 34 56 78")
    child.fill("Léo Martin")
    school_class.fill("4e B")
    school.select_option(label="Collège Les Tilleuls")
    problem.check()
    message.fill("Le code d’activation de la lettre est refusé.")
    send(page)

    # Refused: the problem is said next to its field, and nothing typed is lost.
    expect(page.get_by_role("alert").filter(has_text="Adresse de courriel invalide")).to_be_visible()
    expect(email).to_have_accessible_description(re.compile("Adresse de courriel invalide"))
    for field, value in ((name, "Hélène Martin"), (email, "helene.martin@exemple"), (phone, "06 12 34 56 78"),
                         (child, "Léo Martin"), (school_class, "4e B"), (school, SCHOOL),
                         (message, "Le code d’activation de la lettre est refusé.")):
        expect(field).to_have_value(value)
    expect(problem).to_be_checked()

    email.fill("helene.martin@exemple.fr")
    send(page)
    confirmation = page.get_by_text(re.compile(r"Votre demande a bien été enregistrée sous le numéro AIDE-"))
    expect(confirmation).to_be_visible()
    reference = re.search(r"AIDE-[A-Z2-9]{3}-[A-Z2-9]{3}", confirmation.inner_text()).group(0)

    # The request reaches the people who can help, and the parent gets an acknowledgement.
    assert mails_to(ent, "helene.martin@exemple.fr", reference), "no acknowledgement for the parent"
    if ent.help_desk:
        notifications = mails_to(ent, ent.help_desk, reference)
        assert len(notifications) == 1, \
            f"{ent.help_desk} (the school's help desk): {len(notifications)} notification(s)"
        text = plain_text(notifications[0])
        assert "Léo Martin" in text and PROBLEM in text and f"/assistance/{reference}" in text
