"""Security events (sign-in, lockout, activation, admin actions): who, what, when.

Never a secret. Written to the `ent_idp.audit` logger; deployments route it where
their auditors read (a file, syslog, journald).
"""
from __future__ import annotations

import json
import logging

audit_log = logging.getLogger("ent_idp.audit")


def audit(event: str, *, login: str | None = None, address: str | None = None, **details: object) -> None:
    record = {"event": event, "login": login, "address": address, **details}
    audit_log.info(json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False))
