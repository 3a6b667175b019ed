"""Key rotation without failures: `ent-idp keys rotate` publishes the new key in the JWKS
first and signs with it only once the JWKS cache lifetime has passed (`--now`: at once).
Relying parties caching the JWKS (PyJWT's PyJWKClient, which refetches on an unknown kid;
go-oidc, which trusts its cache until 30 s before its max-age ends) verify every token
across a rotation. The clock is the key ring's seam; go-oidc's is the real one."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import jwt
import pytest
import requests

from idp.cli import main
from idp.oidc import keys
from idp.oidc.keys import JWKS_CACHE_SECONDS, KeyRing
from idp.services import services
from tests.oidc import go_oidc
from tests.oidc.conftest import Browser, LiveProvider
from tests.oidc.helpers import RelyingParty, discover, new_rp, signed_in_flow, silent_code, unique

GO_CACHE_SECONDS = 35
"""The JWKS lifetime the go-oidc tests give the provider: go-oidc looks an unknown kid up
again once less than 30 s of it are left, here 5 s after it fetched the JWKS."""
GO_FRESH_SECONDS = GO_CACHE_SECONDS - 30


class CountingJWKClient(jwt.PyJWKClient):
    """PyJWKClient as a relying party uses it (JWKS cached), counting its fetches."""

    fetches = 0

    def fetch_data(self) -> object:
        self.fetches += 1
        return super().fetch_data()

    def age(self, seconds: float) -> None:
        """The relying party's own clock moves on: its cache and refetch cooldown age."""
        if self.jwk_set_cache is not None and self.jwk_set_cache.jwk_set_with_timestamp is not None:
            self.jwk_set_cache.jwk_set_with_timestamp.timestamp -= seconds
        if self._last_successful_fetch is not None:
            self._last_successful_fetch -= seconds


@pytest.fixture
def rotate(live_provider: LiveProvider, capsys: pytest.CaptureFixture[str]) -> Callable[..., dict]:
    """Runs `ent-idp keys rotate --json` on the live provider's instance folder."""
    with live_provider.app.app_context():
        config = Path(services().settings.instance_dir).parent / "idp.toml"

    def run(*options: str) -> dict:
        capsys.readouterr()
        assert main(["--config", str(config), "keys", "rotate", "--json", *options]) == 0
        return json.loads(capsys.readouterr().out)
    return run


@pytest.fixture
def client(live_provider: LiveProvider) -> CountingJWKClient:
    return CountingJWKClient(discover(live_provider.issuer)["jwks_uri"], cache_jwk_set=True,
                             lifespan=JWKS_CACHE_SECONDS)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Moves the key ring's clock forward by some seconds."""
    def move(seconds: float) -> None:
        monkeypatch.setattr(keys, "now", lambda: time.time() + seconds)
    return move


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _verify(client: CountingJWKClient, rp: RelyingParty, token: str) -> dict:
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=["RS256"], audience=rp.client_id, issuer=rp.issuer)


def _seconds_from_now(stamp: str) -> float:
    assert stamp.endswith("Z"), stamp
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - time.time()


def test_a_rotated_key_is_published_first_and_signs_after_the_jwks_cache_lifetime(
        live_provider: LiveProvider, browser: Browser, teacher: str, client: CountingJWKClient,
        rotate: Callable[..., dict], later: Callable[[float], None]) -> None:
    rp = new_rp(live_provider)
    with rp.session() as session:
        before, _ = signed_in_flow(rp, browser, teacher, session, nonce=unique("nonce"))
        old_kid = _kid(before["id_token"])
        assert _verify(client, rp, before["id_token"])["sub"] and client.fetches == 1

        rotated = rotate()
        assert rotated["kid"] != old_kid
        assert JWKS_CACHE_SECONDS - 5 < _seconds_from_now(rotated["signs_from"]) <= JWKS_CACHE_SECONDS + 1

        right_after = rp.fetch_token(session, silent_code(rp, browser, session, nonce=unique("nonce")))
        assert _kid(right_after["id_token"]) == old_kid  # the previous key still signs
        assert _verify(client, rp, right_after["id_token"]) and client.fetches == 1  # from the cached JWKS
        published = {key["kid"] for key in requests.get(client.uri, timeout=10).json()["keys"]}
        assert {old_kid, rotated["kid"]} <= published  # any cache filled from now on knows the new key

        later(JWKS_CACHE_SECONDS + 1)
        client.age(JWKS_CACHE_SECONDS + 1)
        switched = rp.fetch_token(session, silent_code(rp, browser, session, nonce=unique("nonce")))
        assert _kid(switched["id_token"]) == rotated["kid"]
        assert _verify(client, rp, switched["id_token"])["aud"] == rp.client_id and client.fetches == 2
        assert _verify(client, rp, right_after["id_token"])  # the old key still verifies


