"""Accessibility of every page state the suite visits: axe-core (the copy bundled by
axe-playwright-python: installed with the project, never fetched at run time), WCAG 2.1 A
and AA rules, at a desktop size and a phone size.

The helpers that land on a page (conformance.helpers) and the end of each step call `check`;
what it finds during a step (`start` begins one) is reported with the step, which fails on
any violation."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

SIZES = ((1280, 800), (390, 844))
"""Desktop, and a phone (an iPhone 14's CSS pixels)."""
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
         "resultTypes": ["violations"]}
_axe = Axe()
_step: dict = {"states": set(), "violations": []}
"""What the step being run has checked and found (steps run one at a time)."""


def start() -> None:
    _step["states"], _step["violations"] = set(), []


def check(page: Page) -> None:
    """Runs axe on the page as it is, at each size (the viewport is put back afterwards)."""
    if page.is_closed():
        return
    found: list[dict] = _step["violations"]
    states: set[str] = _step["states"]
    original = page.viewport_size
    try:
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            result = _axe.run(page, options=RULES)
            for violation in result.response["violations"]:
                found.append({"rule": violation["id"], "impact": violation.get("impact"), "help": violation["help"],
                              "url": page.url, "size": f"{width}×{height}",
                              "targets": [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]})
            states.add(f"{page.url} {width}×{height}")
    finally:
        if original:
            page.set_viewport_size(original)


def summary() -> dict:
    """What the report says of the step: how many page states (page × size) were checked,
    and the violations found."""
    return {"states": len(_step["states"]), "violations": list(_step["violations"])}


def described(violations: list[dict]) -> str:
    """The violations in one message, as the report shows a failure."""
    return "Accessibilité (axe-core, RGAA / WCAG 2.1 A et AA) :\n" + "\n".join(
        f"- {item['rule']} ({item['impact']}) : {item['help']} — {item['url']} à {item['size']} : "
        + ", ".join(item["targets"]) for item in violations)
