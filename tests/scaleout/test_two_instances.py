"""Two instances behind one load balancer (one issuer), sharing PostgreSQL, Redis and the
instance folder: whatever instance a request reaches, it sees the same state — sign-in,
codes, tokens, SSO sessions, rate-limit counters."""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest

from tests.oidc.helpers import is_login_page, redirect_params
from tests.scaleout.conftest import Pair
from tests.scaleout.relying_party import Browser, RelyingParty, error_of, served_by
from tests.scaleout.servers import Redis, missing_servers

pytestmark = pytest.mark.skipif(missing_servers() is not None,
                                reason=f"scale-out tests need PostgreSQL and Redis: {missing_servers()}")

UNKNOWN_LOGIN = "personne.inconnue"
LOGIN_LIMIT = 30
"""idp.ratelimit.LOGIN_LIMIT: 30 sign-in tries per 5 minutes per client address."""


@pytest.fixture
def visitor(pair: Pair) -> Iterator[Browser]:
    """A person's browser (not named `browser`: pytest-playwright's fixture)."""
    found = Browser(pair.issuer)
    yield found
    found.close()


def signed_in_on_a(pair: Pair, rp: RelyingParty, browser: Browser, login: str, **params: str) -> str:
    """Signs in through the real login page, every request on instance A; returns the code."""
    start = len(pair.balancer.log)
    url, state = rp.authorization_url(**params)
    page = browser.via("A").open(url)
    assert is_login_page(page, pair.issuer), (page.status_code, page.url)
    back = browser.sign_in(page, login)
    code = rp.code_of(back, state)
    assert {instance for instance, _, _ in pair.balancer.log[start:]} == {"A"}, pair.balancer.log[start:]
    assert ("A", "POST", "/connexion") in pair.balancer.log[start:]
    return code


