"""The base of every form of the flows: Flask-WTF's CSRF protection, and WTForms' own
messages in the page's language."""
from __future__ import annotations

from functools import cache
from typing import Any

from babel import support
from flask import request, session
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField
from wtforms.i18n import messages_path
from wtforms.widgets import PasswordInput

from idp.directory import Account
from idp.i18n import current_language
from idp.passwords import normalize_password, password_problems

EXPIRED_FORM = "expired_form"
"""Flow-cookie key: what was typed in a form that expired, for the page's next display."""
NEVER_KEPT = frozenset({"csrf_token", "password", "confirmation", "current", "code", "token", "jeton"})
"""Fields that are secrets (passwords, codes, links' tokens): never kept."""
KEPT_CHARACTERS = 2000
"""At most this much is kept (it travels in the flow cookie)."""


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: FlaskForm) -> support.NullTranslations:
            return _wtforms_catalogue(current_language())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """On the page of a form that had expired, what was typed in it (not the secrets)."""
        kept = session.get(EXPIRED_FORM) if request.method == "GET" else None
        if isinstance(kept, dict) and kept.get("path") == request.path:
            session.pop(EXPIRED_FORM, None)
            kwargs.setdefault("data", kept.get("fields") or {})
        super().__init__(*args, **kwargs)


def keep_what_was_typed() -> None:
    """Keeps the fields of the form that expired (secrets left out) for its page's next
    display, as long as they fit the flow cookie."""
    kept, room = {}, KEPT_CHARACTERS
    for name, value in request.form.items():
        if name not in NEVER_KEPT and len(value) <= room:
            kept[name] = value
            room -= len(value)
    session[EXPIRED_FORM] = {"path": request.path, "fields": kept}


@cache
def _wtforms_catalogue(language: str) -> support.NullTranslations:
    """WTForms' catalogue for `language`, read once per process (Flask-WTF reads it again
    for every request)."""
    return support.Translations.load(messages_path(), [language], domain="wtforms")


def field_aria(field: Field, hint: object = None, problem_id: str | None = None) -> dict[str, str]:
    """A form field's `aria-describedby` (its hint, its error, the page's message about it:
    `problem_id`) and `aria-invalid`, for the templates' fields (fields.html)."""
    ids = [f"{field.id}-aide"] if hint else []
    if field.errors:
        ids.append(f"{field.id}-erreur")
    if problem_id:
        ids.append(problem_id)
    attributes = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors or problem_id:
        attributes["aria-invalid"] = "true"
    return attributes


class NewPasswordField(PasswordField):
    """A new password (activation, « Mon compte »): shown again after a refusal of another
    field, since it is the person's own and not stored yet; the view empties it when it was
    itself refused (`forget_refused_passwords`)."""

    widget = PasswordInput(hide_value=False)


def check_new_password(password: Field, confirmation: Field, account: Account, *, missing: str | None = None) -> bool:
    """A new password under the rules (idp.passwords) and its confirmation, as every page that
    sets one checks them: the messages go on the fields (`missing` when none was typed), and
    refused ones are emptied. True when both are right."""
    typed = password.data or ""
    password.errors = list(password_problems(typed, login=account.login, given_name=account.given_name,
                                             surname=account.surname)) if typed else \
        [missing or gettext("Choisissez votre nouveau mot de passe.")]
    if normalize_password(confirmation.data or "") != normalize_password(typed):
        confirmation.errors = [gettext("Les deux mots de passe saisis ne sont pas identiques.")]
    forget_refused_passwords(password, confirmation)
    return not (password.errors or confirmation.errors)


def forget_refused_passwords(*fields: Field) -> None:
    """Empties the new password and its confirmation when either was refused: retyping both
    is then asked; valid ones stay typed."""
    if any(field.errors for field in fields):
        for field in fields:
            field.data = ""
