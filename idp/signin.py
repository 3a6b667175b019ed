"""Checking a secret typed at sign-in (a password or a letter's activation code), with the
brute-force protection in front of slapd's own lockout.

Two counters, whether or not the login exists, so that nothing tells the two apart:
- per login and client address: `accounts.address_failures` wrong secrets refuse that
  address for that login, for `accounts.lockout_minutes`: an attacker's address is shut out
  while the owner, from another address, still signs in with the right password;
- per login, from every address together: `accounts.lockout_failures` refuse the login from
  everywhere for as long: a lock of the account only comes after many failures from many
  addresses.
Each attempt is counted before the secret is checked (one atomic step: concurrent attempts
cannot slip past the limit), and a right secret clears both counters. The counters are keyed
by the account's security stamp too, so an admin's unlock or a new password starts them
afresh. slapd's password policy stays as the backstop, at twice `lockout_failures`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from idp.config import AccountSettings
from idp.directory import Account, AccountLocked, Directory, InvalidCredentials
from idp.ratelimit import Count, RateLimits, Rule


class WrongSecret(Exception):
    """Wrong secret, unknown login or account locked by an admin: never told apart."""

    def __init__(self, tries_left: int | None) -> None:
        super().__init__("identifiant ou mot de passe incorrect")
        self.tries_left = tries_left
        """Before sign-in is refused for a while; None when not counted (limits off)."""


class TemporarilyRefused(Exception):
    """Too many wrong secrets: sign-in to this login is refused until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__("connexion temporairement verrouillée")
        self.until = until


class SignInGuard:
    def __init__(self, directory: Directory, limits: RateLimits, accounts: AccountSettings) -> None:
        self.directory = directory
        self.limits = limits
        seconds = accounts.lockout_minutes * 60
        self.per_address = Rule("sign-in-failures/address", accounts.address_failures, seconds)
        self.per_login = Rule("sign-in-failures/login", accounts.lockout_failures, seconds)

    def check(self, login: str, secret: str, address: str | None,
              normalize_code: Callable[[str], str] | None = None) -> Account:
        """The account whose secret this is. Raises WrongSecret, TemporarilyRefused or
        ActivationCodeExpired."""
        account = self.directory.find(login)
        keys: dict[Rule, tuple[str, ...]] = {self.per_login: (login, account.security_stamp if account else "")}
        if not self.limits.is_exempt(address):
            keys[self.per_address] = (*keys[self.per_login], address or "")
        counts = self.limits.hit_each(list(keys.items()))
        refused = [count for count in counts if not count.allowed]
        if refused:
            raise TemporarilyRefused(self._window_end(refused[0], keys[refused[0].rule]))
        try:
            found = self.directory.check_secret(login, account, secret, normalize_code)
        except InvalidCredentials:
            raise self._wrong(counts, keys) from None
        except AccountLocked as locked:
            if locked.until is None:  # by an admin: told like a wrong secret (the login exists)
                raise self._wrong(counts, keys) from None
            raise TemporarilyRefused(locked.until) from None
        self.limits.clear_each(list(keys.items()))
        return found

    def _wrong(self, counts: list[Count], keys: dict[Rule, tuple[str, ...]]) -> Exception:
        if not self.limits.enabled:
            return WrongSecret(None)
        last = min(counts, key=lambda count: count.remaining)
        if last.remaining == 0:
            return TemporarilyRefused(self._window_end(last, keys[last.rule]))
        return WrongSecret(last.remaining)

    def _window_end(self, count: Count, identifiers: tuple[str, ...]) -> datetime:
        return datetime.fromtimestamp(self.limits.window_end(count.rule, *identifiers), UTC)
