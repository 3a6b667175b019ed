"""What every command group shares: the admin's sentence, the exit codes, the openers of
settings, store and directory (built as the web app builds them: idp.services), and the output
(lines for a person, one JSON object with --json)."""
from __future__ import annotations

import argparse
import json
from typing import Any, TypeAlias

from idp.audit import AuditLog, use_for_this_process
from idp.config import Settings, load_settings
from idp.directory import Directory
from idp.outbound import Outbound
from idp.services import Services
from idp.store import Store

EXIT_ERROR = 1
EXIT_SOME_LINES_REJECTED = 3

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The `commands` each group's `register` adds its parsers to."""


class CommandError(Exception):
    """A sentence for the admin; the command stops with EXIT_ERROR."""


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings of the command; its audit events go to their audit log."""
    settings = load_settings(args.config)
    use_for_this_process(AuditLog(settings.audit_log, settings.instance_dir))
    return settings


def open_store(settings: Settings) -> Store:
    return Services(settings).store


def open_outbound(settings: Settings) -> Outbound:
    return Services(settings).outbound


def open_directory(settings: Settings) -> Directory:
    return Services(settings).directory


def add_json_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="un objet JSON sur la sortie standard")


def human(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return "—" if value is None else str(value)


def print_result(args: argparse.Namespace, data: dict[str, Any], lines: list[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False))
    else:
        print("\n".join(lines))


def schools_option(typed: list[str]) -> tuple[str, ...]:
    """The UAI given with `--school` (repeatable), checked."""
    from idp.provisioning.schools import normalize_uai, uai_problem
    schools = tuple(normalize_uai(school) for school in typed)
    for school in schools:
        if uai_problem(school):
            raise CommandError(uai_problem(school))
    return schools