def test_code_on_b_refresh_on_a_userinfo_on_b(pair: Pair, visitor: Browser, teacher: str) -> None:
    rp = RelyingParty.register(pair)
    code = signed_in_on_a(pair, rp, visitor, teacher, nonce="n-scale-out")

    exchanged = rp.exchange("B", code)
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    assert rp.jwks("A") == rp.jwks("B")  # one key folder: both publish (and sign with) the same keys
    claims = rp.verify(tokens["id_token"], via="A").claims
    assert claims["nonce"] == "n-scale-out" and claims["preferred_username"] == teacher

    refreshed = rp.refresh("A", tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["access_token"] != tokens["access_token"] and new["refresh_token"] != tokens["refresh_token"]

    info = rp.userinfo("B", new["access_token"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"] and info.json()["email"] == "camille@example.fr"
    assert rp.userinfo("B", tokens["access_token"]).status_code == 401  # the refresh on A retired it
    assert error_of(rp.refresh("B", tokens["refresh_token"])) == "invalid_grant"  # used up on A


def test_logout_on_b_ends_the_sso_session_on_a(pair: Pair, visitor: Browser, teacher: str) -> None:
    rp = RelyingParty.register(pair)
    tokens = rp.exchange("A", signed_in_on_a(pair, rp, visitor, teacher)).json()
    kept = visitor.copy()  # a second tab: still holds the session cookie after the logout
    try:
        home = kept.via("A").open(pair.issuer + "/accueil")
        assert home.status_code == 200 and served_by(home) == "A" and not is_login_page(home, pair.issuer)
        url, state = rp.authorization_url(prompt="none")
        assert rp.code_of(visitor.via("B").open(url), state)  # single sign-on on B too

        query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": rp.post_logout_redirect_uri,
                 "client_id": rp.client_id, "state": "bye"}
        out = visitor.via("B").open(f"{pair.issuer}/logout?{urlencode(query)}")
        assert served_by(out) == "B" and out.is_redirect, (out.status_code, out.text[:300])
        assert out.headers["Location"].startswith(rp.post_logout_redirect_uri)
        assert redirect_params(out)["state"] == "bye"
        assert "ent_sso" in kept.http.cookies  # so what follows is the session ended in the database

        for who in (visitor, kept):
            page = who.via("A").open(pair.issuer + "/accueil")
            assert is_login_page(page, pair.issuer) and served_by(page) == "A", (page.status_code, page.url)
            url, state = rp.authorization_url(prompt="none")
            assert rp.error_of(who.via("A").open(url), state) == "login_required"
    finally:
        kept.close()


def test_rate_limits_count_across_both_instances(limited_pair: Pair, redis_server: Redis) -> None:
    pair = limited_pair
    browser = Browser(pair.issuer)
    try:
        page = browser.via("A").open(pair.issuer + "/connexion")
        assert is_login_page(page, pair.issuer)
        served = {"A": 0, "B": 0}
        for attempt in range(LOGIN_LIMIT):
            instance = "AB"[attempt % 2]
            # A new login each time: only the limit per client address is reached, not the one per login.
            page = browser.via(instance).submit(page, {"login": f"{UNKNOWN_LOGIN}{attempt}",
                                                       "password": "Pas-le-bon-1"})
            assert page.status_code == 400 and served_by(page) == instance, (attempt, page.status_code)
            assert "Identifiant ou mot de passe incorrect" in page.text
            served[instance] += 1
        assert served == {"A": 15, "B": 15}  # each alone is far from the limit

        for instance in ("A", "B"):
            refused = browser.via(instance).submit(page, {"login": UNKNOWN_LOGIN, "password": "Pas-le-bon-1"})
            assert refused.status_code == 429 and served_by(refused) == instance, (instance, refused.status_code)

        client = redis_server.client()
        try:  # the counter lives in Redis, not in either process
            counters = {key: client.get(key) for key in client.scan_iter("*ent-idp/sign-in/*")}
        finally:
            client.close()
        assert any(int(value) >= LOGIN_LIMIT for value in counters.values()), counters
    finally:
        browser.close()


def test_redis_down_sign_in_goes_on_and_each_instance_counts_alone(outage: tuple[Pair, Redis],
                                                                    teacher: str) -> None:
    """Redis stopped: sign-in still works (no 500 on every POST), and the limits still hold,
    counted by each instance in its own memory until Redis answers again."""
    pair, redis = outage
    browsers = {instance: Browser(pair.issuer).via(instance) for instance in ("A", "B")}
    wrong = {"login": UNKNOWN_LOGIN, "password": "Pas-le-bon-1"}
    try:
        page = browsers["A"].open(pair.issuer + "/connexion")
        assert browsers["A"].submit(page, wrong).status_code == 400  # counted in Redis
        assert redis.child.stop() == 0

        for instance, browser in browsers.items():
            home = browser.sign_in(browser.open(pair.issuer + "/connexion"), teacher)
            assert home.status_code == 200 and urlsplit(home.url).path == "/accueil", (instance, home.status_code)
            assert served_by(home) == instance

        page, tries = browsers["A"].open(pair.issuer + "/connexion"), 0
        while page.status_code != 429 and tries <= LOGIN_LIMIT:
            page, tries = browsers["A"].submit(page, {**wrong, "login": f"{UNKNOWN_LOGIN}{tries}"}), tries + 1
            assert page.status_code in (400, 429), page.status_code
        assert page.status_code == 429 and tries == LOGIN_LIMIT  # A's count: its sign-in + 29 failures
        elsewhere = browsers["B"].submit(browsers["B"].open(pair.issuer + "/connexion"), wrong)
        assert elsewhere.status_code == 400 and served_by(elsewhere) == "B"  # B counts on its own
    finally:
        for browser in browsers.values():
            browser.close()


def test_code_replayed_on_b_revokes_the_tokens_redeemed_on_a(pair: Pair, visitor: Browser, teacher: str) -> None:
    rp = RelyingParty.register(pair)
    code = signed_in_on_a(pair, rp, visitor, teacher)
    first = rp.exchange("A", code)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert rp.userinfo("A", tokens["access_token"]).status_code == 200

    assert error_of(rp.exchange("B", code)) == "invalid_grant"

    refused = rp.userinfo("A", tokens["access_token"])
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert error_of(rp.refresh("A", tokens["refresh_token"])) == "invalid_grant"


def test_both_instances_share_one_issuer(pair: Pair) -> None:
    """Discovery names the load balancer's address, whichever instance answers."""
    rp = RelyingParty.register(pair)
    for instance in ("A", "B"):
        metadata = rp._call(instance, "GET", "/.well-known/openid-configuration").json()
        assert metadata["issuer"] == pair.issuer
        assert urlsplit(metadata["token_endpoint"]).netloc == urlsplit(pair.issuer).netloc
