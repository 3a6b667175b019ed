"""Where the claims come from: the ID token of a sign-in carries what the directory said
at that sign-in (read once, kept with the code); a code issued later from the browser's
session, and userinfo, read the directory again, and refuse a locked account."""
from __future__ import annotations

from ldap3 import MODIFY_REPLACE, Connection

from idp.directory import Directory, NewAccount, Profile
from idp.directory import attributes as attr
from idp.directory.slapd import PrivateSlapd
from idp.provisioning.service import Provisioner
from tests.oidc.conftest import PASSWORD, Browser, LiveProvider
from tests.oidc.helpers import code_of, new_rp, new_verifier, sign_in_for_code, silent_code, verify_id_token


def _parent(directory: Directory) -> str:
    created = Provisioner(directory, 90).add(NewAccount("Inès", "Fraîche", Profile.PARENT, ("0770001H",),
                                                        "ines.avant@example.fr"))
    directory.activate(created.login, password=PASSWORD)
    return created.login


def _change_email(slapd: PrivateSlapd, directory: Directory, login: str, email: str) -> None:
    """As the school's directory import would: straight in LDAP."""
    admin = Connection(slapd.url, slapd.admin_dn, slapd.admin_password, auto_bind=True)
    try:
        assert admin.modify(directory.dn_of(login), {attr.RECOVERY_EMAIL: [(MODIFY_REPLACE, [email])]})
    finally:
        admin.unbind()


def test_the_id_token_has_the_claims_of_the_sign_in_and_userinfo_the_current_ones(
        live_provider: LiveProvider, browser: Browser, directory: Directory, slapd: PrivateSlapd) -> None:
    login = _parent(directory)
    rp = new_rp(live_provider)
    client = rp.session()
    url, state = rp.authorization_url(client)
    code = code_of(sign_in_for_code(browser, url, login), state, rp.issuer)
    _change_email(slapd, directory, login, "ines.apres@example.fr")  # between sign-in and token

    token = rp.fetch_token(client, code)
    assert verify_id_token(rp.issuer, token["id_token"], rp.client_id).claims["email"] == "ines.avant@example.fr"
    assert rp.userinfo(token["access_token"]).json()["email"] == "ines.apres@example.fr"

    later = rp.fetch_token(client, silent_code(rp, browser, client))  # from the session: read again
    assert verify_id_token(rp.issuer, later["id_token"], rp.client_id).claims["email"] == "ines.apres@example.fr"


def test_a_locked_account_gets_no_more_tokens_nor_userinfo(live_provider: LiveProvider, browser: Browser,
                                                          directory: Directory) -> None:
    login = _parent(directory)
    rp = new_rp(live_provider)
    client = rp.session()
    url, state = rp.authorization_url(client)
    token = rp.fetch_token(client, code_of(sign_in_for_code(browser, url, login), state, rp.issuer))
    directory.lock(login)

    assert rp.userinfo(token["access_token"]).status_code == 401
    refused = rp.exchange(silent_code(rp, browser, client, new_verifier()))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
