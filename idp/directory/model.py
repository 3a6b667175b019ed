"""What the rest of the product knows about a person in the directory.

No LDAP name appears here: `idp.directory.attributes` maps these fields to the schema.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class Profile(enum.StrEnum):
    PARENT = "parent"
    TEACHER = "teacher"
    STUDENT = "student"
    STAFF = "staff"


ROLES = ("helpdesk", "school-admin", "admin")
"""Rights beyond the profile: the help desk (`/assistance`) and the console (`/administration`)
of the person's schools, and the console of every school."""


class AccountState(enum.StrEnum):
    PENDING = "pending"
    """Created by an admin; signs in with the activation code of the school's letter."""
    ACTIVE = "active"
    """Activated: signs in with the personal password."""
    LOCKED = "locked"
    """Too many wrong secrets (for a while) or locked by an admin (until unlocked)."""
    DISABLED = "disabled"
    """Gone from the académie's export: no sign-in; removed `accounts.disabled_days` later."""


@dataclass(frozen=True)
class NewAccount:
    """A person to provision, before a login is chosen."""

    given_name: str
    surname: str
    profile: Profile
    schools: tuple[str, ...] = ()
    recovery_email: str | None = None
    mobile: str | None = None
    children: tuple[str, ...] = ()
    """Logins of the pupils a parent is responsible for."""
    roles: tuple[str, ...] = ()
    join_key: str | None = None
    """The person's identifier in the académie's AAF exports."""
    classes: tuple[str, ...] = ()
    """A pupil's classes, `UAI$class`."""
    birth_date: str | None = None
    """`YYYY-MM-DD`."""
    school_email: str | None = None
    school_mobile: str | None = None
    """The contacts the school knows (never used to recover the account)."""

    @classmethod
    def of(cls, account: Account) -> NewAccount:
        """What `account` would be made from (to write it again with a change, or to compare)."""
        return cls(account.given_name, account.surname, account.profile, account.schools,
                   recovery_email=account.recovery_email, mobile=account.mobile, children=account.children,
                   roles=account.roles, join_key=account.join_key, classes=account.classes,
                   birth_date=account.birth_date, school_email=account.school_email,
                   school_mobile=account.school_mobile)


@dataclass(frozen=True)
class Account:
    login: str
    dn: str
    given_name: str
    surname: str
    profile: Profile
    schools: tuple[str, ...]
    stored_state: AccountState
    """pending, active or disabled, as written in the directory; see `state`."""
    locked_until: datetime | None = None
    """Set while locked; `datetime.max` (UTC) for a lock only an admin lifts."""
    activation_expires: datetime | None = None
    recovery_email: str | None = None
    mobile: str | None = None
    terms_version: str | None = None
    terms_accepted_at: datetime | None = None
    children: tuple[str, ...] = field(default=())
    """Logins of the pupils a parent is responsible for."""
    uuid: str = ""
    """slapd's entryUUID: stable for the life of the entry."""
    roles: tuple[str, ...] = ()
    """Rights beyond the profile, e.g. `helpdesk`."""
    security_stamp: str = ""
    """Changes with every change of credentials or standing ("" for an entry never changed
    since the stamp exists): what reset links and activations in progress are issued under."""
    join_key: str | None = None
    classes: tuple[str, ...] = ()
    birth_date: str | None = None
    school_email: str | None = None
    school_mobile: str | None = None
    disabled_at: datetime | None = None

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()

    @property
    def state(self) -> AccountState:
        if self.stored_state is AccountState.DISABLED:
            return AccountState.DISABLED
        if self.locked_until is not None and self.locked_until > datetime.now(UTC):
            return AccountState.LOCKED
        return self.stored_state

    @property
    def usable(self) -> bool:
        """Neither locked nor disabled: the person may sign in, and their apps keep access."""
        return self.state not in (AccountState.LOCKED, AccountState.DISABLED)

    @property
    def locked_by_admin(self) -> bool:
        """Locked until an admin unlocks (not by too many wrong secrets, which passes)."""
        return self.locked_until is not None and self.locked_until.year == 9999

    def activation_expired(self, now: datetime | None = None) -> bool:
        if self.activation_expires is None:
            return False
        return (now or datetime.now(UTC)) >= self.activation_expires


def classes_in(classes: tuple[str, ...], school: str) -> list[str]:
    """The names of the classes (stored `UAI$class`) that are in `school`."""
    return [name.split("$", 1)[1] for name in classes if name.startswith(f"{school}$")]
