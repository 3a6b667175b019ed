"""Registering college apps (OpenID Connect clients)."""
from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from idp.apps import AppLink
from idp.audit import audit
from idp.store import Client, Store, Token
from idp.store.models import digest


class ClientError(ValueError):
    """Its text says what to fix."""


@dataclass(frozen=True)
class Registered:
    client: Client
    client_secret: str | None
    """Shown once; only its digest is stored. None for a public client."""


def register(store: Store, *, name: str, redirect_uris: list[str], post_logout_redirect_uris: Sequence[str] = (),
             public: bool = False, first_party: bool = True, require_pkce: bool = False,
             client_id: str | None = None, backchannel_logout_uri: str | None = None,
             frontchannel_logout_uri: str | None = None, refresh_tokens: bool = False,
             schools: Sequence[str] = ()) -> Registered:
    """`refresh_tokens`: a refresh token with every code, not only for `offline_access`;
    `schools`: the colleges (UAI) whose home page shows it (none: every college's)."""
    if not name.strip():
        raise ClientError("le nom de l'application est obligatoire")
    if not redirect_uris:
        raise ClientError("au moins une adresse de retour (--redirect-uri) est obligatoire")
    for uri in [*redirect_uris, *post_logout_redirect_uris,
                *filter(None, [backchannel_logout_uri, frontchannel_logout_uri])]:
        check_uri(uri)
    client_id = client_id or new_client_id()
    client_secret = None if public else secrets.token_urlsafe(32)
    with store.transaction() as db:
        if db.scalar(select(Client).where(Client.client_id == client_id)) is not None:
            raise ClientError(f"l'application {client_id} existe déjà")
        client = Client(client_id=client_id, secret_digest=digest(client_secret) if client_secret else None,
                        name=name.strip(), redirect_uris=list(redirect_uris),
                        post_logout_redirect_uris=list(post_logout_redirect_uris), first_party=first_party,
                        require_pkce=require_pkce or public, backchannel_logout_uri=backchannel_logout_uri,
                        frontchannel_logout_uri=frontchannel_logout_uri, refresh_tokens=refresh_tokens,
                        schools=list(schools))
        db.add(client)
    audit("client.registered", client=client_id, actor="cli")
    return Registered(client, client_secret)


def new_client_id() -> str:
    """24 letters and digits (142 bits): never a leading '-', which a command line such as
    `ent-idp clients show ID` would take for an option."""
    return "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(24))


_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


def check_uri(uri: str) -> None:
    """Absolute, no fragment; https, or http on this machine only."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientError(f"adresse invalide : {uri} (URL http(s) absolue attendue)")
    if parts.fragment:
        raise ClientError(f"adresse invalide : {uri} (pas de #fragment)")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise ClientError(f"adresse invalide : {uri} (https obligatoire hors de la machine locale)")


def find(store: Store, client_id: str) -> Client:
    client = store.session.scalar(select(Client).where(Client.client_id == client_id))
    if client is None:
        raise ClientError(f"aucune application {client_id}")
    return client


def remove(store: Store, client_id: str) -> None:
    with store.transaction() as db:
        db.delete(find(store, client_id))
    audit("client.removed", client=client_id, actor="cli")


def describe(client: Client) -> dict[str, object]:
    return {"client_id": client.client_id, "name": client.name, "redirect_uris": list(client.redirect_uris),
            "post_logout_redirect_uris": list(client.post_logout_redirect_uris), "public": client.public,
            "first_party": client.first_party, "require_pkce": client.require_pkce or client.public,
            "backchannel_logout_uri": client.backchannel_logout_uri,
            "frontchannel_logout_uri": client.frontchannel_logout_uri, "refresh_tokens": client.refresh_tokens,
            "schools": list(client.schools or [])}


def every_client(store: Store) -> list[Client]:
    """The registered apps, by name."""
    return list(store.session.scalars(select(Client).order_by(Client.name)))


def college_apps(store: Store, schools: Sequence[str]) -> list[AppLink]:
    """The ENT's own OIDC apps (first-party) for people of `schools`, as the home page opens
    them: at the root of the site of their first redirect URI."""
    links = []
    for client in every_client(store):
        if client.first_party and (not client.schools or set(client.schools) & set(schools)):
            parts = urlsplit(client.redirect_uris[0])
            links.append(AppLink(client.name, f"{parts.scheme}://{parts.netloc}/"))
    return links


def names_used_by(store: Store, login: str) -> list[str]:
    """The apps that got tokens for `login` (« Mon compte »)."""
    return list(store.session.scalars(select(Client.name).join(Token, Token.client_id == Client.client_id)
                                      .where(Token.login == login).distinct()))
