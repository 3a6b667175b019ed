"""The sign-in page of the demo identity providers (« ÉduConnect (démonstration) », « FranceConnect
(démonstration) »): a text field, a password field and one button, as such services have, and
a link that cancels."""
from __future__ import annotations

from typing import Any

from flask import render_template_string

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>{{ title }}</h1>
{% if message %}<p role="alert">{{ message }}</p>{% endif %}
{% if form %}
<p>Connexion demandée par : {{ asking }}</p>
<form method="post">
  <p><label for="username">{{ username_label }}</label><br>
    <input id="username" name="username" autocomplete="username" value="{{ username }}"></p>
  <p><label for="password">Mot de passe</label><br>
    <input id="password" name="password" type="password" autocomplete="current-password"></p>
  <p><button type="submit">Se connecter</button></p>
</form>
<p><a href="{{ cancel }}">Annuler et revenir au service</a></p>
{% endif %}
</main></body></html>"""


def identity_provider_page(title: str, username_label: str, message: str = "", status: int = 200,
                           **values: Any) -> tuple[str, int]:
    """`form`, `asking` (who asks for the sign-in), `username` and `cancel` show the form."""
    return render_template_string(_PAGE, title=title, username_label=username_label, message=message,
                                  **values), status
