"""Counters that limit what one client address, one login or one recipient may do, shared
by every process of the service.

They live where `ratelimit_storage_url` says: the provider's own database by default (every
gunicorn worker and every instance on the same database count together), Redis for large
deployments, or memory (one process only: tests). When Redis does not answer, each process
counts in its own memory for a while rather than refusing everyone.

Pages limit their POSTs per client address with `@limited(RULE)`; the sign-in guard and
the recovery service count per login and per recipient with `RateLimits.hit`.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TypeVar

from flask import render_template, request
from limits.storage import MemoryStorage, Storage, storage_from_string

from idp.services import services
from idp.store import Store
from idp.store.counters import SqlCounters

log = logging.getLogger("ent_idp.ratelimit")
T = TypeVar("T")
R = TypeVar("R")

DATABASE = "database"
"""`ratelimit_storage_url` value (the default) for counters in the provider's database."""
REDIS_TIMEOUT_SECONDS = 2
"""How long a request waits for Redis before counting in memory (a `?socket_timeout=` in the URL wins)."""
FALLBACK_SECONDS = 30
"""After a storage failure, how long a process counts in its own memory before trying it again."""


@dataclass(frozen=True)
class Rule:
    name: str
    amount: int
    seconds: int


SIGN_IN = Rule("sign-in", 30, 300)
"""Sign-in attempts per client address, whatever the login."""
RECOVERY = Rule("recovery", 10, 900)
SMS_CODE = Rule("sms-code", 5, 900)
HELP = Rule("help", 5, 3600)


@dataclass(frozen=True)
class Count:
    """A counter after a hit."""

    rule: Rule
    count: int

    @property
    def allowed(self) -> bool:
        return self.count <= self.rule.amount

    @property
    def remaining(self) -> int:
        return max(self.rule.amount - self.count, 0)


class RateLimits:
    def __init__(self, storage: Storage, *, enabled: bool, exempt: frozenset[str] = frozenset()) -> None:
        self.enabled = enabled
        self.exempt = exempt
        self._storage = storage
        self._fallback = MemoryStorage()
        self._fallback_until = 0.0

    def hit(self, rule: Rule, *identifiers: str) -> Count:
        """Counts one more for `identifiers` (atomically: the count returned includes this one)."""
        return self.hit_each([(rule, identifiers)])[0]

    def hit_each(self, counters: list[tuple[Rule, tuple[str, ...]]]) -> list[Count]:
        """One more on each counter, in one round trip when the storage can (the database)."""
        if not self.enabled:
            return [Count(rule, 0) for rule, _ in counters]
        keys = [(_key(rule, identifiers), rule.seconds) for rule, identifiers in counters]

        def incr(storage: Storage) -> list[int]:
            if isinstance(storage, SqlCounters):
                return storage.incr_many(keys)
            return [storage.incr(key, seconds) for key, seconds in keys]
        return [Count(rule, count) for (rule, _), count in zip(counters, self._call(incr), strict=True)]

    def window_end(self, rule: Rule, *identifiers: str) -> float:
        """When the counter of `identifiers` starts again from zero (seconds since 1970)."""
        key = _key(rule, identifiers)
        return self._call(lambda storage: storage.get_expiry(key))

    def clear_each(self, counters: list[tuple[Rule, tuple[str, ...]]]) -> None:
        """Starts these counters again from zero."""
        if not self.enabled:
            return
        keys = [_key(rule, identifiers) for rule, identifiers in counters]

        def clear(storage: Storage) -> None:
            if isinstance(storage, SqlCounters):
                storage.clear_many(keys)
            else:
                for key in keys:
                    storage.clear(key)
        self._call(clear)

    def is_exempt(self, address: str | None) -> bool:
        return address in self.exempt

    def _call(self, operation: Callable[[Storage], T]) -> T:
        if time.monotonic() >= self._fallback_until:
            try:
                return operation(self._storage)
            except self._storage.base_exceptions as error:
                log.warning("rate-limit storage unavailable (%s): counting in memory for %d s",
                            type(error).__name__, FALLBACK_SECONDS)
                self._fallback_until = time.monotonic() + FALLBACK_SECONDS
        return operation(self._fallback)


def open_storage(url: str, store: Store) -> Storage:
    """The counters' storage named by `ratelimit_storage_url`."""
    if url in ("", DATABASE):
        return SqlCounters(store=store)
    options: dict[str, float | str | bool] = {}
    if url.startswith(("redis://", "rediss://", "redis+")) and "socket_timeout" not in url:
        options = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
    storage = storage_from_string(url, **options)
    if not isinstance(storage, Storage):  # an async+… URL: limits' asyncio storages
        raise ValueError(f"ratelimit_storage_url : stockage asynchrone non pris en charge : {url}")
    return storage


def limited(rule: Rule) -> Callable[[Callable[..., R]], Callable[..., R | tuple[str, int, dict[str, str]]]]:
    """Limits a page's POSTs per client address; past the limit, a French page (429)."""
    def decorate(view: Callable[..., R]) -> Callable[..., R | tuple[str, int, dict[str, str]]]:
        @wraps(view)
        def limited_view(*args: object, **kwargs: object) -> R | tuple[str, int, dict[str, str]]:
            limits = services().rate_limits
            if request.method == "POST" and not limits.is_exempt(request.remote_addr):
                if not limits.hit(rule, request.remote_addr or "").allowed:
                    return too_many_requests(limits.window_end(rule, request.remote_addr or ""))
            return view(*args, **kwargs)
        return limited_view
    return decorate


def too_many_requests(until: float) -> tuple[str, int, dict[str, str]]:
    wait = max(int(until - time.time()) + 1, 1)
    return render_template("too_many_requests.html"), 429, {"Retry-After": str(wait)}


def _key(rule: Rule, identifiers: tuple[str, ...]) -> str:
    """A bounded key: identifiers are what people typed (logins, addresses)."""
    return f"ent-idp/{rule.name}/" + hashlib.sha256("\x1f".join(identifiers).encode()).hexdigest()[:40]


def exempt_addresses(setting: str) -> frozenset[str]:
    return frozenset(address.strip() for address in setting.split(",") if address.strip())

