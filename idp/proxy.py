"""The client's real address behind reverse proxies, for rate limits, lockout and audit.

`forwarded_allow_ips` lists the trusted hops: addresses or networks (`10.0.0.0/8`) of the
proxies in front of the provider. Only a request that comes from a trusted hop has its
`X-Forwarded-For` read; the header is then walked from the right (the hop nearest to the
provider), skipping every trusted address: the first address that is not trusted is the
client. So a client cannot choose its address by sending the header itself: the proxy it
reached appends the real one, and anything to the left of it is ignored. `X-Forwarded-Proto`
is believed from a trusted hop only. `*` trusts every hop: only when nothing but the
proxies can reach the provider.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WsgiApp = Callable[[dict[str, Any], "StartResponse"], Iterable[bytes]]


class TrustedHops:
    def __init__(self, setting: str) -> None:
        entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
        self.everyone = "*" in entries
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"]

    def trusts(self, address: str | None) -> bool:
        if self.everyone:
            return True
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.networks)

    def client_of(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client's address, given the direct peer and the X-Forwarded-For it sent."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        client = peer
        for hop in reversed([hop.strip() for hop in forwarded_for.split(",")]):
            if _ip(hop) is None:
                break  # garbage: what is left of it cannot be believed
            client = hop
            if not self.trusts(hop):
                break
        return client


def problems(setting: str) -> list[str]:
    """What is wrong with a `forwarded_allow_ips` value (for the settings' checks)."""
    wrong = []
    for entry in (entry.strip() for entry in setting.split(",")):
        if entry and entry != "*":
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                wrong.append(entry)
    return [f"forwarded_allow_ips : adresse ou réseau invalide : {entry!r}" for entry in wrong]


def behind_trusted_proxies(app: WsgiApp, hops: TrustedHops) -> WsgiApp:
    """Wraps a WSGI app: REMOTE_ADDR becomes the client's address, wsgi.url_scheme the
    scheme the client used (from a trusted proxy only)."""
    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR")
        if hops.trusts(peer):
            environ["REMOTE_ADDR"] = hops.client_of(peer, environ.get("HTTP_X_FORWARDED_FOR"))
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                environ["wsgi.url_scheme"] = scheme
        environ["ent_idp.peer"] = peer
        return app(environ, start_response)
    return wrapped


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if isinstance(ip, ipaddress.IPv6Address) else ip
