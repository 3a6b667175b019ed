"""CAS tickets: issued at sign-in, validated once by the app, in the shared SQL store.

- Service tickets (`ST-`) and proxy tickets (`PT-`): 43 random URL-safe characters after the
  prefix, stored as digests only, valid `cas.ticket_seconds`, bound to the exact service URL
  they were issued for, and claimed by one atomic UPDATE: of two validations racing, one wins.
  A ticket validated for another service fails and is spent all the same (spec §3.1.1).
- Proxy-granting tickets (`PGT-`, told to the app through `PGTIOU-`): handed only to an
  authorised callback (proxy_callback.py), valid `cas.proxy_granting_ticket_minutes`, good for
  any number of proxy tickets to registered apps while the account stays usable.
- Validated tickets are kept (without the attributes) as long as the browser session they came
  from can live: single logout walks them (`session_digest`).
"""
from __future__ import annotations

import enum
import secrets
import string
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select, update

from idp.config import Settings
from idp.directory import Account, Directory
from idp.store import Store
from idp.store.cas import CasTicket
from idp.store.models import digest, now

from .attributes import Attributes, attributes_for
from .proxy_callback import ProxyCallback, callback_allowed, deliver
from .services import RegisteredService, ServiceRegistry, match

ST, PT, PGT = "ST", "PT", "PGT"
PURGE_EVERY_SECONDS = 60.0


class Code(enum.StrEnum):
    """Failure codes of the CAS protocol 3.0 (§2.5.3 and §2.7.2)."""

    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_TICKET_SPEC = "INVALID_TICKET_SPEC"
    UNAUTHORIZED_SERVICE_PROXY = "UNAUTHORIZED_SERVICE_PROXY"
    INVALID_PROXY_CALLBACK = "INVALID_PROXY_CALLBACK"
    INVALID_TICKET = "INVALID_TICKET"
    INVALID_SERVICE = "INVALID_SERVICE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    UNAUTHORIZED_SERVICE = "UNAUTHORIZED_SERVICE"
    """Of /proxy only: the target service is not a registered app."""


@dataclass(frozen=True)
class Refused:
    code: Code
    message: str
    login: str | None = None
    """Whose ticket it was, when one was found (for the audit log)."""
    service_id: str | None = None


@dataclass(frozen=True)
class Validated:
    user: str
    attributes: Attributes
    service_id: str
    authenticated_at: int
    from_new_login: bool
    remembered: bool
    proxies: tuple[str, ...] = ()
    """The proxy chain of a proxy ticket, the most recent callback first."""
    pgt_iou: str | None = None


@dataclass(frozen=True)
class ProxyTicket:
    ticket: str
    login: str
    service_id: str
    """The target service's registered app."""


