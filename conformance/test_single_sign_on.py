"""Teachers' guide and single sign-on: T1, O1, O2, O3."""
import re

from playwright.sync_api import Page, expect

from conformance.conftest import SCHOOL, Instance
from conformance.helpers import (
    Visits,
    activate,
    claim,
    connect_with_ent,
    fill_activation,
    on_activation_page,
    on_college_signed_in,
    on_login_page,
    sign_in,
)
from idp.directory import Profile


def test_T1_teacher_activates_from_a_college_app(page: Page, ent: Instance) -> None:
    teacher = ent.pending(Profile.TEACHER)
    college = ent.college(0)
    connect_with_ent(page, college.url)
    on_login_page(page, ent.base_url)
    expect(page.get_by_role("main")).to_contain_text(college.name)
    sign_in(page, teacher.login, teacher.secret)
    on_activation_page(page, teacher.login)
    fill_activation(page, email="h.rousseau.perso@exemple.fr")

    visits = Visits(page)
    activate(page)
    on_college_signed_in(page, college.url)
    expect(claim(page, "Identifiant")).to_have_text(teacher.login)
    expect(claim(page, "Profil")).to_have_text("professeur")
    assert visits.to(ent.base_url + "/connexion") == [], "a second login page was shown"


def test_O1_college_app_receives_identity_and_profile(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT)
    college = ent.college(0)
    connect_with_ent(page, college.url)
    on_login_page(page, ent.base_url)
    sign_in(page, parent.login, parent.secret)
    on_college_signed_in(page, college.url)
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_contain_text(parent.given_name)
    expect(claim(page, "Identifiant")).to_have_text(parent.login)
    expect(claim(page, "Profil")).to_have_text("parent")
    expect(claim(page, "Établissement(s)")).to_contain_text(SCHOOL)


def test_O2_second_app_signs_in_without_a_new_login(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT)
    first, second = ent.college(0), ent.college(1)
    connect_with_ent(page, first.url)
    sign_in(page, parent.login, parent.secret)
    on_college_signed_in(page, first.url)

    visits = Visits(page)
    connect_with_ent(page, second.url)
    on_college_signed_in(page, second.url)
    expect(claim(page, "Identifiant")).to_have_text(parent.login)
    assert visits.to(ent.base_url + "/connexion") == [], "the second app showed the ENT login page"

    # Signing out of the second app signs out of the ENT.
    page.get_by_role("button", name="Se déconnecter").click()
    confirm = page.get_by_role("heading", name="Se déconnecter de l’ENT ?")
    signed_out = page.get_by_text("La session est fermée sur l’application et sur l’ENT")
    expect(confirm.or_(signed_out)).to_be_visible()
    if confirm.is_visible():
        page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    expect(signed_out).to_be_visible()
    expect(page).to_have_url(re.compile("^" + re.escape(second.url + "/")))

    # The ENT session is over: the ENT asks to sign in again (each app keeps its own session).
    page.goto(ent.base_url + "/accueil")
    on_login_page(page, ent.base_url)


def test_O3_cas_app_signs_in_the_person_already_signed_in(page: Page, ent: Instance) -> None:
    parent = ent.active(Profile.PARENT)
    college, pronote = ent.college(0), ent.cas_app(0)
    connect_with_ent(page, college.url)
    sign_in(page, parent.login, parent.secret)
    on_college_signed_in(page, college.url)

    visits = Visits(page)
    page.goto(pronote.url)
    expect(page).to_have_url(pronote.url)
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_contain_text(parent.login)
    assert visits.to(ent.base_url + "/connexion") == [], "the CAS app showed the ENT login page"
    expect(claim(page, "Identifiant (cas:user)")).to_have_text(parent.login)
    expect(claim(page, "categories")).to_have_text("National_2")
    expect(claim(page, "nom")).to_have_text(parent.surname)
    expect(claim(page, "prenom")).to_have_text(parent.given_name)
