"""A new recovery e-mail or mobile for a signed-in person (« Mon compte »).

The new e-mail address is used only once the person opens the single-use link sent to it
(channel `email` of the reset tokens, valid `accounts.reset_link_minutes`, issued under the
account's security stamp like a reset link); the old address is then told. A new mobile is
used at once when the ENT sends no SMS; when it does, only once the 6-digit code sent to it
is typed (channel `mobile`, 3 tries, 10 minutes). Confirmation messages are limited per
account like the recovery ones, so that the page cannot be used to flood an address.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from idp.config import Settings
from idp.directory import Account, Directory
from idp.outbound import Outbound
from idp.ratelimit import RateLimits, Rule
from idp.store import ResetToken, Store
from idp.store import reset_tokens as tokens
from idp.store.models import digest

EMAIL, MOBILE = "email", "mobile"
"""Channels of the reset tokens that confirm a new contact."""
MOBILE_CODE_SECONDS = 600
MOBILE_CODE_ATTEMPTS = 3
CODE_PLACE = "{code}"


class TooManyConfirmations(Exception):
    """The account asked for more confirmation messages this hour than allowed."""


@dataclass(frozen=True)
class EmailChange:
    """A confirmation link still usable, and its account."""

    token: ResetToken
    account: Account

    @property
    def new_address(self) -> str:
        return self.token.new_address or ""


class ContactChanges:
    def __init__(self, settings: Settings, directory: Directory, store: Store, outbound: Outbound,
                 limits: RateLimits) -> None:
        self.settings = settings
        self.directory = directory
        self.store = store
        self.outbound = outbound
        self.limits = limits
        self.per_account = Rule("contact-confirmations/account", settings.accounts.recovery_messages_per_hour, 3600)

    def ask_email(self, account: Account, new_address: str, *, link_base: str, locale: str) -> None:
        """Mails the confirmation link to `new_address` (already normalised)."""
        self._count(account)
        minutes = self.settings.accounts.reset_link_minutes
        token = tokens.new_link(self.store, account.login, account.security_stamp, minutes * 60, channel=EMAIL,
                                new_address=new_address)
        self.outbound.mail(new_address, "email_confirm", {
            "given_name": account.given_name, "login": account.login, "link": f"{link_base}?jeton={token}",
            "expires_minutes": minutes}, locale)

    def email_change(self, token: str) -> EmailChange | None:
        """The change the link of `token` confirms, while it can."""
        row = tokens.usable(self.store, digest(token)) if token else None
        if row is None or row.channel != EMAIL or not row.new_address:
            return None
        account = self.directory.find(row.login)
        if account is None or account.security_stamp != (row.stamp or ""):
            return None
        return EmailChange(row, account)

    def confirm_email(self, change: EmailChange, *, locale: str) -> bool:
        """Makes the new address the account's and tells the old one; False when the link
        was used meanwhile."""
        if not tokens.use(self.store, change.token.id):
            return False
        old = change.account.recovery_email
        self.directory.set_contact(change.account.login, recovery_email=change.new_address)
        if old and old != change.new_address:
            self.outbound.mail(old, "email_changed", {"given_name": change.account.given_name, "old_email": old,
                                                      "new_email": change.new_address}, locale)
        return True

    def ask_mobile(self, account: Account, number: str, *, text: str) -> str | None:
        """With an SMS gateway: sends a code to `number` (normalised) and returns the challenge
        the browser keeps to type it against (SmsUnavailable when the SMS could not leave).
        Without one: the number is the account's at once, and None is returned."""
        if not self.outbound.sms_enabled:
            self.directory.set_contact(account.login, mobile=number)
            return None
        self._count(account)
        challenge = secrets.token_urlsafe(16)
        code = tokens.new_code(self.store, digest(challenge), account.login, account.security_stamp,
                               MOBILE_CODE_SECONDS, channel=MOBILE, new_address=number)
        self.outbound.sms(number, text.replace(CODE_PLACE, code))
        return challenge

    def confirm_mobile(self, login: str, challenge: str, typed: str) -> str | None:
        """The right code makes its number the account's, and returns it; a wrong one uses
        up one of its tries."""
        row = tokens.usable(self.store, digest(challenge)) if challenge else None
        if (row is None or row.channel != MOBILE or row.login != login or not row.new_address
                or not tokens.count_attempt(self.store, row.id, MOBILE_CODE_ATTEMPTS)):
            return None
        if not secrets.compare_digest(row.code_digest or "", digest(typed)) or not tokens.use(self.store, row.id):
            return None
        self.directory.set_contact(login, mobile=row.new_address)
        return row.new_address

    def remove_mobile(self, account: Account) -> None:
        self.directory.set_contact(account.login, mobile="")

    def _count(self, account: Account) -> None:
        if not self.limits.hit(self.per_account, account.login).allowed:
            raise TooManyConfirmations(account.login)
