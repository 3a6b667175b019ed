"""`ent-idp conformance`: replays the guides in Chromium against an ENT and writes the report.

Where the test accounts come from (README, « Pour les auditeurs »):
- no base URL: a private ENT started on this machine (slapd, SMTP server, provider, two
  college apps) — what `./dev test` runs;
- a base URL and the deployment's settings file (`ent-idp --config FILE`): accounts are
  created in its directory, mail is read from its outbox folder when it has no SMTP server;
- a base URL and an accounts file (`--accounts`, the format of the demo's demo.json, e.g.
  built from `ent-idp accounts add … --json`): those accounts are used up, one per step.
A step that cannot run against the deployment is reported « Non exécuté » with the reason.
"""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

GUIDE_STEPS = {
    "parents": ("P", "C", "A", "S", "H", "R", "M", "F"),
    "teachers": ("C", "A", "S", "R", "T", "O", "M"),
    "all": ("P", "C", "A", "S", "H", "R", "T", "O", "M", "F"),
}


def run_conformance(*, base_url: str | None, report_dir: Path, guide: str = "all", accounts: Path | None = None,
                    outbox: Path | None = None, config: str | None = None) -> int:
    """Runs the suite, then writes report_dir/index.html, junit.xml and the living guides.
    Returns 0 when no step failed."""
    import pytest

    from conformance.report import build_guides, build_report

    report_dir = report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("report.json", "junit.xml"):
        (report_dir / stale).unlink(missing_ok=True)
    variables = {
        "ENT_IDP_CONFORMANCE_REPORT": str(report_dir),
        "ENT_IDP_CONFORMANCE_BASE_URL": base_url or "",
        "ENT_IDP_CONFORMANCE_ACCOUNTS": str(accounts.resolve()) if accounts else "",
        "ENT_IDP_CONFORMANCE_OUTBOX": str(outbox.resolve()) if outbox else "",
    }
    if config:
        variables["ENT_IDP_CONFIG"] = str(Path(config).resolve())
    os.environ.update(variables)
    source = "instance locale" if not base_url else (
        "déploiement (accès à l’annuaire)" if config else "déploiement (fichier de comptes)")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    selection = " or ".join(f"test_{prefix}" for prefix in GUIDE_STEPS[guide])
    code = pytest.main([
        str(Path(__file__).parent), "-c", os.devnull, "--rootdir", str(Path(__file__).parent.parent),
        "-p", "no:cacheprovider", "-q", "-k", selection, f"--junitxml={report_dir / 'junit.xml'}",
    ])
    (report_dir / "run.json").write_text(json.dumps({
        "base_url": base_url or "(instance locale)", "source": source, "guide": guide, "started_at": started,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    build_report(report_dir)
    build_guides(report_dir)
    return 0 if code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) else 1
