"""The college apps a person can open from the ENT's home page, whatever protocol they sign
in with: each protocol registers where its apps come from, and the home page asks here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from idp.directory import Account

EXTENSION = "ent_idp_apps"


@dataclass(frozen=True)
class AppLink:
    name: str
    url: str
    """Where the home page's tile opens it: the app itself, which signs the person in."""


AppSource = Callable[[Account], list[AppLink]]


def setup_apps(app: Flask) -> list[AppSource]:
    sources: list[AppSource] = []
    app.extensions[EXTENSION] = sources
    return sources


def add_source(app: Flask, source: AppSource) -> None:
    app.extensions[EXTENSION].append(source)


def apps_for(account: Account) -> list[AppLink]:
    """Every protocol's apps that `account` may open, by name."""
    links = [link for source in current_app.extensions[EXTENSION] for link in source(account)]
    return sorted(links, key=lambda link: link.name.casefold())
