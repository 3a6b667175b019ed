"""Lost password and lost login: the core of the recovery pages.

Asking answers at once and the same way whatever was typed: the page only hands a task
over (idp.tasks), and the work — finding the account, the link or code, the message — runs
in the background. So neither the page nor its response time tells whether an account
exists. Only an active account that no admin has locked gets a message, and at most
`accounts.recovery_messages_per_hour` per account and per recipient.

A link or code is issued under the account's security stamp and works only while it is
unchanged: a new password (this reset included), a new activation code, a lock or an unlock
makes every outstanding one useless, on every instance.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from idp.accounts import AccountService
from idp.audit import audit
from idp.config import Settings
from idp.contact import ContactError, normalize_email
from idp.directory import Account, AccountState, Directory
from idp.outbound import Outbound
from idp.ratelimit import RateLimits, Rule
from idp.store import ResetToken, Store
from idp.store import reset_tokens as tokens
from idp.store.models import digest
from idp.tasks import TaskQueue

SMS_CODE_SECONDS = 600
SMS_ATTEMPTS = 3
CODE_PLACE = "{code}"
"""Where the code goes in the text of the SMS."""
MAIL, SMS, LOGIN_REMINDER = "recovery.mail", "recovery.sms", "recovery.login"
"""Kinds of background tasks."""


@dataclass(frozen=True)
class ResetLink:
    """A usable reset link (or a right SMS code turned into one) and its account."""

    token: ResetToken
    account: Account


class Recovery:
    def __init__(self, settings: Settings, directory: Directory, store: Store, outbound: Outbound,
                 limits: RateLimits, tasks: TaskQueue, accounts: AccountService) -> None:
        self.settings = settings
        self.directory = directory
        self.accounts = accounts
        self.store = store
        self.outbound = outbound
        self.limits = limits
        self.tasks = tasks
        hourly = settings.accounts.recovery_messages_per_hour
        self.per_account = Rule("recovery-messages/account", hourly, 3600)
        self.per_recipient = Rule("recovery-messages/recipient", hourly, 3600)

    def handle_tasks(self) -> None:
        """Makes this process's task runner do the work queued by the pages."""
        self.tasks.register(MAIL, self._send_link)
        self.tasks.register(SMS, self._send_code)
        self.tasks.register(LOGIN_REMINDER, self._send_login)

    # What the pages ask (the same work whoever is named)

    def ask_by_mail(self, who: str, *, locale: str, link_base: str, address: str | None) -> None:
        """`link_base`: the reset page's URL, to which `?jeton=…` is added."""
        self.tasks.submit(MAIL, {"who": who, "locale": locale, "link_base": link_base, "address": address})

    def ask_by_sms(self, who: str, *, text: str, address: str | None) -> str:
        """Returns the challenge the browser keeps to type the code against. `text`: the SMS,
        in the person's language, with CODE_PLACE where the code goes."""
        challenge = secrets.token_urlsafe(16)
        self.tasks.submit(SMS, {"who": who, "challenge": digest(challenge), "text": text, "address": address})
        return challenge

    def remind_login(self, email: str, *, locale: str, address: str | None) -> None:
        self.tasks.submit(LOGIN_REMINDER, {"email": email, "locale": locale, "address": address})

    # Links and codes

    def link(self, token: str) -> ResetLink | None:
        """The link of `token` if it can still set a password."""
        row = tokens.usable(self.store, digest(token)) if token else None
        if row is None or row.channel != "mail":
            return None
        account = self.directory.find(row.login)
        if account is None or not _may_reset(account) or account.security_stamp != (row.stamp or ""):
            return None
        return ResetLink(row, account)

    def try_code(self, challenge: str, typed: str) -> str | None:
        """A right code gives a reset link's token; a wrong one uses up one of the code's
        SMS_ATTEMPTS (counted and checked at once: concurrent tries cannot get more)."""
        row = tokens.usable(self.store, digest(challenge)) if challenge else None
        if row is None or row.channel != "sms" or not tokens.count_attempt(self.store, row.id, SMS_ATTEMPTS):
            return None
        if not secrets.compare_digest(row.code_digest or "", digest(typed)) or not tokens.use(self.store, row.id):
            return None
        return tokens.new_link(self.store, row.login, row.stamp or "", self._link_seconds())

    def reset(self, link: ResetLink, password: str) -> Account:
        """Sets the new password if nothing changed since the link was issued (otherwise
        CredentialsChanged); the new stamp makes this and every other link useless, and
        every session of the person ends. The password policy lifts a temporary lock; an
        admin's lock changed the stamp, so a link never lifts one."""
        self.accounts.set_password(link.account.login, password, expected_stamp=link.token.stamp or "",
                                   actor=link.account.login)
        tokens.use(self.store, link.token.id)
        return link.account

    # The background work

    def _send_link(self, task: dict[str, Any]) -> None:
        for account in self._accounts(task["who"]):
            if account.recovery_email and self._within_limits(account, account.recovery_email, task["address"]):
                minutes = self.settings.accounts.reset_link_minutes
                token = tokens.new_link(self.store, account.login, account.security_stamp, minutes * 60)
                self.outbound.mail(account.recovery_email, "password_reset", {
                    "given_name": account.given_name, "link": f"{task['link_base']}?jeton={token}",
                    "expires_minutes": minutes}, task["locale"])
                audit("recovery.link_sent", login=account.login, address=task["address"])

    def _send_code(self, task: dict[str, Any]) -> None:
        account = next((account for account in self._accounts(task["who"]) if account.mobile), None)
        if account is None or not self._within_limits(account, account.mobile or "", task["address"]):
            return
        code = tokens.new_code(self.store, task["challenge"], account.login, account.security_stamp,
                               SMS_CODE_SECONDS)
        self.outbound.sms(account.mobile or "", task["text"].replace(CODE_PLACE, code))
        audit("recovery.sms_sent", login=account.login, address=task["address"])

    def _send_login(self, task: dict[str, Any]) -> None:
        for account in self._by_email(task["email"]):
            if account.recovery_email and self.limits.hit(self.per_recipient, account.recovery_email).allowed:
                self.outbound.mail(account.recovery_email, "login_reminder",
                                   {"given_name": account.given_name, "login": account.login}, task["locale"])
                audit("recovery.login_sent", login=account.login, address=task["address"])

    def _accounts(self, who: str) -> list[Account]:
        """Accounts a reset may be sent for, named by a login or a recovery address."""
        who = who.strip()
        found = self._by_email(who) if "@" in who else [account for account in [self.directory.find(who.lower())]
                                                          if account]
        return [account for account in found if _may_reset(account)]

    def _by_email(self, typed: str) -> list[Account]:
        try:
            return self.directory.find_by_recovery_email(normalize_email(typed))
        except ContactError:
            return []

    def _within_limits(self, account: Account, recipient: str, address: str | None) -> bool:
        allowed = (self.limits.hit(self.per_account, account.login).allowed
                   and self.limits.hit(self.per_recipient, recipient).allowed)
        if not allowed:
            audit("recovery.limited", login=account.login, address=address, outcome="refused")
        return allowed

    def _link_seconds(self) -> int:
        return self.settings.accounts.reset_link_minutes * 60


def _may_reset(account: Account) -> bool:
    """Active, and not locked by an admin (a pending account has its letter's code instead)."""
    return account.stored_state is AccountState.ACTIVE and not account.locked_by_admin
