"""The base of every form of the flows: Flask-WTF's CSRF protection, and WTForms' own
messages in the page's language."""
from __future__ import annotations

from functools import cache

from babel import support
from flask_wtf import FlaskForm
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
