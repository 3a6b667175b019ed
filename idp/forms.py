"""The base of every form of the flows: Flask-WTF's CSRF protection, and WTForms' own
messages in the page's language."""
from __future__ import annotations

from functools import cache

from babel import support
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.i18n import messages_path

from idp.i18n import current_language


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: FlaskForm) -> support.NullTranslations:
            return _wtforms_catalogue(current_language())


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
