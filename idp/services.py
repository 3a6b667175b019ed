"""The provider's services, built once per app and reached from any view."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from idp.config import Settings
from idp.directory import Directory
from idp.sessions import SsoSessions
from idp.store import Store

if TYPE_CHECKING:
    from idp.oidc.server import Provider
    from idp.outbound import Outbound
    from idp.ratelimit import RateLimits
    from idp.recovery import Recovery
    from idp.signin import SignInGuard

EXTENSION = "ent_idp"


@dataclass
class Services:
    settings: Settings
    directory: Directory
    store: Store
    sessions: SsoSessions
    provider: Provider
    outbound: Outbound
    rate_limits: RateLimits
    sign_in_guard: SignInGuard
    recovery: Recovery


def services() -> Services:
    return current_app.extensions[EXTENSION]
