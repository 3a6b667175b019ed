"""Failures the pages and commands turn into sentences for people."""
from __future__ import annotations

from datetime import datetime


class DirectoryError(Exception):
    """Base of every directory failure; its text is a sentence for an admin."""


class DirectoryUnavailable(DirectoryError):
    """slapd does not answer (down, unreachable, overloaded). Nothing was written."""


class AccountNotFound(DirectoryError):
    def __init__(self, login: str) -> None:
        super().__init__(f"aucun compte « {login} »")
        self.login = login


class InvalidCredentials(DirectoryError):
    """Wrong secret, or no such login: the two are never told apart."""

    def __init__(self) -> None:
        super().__init__("identifiant ou mot de passe incorrect")


class AccountLocked(DirectoryError):
    def __init__(self, until: datetime | None) -> None:
        super().__init__("compte verrouillé")
        self.until = until
        """When it unlocks by itself; None when only an admin can unlock it."""


class ActivationCodeExpired(DirectoryError):
    def __init__(self) -> None:
        super().__init__("code d'activation expiré")


class LoginTaken(DirectoryError):
    def __init__(self, login: str) -> None:
        super().__init__(f"l'identifiant « {login} » existe déjà")
        self.login = login


class SlapdError(DirectoryError):
    """The private slapd could not be built, started or stopped."""


class CredentialsChanged(DirectoryError):
    """The person's credentials or standing changed since the link, code or activation in
    hand was issued (new password, new activation code, lock, unlock): it is no longer valid."""

    def __init__(self, login: str) -> None:
        super().__init__(f"les accès du compte « {login} » ont changé depuis")
        self.login = login


class AlreadyActivated(DirectoryError):
    """The account was activated meanwhile (another tab, another device)."""

    def __init__(self, login: str) -> None:
        super().__init__(f"le compte « {login} » est déjà activé")
        self.login = login
