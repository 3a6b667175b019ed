"""Parents' guide, « Se souvenir de moi »: S1–S4."""
import pytest
from playwright.sync_api import Browser, Page, expect

from conformance.conftest import Instance, callout, reopen_browser
from conformance.helpers import on_ent_home, on_login_page, open_login_page, sign_in
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
    person = ent.active(Profile.PARENT, given_name="Manon", surname="Faure")
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
    person = ent.active(Profile.PARENT, given_name="Antoine", surname="Mercier")
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
