"""A browser named as the person knows it, « Firefox sur Windows », from its User-Agent
(ua-parser's rules, the ones of the uap-core project)."""
from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext
from ua_parser import parse

_UNNAMED = {None, "", "Other"}


def device_name(user_agent: str) -> str:
    browser, system = _families(user_agent)
    if browser and system:
        return gettext("%(browser)s sur %(system)s", browser=browser, system=system)
    return browser or system or gettext("Navigateur inconnu")


@lru_cache(maxsize=256)
def _families(user_agent: str) -> tuple[str | None, str | None]:
    found = parse(user_agent)
    browser = found.user_agent.family if found.user_agent else None
    system = found.os.family if found.os else None
    if found.device and found.device.family not in _UNNAMED and found.device.family not in (system or ""):
        system = found.device.family if system in _UNNAMED else f"{system} ({found.device.family})"
    return (None if browser in _UNNAMED else browser), (None if system in _UNNAMED else system)
