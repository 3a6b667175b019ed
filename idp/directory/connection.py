"""Connections to slapd: one service connection per thread and process, and
short-lived connections that bind as a user to check a secret."""
from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

from ldap3 import NONE, SIMPLE, Connection, Server
from ldap3.core.exceptions import LDAPCommunicationError, LDAPException, LDAPSASLPrepError
from ldap3.protocol.sasl.sasl import validate_simple_password

from .attributes import PPOLICY_CONTROL
from .errors import DirectoryError, DirectoryUnavailable

T = TypeVar("T")

# LDAP result codes the directory module reacts to.
SUCCESS = 0
NO_SUCH_ATTRIBUTE = 16
ATTRIBUTE_OR_VALUE_EXISTS = 20
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


class UnusableSecret(DirectoryError):
    """A secret no bind can send (RFC 4013 SASLprep: control characters, mixed text
    directions…): it cannot be anyone's password."""


def prepared_secret(secret: str) -> str:
    """`secret` as a simple bind sends it (SASLprep, as ldap3 prepares it): passwords are
    stored in this form, so that what is typed later binds. UnusableSecret if it cannot be."""
    try:
        prepared = validate_simple_password(secret)
    except LDAPSASLPrepError as error:
        raise UnusableSecret(f"secret inutilisable : {error}") from None
    return prepared.decode("utf-8") if isinstance(prepared, bytes) else prepared


