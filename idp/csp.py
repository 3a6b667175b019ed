"""The pages' Content Security Policy: everything from the ENT itself, nothing inline; a page
may frame the apps it must (the signed-out page, for front-channel logout) and no others."""
from __future__ import annotations

from collections.abc import Iterable


def content_security_policy(frame_origins: Iterable[str] = ()) -> str:
    frames = " ".join(sorted(set(frame_origins)))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + (f"frame-src {frames}; " if frames else "")
            + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
