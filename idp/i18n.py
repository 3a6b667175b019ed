"""Languages of the pages: French first (the product's own language), English available.

Choice, first that applies: ``?lang=fr|en`` on any page, or ``ui_locales`` sent by an app
with its authorization request (both are stored in the ``ent_lang`` cookie for a year); then
that cookie; then the browser's ``Accept-Language``; French otherwise.

Texts are written in French in the code and the templates; ``translations/en`` holds the
English catalogue. Outside a request (command line, CSV import, letters) everything stays
French: ``gettext`` and ``lazy_gettext`` return the French text as written.

Extract and compile (from the repository root)::

    .venv/bin/pybabel extract -F babel.cfg -k _l -o /tmp/messages.pot .
    .venv/bin/pybabel update -i /tmp/messages.pot -d idp/translations
    .venv/bin/pybabel compile -d idp/translations
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, get_locale, gettext, refresh
from flask_babel.speaklater import LazyString
from markupsafe import escape
from werkzeug.exceptions import RequestEntityTooLarge

LANGUAGES = ("fr", "en")
"""Supported languages, the default first."""
DEFAULT = LANGUAGES[0]
COOKIE = "ent_lang"
COOKIE_SECONDS = 365 * 24 * 3600
NAMES = {"fr": "Français", "en": "English"}
"""Each language's name in itself (the switch's accessible names)."""

_CHOSEN = "ent_lang_chosen"
"""`g` key: the language asked for by this very request (?lang= or ui_locales), to store."""


class _LazyText(LazyString):
    """A lazily translated text that templates escape like any plain string (Flask-Babel's
    LazyString would be output unescaped)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables: object) -> _LazyText:
    """Translated when used (form labels, module constants). Keep variables out of it when
    they hold what people typed: use `gettext` at the time of the request instead."""
    return _LazyText(gettext, string, **variables)


_l = lazy_gettext


def N_(string: str) -> str:  # noqa: N802 - the usual gettext name
    """Marks a French text for extraction and returns it unchanged: the code that shows it
    to someone translates it then, with ``gettext(text)``."""
    return string


def _supported(tag: str | None) -> str | None:
    """``en``, ``en-GB``, ``EN_us``… -> ``en``; None when not a supported language."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def _asked() -> str | None:
    """The language this request asks for explicitly: ``lang``, else the first supported
    entry of OpenID Connect's ``ui_locales`` (space-separated, by preference)."""
    chosen = _supported(request.args.get("lang"))
    if chosen:
        return chosen
    ui_locales = request.args.get("ui_locales")
    if ui_locales is None and request.method == "POST" and request.endpoint == "oidc.authorize":
        ui_locales = request.form.get("ui_locales")
    for tag in (ui_locales or "").split():
        chosen = _supported(tag)
        if chosen:
            return chosen
    return None


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT
    chosen = g.get(_CHOSEN) or _asked()
    if chosen:
        return chosen
    stored = _supported(request.cookies.get(COOKIE))
    if stored:
        return stored
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def current_language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT


KEPT_PARAMETERS = ("interaction", "login_hint", "message")
"""What the language switch keeps of the page's query: a sign-in in progress must survive it.
Nothing else (an `id_token_hint` or a redirect URI has no business in a link)."""


def language_links() -> list[dict[str, object]]:
    """The header's switch: the same page, ``?lang=`` plus the `KEPT_PARAMETERS` it had."""
    kept = [(key, value) for key, value in request.args.items(multi=True) if key in KEPT_PARAMETERS]
    try:
        interaction = request.form.get("interaction") if request.method == "POST" else None
    except RequestEntityTooLarge:  # the page says so; the form was never read
        interaction = None
    if interaction and "interaction" not in request.args:
        kept.append(("interaction", interaction))
    current = current_language()
    return [{"code": code, "name": NAMES[code], "current": code == current,
             "href": "?" + urlencode([("lang", code), *kept])} for code in LANGUAGES]


def setup_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_locale=DEFAULT,
          default_translation_directories=str(Path(__file__).parent / "translations"))
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.before_request
    def remember_asked_language() -> None:
        refresh()  # a fresh choice for each request, even when an app context is shared (tests)
        g.pop(_CHOSEN, None)
        chosen = _asked()
        if chosen:
            setattr(g, _CHOSEN, chosen)

    @app.after_request
    def store_language(response: Response) -> Response:
        chosen = g.get(_CHOSEN)
        if chosen:
            response.set_cookie(COOKIE, chosen, max_age=COOKIE_SECONDS, path="/", secure=secure,
                                httponly=True, samesite="Lax")
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.context_processor
    def language() -> dict[str, object]:
        return {"current_lang": current_language(), "language_links": language_links}
