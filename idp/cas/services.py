"""The college apps registered for CAS, and which of them a service URL belongs to.

A ticket is only ever issued to, and validated for, a URL under a registered app's address:
same scheme, host and port, and a path under the registered one at a `/` boundary. The query
and fragment of the asked URL do not matter (apps put their own state there)."""
from __future__ import annotations

import re
import secrets
import string
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from sqlalchemy import select

from idp.audit import audit
from idp.store import Store
from idp.store.cas import CasService, CasTicket

from .attributes import DEFAULT, PROFILES

CACHE_SECONDS = 10.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
"""Control characters, spaces and backslashes: browsers and servers disagree on them."""


class ServiceError(ValueError):
    """Its text says what to fix."""


@dataclass(frozen=True)
class RegisteredService:
    """A registered app, as read: shared by the threads, never written back."""

    id: str
    name: str
    services: tuple[str, ...]
    attributes: str
    created_at: int
    schools: tuple[str, ...] = ()
    """The UAI of the colleges whose people see it on the ENT's home page; none: every college."""

    def home_url(self) -> str:
        """Where the home page's tile opens it: its first service URL."""
        return self.services[0]


def add(store: Store, *, name: str, services: list[str], attributes: str = DEFAULT,
        schools: tuple[str, ...] = ()) -> RegisteredService:
    if not name.strip():
        raise ServiceError("le nom de l'application est obligatoire")
    if not services:
        raise ServiceError("au moins une adresse de service (--service) est obligatoire")
    for url in services:
        check_service_url(url)
    if attributes not in PROFILES:
        raise ServiceError(f"profil d'attributs inconnu : {attributes} (attendu : {' ou '.join(PROFILES)})")
    with store.transaction() as db:
        row = CasService(id=new_service_id(name), name=name.strip(), services=list(services), attributes=attributes,
                         schools=list(schools))
        db.add(row)
        db.flush()
        record = _record(row)
    audit("cas.service_registered", client=record.id, actor="cli")
    return record


def list_services(store: Store) -> list[RegisteredService]:
    """Every registered app, oldest first."""
    rows = store.session.scalars(select(CasService).order_by(CasService.created_at, CasService.id))
    return [_record(row) for row in rows]


def show(store: Store, service_id: str) -> RegisteredService:
    return _record(_find(store, service_id))


def remove(store: Store, service_id: str) -> None:
    with store.transaction() as db:
        db.delete(_find(store, service_id))
    audit("cas.service_removed", client=service_id, actor="cli")


def as_json(record: RegisteredService) -> dict[str, object]:
    """What `ent-idp cas … --json` prints."""
    return {"id": record.id, "name": record.name, "services": list(record.services), "attributes": record.attributes,
            "schools": list(record.schools)}


def check_service_url(url: str) -> None:
    """Absolute http(s), no fragment, no query (the address covers whatever follows its path),
    no user name; https unless on this machine."""
    parts = _parts(url)
    if parts is None or parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ServiceError(f"adresse invalide : {url} (URL http(s) absolue attendue)")
    if parts.fragment or url.endswith("#"):
        raise ServiceError(f"adresse invalide : {url} (pas de #fragment)")
    if parts.query or "?" in url:
        raise ServiceError(f"adresse invalide : {url} (pas de ?paramètres : l'adresse couvre tout ce qui suit)")
    if parts.username is not None or _port(parts) is None or _has_dot_segment(parts.path):
        raise ServiceError(f"adresse invalide : {url}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ServiceError(f"adresse invalide : {url} (https obligatoire hors de la machine locale)")


def new_service_id(name: str) -> str:
    """`moodle-4fz8qk`: the name's letters, then 6 random ones (never a leading '-', which a
    command line would take for an option)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:24].strip("-")
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
    return f"{slug}-{suffix}" if slug else f"cas-{suffix}"


_ID_ALPHABET = string.ascii_lowercase + string.digits


class ServiceRegistry:
    """The registered apps as one process sees them: read at most once per `CACHE_SECONDS`
    (every sign-in and validation asks). An app just removed is still matched for that long;
    one just added is found at once (a miss reads again)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cached: tuple[tuple[RegisteredService, ...], float] | None = None

    def all(self) -> tuple[RegisteredService, ...]:
        cached, moment = self._cached, time.monotonic()
        if cached is not None and cached[1] > moment:
            return cached[0]
        records = tuple(list_services(self.store))
        self._cached = (records, moment + CACHE_SECONDS)
        return records

    def get(self, service_id: str) -> RegisteredService | None:
        return next((record for record in self.all() if record.id == service_id), None)

    def match(self, service_url: str) -> RegisteredService | None:
        """The app `service_url` belongs to (the most specific registered address wins), or None."""
        found = match(service_url, self.all())
        if found is None:
            self._cached = None
            found = match(service_url, self.all())
        return found


def match(service_url: str, registered: tuple[RegisteredService, ...] | list[RegisteredService]
          ) -> RegisteredService | None:
    asked = _comparable(service_url)
    if asked is None:
        return None
    best: tuple[int, RegisteredService] | None = None
    for record in registered:
        for url in record.services:
            known = _comparable(url)
            if known is None or known[:3] != asked[:3] or not _under(asked[3], known[3]):
                continue
            if best is None or len(known[3]) > best[0]:
                best = (len(known[3]), record)
    return best[1] if best else None


def _comparable(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path) of a URL fit to receive a ticket, or None."""
    parts = _parts(url)
    if parts is None or parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    port = _port(parts)
    if port is None or _has_dot_segment(parts.path):
        return None
    return parts.scheme, parts.hostname.lower(), port, parts.path or "/"


def _parts(url: str) -> SplitResult | None:
    if not isinstance(url, str) or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts if parts.scheme in _DEFAULT_PORTS and url.lower().startswith(f"{parts.scheme}://") else None


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None


def _has_dot_segment(path: str) -> bool:
    """`/moodle/../admin` would pass for a path under `/moodle`."""
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


def _under(path: str, registered: str) -> bool:
    return path == registered or path.startswith(registered.rstrip("/") + "/")


def _find(store: Store, service_id: str) -> CasService:
    row = store.session.get(CasService, service_id)
    if row is None:
        raise ServiceError(f"aucune application CAS {service_id}")
    return row


def _record(row: CasService) -> RegisteredService:
    return RegisteredService(row.id, row.name, tuple(row.services), row.attributes, row.created_at,
                             tuple(row.schools or ()))


def names_used_by(store: Store, login: str) -> list[str]:
    """The CAS apps `login` got tickets for, while the ENT keeps them (« Mon compte »)."""
    return list(store.session.scalars(select(CasService.name).join(CasTicket, CasTicket.service_id == CasService.id)
                                      .where(CasTicket.login == login).distinct()))
