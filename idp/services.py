"""The provider's services, built in one place from the settings.

`Services(settings)` is what the web app, the commands, the demo, `ent-idp serve` and the
benchmarks all use. Each part is built the first time it is asked for: a command that only
reads the directory never opens the database, and one that only lists clients never connects
to slapd.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from idp.config import Settings
from idp.directory import Directory, connect
from idp.sessions import SessionPolicy, SsoSessions
from idp.store import Store

if TYPE_CHECKING:
    from idp.accounts import AccountService
    from idp.contact_changes import ContactChanges
    from idp.oidc.provider import OidcProvider
    from idp.outbound import Outbound
    from idp.ratelimit import RateLimits
    from idp.recovery import Recovery
    from idp.signin import SignInGuard
    from idp.single_logout import SingleLogout
    from idp.tasks import TaskQueue

EXTENSION = "ent_idp"


class Services:
    def __init__(self, settings: Settings, app_context: Callable[[], AbstractContextManager[object]] | None = None):
        """`app_context`: what background tasks run in (the web app's); without it (a
        command), tasks are only queued."""
        self.settings = settings
        self._app_context = app_context

    @cached_property
    def directory(self) -> Directory:
        ldap = self.settings.ldap
        return connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password, ldap.timeout)

    @cached_property
    def store(self) -> Store:
        return Store.for_instance(self.settings.database_url, self.settings.instance_dir, upgrade=self.settings.demo)

    @cached_property
    def sessions(self) -> SsoSessions:
        policy = self.settings.sessions
        return SsoSessions(self.store, SessionPolicy(
            idle_seconds=policy.idle_minutes * 60, absolute_seconds=policy.absolute_hours * 3600,
            remember_seconds=policy.remember_days * 86400, secure=self.settings.issuer.startswith("https://")),
            on_end=self.single_logout.sessions_ended)

    @cached_property
    def provider(self) -> OidcProvider:
        from idp.oidc.keys import KeyRing
        from idp.oidc.provider import OidcProvider
        return OidcProvider(self.settings, self.store, self.directory,
                            KeyRing(Path(self.settings.instance_dir) / "keys", self.settings.oidc.jwks_cache_seconds))

    @cached_property
    def outbound(self) -> Outbound:
        from idp.outbound import Outbound
        return Outbound(self.settings, self.store)

    @cached_property
    def rate_limits(self) -> RateLimits:
        from idp.ratelimit import RateLimits, exempt_addresses, open_storage
        return RateLimits(open_storage(self.settings.ratelimit_storage_url, self.store),
                          enabled=self.settings.rate_limits, exempt=exempt_addresses(self.settings.rate_limit_exempt))

    @cached_property
    def sign_in_guard(self) -> SignInGuard:
        from idp.signin import SignInGuard
        return SignInGuard(self.directory, self.rate_limits, self.settings.accounts)

    @cached_property
    def tasks(self) -> TaskQueue:
        from idp.tasks import TaskQueue
        return TaskQueue(self.store, self._app_context)

    @cached_property
    def recovery(self) -> Recovery:
        from idp.recovery import Recovery
        return Recovery(self.settings, self.directory, self.store, self.outbound, self.rate_limits, self.tasks,
                        self.accounts)

    @cached_property
    def contact_changes(self) -> ContactChanges:
        from idp.contact_changes import ContactChanges
        return ContactChanges(self.settings, self.directory, self.store, self.outbound, self.rate_limits)

    @cached_property
    def single_logout(self) -> SingleLogout:
        from idp.single_logout import SingleLogout
        return SingleLogout(self.tasks)

    @cached_property
    def accounts(self) -> AccountService:
        from idp.accounts import AccountService
        return AccountService(self.settings, self.directory, self.store, self.single_logout)

    def start_background_work(self) -> None:
        """The web app's daemon threads, each logging and never crashing: one sends the
        outbox (and retries), one runs the background tasks."""
        self.outbound.start_background_sender()
        self.recovery.handle_tasks()
        self.single_logout.handle_tasks(self.settings.sessions.idle_minutes * 60)
        self.tasks.start()


def services() -> Services:
    """The web app's services, from any view."""
    return current_app.extensions[EXTENSION]