def test_an_emergency_rotation_signs_at_once_and_the_old_key_still_verifies(
        live_provider: LiveProvider, browser: Browser, teacher: str, client: CountingJWKClient,
        rotate: Callable[..., dict]) -> None:
    rp = new_rp(live_provider)
    with rp.session() as session:
        before, _ = signed_in_flow(rp, browser, teacher, session, nonce=unique("nonce"))
        assert _verify(client, rp, before["id_token"])
        rotated = rotate("--now")
        assert abs(_seconds_from_now(rotated["signs_from"])) < 5
        after = rp.fetch_token(session, silent_code(rp, browser, session, nonce=unique("nonce")))
        assert _kid(after["id_token"]) == rotated["kid"] != _kid(before["id_token"])
        # An emergency: a relying party refetches the JWKS for the unknown kid, once its
        # refetch cooldown has passed (PyJWKClient: 30 s), and finds the new key there.
        client.age(client.cooldown_duration)
        assert _verify(client, rp, after["id_token"]) and client.fetches == 2
        assert _verify(client, rp, before["id_token"])


def test_instances_sharing_the_folder_switch_together_without_a_restart(
        tmp_path: Path, later: Callable[[float], None]) -> None:
    first, second = KeyRing(tmp_path / "keys"), KeyRing(tmp_path / "keys")
    first.ensure()
    original = second.signing_key.kid  # the second instance has read the folder
    new = first.rotate()
    for ring in (first, second):
        assert ring.signing_key.kid == original
        assert {original, new} <= {key["kid"] for key in ring.public_jwks()["keys"]}
    later(JWKS_CACHE_SECONDS - 1)
    assert {first.signing_key.kid, second.signing_key.kid} == {original}
    later(JWKS_CACHE_SECONDS + 1)
    assert {first.signing_key.kid, KeyRing(tmp_path / "keys").signing_key.kid, second.signing_key.kid} == {new}
    described = json.loads((tmp_path / "keys" / f"{new}.json").read_text())
    assert (tmp_path / "keys" / f"{new}.json").stat().st_mode & 0o077 == 0
    assert described["not_before"] == first.signs_from(new)


