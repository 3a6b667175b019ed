"""The directory: the only package that speaks LDAP (ldap3 to OpenLDAP slapd)."""
from .connection import LdapLink, OperationFailed
from .directory import LOGIN_PATTERN, Directory
from .errors import (
    AccountLocked, AccountNotFound, ActivationCodeExpired, AlreadyActivated, CredentialsChanged, DirectoryError,
    DirectoryUnavailable, InvalidCredentials, LoginTaken, SlapdError,
)
from .model import Account, AccountState, NewAccount, Profile

__all__ = [
    "Account", "AccountLocked", "AccountNotFound", "AccountState", "ActivationCodeExpired", "AlreadyActivated",
    "CredentialsChanged",
    "Directory", "DirectoryError", "DirectoryUnavailable", "InvalidCredentials", "LOGIN_PATTERN",
    "LdapLink", "LoginTaken", "NewAccount", "OperationFailed", "Profile", "SlapdError", "connect",
]


def connect(url: str, base_dn: str, bind_dn: str, bind_password: str, timeout: int = 5) -> Directory:
    """The directory at `url`, used through the provider's service account."""
    return Directory(LdapLink(url, bind_dn, bind_password, timeout), base_dn)
