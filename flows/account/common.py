"""What the pages of « Mon compte » share: who is signed in, and dates as people read them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import redirect, request, url_for
from flask_babel import get_locale, gettext
from wtforms import Field

from idp.audit import audit
from idp.directory import Account
from idp.services import services
from idp.signin import TemporarilyRefused, WrongSecret


def signed_in_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """The page for a browser signed in (the view gets who as its first argument); otherwise
    the login page."""
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        signed_in = services().sessions.current()
        if signed_in is None:
            return redirect(url_for("login.form"))
        return view(signed_in, *args, **kwargs)
    return guarded


def local_time(moment: float) -> str:
    """« 01/12/2026 à 08:30 », in the server's time zone."""
    local = datetime.fromtimestamp(moment).astimezone()
    return gettext("%(date)s à %(time)s", date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))


def now_text() -> str:
    return local_time(datetime.now().timestamp())


def page_locale() -> str:
    return str(get_locale() or "fr")


def current_password_checked(field: Field, person: Account) -> tuple[bool, str | None]:
    """The current password typed in `field`, checked by slapd behind the sign-in guard's
    counters (a wrong one counts as on the login page): (right, a message for the top of the
    page); a wrong or missing one gets its message on the field."""
    if not field.data:
        field.errors = [gettext("Saisissez votre mot de passe actuel.")]
        return False, None
    try:
        services().sign_in_guard.check(person.login, field.data, request.remote_addr)
    except WrongSecret as wrong:
        field.errors = [gettext("Mot de passe actuel incorrect.")]
        audit("account.password_refused", login=person.login, outcome="failure", tries_left=wrong.tries_left)
        return False, None
    except TemporarilyRefused as refused:
        audit("account.password_refused", login=person.login, outcome="refused")
        return False, gettext("Par sécurité, votre compte est temporairement verrouillé après plusieurs essais "
                              "infructueux. Vous pourrez réessayer à partir de %(time)s.",
                              time=refused.until.astimezone().strftime("%H:%M"))
    return True, None
