"""« Mon compte » (guide steps M1–M4): what the ENT knows of the signed-in person, their
password, their recovery e-mail and mobile, the browsers they are signed in on, the apps
they use, and their data to download (RGPD articles 15 and 20).

Every page needs a browser signed in; each change is an audit event. Changing the password
asks for the current one, through the sign-in guard's counters (a stolen session cannot
guess it), and ends every other session of the person's.
"""
from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

account = Blueprint("account", __name__, template_folder="templates")


@account.after_request
def personal(response: Response) -> Response:
    """The person's own data: never kept by a browser's or a proxy's cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


from flows.account import contact, my_data, overview, password  # noqa: E402, F401  the views, on the blueprint