class CasTickets:
    """Issues and validates the tickets of one app. `registry` defaults to the store's apps;
    `directory` is needed for proxy tickets only (it reads the person again)."""

    def __init__(self, store: Store, settings: Settings, registry: ServiceRegistry | None = None,
                 directory: Directory | None = None, proxy_callback: ProxyCallback = deliver) -> None:
        self.store = store
        self.settings = settings
        self.registry = registry or ServiceRegistry(store)
        self.directory = directory
        self.proxy_callback = proxy_callback
        self._next_purge = 0.0

    # Issuing

    def issue_service_ticket(self, service_url: str, service: RegisteredService, account: Account, *,
                             new_login: bool, session_digest: str | None, authenticated_at: int | None = None,
                             remembered: bool = False, methods: tuple[str, ...] = ()) -> str:
        """A service ticket for `account` to take to `service_url` (which must belong to
        `service`, as `ServiceRegistry.match` said). `new_login`: the person has just typed their
        secret (not a browser already signed in), which `renew=true` asks for. `methods`: how the
        session was signed in (its `amr`: `pwd`, `educonnect`, `franceconnect`), released as
        `authenticationMethod`."""
        if match(service_url, (service,)) is None:
            raise ValueError(f"{service_url} does not belong to the CAS service {service.id}")
        self.purge_expired()
        moment = now()
        ticket = new_ticket(ST)
        self._insert(ticket, ST, login=account.login, service_id=service.id, service=service_url,
                     attributes={**attributes_for(account, service.attributes),
                                 **({"authenticationMethod": list(methods)} if methods else {})},
                     from_new_login=new_login, remembered=remembered, session_digest=session_digest,
                     authenticated_at=authenticated_at or moment, proxies=[],
                     expires_at=moment + self.settings.cas.ticket_seconds)
        return ticket

    def issue_proxy_ticket(self, pgt: str, target_service: str) -> ProxyTicket | Refused:
        """A proxy ticket for `target_service` (/cas/proxy), on the strength of a PGT."""
        if not pgt or not target_service:
            return Refused(Code.INVALID_REQUEST, "les paramètres pgt et targetService sont obligatoires")
        granting = self._usable_pgt(pgt)
        if granting is None:
            return Refused(Code.INVALID_TICKET, "ticket d'octroi (PGT) inconnu ou expiré")
        target = self.registry.match(target_service)
        if target is None:
            return Refused(Code.UNAUTHORIZED_SERVICE, "ce service n'est pas une application CAS enregistrée",
                           granting.login, granting.service_id)
        account = self.directory.find(granting.login) if self.directory is not None else None
        if account is None or not account.usable:
            return Refused(Code.INVALID_TICKET, "le compte n'est plus utilisable", granting.login, target.id)
        self.purge_expired()
        moment = now()
        ticket = new_ticket(PT)
        self._insert(ticket, PT, login=account.login, service_id=target.id, service=target_service,
                     attributes=attributes_for(account, target.attributes), from_new_login=False,
                     remembered=granting.remembered, session_digest=granting.session_digest,
                     authenticated_at=granting.authenticated_at, proxies=list(granting.proxies),
                     expires_at=moment + self.settings.cas.ticket_seconds)
        return ProxyTicket(ticket, account.login, target.id)

    # Validating

    def validate(self, ticket: str, service_url: str, *, renew: bool = False, pgt_url: str | None = None,
                 proxy_tickets: bool = False) -> Validated | Refused:
        """Spends `ticket` and says who it names. `proxy_tickets`: PT- tickets are accepted too
        (/proxyValidate); otherwise they are refused with INVALID_TICKET_SPEC (/serviceValidate)."""
        if not ticket or not service_url:
            return Refused(Code.INVALID_REQUEST, "les paramètres ticket et service sont obligatoires")
        kind = kind_of(ticket)
        if kind == PT and not proxy_tickets:
            return Refused(Code.INVALID_TICKET_SPEC, "un ticket de proxy (PT) ne se valide qu'à /proxyValidate")
        if kind not in (ST, PT):
            return Refused(Code.INVALID_TICKET, "ticket non reconnu")
        row = self._claim(ticket, kind)
        if row is None:
            return Refused(Code.INVALID_TICKET, "ticket inconnu, déjà utilisé ou expiré")
        registered = self.registry.get(row.service_id)
        if row.service != service_url or registered is None or match(service_url, (registered,)) is None:
            return Refused(Code.INVALID_SERVICE, "ce ticket a été délivré pour un autre service ; il est annulé",
                           row.login, row.service_id)
        if renew and not row.from_new_login:
            return Refused(Code.INVALID_TICKET, "renew=true : ce ticket ne vient pas d'une saisie du mot de passe",
                           row.login, row.service_id)
        pgt_iou = None
        if pgt_url:
            granted = self._grant_pgt(row, pgt_url)
            if isinstance(granted, Refused):
                return granted
            pgt_iou = granted
        return Validated(row.login, dict(row.attributes or {}), row.service_id, row.authenticated_at,
                         row.from_new_login, row.remembered, tuple(row.proxies or ()), pgt_iou)

    def _grant_pgt(self, row: CasTicket, pgt_url: str) -> str | Refused:
        """A PGT for the callback `pgt_url`, which must be https (or loopback http in demo) AND
        lie under a registered app's address: the callback is who receives the proxy tickets."""
        if not callback_allowed(pgt_url, demo=self.settings.demo):
            return Refused(Code.INVALID_PROXY_CALLBACK, "l'adresse de rappel (pgtUrl) doit être en https",
                           row.login, row.service_id)
        callback_service = self.registry.match(pgt_url)
        if callback_service is None:
            return Refused(Code.UNAUTHORIZED_SERVICE_PROXY,
                           "l'adresse de rappel (pgtUrl) n'est pas celle d'une application CAS enregistrée",
                           row.login, row.service_id)
        pgt, iou = new_ticket(PGT), new_ticket("PGTIOU")
        self._insert(pgt, PGT, login=row.login, service_id=callback_service.id, service=pgt_url, attributes={},
                     from_new_login=row.from_new_login, remembered=row.remembered,
                     session_digest=row.session_digest, authenticated_at=row.authenticated_at,
                     proxies=[pgt_url, *(row.proxies or [])],
                     expires_at=now() + self.settings.cas.proxy_granting_ticket_minutes * 60)
        if not self.proxy_callback(pgt_url, pgt, iou):
            with self.store.engine.begin() as connection:
                connection.execute(delete(CasTicket).where(CasTicket.ticket_digest == digest(pgt)))
            return Refused(Code.INVALID_PROXY_CALLBACK, "l'adresse de rappel (pgtUrl) n'a pas répondu 200 en https",
                           row.login, row.service_id)
        return iou

    # Storage

    def _insert(self, ticket: str, kind: str, **values: object) -> None:
        with self.store.engine.begin() as connection:
            connection.execute(insert(CasTicket), {"ticket_digest": digest(ticket), "kind": kind, "issued_at": now(),
                                                   "used_at": None, **values})

    def _claim(self, ticket: str, kind: str) -> CasTicket | None:
        """The ticket's row, now spent; None when unknown, expired or spent before. The
        attributes leave the database with this answer."""
        hashed, moment = digest(ticket), now()
        table = CasTicket.__table__
        with self.store.engine.begin() as connection:
            claimed = connection.execute(
                update(CasTicket)
                .where(CasTicket.ticket_digest == hashed, CasTicket.kind == kind, CasTicket.used_at.is_(None),
                       CasTicket.expires_at > moment)
                .values(used_at=moment, session_index=ticket)).rowcount == 1
            if not claimed:
                return None
            row = connection.execute(select(table).where(CasTicket.ticket_digest == hashed)).one()
            connection.execute(update(CasTicket).where(CasTicket.ticket_digest == hashed).values(attributes={}))
        return CasTicket(**row._mapping)

    def _usable_pgt(self, pgt: str) -> CasTicket | None:
        if kind_of(pgt) != PGT:
            return None
        with self.store.engine.connect() as connection:
            row = connection.execute(select(CasTicket.__table__).where(
                CasTicket.ticket_digest == digest(pgt), CasTicket.kind == PGT, CasTicket.expires_at > now())).first()
        return None if row is None else CasTicket(**row._mapping)

    def purge_expired(self) -> None:
        """Deletes, at most once a minute per process, the tickets no one can use any more:
        unspent and expired ones, and spent ones older than the longest browser session
        (single logout no longer needs them)."""
        moment = time.monotonic()
        if moment < self._next_purge:
            return
        self._next_purge = moment + PURGE_EVERY_SECONDS
        sessions = self.settings.sessions
        oldest = now() - max(sessions.absolute_hours * 3600, sessions.remember_days * 86400)
        with self.store.engine.begin() as connection:
            connection.execute(delete(CasTicket).where(or_(
                (CasTicket.used_at.is_(None)) & (CasTicket.expires_at <= now()), CasTicket.issued_at < oldest)))


def new_ticket(prefix: str) -> str:
    """`ST-` and 43 letters and digits (256 bits) from `secrets`. Letters and digits only:
    CAS clients check the ticket's characters (mod_auth_cas takes letters, digits, `-` and
    `.`), and a ticket travels unencoded in the app's URL."""
    return f"{prefix}-{''.join(secrets.choice(_TICKET_ALPHABET) for _ in range(TICKET_CHARS))}"


TICKET_CHARS = 43
_TICKET_ALPHABET = string.ascii_letters + string.digits


def kind_of(ticket: str) -> str | None:
    prefix = ticket.split("-", 1)[0]
    return prefix if prefix in (ST, PT, PGT) and len(ticket) > len(prefix) + 1 else None
