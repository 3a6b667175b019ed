"""OpenID Connect Back-Channel Logout 1.0: when a browser session ends (« Se déconnecter », a
lock by an admin…), each app that got a code in it receives a signed logout token at its
back-channel logout URI, outside the person's request."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from joserfc import jwt

from idp.services import services
from tests.conftest import eventually
from tests.oidc.conftest import Browser, LiveProvider
from tests.oidc.helpers import discover, jwks, new_rp, signed_in_flow, time_out_sessions_of
from tests.serving import RecordingSite

EVENT = "http://schemas.openid.net/event/backchannel-logout"
BACKCHANNEL_PATH = "/backchannel-logout"


@pytest.fixture
def receiver() -> Iterator[RecordingSite]:
    """An app's back-channel logout endpoint."""
    with RecordingSite() as site:
        yield site


def logout_uri(receiver: RecordingSite) -> str:
    return receiver.url + BACKCHANNEL_PATH


def tokens_of(receiver: RecordingSite) -> list[str]:
    """The logout tokens it was sent, in order."""
    return [token for form in receiver.forms for token in form.get("logout_token", [])]


def verified(provider: LiveProvider, token: str, client_id: str) -> jwt.Token:
    """The logout token, checked as §2.6 asks of the app."""
    decoded = jwt.decode(token, jwks(provider.issuer), algorithms=["RS256"])
    assert decoded.header["typ"] == "logout+jwt" and decoded.header["kid"]
    claims = decoded.claims
    assert claims["iss"] == provider.issuer and claims["aud"] == client_id
    assert claims["events"] == {EVENT: {}} and "nonce" not in claims and claims["jti"]
    assert claims["iat"] <= claims["exp"]
    return decoded


def test_discovery_says_back_channel_logout_with_sessions(live_provider: LiveProvider) -> None:
    metadata = discover(live_provider.issuer)
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True


def test_se_deconnecter_sends_each_app_of_the_session_a_logout_token(
        live_provider: LiveProvider, browser: Browser, teacher: str, receiver: RecordingSite) -> None:
    told = new_rp(live_provider, backchannel_logout_uri=logout_uri(receiver))
    silent = new_rp(live_provider)  # no back-channel URI: told nothing, and nothing breaks
    with told.session(scope="openid") as client:
        _, id_token = signed_in_flow(told, browser, teacher, client)
    with silent.session(scope="openid") as client:
        url, _ = silent.authorization_url(client)
        browser.open(url)
    page = browser.sign_out()
    assert page.status_code == 200 and "Déconnexion réussie" in page.text

    [token] = eventually(lambda: tokens_of(receiver))
    claims = verified(live_provider, token, told.client_id).claims
    assert claims["sid"] == id_token.claims["sid"] and claims["sub"] == id_token.claims["sub"]


def test_a_lock_by_an_admin_tells_the_apps_of_every_session(
        live_provider: LiveProvider, teacher: str, receiver: RecordingSite) -> None:
    rp = new_rp(live_provider, backchannel_logout_uri=logout_uri(receiver))
    sids = set()
    for _ in range(2):  # two browsers, two sessions
        with rp.session(scope="openid") as client:
            _, id_token = signed_in_flow(rp, Browser(live_provider.issuer), teacher, client)
            sids.add(id_token.claims["sid"])
    with live_provider.app.app_context():  # type: ignore[attr-defined]
        services().accounts.lock(teacher, actor="cli")
        services().accounts.unlock(teacher, actor="cli")
    tokens = eventually(lambda: tokens_of(receiver) if len(tokens_of(receiver)) >= 2 else None)
    assert {verified(live_provider, token, rp.client_id).claims["sid"] for token in tokens} == sids


def test_another_person_s_sign_out_tells_nothing_of_this_session(
        live_provider: LiveProvider, teacher: str, receiver: RecordingSite) -> None:
    rp = new_rp(live_provider, backchannel_logout_uri=logout_uri(receiver))
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, Browser(live_provider.issuer), teacher, client)
    Browser(live_provider.issuer).sign_out()
    with live_provider.app.app_context():  # type: ignore[attr-defined]
        services().tasks.run_due()
    assert tokens_of(receiver) == []


def test_a_session_that_times_out_tells_its_apps(live_provider: LiveProvider, teacher: str,
                                                receiver: RecordingSite) -> None:
    """No request ends a session that times out: the background sweep does, and tells its apps."""
    rp = new_rp(live_provider, backchannel_logout_uri=logout_uri(receiver))
    with rp.session(scope="openid") as client:
        _, id_token = signed_in_flow(rp, Browser(live_provider.issuer), teacher, client)
    assert time_out_sessions_of(live_provider, teacher) >= 1
    assert time_out_sessions_of(live_provider, teacher) == 0  # ended once, told once
    tokens = eventually(lambda: tokens_of(receiver))
    assert id_token.claims["sid"] in {verified(live_provider, token, rp.client_id).claims["sid"] for token in tokens}
