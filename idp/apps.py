"""The college apps a person can open from the ENT's home page, whatever protocol they sign
in with: each protocol registers where its apps come from, and the home page asks here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import Flask, current_app

from idp.directory import Account

EXTENSION = "ent_idp_apps"


@dataclass(frozen=True)
class AppLink:
    name: str
    url: str
    """Where the home page's tile opens it: the app itself, which signs the person in."""


AppSource = Callable[[Account], list[AppLink]]
UsedSource = Callable[[str], list[str]]
"""A login → the names of the apps it signed in to (« Mon compte »)."""
USED = "ent_idp_apps_used"


def setup_apps(app: Flask) -> list[AppSource]:
    sources: list[AppSource] = []
    app.extensions[EXTENSION] = sources
    app.extensions[USED] = []
    return sources


def add_source(app: Flask, source: AppSource, used: UsedSource | None = None) -> None:
    """A protocol's apps: those a person may open, and (`used`) those they signed in to."""
    app.extensions[EXTENSION].append(source)
    if used is not None:
        app.extensions[USED].append(used)


def apps_used_by(login: str) -> list[str]:
    """The names of the apps, whatever their protocol, that `login` signed in to (those whose
    tokens or tickets the ENT still keeps), by name."""
    names = {name for source in current_app.extensions[USED] for name in source(login)}
    return sorted(names, key=str.casefold)


def apps_for(account: Account) -> list[AppLink]:
    """Every protocol's apps that `account` may open, by name: each source shows the apps of
    the person's schools, and a parent's schools include their children's."""
    seen_as = replace(account, schools=schools_of(account))
    links = [link for source in current_app.extensions[EXTENSION] for link in source(seen_as)]
    return sorted(links, key=lambda link: link.name.casefold())


def schools_of(account: Account) -> tuple[str, ...]:
    """The person's schools and, for a parent, those of each child (read from the directory)."""
    from idp.services import services
    schools = list(account.schools)
    for login in account.children:
        child = services().directory.find(login)
        schools += [school for school in (child.schools if child else ()) if school not in schools]
    return tuple(schools)
