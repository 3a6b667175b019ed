"""Apache mod_auth_openidc as two college apps, in Chromium: one sign-in for both, and one
« Se déconnecter » on the ENT signs the person out of both (back-channel logout), as a
shared computer in a school's multimedia room needs. mod_auth_openidc reads what the ENT
advertises, and the tokens it sends, without a warning."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import eventually
from tests.oidc.apache_openidc import ApacheOidc
from tests.oidc.conftest import PASSWORD, LiveProvider


@pytest.fixture(scope="module")
def apps(live_provider: LiveProvider) -> Iterator[list[ApacheOidc]]:
    started: list[ApacheOidc] = []
    try:
        for name in ("Vie scolaire (Apache)", "Cahier de textes (Apache)"):
            apache = ApacheOidc(live_provider.issuer)
            registered = live_provider.register(name=name, redirect_uris=[apache.redirect_uri],
                                                backchannel_logout_uri=apache.backchannel_logout_uri)
            apache.client_id = registered.client.client_id
            apache.client_secret = registered.client_secret or ""
            started.append(apache.start())
        yield started
    finally:
        for apache in started:
            apache.cleanup()


def shown_user(page: Page) -> str | None:
    """Who the app's page says the module let in (None: not the app's page)."""
    try:
        return json.loads(page.locator("body").inner_text()).get("user")
    except ValueError:
        return None


def complaints(apache: ApacheOidc) -> list[str]:
    """What mod_auth_openidc warned of or refused in its log (the ENT's metadata, JWKS, tokens,
    logout tokens…), but for its advice to use https, which tests on loopback do not."""
    return [line for line in (apache.folder / "error.log").read_text(errors="replace").splitlines()
            if ("[auth_openidc:warn]" in line or "[auth_openidc:error]" in line)
            and 'URL scheme (http) of the configured' not in line]


def on_ent_login_page(page: Page, issuer: str) -> bool:
    return page.url.startswith(issuer) and page.get_by_label("Identifiant").count() == 1


def test_one_sign_in_for_both_apps_and_one_sign_out_for_both(live_provider: LiveProvider, chromium: Browser,
                                                             apps: list[ApacheOidc], teacher: str) -> None:
    first, second = apps
    page = chromium.new_context(locale="fr-FR").new_page()
    page.goto(first.protected_url)
    assert on_ent_login_page(page, live_provider.issuer), page.url
    page.get_by_label("Identifiant").fill(teacher)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(first.protected_url)
    assert shown_user(page) == teacher, first.log_text()[-2000:]
    page.goto(second.protected_url)  # single sign-on: no login page
    assert shown_user(page) == teacher, second.log_text()[-2000:]

    page.goto(live_provider.issuer + "/accueil")
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    listed = page.get_by_role("main").get_by_role("listitem").all_inner_texts()
    assert {"Vie scolaire (Apache)", "Cahier de textes (Apache)"} <= set(listed)

    for apache in apps:  # each app's own session ended through the back channel
        def signed_out(apache: ApacheOidc = apache) -> bool:
            page.goto(apache.protected_url)
            return on_ent_login_page(page, live_provider.issuer)
        assert eventually(signed_out), apache.log_text()[-3000:]
    page.context.close()
    for apache in apps:
        assert complaints(apache) == [], apache.log_text()[-3000:]


def test_a_passive_page_without_an_ent_session_never_breaks(live_provider: LiveProvider, chromium: Browser,
                                                            apps: list[ApacheOidc], teacher: str) -> None:
    """`prompt=none` (`OIDCPathAuthRequestParams`) without a session: the ENT answers
    `login_required` with its `iss` (RFC 9207). mod_auth_openidc 2.4.12 takes an `iss` without a
    code for a sign-in the ENT started, and asks again without `prompt=none`: the person gets
    the ENT's login page (never an error page or a loop), and once signed in, the app."""
    first = apps[0]
    page = chromium.new_context(locale="fr-FR").new_page()
    page.goto(first.passive_url)
    assert on_ent_login_page(page, live_provider.issuer), page.url
    page.get_by_label("Identifiant").fill(teacher)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{first.base_url}/**")
    page.goto(first.passive_url)  # now signed in: the passive page lets the person in
    assert shown_user(page) == teacher, first.log_text()[-2000:]
    page.context.close()
    assert complaints(first) == [], first.log_text()[-3000:]

