"""Parents' guide, « Se souvenir de moi »: S1–S5."""
import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from conformance.conftest import Instance, callout, reopen_browser
from conformance.helpers import (
    connect_with_ent,
    on_college_signed_in,
    on_ent_home,
    on_login_page,
    open_login_page,
    sign_in,
)
from idp.directory import Profile


def test_S1_remember_me_is_unchecked_by_default(page: Page, ent: Instance) -> None:
    open_login_page(page, ent.base_url)
    remember = page.get_by_role("checkbox", name="Se souvenir de moi")
    expect(remember).to_be_visible()
    expect(remember).to_be_enabled()
    expect(remember).not_to_be_checked()
    callout(page, remember, 1)


def test_S2_unchecked_signs_out_when_the_browser_closes(page: Page, ent: Instance, browser: Browser,
                                                        request: pytest.FixtureRequest) -> None:
    person = ent.active(Profile.PARENT)
    open_login_page(page, ent.base_url)
    sign_in(page, person.login, person.secret)
    on_ent_home(page, ent.base_url, person.given_name, person.surname)

    reopened = reopen_browser(browser, page.context)
    request.node.last_page = reopened
    reopened.goto(ent.base_url + "/accueil")
    on_login_page(reopened, ent.base_url)
    expect(reopened.get_by_role("heading", name="Bonjour")).to_have_count(0)


def test_S3_checked_stays_signed_in_after_the_browser_closes(page: Page, ent: Instance, browser: Browser,
                                                             request: pytest.FixtureRequest) -> None:
    person = ent.active(Profile.PARENT)
    open_login_page(page, ent.base_url)
    sign_in(page, person.login, person.secret, remember=True)
    on_ent_home(page, ent.base_url, person.given_name, person.surname)

    reopened = reopen_browser(browser, page.context)
    request.node.last_page = reopened
    reopened.goto(ent.base_url + "/accueil")
    on_ent_home(reopened, ent.base_url, person.given_name, person.surname)


def test_S4_warning_against_shared_computers(page: Page, ent: Instance) -> None:
    open_login_page(page, ent.base_url)
    form = page.get_by_role("main")
    expect(form).to_contain_text("ordinateur partagé")
    expect(form).to_contain_text("salles multimédias")
    expect(form.get_by_text("ordinateur partagé")).to_contain_text("Se souvenir de moi")
    callout(page, form.get_by_text("ordinateur partagé"), 1)


def test_S5_signing_out_of_the_ent_signs_out_of_the_college_apps(page: Page, ent: Instance) -> None:
    person = ent.active(Profile.PARENT)
    college, pronote = ent.college(0), ent.cas_app(0)
    connect_with_ent(page, college.url)
    sign_in(page, person.login, person.secret)
    on_college_signed_in(page, college.url)
    page.goto(pronote.url)
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_contain_text(person.login)

    page.goto(ent.base_url + "/accueil")
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    signed_out = page.get_by_role("main")
    expect(signed_out).to_contain_text("La session est fermée sur l’ENT et sur ces applications")
    expect(signed_out.get_by_role("listitem").filter(has_text=college.name)).to_be_visible()
    expect(signed_out.get_by_role("listitem").filter(has_text=pronote.name)).to_be_visible()
    expect(signed_out).to_contain_text("ordinateur partagé")
    callout(page, signed_out.get_by_role("list"), 1)

    # The apps were told in the background: each asks for a sign-in again.
    visit = page.context.new_page()
    assert _signed_out_of(visit, college.url), "the college app still shows the person"
    visit.goto(pronote.url)
    on_login_page(visit, ent.base_url)
    visit.close()


def _signed_out_of(page: Page, college_url: str, seconds: float = 15.0) -> bool:
    """Whether the app's home page asks to sign in, within `seconds` (told in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(college_url + "/")
        if page.get_by_role("button", name="Se connecter avec l’ENT").count():
            return True
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(300)
