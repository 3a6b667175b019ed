"""Connections to slapd: one service connection per thread and process, and
short-lived connections that bind as a user to check a secret."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

from ldap3 import NONE, Connection, Server
from ldap3.core.exceptions import LDAPCommunicationError, LDAPException, LDAPSocketOpenError

from .attributes import PPOLICY_CONTROL
from .errors import DirectoryError, DirectoryUnavailable

T = TypeVar("T")

# LDAP result codes the directory module reacts to.
SUCCESS = 0
NO_SUCH_ATTRIBUTE = 16
NO_SUCH_OBJECT = 32
INVALID_CREDENTIALS = 49
INSUFFICIENT_ACCESS = 50
BUSY = 51
UNAVAILABLE = 52
UNWILLING = 53
ALREADY_EXISTS = 68
_UNAVAILABLE_CODES = {BUSY, UNAVAILABLE}


class OperationFailed(DirectoryError):
    """slapd refused an operation; `code` is the LDAP result code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"l'annuaire a refusé l'opération ({code} {message})")
        self.code = code


class LdapLink:
    """Where the provider's directory is and how it signs in to it.

    Safe under threads (one connection per thread) and under gunicorn's forking
    workers (a process never uses a connection its parent opened).
    """

    def __init__(self, url: str, bind_dn: str, bind_password: str, timeout: int = 5) -> None:
        self.url = url
        self._bind_dn = bind_dn
        self._bind_password = bind_password
        self._timeout = int(timeout)
        self._server = Server(url, get_info=NONE, connect_timeout=int(timeout))
        self._local = threading.local()

    def run(self, operation: Callable[[Connection], T]) -> T:
        """Runs `operation` on this thread's service connection.

        A connection broken since its last use (slapd restarted) is replaced once;
        if slapd still does not answer, DirectoryUnavailable.
        """
        for attempt in (1, 2):
            connection = self._service_connection()
            try:
                return operation(connection)
            except LDAPCommunicationError as error:
                self._drop_service_connection()
                if attempt == 2:
                    raise DirectoryUnavailable(f"l'annuaire ne répond pas ({self.url})") from error
        raise AssertionError("unreachable")

    def bind_as(self, dn: str, secret: str) -> tuple[int, bytes | None]:
        """Binds as `dn` on a fresh connection; returns the result code and the raw
        password-policy response control (locked, must change…), if slapd sent one."""
        connection = Connection(
            self._server, user=dn, password=secret, raise_exceptions=False,
            receive_timeout=self._timeout, read_only=True,
        )
        try:
            connection.open()
            connection.bind(controls=[(PPOLICY_CONTROL, False, None)])
            result = connection.result
        except LDAPException as error:
            raise DirectoryUnavailable(f"l'annuaire ne répond pas ({self.url})") from error
        finally:
            connection.unbind()
        code = result.get("result", UNAVAILABLE)
        if code in _UNAVAILABLE_CODES:
            raise DirectoryUnavailable(f"l'annuaire est indisponible ({self.url})")
        control = (result.get("controls") or {}).get(PPOLICY_CONTROL)
        return code, (control or {}).get("value")

    def close(self) -> None:
        self._drop_service_connection()

    def _service_connection(self) -> Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid() and not connection.closed:
            return connection
        connection = Connection(
            self._server, user=self._bind_dn, password=self._bind_password,
            raise_exceptions=False, receive_timeout=self._timeout,
        )
        try:
            connection.open()
            bound = connection.bind()
        except (LDAPSocketOpenError, LDAPCommunicationError) as error:
            raise DirectoryUnavailable(f"l'annuaire ne répond pas ({self.url})") from error
        if not bound:
            code = connection.result.get("result")
            if code in _UNAVAILABLE_CODES:
                raise DirectoryUnavailable(f"l'annuaire est indisponible ({self.url})")
            raise DirectoryError(
                f"l'annuaire refuse le compte de service {self._bind_dn} ({connection.result.get('description')})"
            )
        self._local.connection = connection
        self._local.pid = os.getpid()
        return connection

    def _drop_service_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None and self._local.pid == os.getpid():
            try:
                connection.unbind()
            except LDAPException:
                pass


def check(connection: Connection, ok: bool) -> None:
    """Turns a refused operation into an exception; `ok` is what ldap3 returned."""
    if ok:
        return
    code = connection.result.get("result", UNAVAILABLE)
    if code in _UNAVAILABLE_CODES:
        raise DirectoryUnavailable("l'annuaire est indisponible")
    raise OperationFailed(code, connection.result.get("description", ""))


def ppolicy_error(control_value: bytes | None) -> int | None:
    """The `error` field of a PasswordPolicyResponseValue (draft-behera-ldap-password-policy):
    0 expired, 1 accountLocked, 2 changeAfterReset…; None when absent."""
    if not control_value or control_value[0] != 0x30:
        return None
    position = 2 if control_value[1] < 0x80 else 2 + (control_value[1] & 0x7F)
    while position + 1 < len(control_value):
        tag, length = control_value[position], control_value[position + 1]
        if tag == 0x81 and length == 1:
            return control_value[position + 2]
        position += 2 + length
    return None
