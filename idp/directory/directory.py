"""The directory operations the flows and the admin commands need."""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from ldap3 import BASE, LEVEL, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from . import attributes as attr
from .connection import (
    ALREADY_EXISTS,
    ATTRIBUTE_OR_VALUE_EXISTS,
    INVALID_CREDENTIALS,
    NO_SUCH_ATTRIBUTE,
    NO_SUCH_OBJECT,
    SUCCESS,
    LdapLink,
    OperationFailed,
    UnusableSecret,
    check,
    ppolicy_error,
    prepared_secret,
)
from .errors import (
    AccountLocked,
    AccountNotFound,
    ActivationCodeExpired,
    AlreadyActivated,
    CredentialsChanged,
    DirectoryError,
    InvalidCredentials,
    LoginTaken,
)
from .model import Account, AccountState, NewAccount, Profile

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.\-]{0,63}$")
"""What a login can look like; anything else is not looked up at all."""

_PPOLICY_ACCOUNT_LOCKED = 1
_PAGE_SIZE = 1000


class Directory:
    """The people of the ENT, in OpenLDAP. The only class that speaks LDAP."""

    def __init__(self, link: LdapLink, base_dn: str) -> None:
        self._link = link
        self.base_dn = base_dn
        self.people_dn = f"{attr.PEOPLE_OU},{base_dn}"
        self._policy_dn = f"{attr.POLICY_DN},{base_dn}"
        self._lockout_seconds: int | None = None
        self._decoy_dn: str | None = None

    # Reading

    def _search(self, search: str, attributes: list[str], base: str | None = None, scope: str = LEVEL) -> list[dict]:
        """Entries under ou=people (or `base`) matching `search`, already escaped by the caller."""
        def read(connection: Connection) -> list[dict]:
            ok = connection.search(base or self.people_dn, search, scope, attributes=attributes)
            if not ok and connection.result.get("result") != SUCCESS:
                check(connection, ok)
            return list(connection.response or [])
        return [entry for entry in self._link.run(read) if entry.get("type") == "searchResEntry"]

    def dn_of(self, login: str) -> str:
        return f"{attr.LOGIN}={escape_rdn(login)},{self.people_dn}"

    def find(self, login: str) -> Account | None:
        """The account, read at its DN (uid=<login>,ou=people): no index lookup."""
        if not LOGIN_PATTERN.match(login):
            return None
        try:
            entries = self._search(attr.ACCOUNT_FILTER, list(attr.ACCOUNT_ATTRIBUTES), self.dn_of(login), BASE)
        except OperationFailed as error:
            if error.code == NO_SUCH_OBJECT:
                return None
            raise
        return self._account(entries[0]) if entries else None

    def find_by_recovery_email(self, email: str) -> list[Account]:
        """Accounts whose personal recovery address is `email` (case-insensitive)."""
        search = f"(&{attr.ACCOUNT_FILTER}({attr.RECOVERY_EMAIL}={escape_filter_chars(email.strip())}))"
        return [self._account(entry) for entry in self._search(search, list(attr.ACCOUNT_ATTRIBUTES))]

    def find_by_join_key(self, join_key: str) -> Account | None:
        """The account of the académie's identifier `join_key` (AAF ENTPersonJointure)."""
        search = f"(&{attr.ACCOUNT_FILTER}({attr.JOIN_KEY}={escape_filter_chars(join_key)}))"
        entries = self._search(search, list(attr.ACCOUNT_ATTRIBUTES))
        return self._account(entries[0]) if entries else None

    def find_by_birth_date(self, birth_date: str, profile: Profile) -> list[Account]:
        """The accounts of `profile` born on `birth_date` (YYYY-MM-DD): where a national identity
        is matched against the people the académie registered."""
        search = (f"(&{attr.ACCOUNT_FILTER}({attr.BIRTH_DATE}={escape_filter_chars(birth_date)})"
                  f"({attr.PROFILE}={escape_filter_chars(profile.value)}))")
        return [self._account(entry) for entry in self._search(search, list(attr.ACCOUNT_ATTRIBUTES))]

    def get(self, login: str) -> Account:
        account = self.find(login)
        if account is None:
            raise AccountNotFound(login)
        return account

    def accounts(self, *, school: str | None = None, profile: Profile | None = None, class_name: str | None = None,
                 state: AccountState | None = None, child: str | None = None) -> Iterator[Account]:
        """Every account (of `school`, `profile`, with a class named `class_name`, written in
        `state`, a parent of `child`, when given), read page by page (for imports, lists and
        reports)."""
        conditions = [attr.ACCOUNT_FILTER]
        if state:
            conditions.append(f"({attr.STATE}={state.value})")
        if child:
            conditions.append(f"({attr.CHILD}={escape_filter_chars(self.dn_of(child))})")
        if school:
            conditions.append(f"({attr.SCHOOL}={escape_filter_chars(school)})")
        if profile:
            conditions.append(f"({attr.PROFILE}={profile.value})")
        if class_name:
            named = escape_filter_chars(class_name)
            conditions.append(f"({attr.CLASS}={escape_filter_chars(school)}${named})" if school
                              else f"({attr.CLASS}=*${named})")
        search = conditions[0] if len(conditions) == 1 else f"(&{''.join(conditions)})"
        cookie: bytes | None = None
        while True:
            def read_page(connection: Connection, cookie: bytes | None = cookie) -> tuple[list[dict], bytes | None]:
                ok = connection.search(
                    self.people_dn, search, LEVEL, attributes=list(attr.ACCOUNT_ATTRIBUTES),
                    paged_size=_PAGE_SIZE, paged_cookie=cookie,
                )
                if not ok and connection.result.get("result") != SUCCESS:
                    check(connection, ok)
                controls = connection.result.get("controls", {})
                next_cookie = controls.get("1.2.840.113556.1.4.319", {}).get("value", {}).get("cookie")
                return list(connection.response or []), next_cookie

            entries, cookie = self._link.run(read_page)
            for entry in entries:
                if entry.get("type") == "searchResEntry":
                    yield self._account(entry)
            if not cookie:
                return

    def uuids(self, logins: tuple[str, ...]) -> dict[str, str]:
        """entryUUID of each of these logins (one search), e.g. a parent's children."""
        wanted = [login for login in logins if LOGIN_PATTERN.match(login)]
        if not wanted:
            return {}
        search = "(&" + attr.ACCOUNT_FILTER + "(|" + "".join(
            f"({attr.LOGIN}={escape_filter_chars(login)})" for login in wanted) + "))"
        return {_first(entry["attributes"][attr.LOGIN]): _first(entry["attributes"][attr.UUID])
                for entry in self._search(search, [attr.LOGIN, attr.UUID])}

    def ping(self) -> None:
        """Raises DirectoryUnavailable unless slapd answers (for health checks)."""
        def read_root(connection: Connection) -> None:
            check(connection, connection.search("", "(objectClass=*)", BASE, attributes=["namingContexts"]))
        self._link.run(read_root)

    # Secrets

    def verify(self, login: str, secret: str, normalize_code: Callable[[str], str] | None = None) -> Account:
        """Checks a password or an activation code of `login` (see check_secret)."""
        return self.check_secret(login, self.find(login), secret, normalize_code)

    def check_secret(self, login: str, account: Account | None, secret: str,
                     normalize_code: Callable[[str], str] | None = None) -> Account:
        """Checks a secret of `account` (as `find(login)` returned it, None when there is no
        such login) by binding as the account, so that slapd's password policy counts the
        failures and locks.

        Raises InvalidCredentials (never telling whether the login exists), AccountLocked
        or ActivationCodeExpired. `normalize_code` turns what was typed into an activation
        code's stored form, for pending accounts. Whatever the case, slapd hashes the secret
        once: an unknown login binds to the timing decoy, and a locked account (for which
        slapd does not hash) to the decoy too, so that response times tell nothing.
        """
        if not secret:
            raise InvalidCredentials()  # an empty password would be an anonymous bind (RFC 4513 5.1.2)
        if account and account.stored_state is AccountState.PENDING and normalize_code:
            secret = normalize_code(secret)
        if account and account.stored_state is AccountState.DISABLED:  # whatever its lock says
            self._link.bind_as(self._timing_decoy(), secret)
            raise AccountLocked(None)
        try:
            code, control = self._link.bind_as(account.dn if account else self._timing_decoy(), secret)
        except UnusableSecret:
            raise InvalidCredentials() from None
        if account is None:
            raise InvalidCredentials()
        if code == INVALID_CREDENTIALS:
            if ppolicy_error(control) == _PPOLICY_ACCOUNT_LOCKED or account.state is AccountState.LOCKED:
                self._link.bind_as(self._timing_decoy(), secret)
                until = account.locked_until or self._locked_until(login)
                raise AccountLocked(None if until is None or until == _FOREVER else until)
            raise InvalidCredentials()
        if code != SUCCESS:
            raise OperationFailed(code, "bind")
        if account.stored_state is AccountState.PENDING and account.activation_expired():
            raise ActivationCodeExpired()
        return account

    def _timing_decoy(self) -> str:
        """An entry with an Argon2-hashed random password, bound to when the login does not
        exist: slapd then spends the same time as for a real account, so response times
        do not tell which logins exist. Its own password policy never locks it (a locked
        entry is not hashed against). Made, or repaired, once per process."""
        if self._decoy_dn is None:
            policies = f"ou=policies,{self.base_dn}"
            policy, dn = f"{attr.DECOY_POLICY_RDN},{policies}", f"{attr.DECOY_RDN},{policies}"

            def create(connection: Connection) -> None:
                ok = connection.add(policy, ["top", "device", "pwdPolicy"], {
                    "cn": "timing-decoy-policy", attr.POLICY_ATTRIBUTE: attr.PASSWORD, attr.POLICY_LOCKOUT: "FALSE",
                    "description": "Password policy of the timing decoy: never locked"})
                if not ok and connection.result.get("result") != ALREADY_EXISTS:
                    check(connection, ok)
                ok = connection.add(dn, ["top", "device", "simpleSecurityObject"], {
                    "cn": "timing-decoy", attr.PASSWORD: secrets.token_urlsafe(32), attr.POLICY_SUBENTRY: policy,
                    "description": "Bound to for unknown logins, so that timing tells nothing"})
                if not ok and connection.result.get("result") == ALREADY_EXISTS:
                    ok = connection.modify(dn, {attr.POLICY_SUBENTRY: [(MODIFY_REPLACE, [policy])],
                                                attr.LOCKED_TIME: [(MODIFY_REPLACE, [])],
                                                attr.FAILURE_TIME: [(MODIFY_REPLACE, [])]},
                                           controls=[attr.RELAX_RULES_CONTROL])
                check(connection, ok)
            self._link.run(create)
            self._decoy_dn = dn
        return self._decoy_dn

    def set_password(self, login: str, new_password: str, *, expected_stamp: str | None = None) -> None:
        """Sets the personal password (slapd hashes it; its password policy lifts any lock
        and forgets the failures). With `expected_stamp` (what a reset link was issued
        under), only if nothing changed since: otherwise CredentialsChanged, and nothing is
        written."""
        self._modify(login, {attr.PASSWORD: [(MODIFY_REPLACE, [prepared_secret(new_password)])]}, expected_stamp)

    def set_contact(self, login: str, *, recovery_email: str | None = None, mobile: str | None = None) -> None:
        """The person's own recovery e-mail and mobile (« Mon compte »): each given is written
        (`mobile=""` removes it). A new stamp: reset links sent before stop working."""
        changes: dict[str, list] = {}
        if recovery_email is not None:
            changes[attr.RECOVERY_EMAIL] = [(MODIFY_REPLACE, [recovery_email])]
        if mobile is not None:
            changes[attr.RECOVERY_MOBILE] = [(MODIFY_REPLACE, [mobile] if mobile else [])]
        if changes:
            self._modify(login, changes)

    def update_from_feed(self, login: str, person: NewAccount) -> None:
        """Writes what the académie's export says of the person (names, schools, classes,
        children, birth date, the contacts the school knows), keeping the login, the state,
        the secrets and the person's own recovery contacts. No new stamp: nothing the person
        was sent stops working for a new class."""
        name = f"{person.given_name} {person.surname}"
        changes: dict[str, list] = {
            attr.GIVEN_NAME: [(MODIFY_REPLACE, [person.given_name])],
            attr.SURNAME: [(MODIFY_REPLACE, [person.surname])],
            attr.COMMON_NAME: [(MODIFY_REPLACE, [name])],
            attr.DISPLAY_NAME: [(MODIFY_REPLACE, [name])],
            attr.SCHOOL: [(MODIFY_REPLACE, list(person.schools))],
            attr.CLASS: [(MODIFY_REPLACE, list(person.classes))],
            attr.CHILD: [(MODIFY_REPLACE, [self.dn_of(child) for child in person.children])],
            attr.BIRTH_DATE: [(MODIFY_REPLACE, [person.birth_date] if person.birth_date else [])],
            attr.SCHOOL_EMAIL: [(MODIFY_REPLACE, [person.school_email] if person.school_email else [])],
            attr.SCHOOL_MOBILE: [(MODIFY_REPLACE, [person.school_mobile] if person.school_mobile else [])],
        }
        if person.join_key:
            changes[attr.JOIN_KEY] = [(MODIFY_REPLACE, [person.join_key])]
        self._write(login, changes)

    def set_roles(self, login: str, roles: tuple[str, ...]) -> None:
        """What the person may do beyond their profile (`helpdesk`, `school-admin`, `admin`)."""
        self._write(login, {attr.ROLE: [(MODIFY_REPLACE, list(roles))]})

    def disable(self, login: str, when: datetime) -> None:
        """No sign-in any more (an admin lock, so that no reset link lifts it either), until
        enabled again or removed; a new stamp: whatever was issued before stops working."""
        self._modify(login, {attr.STATE: [(MODIFY_REPLACE, [AccountState.DISABLED.value])],
                             attr.DISABLED_AT: [(MODIFY_REPLACE, [attr.to_generalized_time(when)])],
                             attr.LOCKED_TIME: [(MODIFY_REPLACE, [attr.PERMANENT_LOCK])]})

    def enable(self, login: str) -> None:
        """A disabled account back (the person is in the export again): active if they had
        activated it (they accepted the terms), otherwise pending with the code they had."""
        account = self.get(login)
        state = AccountState.ACTIVE if account.terms_version else AccountState.PENDING
        self._modify(login, {attr.STATE: [(MODIFY_REPLACE, [state.value])], attr.DISABLED_AT: [(MODIFY_REPLACE, [])],
                             attr.LOCKED_TIME: [(MODIFY_REPLACE, [])], attr.FAILURE_TIME: [(MODIFY_REPLACE, [])]},
                     controls=[attr.RELAX_RULES_CONTROL])

    def issue_activation_code(self, login: str, code: str, expires: datetime) -> None:
        """Back to pending with `code` as the only secret: the old password, the previous
        code, any lockout and everything issued under the old stamp stop counting."""
        self._modify(login, {
            attr.STATE: [(MODIFY_REPLACE, [AccountState.PENDING.value])],
            attr.ACTIVATION_EXPIRES: [(MODIFY_REPLACE, [attr.to_generalized_time(expires)])],
            attr.PASSWORD: [(MODIFY_REPLACE, [code])],
        })

    def activate(self, login: str, *, password: str | None = None, recovery_email: str | None = None,
                 mobile: str | None = None, terms_version: str | None = None,
                 expected_stamp: str | None = None, without_password: bool = False) -> None:
        """pending → active with the personal password (or, `without_password`, none: the
        activation code is deleted, and the person signs in through a national identity), contact details and terms
        acceptance, in ONE modify: slapd applies all of it or nothing. Of two concurrent
        activations the second raises AlreadyActivated (the 'pending' it deletes is gone).
        With `expected_stamp` (what the activation code was accepted under): CredentialsChanged
        when a new code was issued, or the account locked, meanwhile."""
        changes: dict[str, list] = {
            attr.STATE: [(MODIFY_DELETE, [AccountState.PENDING.value]), (MODIFY_ADD, [AccountState.ACTIVE.value])],
            attr.ACTIVATION_EXPIRES: [(MODIFY_REPLACE, [])],
        }
        if password is not None or without_password:
            changes[attr.PASSWORD] = [(MODIFY_REPLACE, [prepared_secret(password)] if password is not None else [])]
        if recovery_email is not None:
            changes[attr.RECOVERY_EMAIL] = [(MODIFY_REPLACE, [recovery_email])]
        if mobile is not None:
            changes[attr.RECOVERY_MOBILE] = [(MODIFY_REPLACE, [mobile] if mobile else [])]
        if terms_version is not None:
            changes[attr.TERMS_VERSION] = [(MODIFY_REPLACE, [terms_version])]
            changes[attr.TERMS_ACCEPTED_AT] = [(MODIFY_REPLACE, [attr.to_generalized_time(datetime.now(UTC))])]
        try:
            self._modify(login, changes, expected_stamp)
        except CredentialsChanged:
            account = self.find(login)
            if account is not None and account.stored_state is not AccountState.PENDING:
                raise AlreadyActivated(login) from None
            if expected_stamp is None:
                raise AlreadyActivated(login) from None
            raise

    # Locks

    def lock(self, login: str) -> None:
        """Locks until an admin unlocks (binding fails whatever the secret)."""
        self._modify(login, {attr.LOCKED_TIME: [(MODIFY_REPLACE, [attr.PERMANENT_LOCK])]})

    def unlock(self, login: str) -> None:
        """Lifts a lockout and forgets the failures counted so far."""
        self._modify(login, {attr.LOCKED_TIME: [(MODIFY_REPLACE, [])], attr.FAILURE_TIME: [(MODIFY_REPLACE, [])]},
                     controls=[attr.RELAX_RULES_CONTROL])

    def configure_lockout(self, max_failures: int, lockout_seconds: int) -> None:
        """Writes the lockout rule into the default password policy entry."""
        def write(connection: Connection) -> None:
            check(connection, connection.modify(self._policy_dn, {
                attr.POLICY_MAX_FAILURE: [(MODIFY_REPLACE, [str(max_failures)])],
                attr.POLICY_LOCKOUT_DURATION: [(MODIFY_REPLACE, [str(lockout_seconds)])],
                attr.POLICY_FAILURE_INTERVAL: [(MODIFY_REPLACE, [str(lockout_seconds)])],
            }))
        self._link.run(write)
        self._lockout_seconds = lockout_seconds

    # Provisioning

    def add(self, login: str, person: NewAccount, activation_code: str, expires: datetime) -> str:
        """Creates a pending account; raises LoginTaken if the login exists. Returns the DN."""
        if not LOGIN_PATTERN.match(login):
            raise DirectoryError(f"identifiant invalide : {login!r}")
        dn = self.dn_of(login)
        values: dict[str, object] = {
            attr.LOGIN: login,
            attr.GIVEN_NAME: person.given_name,
            attr.SURNAME: person.surname,
            attr.COMMON_NAME: f"{person.given_name} {person.surname}",
            attr.DISPLAY_NAME: f"{person.given_name} {person.surname}",
            attr.PROFILE: person.profile.value,
            attr.STATE: AccountState.PENDING.value,
            attr.ACTIVATION_EXPIRES: attr.to_generalized_time(expires),
            attr.PASSWORD: activation_code,
            attr.SECURITY_STAMP: secrets.token_urlsafe(16),
        }
        optional = {
            attr.SCHOOL: list(person.schools),
            attr.RECOVERY_EMAIL: person.recovery_email,
            attr.RECOVERY_MOBILE: person.mobile,
            attr.CHILD: [self.dn_of(child) for child in person.children],
            attr.ROLE: list(person.roles),
            attr.JOIN_KEY: person.join_key,
            attr.CLASS: list(person.classes),
            attr.BIRTH_DATE: person.birth_date,
            attr.SCHOOL_EMAIL: person.school_email,
            attr.SCHOOL_MOBILE: person.school_mobile,
        }
        values.update({name: value for name, value in optional.items() if value})

        def create(connection: Connection) -> None:
            ok = connection.add(dn, list(attr.ACCOUNT_OBJECT_CLASSES), values)
            if not ok and connection.result.get("result") == ALREADY_EXISTS:
                raise LoginTaken(login)
            check(connection, ok)
        self._link.run(create)
        return dn

    def remove(self, login: str) -> None:
        """Deletes the account's entry, which frees its login (AccountNotFound if there is none)."""
        dn = self.dn_of(login)
        self._run_on_account(login, lambda connection: check(connection, connection.delete(dn)))

    def logins_with_prefix(self, prefix: str) -> set[str]:
        """Logins equal to `prefix` or starting with it (to choose a homonym's suffix)."""
        search = f"(&{attr.ACCOUNT_FILTER}({attr.LOGIN}={escape_filter_chars(prefix)}*))"
        return {_first(entry["attributes"][attr.LOGIN]) for entry in self._search(search, [attr.LOGIN])}

    # Internals

    def _modify(self, login: str, changes: dict[str, list], expected_stamp: str | None = None,
                controls: list | None = None) -> None:
        """One modify of the account that also gives it a new security stamp, so that what
        was issued under the old one stops working. With `expected_stamp`, the modify only
        applies if the stamp is still that one ("": none yet); otherwise CredentialsChanged."""
        new = secrets.token_urlsafe(16)
        if expected_stamp is None:
            stamp = [(MODIFY_REPLACE, [new])]
        elif expected_stamp == "":
            stamp = [(MODIFY_ADD, [new])]
        else:
            stamp = [(MODIFY_DELETE, [expected_stamp]), (MODIFY_ADD, [new])]
        dn = self.dn_of(login)

        def modify(connection: Connection) -> None:
            ok = connection.modify(dn, {**changes, attr.SECURITY_STAMP: stamp}, controls=controls)
            if not ok and connection.result.get("result") in (NO_SUCH_ATTRIBUTE, ATTRIBUTE_OR_VALUE_EXISTS):
                raise CredentialsChanged(login)
            check(connection, ok)
        self._run_on_account(login, modify)

    def _write(self, login: str, changes: dict[str, list]) -> None:
        """A modify that leaves the security stamp as it is (nothing about the secrets changed)."""
        dn = self.dn_of(login)
        self._run_on_account(login, lambda connection: check(connection, connection.modify(dn, changes)))

    def _run_on_account(self, login: str, operation) -> None:
        try:
            self._link.run(operation)
        except OperationFailed as error:
            if error.code == NO_SUCH_OBJECT:
                raise AccountNotFound(login) from error
            raise

    def _locked_until(self, login: str) -> datetime | None:
        account = self.find(login)
        return None if account is None else account.locked_until

    def _lockout_duration(self) -> int:
        if self._lockout_seconds is None:
            entries = self._search("(objectClass=pwdPolicy)", [attr.POLICY_LOCKOUT_DURATION], self._policy_dn, BASE)
            value = entries[0]["attributes"].get(attr.POLICY_LOCKOUT_DURATION) if entries else None
            self._lockout_seconds = int(value if isinstance(value, int) else (value or [0])[0])
        return self._lockout_seconds

    def _account(self, entry: dict) -> Account:
        values = entry["attributes"]

        def one(name: str) -> str | None:
            value = values.get(name)
            if isinstance(value, list):
                return str(value[0]) if value else None
            return None if value in (None, "") else str(value)

        def many(name: str) -> tuple[str, ...]:
            value = values.get(name) or []
            return tuple(str(v) for v in (value if isinstance(value, list) else [value]))

        def moment(name: str) -> datetime | None:
            value = values.get(name)
            if isinstance(value, list):
                value = value[0] if value else None
            if value in (None, ""):
                return None
            return value if isinstance(value, datetime) else attr.from_generalized_time(str(value))

        locked_since = one(attr.LOCKED_TIME)
        return Account(
            login=one(attr.LOGIN) or "",
            dn=entry["dn"],
            given_name=one(attr.GIVEN_NAME) or "",
            surname=one(attr.SURNAME) or "",
            profile=Profile(one(attr.PROFILE) or ""),
            schools=many(attr.SCHOOL),
            stored_state=AccountState(one(attr.STATE) or ""),
            locked_until=self._lock_end(locked_since) if locked_since else None,
            activation_expires=moment(attr.ACTIVATION_EXPIRES),
            recovery_email=one(attr.RECOVERY_EMAIL),
            mobile=one(attr.RECOVERY_MOBILE),
            terms_version=one(attr.TERMS_VERSION),
            terms_accepted_at=moment(attr.TERMS_ACCEPTED_AT),
            children=tuple(_login_of(dn) for dn in many(attr.CHILD)),
            uuid=one(attr.UUID) or "",
            roles=many(attr.ROLE),
            security_stamp=one(attr.SECURITY_STAMP) or "",
            join_key=one(attr.JOIN_KEY),
            classes=many(attr.CLASS),
            birth_date=one(attr.BIRTH_DATE),
            school_email=one(attr.SCHOOL_EMAIL),
            school_mobile=one(attr.SCHOOL_MOBILE),
            disabled_at=moment(attr.DISABLED_AT),
        )

    def _lock_end(self, locked_since: str) -> datetime:
        if locked_since == attr.PERMANENT_LOCK:
            return _FOREVER
        duration = self._lockout_duration()
        if duration == 0:
            return _FOREVER
        return attr.from_generalized_time(locked_since) + timedelta(seconds=duration)


_FOREVER = datetime.max.replace(tzinfo=UTC)


def _first(value: object) -> str:
    return str(value[0]) if isinstance(value, list) else str(value)


def _login_of(dn: str) -> str:
    first = dn.split(",", 1)[0]
    return first.split("=", 1)[1] if "=" in first else first
