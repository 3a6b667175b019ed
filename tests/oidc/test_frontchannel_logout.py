"""OpenID Connect Front-Channel Logout 1.0, in Chromium: the ENT's signed-out page loads the
front-channel logout URI of each app the session used, with `iss` and `sid`, in a hidden
frame that its Content Security Policy allows for those apps' origins only."""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import Browser

from tests.conftest import eventually
from tests.oidc.conftest import PASSWORD, LiveProvider
from tests.oidc.helpers import discover, new_verifier
from tests.serving import RecordingSite


@pytest.fixture
def app() -> Iterator[RecordingSite]:
    """A college app's site: its callback, and its front-channel logout page."""
    with RecordingSite() as site:
        yield site


def test_the_signed_out_page_frames_each_app_with_iss_and_sid(live_provider: LiveProvider, chromium: Browser,
                                                             app: RecordingSite, teacher: str) -> None:
    registered = live_provider.register(name="Cahier de textes", redirect_uris=[app.url + "/callback"],
                                        frontchannel_logout_uri=app.url + "/frontchannel-logout?app=cahier")
    metadata = discover(live_provider.issuer)
    assert metadata["frontchannel_logout_supported"] is True
    assert metadata["frontchannel_logout_session_supported"] is True
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(metadata["authorization_endpoint"] + "?" + urlencode({
        "client_id": registered.client.client_id, "response_type": "code", "scope": "openid",
        "redirect_uri": app.url + "/callback", "state": "s", "code_challenge_method": "S256",
        "code_challenge": create_s256_code_challenge(new_verifier())}))
    page.get_by_label("Identifiant").fill(teacher)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(app.url + "/callback**")

    page.goto(live_provider.issuer + "/accueil")
    with page.expect_response(lambda response: response.url.endswith("/logout")) as signed_out:
        page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    csp = signed_out.value.headers["content-security-policy"]
    assert f"frame-src {app.url};" in csp and "frame-ancestors 'none'" in csp
    main = page.get_by_role("main")
    assert "La session est fermée sur l’ENT et sur ces applications" in main.inner_text()
    assert "Cahier de textes" in main.get_by_role("listitem").all_inner_texts()

    [logout] = eventually(lambda: [path for path in app.paths if path.startswith("/frontchannel-logout")])
    query = parse_qs(urlsplit(logout).query)
    assert query["app"] == ["cahier"] and query["iss"] == [live_provider.issuer] and query["sid"][0]
    context.close()


def test_a_page_without_apps_to_frame_allows_no_frame(live_provider: LiveProvider, chromium: Browser) -> None:
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    response = page.goto(live_provider.issuer + "/logout")
    assert response is not None and "frame-src" not in response.headers["content-security-policy"]
    context.close()
