"""Each process keeps a registered client for a few seconds: a removed app stops signing
people in once that time is over; a new one works at once."""
from __future__ import annotations

import pytest

from idp import clients
from idp.oidc import provider as oidc_provider
from idp.services import services
from tests.oidc.conftest import LiveProvider


def test_a_removed_client_is_refused_once_the_cache_time_is_over(live_provider: LiveProvider,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(oidc_provider.time, "monotonic", lambda: clock[0])
    registered = live_provider.register(name="Appli retirée", redirect_uris=["http://127.0.0.1:9/retiree"])
    client_id = registered.client.client_id
    with live_provider.app.app_context():
        provider = services().provider
        assert provider.query_client(client_id).name == "Appli retirée"
        clients.remove(services().store, client_id)
        clock[0] += oidc_provider.CLIENT_CACHE_SECONDS - 1
        assert provider.query_client(client_id) is not None  # still kept
        clock[0] += 2
        assert provider.query_client(client_id) is None
        services().store.end()


def test_a_new_client_is_known_at_once(live_provider: LiveProvider) -> None:
    with live_provider.app.app_context():
        assert services().provider.query_client("pas-encore-la") is None
    live_provider.register(name="Nouvelle", redirect_uris=["http://127.0.0.1:9/nouvelle"], client_id="pas-encore-la")
    with live_provider.app.app_context():
        assert services().provider.query_client("pas-encore-la").name == "Nouvelle"
        services().store.end()
