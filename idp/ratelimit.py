"""Rate limits per client address (Flask-Limiter), shared by every instance through
`ratelimit_storage_url` (redis://…), with a French page when one is hit.

Flows decorate their views: `@limiter.limit(LOGIN_LIMIT, methods=["POST"])`.
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

LOGIN_LIMIT = "30 per 5 minutes"
RECOVERY_LIMIT = "10 per 15 minutes"
SMS_LIMIT = "5 per 15 minutes"
HELP_LIMIT = "5 per hour"


def client_address() -> str:
    """The client's address (behind a trusted proxy, gunicorn has already put the real one here)."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)


@limiter.request_filter
def _exempt() -> bool:
    return client_address() in current_app.extensions.get("ent_idp.ratelimit_exempt", ())


REDIS_TIMEOUT_SECONDS = 2
"""How long a request waits for Redis before counting in memory (a `?socket_timeout=` in the URL wins)."""


def setup_rate_limits(app: Flask, storage_url: str, enabled: bool, exempt: str = "") -> None:
    app.config["RATELIMIT_STORAGE_URI"] = storage_url
    app.config["RATELIMIT_ENABLED"] = enabled
    # Redis down must not stop every sign-in (a 500 on each POST): each instance then counts in
    # its own memory, with the same limits, and goes back to Redis once it answers again.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    if storage_url.startswith(("redis://", "rediss://", "redis+")):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_timeout": REDIS_TIMEOUT_SECONDS,
                                                   "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
    app.extensions["ent_idp.ratelimit_exempt"] = {address.strip() for address in exempt.split(",") if address.strip()}
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error: RateLimitExceeded) -> tuple[str, int]:
        return render_template("too_many_requests.html"), 429