class LdapLink:
    """Where the provider's directory is and how it signs in to it.

    `url` is one LDAP URL or several separated by spaces (the providers of a replicated
    directory): they are used in that order, the first that answers serves, and one that
    did not answer is tried last for the next `retry_after` seconds.

    Service connections are pooled: an operation borrows one and gives it back, so
    threads never share a connection at once and no connection outlives its use.
    Safe under gunicorn's forking workers: a process never uses its parent's pool.
    """

    def __init__(self, url: str, bind_dn: str, bind_password: str, timeout: int = 5,
                 max_idle: int = 8, retry_after: float = 30.0) -> None:
        self.url = url
        self.urls = tuple(url.split()) or (url,)
        self._bind_dn = bind_dn
        self._bind_password = bind_password
        self._timeout = int(timeout)
        self._max_idle = max_idle
        self._retry_after = retry_after
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pid = -1
        self._idle: list[tuple[str, Connection]] = []
        """Service connections, idle."""
        self._binders: list[tuple[str, Connection]] = []
        """Connections for binding as a person, idle (never used to read)."""
        self._own_pools()

    def run(self, operation: Callable[[Connection], T]) -> T:
        """Runs `operation` on a service connection.

        A connection broken since its last use (slapd restarted or stopped) is replaced
        once, by a new one to the first URL that answers; if none does, DirectoryUnavailable.
        """
        url, connection = self._borrow()
        for attempt in (1, 2):
            try:
                result = operation(connection)
            except LDAPCommunicationError as error:
                _close(connection)
                self._drop_idle(url)  # they went to the same slapd: broken too
                if attempt == 2:
                    raise DirectoryUnavailable(f"l'annuaire ne répond pas ({self.url})") from error
                url, connection = self._open_service_connection()
                continue
            except BaseException:
                _close(connection)
                raise
            self._give_back(url, connection)
            return result
        raise AssertionError("unreachable")

    def bind_as(self, dn: str, secret: str) -> tuple[int, bytes | None]:
        """Binds as `dn`; returns the result code and the raw password-policy response
        control (locked, must change…), if slapd sent one.

        Binds go over connections kept for binding only, never for reading: binding again on
        an open connection spares a TCP connection and a slapd session per sign-in."""
        failure: LDAPException | None = None
        secret = prepared_secret(secret)  # before any connection: a secret no bind can send is nobody's
        for url in self._in_order():
            try:
                code, control = self._bind_on(url, dn, secret)
            except LDAPException as error:
                self._mark_down(url)
                failure = error
                continue
            if code in _UNAVAILABLE_CODES:
                continue
            self._mark_up(url)
            return code, control
        if failure is None:
            raise DirectoryUnavailable(f"l'annuaire est indisponible ({self.url})")
        raise DirectoryUnavailable(f"l'annuaire ne répond pas ({self.url})") from failure

    def _bind_on(self, url: str, dn: str, secret: str) -> tuple[int, bytes | None]:
        """On a kept connection to `url`, or a new one when none is kept or slapd closed it."""
        kept = self._take(self._binders, url)
        if kept is not None:
            try:
                return self._bind(url, kept, dn, secret)
            except LDAPException:
                pass  # closed by slapd since (restart, idle timeout): a new one
        connection = Connection(self._new_server(url), authentication=SIMPLE, raise_exceptions=False,
                                receive_timeout=self._timeout, read_only=True)
        try:
            connection.open()
        except LDAPException:
            _close(connection)
            raise
        return self._bind(url, connection, dn, secret)

    def _bind(self, url: str, connection: Connection, dn: str, secret: str) -> tuple[int, bytes | None]:
        connection.user, connection.password = dn, secret
        try:
            connection.bind(controls=[(PPOLICY_CONTROL, False, None)])
        except LDAPException:
            _close(connection)
            raise
        finally:
            connection.password = None  # nothing of the secret stays in a kept connection
        result = connection.result
        code = result.get("result", UNAVAILABLE)
        if code in _UNAVAILABLE_CODES:
            _close(connection)
        else:
            self._keep(self._binders, url, connection)
        control = (result.get("controls") or {}).get(PPOLICY_CONTROL)
        return code, (control or {}).get("value")

    def close(self) -> None:
        with self._lock:
            _close_all(self._idle)
            _close_all(self._binders)

    def _own_pools(self) -> None:
        """New pools after a fork (the parent's sockets are not ours); call with the lock
        held, except from __init__."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._idle, self._binders = [], []
            weakref.finalize(self, _close_idle, (self._idle, self._binders), self._pid)

    def _borrow(self) -> tuple[str, Connection]:
        with self._lock:
            self._own_pools()
            pooled = self._idle.pop() if self._idle else None
        return pooled or self._open_service_connection()

    def _give_back(self, url: str, connection: Connection) -> None:
        self._keep(self._idle, url, connection)

    def _take(self, pool: list[tuple[str, Connection]], url: str) -> Connection | None:
        with self._lock:
            self._own_pools()
            for index in range(len(pool) - 1, -1, -1):
                if pool[index][0] == url:
                    return pool.pop(index)[1]
        return None

    def _keep(self, pool: list[tuple[str, Connection]], url: str, connection: Connection) -> None:
        # Only connections to the preferred URL are kept, so that the first provider is
        # used again once it answers (after `retry_after`).
        preferred = self._in_order()[0]
        with self._lock:
            if (len(pool) < self._max_idle and self._pid == os.getpid() and not connection.closed
                    and url == preferred):
                pool.append((url, connection))
                return
        _close(connection)

    def _drop_idle(self, url: str) -> None:
        with self._lock:
            if self._pid != os.getpid():
                return
            dropped = [entry for pool in (self._idle, self._binders) for entry in pool if entry[0] == url]
            self._idle[:] = [entry for entry in self._idle if entry[0] != url]
            self._binders[:] = [entry for entry in self._binders if entry[0] != url]
        _close_all(dropped)

    def _in_order(self) -> list[str]:
        """The URLs to try: those that answered (or were not tried lately) first, in order."""
        now = time.monotonic()
        with self._lock:
            down = {url for url, until in self._down_until.items() if until > now}
        return [url for url in self.urls if url not in down] + [url for url in self.urls if url in down]

    def _mark_down(self, url: str) -> None:
        if len(self.urls) > 1:
            with self._lock:
                self._down_until[url] = time.monotonic() + self._retry_after

    def _mark_up(self, url: str) -> None:
        if url in self._down_until:
            with self._lock:
                self._down_until.pop(url, None)

    def _new_server(self, url: str) -> Server:
        # A fresh Server each time: ldap3 marks a Server's address dead after a failed
        # connection and would refuse it even once slapd is back.
        return Server(url, get_info=NONE, connect_timeout=self._timeout)

    def _open_service_connection(self) -> tuple[str, Connection]:
        """A service connection to the first URL that answers."""
        failure: LDAPException | None = None
        for url in self._in_order():
            connection = Connection(
                self._new_server(url), user=self._bind_dn, password=self._bind_password,
                raise_exceptions=False, receive_timeout=self._timeout,
            )
            try:
                connection.open()
                bound = connection.bind()
            except LDAPException as error:
                _close(connection)
                self._mark_down(url)
                failure = error
                continue
            if bound:
                self._mark_up(url)
                return url, connection
            _close(connection)
            code = connection.result.get("result")
            if code in _UNAVAILABLE_CODES:
                self._mark_down(url)
                continue
            raise DirectoryError(
                f"l'annuaire refuse le compte de service {self._bind_dn} ({connection.result.get('description')})"
            )
        if failure is None:
            raise DirectoryUnavailable(f"l'annuaire est indisponible ({self.url})")
        raise DirectoryUnavailable(f"l'annuaire ne répond pas ({self.url})") from failure


def _close_idle(pools: tuple[list[tuple[str, Connection]], ...], owner_pid: int) -> None:
    """At exit or collection; a forked child leaves its parent's connections alone."""
    if os.getpid() == owner_pid:
        for connections in pools:
            _close_all(connections)


def _close_all(connections: list[tuple[str, Connection]]) -> None:
    while connections:
        _close(connections.pop()[1])


def _close(connection: Connection) -> None:
    try:
        connection.unbind()
    except LDAPException:
        pass
    if connection.socket is not None:
        try:
            connection.socket.close()
        except OSError:
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
