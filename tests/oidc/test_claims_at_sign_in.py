"""Where the claims come from: the tokens of a sign-in (ID token and userinfo) carry what
the directory said at that sign-in, read once; a refresh or a code issued later from the
browser's session read the directory again, and refuse a locked account. Locking an
account from the provider ends its sessions and revokes its tokens."""
from __future__ import annotations

from authlib.integrations.requests_client import OAuth2Session
from ldap3 import MODIFY_REPLACE, Connection

from idp.directory import Directory, NewAccount, Profile
from idp.directory import attributes as attr
from idp.directory.slapd import PrivateSlapd
from idp.provisioning.service import Provisioner
from idp.services import services
from tests.conftest import audit_events, has_event
from tests.oidc.conftest import PASSWORD, Browser, LiveProvider
from tests.oidc.helpers import (
    RelyingParty,
    code_of,
    is_login_page,
    new_rp,
    sign_in_for_code,
    silent_code,
    verify_id_token,
)


def _parent(directory: Directory) -> str:
    created = Provisioner(directory, 90).add(NewAccount("Inès", "Fraîche", Profile.PARENT, ("0770001H",),
                                                        "ines.avant@example.fr"))
    directory.activate(created.login, password=PASSWORD)
    return created.login


def _signed_in_parent(live_provider: LiveProvider, browser: Browser, directory: Directory
                      ) -> tuple[str, RelyingParty, OAuth2Session, dict]:
    """A new parent signed in to a new app: (login, app, its client, its tokens)."""
    login = _parent(directory)
    rp = new_rp(live_provider, refresh_tokens=True)
    client = rp.session()
    url, state = rp.authorization_url(client)
    return login, rp, client, rp.fetch_token(client, code_of(sign_in_for_code(browser, url, login), state, rp.issuer))


def _change_email(slapd: PrivateSlapd, directory: Directory, login: str, email: str) -> None:
    """As the school's directory import would: straight in LDAP."""
    admin = Connection(slapd.url, slapd.admin_dn, slapd.admin_password, auto_bind=True)
    try:
        assert admin.modify(directory.dn_of(login), {attr.RECOVERY_EMAIL: [(MODIFY_REPLACE, [email])]})
    finally:
        admin.unbind()


def test_tokens_carry_the_claims_of_the_sign_in_and_later_ones_read_the_directory_again(
        live_provider: LiveProvider, browser: Browser, directory: Directory, slapd: PrivateSlapd) -> None:
    login = _parent(directory)
    rp = new_rp(live_provider, refresh_tokens=True)
    client = rp.session()
    url, state = rp.authorization_url(client)
    code = code_of(sign_in_for_code(browser, url, login), state, rp.issuer)
    _change_email(slapd, directory, login, "ines.apres@example.fr")  # between sign-in and token

    token = rp.fetch_token(client, code)
    assert verify_id_token(rp.issuer, token["id_token"], rp.client_id).claims["email"] == "ines.avant@example.fr"
    assert rp.userinfo(token["access_token"]).json()["email"] == "ines.avant@example.fr"

    refreshed = rp.refresh(token["refresh_token"]).json()
    assert rp.userinfo(refreshed["access_token"]).json()["email"] == "ines.apres@example.fr"
    later = rp.fetch_token(client, silent_code(rp, browser, client))  # from the browser's session
    assert verify_id_token(rp.issuer, later["id_token"], rp.client_id).claims["email"] == "ines.apres@example.fr"
    assert rp.userinfo(later["access_token"]).json()["email"] == "ines.apres@example.fr"


def test_an_account_locked_by_an_admin_loses_its_sessions_and_tokens(live_provider: LiveProvider,
                                                                     browser: Browser, directory: Directory) -> None:
    login, rp, client, token = _signed_in_parent(live_provider, browser, directory)
    with live_provider.app.app_context():
        assert services().accounts.lock(login, actor="cli").locked_by_admin
    assert has_event(audit_events(live_provider.app), event="sessions.ended_everywhere", login=login, reason="locked",
                     sessions_ended=1)

    assert rp.userinfo(token["access_token"]).status_code == 401
    assert rp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"
    url, _ = rp.authorization_url(client)
    assert is_login_page(browser.open(url), rp.issuer)


def test_a_lock_made_in_the_directory_stops_new_tokens(live_provider: LiveProvider, browser: Browser,
                                                      directory: Directory) -> None:
    """Locked outside the provider (the password policy, another tool): the next token
    request reads the directory and is refused."""
    login, rp, client, token = _signed_in_parent(live_provider, browser, directory)
    directory.lock(login)

    refused = rp.refresh(token["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    refused = rp.exchange(silent_code(rp, browser, client))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
