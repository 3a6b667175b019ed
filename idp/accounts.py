"""Changes to a person's credentials or standing, done the same way whoever asks: the
admins' commands, the help desk, the recovery and activation flows.

Each change is written to the directory first; then, when the person must be signed out
(a new password, a lock, a new activation code), every browser session of theirs ends and
every token their apps hold is revoked, in the store, so that apps lose access at their next
token or userinfo request; then one audit event says so.
"""
from __future__ import annotations

from datetime import UTC, datetime

from idp.audit import audit
from idp.config import Settings
from idp.directory import Account, Directory
from idp.provisioning.service import Provisioned, Provisioner
from idp.single_logout import SingleLogout
from idp.store import Store, sso_sessions


class AccountService:
    def __init__(self, settings: Settings, directory: Directory, store: Store, single_logout: SingleLogout) -> None:
        self.settings = settings
        self.directory = directory
        self.store = store
        self.single_logout = single_logout

    def new_code(self, login: str, *, actor: str) -> Provisioned:
        """Back to pending with a new activation code (a lost letter, a parent's request):
        the old code and password stop working, and the person is signed out."""
        reset = Provisioner(self.directory, self.settings.accounts.activation_code_days).reset(login)
        self.end_every_session(login, reason="new_code", actor=actor)
        return reset

    def lock(self, login: str, *, actor: str) -> Account:
        """Locked until an admin unlocks; the person is signed out."""
        self.directory.lock(login)
        self.end_every_session(login, reason="locked", actor=actor)
        return self.directory.get(login)

    def unlock(self, login: str, *, actor: str) -> Account:
        """Lifts any lock (an admin's, or one after too many wrong secrets)."""
        self.directory.unlock(login)
        return self.directory.get(login)

    def set_password(self, login: str, password: str, *, expected_stamp: str | None = None, actor: str,
                     keep: str | None = None) -> int:
        """The person's new password (a reset link, « Mon compte »): `expected_stamp`, when
        given, makes it conditional on nothing having changed since (CredentialsChanged).
        Every session of theirs ends, but `keep` (the browser they changed it in); returns how
        many browser sessions did."""
        self.directory.set_password(login, password, expected_stamp=expected_stamp)
        return self.end_every_session(login, reason="password_changed", actor=actor, keep=keep)

    def remove(self, login: str, *, actor: str) -> None:
        """Signs the person out everywhere, then deletes the account, which frees its login."""
        self.end_every_session(login, reason="removed", actor=actor)
        self.directory.remove(login)
        audit("account.removed", login=login, actor=actor)

    def disable(self, login: str, *, actor: str, reason: str) -> None:
        """No sign-in any more (the person left the schools): signed out everywhere; removed
        `accounts.disabled_days` later unless enabled again."""
        self.directory.disable(login, datetime.now(UTC))
        self.end_every_session(login, reason="disabled", actor=actor)
        audit("account.disabled", login=login, actor=actor, reason=reason)

    def enable(self, login: str, *, actor: str) -> Account:
        """A disabled account usable again, in the state it had."""
        self.directory.enable(login)
        audit("account.enabled", login=login, actor=actor)
        return self.directory.get(login)

    def end_every_session(self, login: str, *, reason: str, actor: str, keep: str | None = None) -> int:
        """Ends every browser session of `login` (but `keep`), revokes their apps' tokens and
        tells the apps (single logout); returns how many browser sessions were ended."""
        ended = sso_sessions.end_every_session_of(self.store, login, keep=keep)
        self.single_logout.sessions_ended(ended, login)
        audit("sessions.ended_everywhere", login=login, reason=reason, actor=actor, sessions_ended=len(ended))
        return len(ended)
