"""Who has activated their account: per school and profile, and per class for pupils (what
`ent-idp report activation` prints and the schools' console shows)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from idp.directory import Account, AccountState, classes_in

COUNTS = ("accounts", "active", "pending", "expired", "locked", "disabled")
"""What each line counts; `expired`: pending accounts whose code expired unused (among `pending`)."""


@dataclass
class Line:
    school: str
    profile: str
    class_name: str | None
    """For pupils, their class in this school; None for the others."""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def count(self, account: Account, now: datetime) -> None:
        self.counts["accounts"] += 1
        state = account.state
        if state is AccountState.DISABLED:
            self.counts["disabled"] += 1
        elif state is AccountState.LOCKED:
            self.counts["locked"] += 1
        elif account.stored_state is AccountState.ACTIVE:
            self.counts["active"] += 1
        else:
            self.counts["pending"] += 1
            if account.activation_expired(now):
                self.counts["expired"] += 1


@dataclass
class ActivationReport:
    lines: list[Line]
    """One per school, profile and (for pupils) class, sorted."""
    schools: dict[str, Line]
    """Per school, every account of it counted once."""


def activation_report(accounts: Iterable[Account], school: str | None = None,
                      now: datetime | None = None) -> ActivationReport:
    """The accounts counted by school, profile and class; an account of two schools counts in
    each; with `school`, that school only."""
    moment = now or datetime.now(UTC)
    lines: dict[tuple[str, str, str], Line] = {}
    schools: dict[str, Line] = {}
    for account in accounts:
        for uai in account.schools:
            if school and uai != school:
                continue
            schools.setdefault(uai, Line(uai, "", None)).count(account, moment)
            classes: list[str | None] = [*classes_in(account.classes, uai)] or [None]
            for class_name in classes:
                key = (uai, account.profile.value, class_name or "")
                lines.setdefault(key, Line(uai, account.profile.value, class_name)).count(account, moment)
    return ActivationReport([lines[key] for key in sorted(lines)], {uai: schools[uai] for uai in sorted(schools)})
