"""The one place where LDAP names meet the domain model (see ldap_schema/README.md)."""
from __future__ import annotations

from datetime import UTC, datetime

PEOPLE_OU = "ou=people"
POLICY_DN = "cn=default,ou=policies"
DECOY_RDN = "cn=timing-decoy"
DECOY_POLICY_RDN = "cn=timing-decoy-policy"
"""A policy without lockout for the decoy: locked, it would no longer cost a hash."""
POLICY_SUBENTRY = "pwdPolicySubentry"

ACCOUNT_OBJECT_CLASSES = ("top", "person", "organizationalPerson", "inetOrgPerson", "entidpAccount")
ACCOUNT_FILTER = "(objectClass=entidpAccount)"

LOGIN = "uid"
GIVEN_NAME = "givenName"
SURNAME = "sn"
COMMON_NAME = "cn"
DISPLAY_NAME = "displayName"
PROFILE = "entidpProfile"
SCHOOL = "entidpSchool"
STATE = "entidpAccountState"
ACTIVATION_EXPIRES = "entidpActivationExpires"
TERMS_VERSION = "entidpTermsVersion"
TERMS_ACCEPTED_AT = "entidpTermsAcceptedAt"
RECOVERY_EMAIL = "entidpRecoveryMail"
RECOVERY_MOBILE = "entidpRecoveryMobile"
CHILD = "entidpChild"
ROLE = "entidpRole"
SECURITY_STAMP = "entidpSecurityStamp"
"""Replaced at every change of the person's credentials or standing: what a reset link, an
SMS code or an activation in progress was issued under."""
JOIN_KEY = "entidpJoinKey"
"""The person's identifier in the académie's AAF exports: what a later export is matched on."""
CLASS = "entidpClass"
"""A pupil's class, `UAI$class`."""
BIRTH_DATE = "entidpBirthDate"
DISABLED_AT = "entidpDisabledAt"
SCHOOL_EMAIL = "mail"
"""The address the school knows (AAF `mail`), never the personal recovery one."""
SCHOOL_MOBILE = "mobile"
"""The mobile the school knows (AAF `ENTPersonMobileSMS`), never the personal recovery one."""
PASSWORD = "userPassword"
UUID = "entryUUID"
"""Stable, never reused: the OpenID Connect `sub` is derived from it, not from the login."""

# slapo-ppolicy's operational attributes.
LOCKED_TIME = "pwdAccountLockedTime"
FAILURE_TIME = "pwdFailureTime"
PASSWORD_RESET = "pwdReset"
POLICY_LOCKOUT = "pwdLockout"
POLICY_ATTRIBUTE = "pwdAttribute"
POLICY_MAX_FAILURE = "pwdMaxFailure"
POLICY_LOCKOUT_DURATION = "pwdLockoutDuration"
POLICY_FAILURE_INTERVAL = "pwdFailureCountInterval"

ACCOUNT_ATTRIBUTES = (
    LOGIN, GIVEN_NAME, SURNAME, PROFILE, SCHOOL, STATE, ACTIVATION_EXPIRES, TERMS_VERSION,
    TERMS_ACCEPTED_AT, RECOVERY_EMAIL, RECOVERY_MOBILE, CHILD, ROLE, LOCKED_TIME, UUID, SECURITY_STAMP,
    JOIN_KEY, CLASS, BIRTH_DATE, DISABLED_AT, SCHOOL_EMAIL, SCHOOL_MOBILE,
)

PERMANENT_LOCK = "000001010000Z"
"""pwdAccountLockedTime value meaning 'locked until an admin unlocks'."""

PPOLICY_CONTROL = "1.3.6.1.4.1.42.2.27.8.5.1"
RELAX_RULES_CONTROL = ("1.3.6.1.4.1.4203.666.5.12", True, None)
"""Lets the admin clear ppolicy's failure counter (pwdFailureTime is otherwise read-only)."""


def to_generalized_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def from_generalized_time(value: str) -> datetime:
    """Parses slapd's GeneralizedTime (`20261128101500Z`, maybe with fractions)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1]
    text = text.split(".")[0]
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
