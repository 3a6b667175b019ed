"""The client's real address behind a reverse proxy (SECURITY.md 31, 32): a real nginx in
front of `ent-idp serve` with two workers, clients on distinct loopback addresses. Rate
limits count each client apart, in the provider's database, across both workers; the audit
log names each; a forged X-Forwarded-For is ignored, through the proxy and around it."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from idp.audit import read_events
from idp.directory.slapd import PrivateSlapd, free_port
from idp.proxy import TrustedHops
from tests.conftest import eventually, has_event, settings_file
from tests.serving import Visitor, nginx, serve

SIGN_IN_LIMIT = 30
"""idp.ratelimit.SIGN_IN: sign-in tries per client address in 5 minutes."""


@dataclass
class Deployment:
    proxy_port: int
    provider_port: int
    audit_log: Path

    def via_proxy(self, source: str) -> Visitor:
        return Visitor(self.proxy_port, source)

    def direct(self, source: str) -> Visitor:
        return Visitor(self.provider_port, source)

    def events(self) -> list[dict]:
        return list(read_events(self.audit_log))


@pytest.fixture(scope="module")
def deployment(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("proxied")
    proxy_port, provider_port = free_port(), free_port()
    config = settings_file(slapd, folder, f'issuer = "http://127.0.0.1:{proxy_port}"\n'
                                          f'secret_key = "{secrets.token_urlsafe(32)}"\n'
                                          'forwarded_allow_ips = "127.0.0.1"\n')
    production = {"demo = true": "demo = false", "rate_limits = false": "rate_limits = true"}
    text = config.read_text(encoding="utf-8")
    for test_value, production_value in production.items():
        text = text.replace(test_value, production_value)
    config.write_text(text, encoding="utf-8")
    provider = serve(config, provider_port, folder, "--workers", "2")
    try:
        proxy = nginx(folder / "nginx", proxy_port, provider_port)
        try:
            yield Deployment(proxy_port, provider_port, folder / "instance" / "audit.log")
        finally:
            proxy.stop()
    finally:
        provider.stop()


def test_two_clients_behind_the_proxy_are_counted_apart_across_workers(deployment: Deployment) -> None:
    attacker, parent = deployment.via_proxy("127.0.0.2"), deployment.via_proxy("127.0.0.3")
    statuses = [attacker.sign_in(f"personne.inconnue{n}", "Pas-le-bon-1")[0] for n in range(SIGN_IN_LIMIT + 1)]
    assert statuses == [400] * SIGN_IN_LIMIT + [429]  # one count for both workers, not one each
    assert parent.sign_in("personne.inconnue", "Pas-le-bon-1")[0] == 400  # not the attacker's count
    events = eventually(deployment.events)
    assert has_event(events, event="login.failed", login="personne.inconnue0", address="127.0.0.2")
    assert has_event(events, event="login.failed", login="personne.inconnue", address="127.0.0.3")
    assert not has_event(events, event="login.failed", address="127.0.0.1")  # never the proxy's address


def test_a_forged_x_forwarded_for_is_ignored(deployment: Deployment) -> None:
    through_proxy = deployment.via_proxy("127.0.0.4")
    status, _ = through_proxy.sign_in("forge.par-le-proxy", "Pas-le-bon-1", headers={"X-Forwarded-For": "10.9.9.9"})
    assert status == 400
    around_proxy = deployment.direct("127.0.0.5")  # an untrusted address: its header is not read
    status, _ = around_proxy.sign_in("forge.en-direct", "Pas-le-bon-1", headers={"X-Forwarded-For": "127.0.0.3"})
    assert status == 400
    events = deployment.events()
    assert has_event(events, event="login.failed", login="forge.par-le-proxy", address="127.0.0.4")
    assert has_event(events, event="login.failed", login="forge.en-direct", address="127.0.0.5")
    assert not has_event(events, address="10.9.9.9")


@pytest.mark.parametrize(("trusted", "peer", "forwarded", "client"), [
    ("127.0.0.1", "127.0.0.1", "203.0.113.9", "203.0.113.9"),
    ("127.0.0.1", "127.0.0.1", "10.9.9.9, 203.0.113.9", "203.0.113.9"),  # the client's own header: left of it
    ("127.0.0.1", "198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not a trusted hop: header not read
    ("10.0.0.0/8, 127.0.0.1", "127.0.0.1", "203.0.113.9, 10.1.2.3", "203.0.113.9"),  # two trusted hops
    ("10.0.0.0/8", "10.0.0.5", "not-an-address, 203.0.113.9", "203.0.113.9"),
    ("10.0.0.0/8", "10.0.0.5", "203.0.113.9, garbage", "10.0.0.5"),  # garbage: nothing left of it is believed
    ("127.0.0.1", "127.0.0.1", None, "127.0.0.1"),
    ("*", "198.51.100.7", "203.0.113.9, 10.1.2.3", "203.0.113.9"),
    ("127.0.0.1", "::ffff:127.0.0.1", "203.0.113.9", "203.0.113.9"),
])
def test_the_client_is_the_first_untrusted_hop_from_the_right(trusted: str, peer: str, forwarded: str | None,
                                                              client: str) -> None:
    assert TrustedHops(trusted).client_of(peer, forwarded) == client


def test_the_deployed_proxy_lets_kept_connections_go_before_the_instances_close_them() -> None:
    """docker/nginx.conf keeps connections to the instances open between requests. gunicorn
    closes an idle one after KEEPALIVE_SECONDS: were nginx to keep it longer, a request sent
    into that close would fail, and nginx does not retry a POST (a 502 on /token or a sign-in;
    bench/morning.py met one in 20,000 flows before this setting)."""
    import re

    from idp.http_server import KEEPALIVE_SECONDS

    config = (Path(__file__).resolve().parents[1] / "docker" / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream idp \{(.*?)\}", config, re.S)
    assert upstream and re.search(r"^\s*keepalive \d+;", upstream.group(1), re.M)
    timeout = re.search(r"^\s*keepalive_timeout (\d+)s;", upstream.group(1), re.M)
    assert timeout, "without keepalive_timeout, nginx keeps an idle upstream connection 60 s"
    assert int(timeout.group(1)) < KEEPALIVE_SECONDS
