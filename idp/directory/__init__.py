"""The directory: the only package that speaks LDAP (ldap3 to OpenLDAP slapd)."""
from .connection import LdapLink, OperationFailed, UnusableSecret, prepared_secret
from .directory import LOGIN_PATTERN, Directory
from .errors import (
    AccountLocked,
    AccountNotFound,
    ActivationCodeExpired,
    AlreadyActivated,
    CredentialsChanged,
    DirectoryError,
    DirectoryUnavailable,
    InvalidCredentials,
    LoginTaken,
    SlapdError,
)
from .model import ROLES, Account, AccountState, NewAccount, Profile, classes_in

__all__ = [
    "Account", "AccountLocked", "AccountNotFound", "AccountState", "ActivationCodeExpired", "AlreadyActivated",
    "CredentialsChanged",
    "Directory", "DirectoryError", "DirectoryUnavailable", "InvalidCredentials", "LOGIN_PATTERN",
    "LdapLink", "LoginTaken", "NewAccount", "OperationFailed", "Profile", "ROLES", "SlapdError", "UnusableSecret",
    "classes_in", "connect",
    "secret_is_usable",
]


def connect(url: str, base_dn: str, bind_dn: str, bind_password: str, timeout: int = 5) -> Directory:
    """The directory at `url`, used through the provider's service account."""
    return Directory(LdapLink(url, bind_dn, bind_password, timeout), base_dn)


def secret_is_usable(secret: str) -> bool:
    """Whether `secret` can be a password: a simple bind can send it (see prepared_secret)."""
    try:
        prepared_secret(secret)
    except UnusableSecret:
        return False
    return True
