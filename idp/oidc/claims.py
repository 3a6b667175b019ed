"""What a college app learns about a person, by scope. Computed from the Account
with a fixed mapping: nothing is compiled or looked up per request but the person.

Claims beyond the standard ones:
- `profile_type`: parent, teacher, student or staff;
- `school`: UAI of the main school; `schools`: all of them (some teachers have several);
- `children` (parents): the `sub` of each child, so an app can link a parent to pupils.
"""
from __future__ import annotations

from idp.directory import Account

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "preferred_username", "profile_type", "school", "schools",
                "children"),
    "email": ("email", "email_verified"),
}
SUPPORTED_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
                    *SCOPE_CLAIMS["profile"], *SCOPE_CLAIMS["email"])


def claims_for(account: Account, scope: str, children_subs: list[str]) -> dict[str, object]:
    """The claims `scope` allows, for `account`; `sub` always."""
    available: dict[str, object] = {
        "name": account.display_name,
        "given_name": account.given_name,
        "family_name": account.surname,
        "preferred_username": account.login,
        "profile_type": account.profile.value,
        "school": account.schools[0] if account.schools else None,
        "schools": list(account.schools),
        "children": children_subs if account.children else None,
        "email": account.recovery_email,
        "email_verified": False if account.recovery_email else None,
    }
    claims: dict[str, object] = {"sub": account.uuid}
    for granted in scope.split():
        for name in SCOPE_CLAIMS.get(granted, ()):
            if available[name] is not None:
                claims[name] = available[name]
    return claims
