"""« Mon compte » lists the college apps the person signed in to (here through OpenID
Connect; CAS apps the same way), and « Télécharger mes données » gives them too."""
from __future__ import annotations

import json

from tests.oidc.conftest import Browser, LiveProvider
from tests.oidc.helpers import new_rp, signed_in_flow


def test_the_apps_signed_in_to_are_listed_on_my_account(live_provider: LiveProvider, browser: Browser,
                                                        teacher: str) -> None:
    rp = new_rp(live_provider)
    name = f"Appli {rp.redirect_uri.split('/')[3]}"  # new_rp's unique name
    before = browser.open(live_provider.issuer + "/compte").text
    assert name not in before
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, browser, teacher, client)
    page = browser.open(live_provider.issuer + "/compte").text
    used = page.split("Applications où je me suis connecté", 1)[1].split("</ul>", 1)[0]
    assert f"<li>{name}</li>" in used
    data = json.loads(browser.open(live_provider.issuer + "/compte/mes-donnees").text)
    assert name in data["apps_used"]