def test_rotations_in_a_row_never_drop_the_signing_key_and_keep_the_old_ones(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.ensure()
    original = ring.signing_key.kid
    pending = [ring.rotate() for _ in range(4)]
    published = {key["kid"] for key in ring.public_jwks()["keys"]}
    assert ring.signing_key.kid == original and original in published
    assert set(pending[-keys.KEPT_AFTER_ROTATION - 1:]) <= published
    emergency = ring.rotate(immediately=True)
    assert ring.signing_key.kid == emergency
    assert len(ring.public_jwks()["keys"]) == 1 + keys.KEPT_AFTER_ROTATION
    assert sorted(path.stem for path in ring.folder.glob("*.pem")) == sorted(
        path.stem for path in ring.folder.glob("*.json"))


def test_a_folder_from_before_not_before_keeps_its_signing_key(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.ensure()
    kid = ring.signing_key.kid
    (ring.folder / f"{kid}.json").unlink()
    assert KeyRing(ring.folder).signing_key.kid == kid
    new = KeyRing(ring.folder).rotate()
    assert KeyRing(ring.folder).signing_key.kid == kid and new in {
        key["kid"] for key in KeyRing(ring.folder).public_jwks()["keys"]}


def test_the_jwks_cache_lifetime_is_the_delay_before_a_new_key_signs(live_provider: LiveProvider) -> None:
    response = requests.get(discover(live_provider.issuer)["jwks_uri"], timeout=10)
    assert response.headers["Cache-Control"] == f"public, max-age={JWKS_CACHE_SECONDS}"


@pytest.fixture(scope="session")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return go_oidc.build(tmp_path_factory.mktemp("go-oidc"))


@pytest.fixture
def short_jwks_cache(live_provider: LiveProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    """`oidc.jwks_cache_seconds` = GO_CACHE_SECONDS, for the running provider and for `keys rotate`."""
    monkeypatch.setenv("ENT_IDP_OIDC_JWKS_CACHE_SECONDS", str(GO_CACHE_SECONDS))
    with live_provider.app.app_context():
        monkeypatch.setattr(services().provider.keys, "cache_seconds", GO_CACHE_SECONDS)
    response = requests.get(discover(live_provider.issuer)["jwks_uri"], timeout=10)
    assert response.headers["Cache-Control"] == f"public, max-age={GO_CACHE_SECONDS}"


def _until_go_oidc_looks_again(filled: float) -> None:
    time.sleep(max(0.0, filled + GO_FRESH_SECONDS + 0.5 - time.monotonic()))


@pytest.mark.usefixtures("short_jwks_cache")
def test_go_oidc_verifies_every_id_token_across_a_rotation(
        live_provider: LiveProvider, browser: Browser, teacher: str, go_verifier: Path,
        rotate: Callable[..., dict], later: Callable[[float], None]) -> None:
    rp = new_rp(live_provider)
    with go_oidc.verifier(go_verifier, rp.issuer, rp.client_id) as verify, rp.session() as session:
        before, _ = signed_in_flow(rp, browser, teacher, session, nonce=unique("nonce"))
        first = verify(before["id_token"])
        filled = time.monotonic()
        assert first.ok and first.jwks_fetches == 1, first

        rotated = rotate()
        assert GO_CACHE_SECONDS - 5 < _seconds_from_now(rotated["signs_from"]) <= GO_CACHE_SECONDS + 1
        right_after = rp.fetch_token(session, silent_code(rp, browser, session, nonce=unique("nonce")))
        assert _kid(right_after["id_token"]) == _kid(before["id_token"])
        assert verify(right_after["id_token"]) == go_oidc.Verdict(True, 1, first.detail)  # its cache

        _until_go_oidc_looks_again(filled)
        later(GO_CACHE_SECONDS + 1)
        switched = rp.fetch_token(session, silent_code(rp, browser, session, nonce=unique("nonce")))
        assert _kid(switched["id_token"]) == rotated["kid"]
        assert verify(switched["id_token"]) == go_oidc.Verdict(True, 2, first.detail)  # looked up again
        assert verify(before["id_token"]).ok  # the old key still verifies


@pytest.mark.usefixtures("short_jwks_cache")
def test_go_oidc_refuses_an_emergency_key_until_its_cache_ages(
        live_provider: LiveProvider, browser: Browser, teacher: str, go_verifier: Path,
        rotate: Callable[..., dict]) -> None:
    """Why a rotation waits: with `--now`, the first tokens of the new key fail in go-oidc
    while its cache is fresh (the README says so of `--now`)."""
    rp = new_rp(live_provider)
    with go_oidc.verifier(go_verifier, rp.issuer, rp.client_id) as verify, rp.session() as session:
        before, _ = signed_in_flow(rp, browser, teacher, session, nonce=unique("nonce"))
        assert verify(before["id_token"]).ok
        filled = time.monotonic()
        rotate("--now")
        after = rp.fetch_token(session, silent_code(rp, browser, session, nonce=unique("nonce")))
        refused = verify(after["id_token"])
        assert not refused.ok and refused.jwks_fetches == 1 and "signature" in refused.detail, refused
        _until_go_oidc_looks_again(filled)
        assert verify(after["id_token"]).ok
