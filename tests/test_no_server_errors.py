"""SECURITY rule « no input gives an HTTP 500 »: every route of the app, fuzzed with Hypothesis.

Each route and method is tried as an anonymous browser and as a signed-in parent (the help
desk's routes also as a staff member with the `helpdesk` role, the activation page also in
the middle of an activation), with the parameters its view, its form or OAuth/OpenID Connect
read: valid values (a registered client, its redirect URI, fresh codes and tokens, a pending
interaction, a reset link, a help request…) mixed with hostile ones (control characters, NUL,
U+212A, other non-ASCII, thousands of characters, 20+ digit numbers, empty strings, repeated
parameters, a CSRF token or none). slapd is up, so no answer may be >= 500, a 503 included.
The app propagates its exceptions, so that each distinct one is reported with its traceback.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import operator
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from idp import clients
from idp.app import create_app
from idp.cas import services as cas_services
from idp.config import EduConnectSettings, FederationSettings, FranceConnectSettings, load_settings
from idp.demo_educonnect import write_metadata
from idp.demo_franceconnect import API, Registered, create_franceconnect_demo
from idp.directory import AccountState, Directory, NewAccount, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from idp.services import EXTENSION, services
from idp.store import Consent, SsoSession, reset_tokens
from idp.store.help_requests import OPEN, HelpRequest
from idp.store.models import digest
from idp.tasks import TaskQueue
from idp.upstream import Identity
from tests.conftest import settings_file
from tests.federation.federated import serve
from tests.flows.conftest import PASSWORD, csrf_token, new_active, new_pending, sign_in
from tests.flows.test_helpdesk import MOULIN, TILLEULS, new_staff

SCHOOLS = {TILLEULS: "Collège Les Tilleuls", MOULIN: "Collège Jean Moulin"}
REDIRECT_URI = "http://127.0.0.1:9/cb"
POST_LOGOUT_URI = "http://127.0.0.1:9/signed-out"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
NEW_PASSWORD = "Marronnier-2027"

COMMON = ("lang", "ui_locales")
"""Read on every page (idp.i18n)."""
AUTHORIZATION_REQUEST = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt", "max_age",
                         "id_token_hint", "login_hint", "code_challenge", "code_challenge_method", "request",
                         "request_uri", "response_mode", "display", "acr_values", "claims", "interaction")
PARAMETERS: dict[str, tuple[str, ...]] = {
    "health": (),
    "oidc.discovery": (),
    "oidc.jwks": (),
    "oidc.authorize": AUTHORIZATION_REQUEST,
    "oidc.token": ("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id",
                   "client_secret"),
    "oidc.userinfo": ("access_token",),
    "oidc.revoke": ("token", "token_type_hint", "client_id", "client_secret"),
    "oidc.introspect": ("token", "token_type_hint", "client_id", "client_secret"),
    "oidc.logout": ("id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint"),
    "parents_help.form": ("parent_name", "email", "phone", "login", "child_name", "child_class", "school", "problem",
                  "message"),
    "parents_help.received": (),
    "portal.home": (),
    "portal.welcome": (),
    "portal.guide": (),
    "portal.accessibility": (),
    "theme_stylesheet": (),
    "login.form": ("login", "password", "remember", "interaction", "login_hint", "message"),
    "activation.form": ("password", "confirmation", "email", "mobile", "accept"),
    "activation.charter": (),
    "consent.form": ("interaction", "decision"),
    "consent.applications": ("consent",),
    "recovery.ask": ("who", "channel"),
    "recovery.sms_code": ("code",),
    "recovery.new_password": ("jeton", "token", "password", "confirmation"),
    "recovery.lost_login": ("email",),
    "helpdesk.index": ("etat",),
    "helpdesk.show": ("fait",),
    "helpdesk.answer": ("answer",),
    "helpdesk.close": (),
    "helpdesk.new_code": ("confirme",),
    "helpdesk.unlock": (),
    "cas.validate": ("ticket", "service", "renew"),
    "cas.service_validate": ("ticket", "service", "renew", "pgtUrl", "format"),
    "cas.proxy_validate": ("ticket", "service", "renew", "pgtUrl", "format"),
    "cas.proxy": ("pgt", "targetService", "format"),
    "cas.saml_validate": ("TARGET",),
    "cas.login": ("service", "renew", "gateway", "method"),
    "cas.logout": ("service",),
    "account.overview": ("message",),
    "account.password": ("current", "password", "confirmation"),
    "account.devices": ("appareil", "partout"),
    "account.my_data": (),
    "account.email": ("email", "current"),
    "account.confirm_email": ("jeton", "token"),
    "account.mobile": ("mobile", "current", "retirer"),
    "account.mobile_code": ("code",),
    "administration.index": (),
    "administration.school": (),
    "administration.accounts": ("profil", "classe", "etat", "q", "fait", "n"),
    "administration.act": ("action", "compte", "confirme", "tous", "profil", "classe", "etat", "q"),
    "administration.pending_csv": (),
    "saml.metadata": (),
    "saml.login": ("interaction",),
    "saml.acs": ("SAMLResponse", "RelayState", "suite"),
    "saml.single_logout": ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"),
    "federation.arrived": ("account",),
    "federation.confirm": ("login", "password"),
    "federation.activate": ("email", "mobile", "accept"),
    "franceconnect.login": ("interaction",),
    "franceconnect.back": ("code", "state", "error", "error_description"),
    "franceconnect.signed_out": ("state",),
    "account.franceconnect": (),
}
"""Per endpoint, the query or form parameters its view reads (besides COMMON and csrf_token)."""
METHODS = {"oidc.authorize": ("GET", "POST"), "oidc.token": ("POST",), "oidc.userinfo": ("GET", "POST"),
           "oidc.revoke": ("POST",), "oidc.introspect": ("POST",),
           "oidc.logout": ("GET", "POST"), "parents_help.form": ("GET", "POST"),
           "login.form": ("GET", "POST"), "activation.form": ("GET", "POST"), "consent.form": ("GET", "POST"),
           "consent.applications": ("GET", "POST"), "recovery.ask": ("GET", "POST"),
           "recovery.sms_code": ("GET", "POST"), "recovery.new_password": ("GET", "POST"),
           "recovery.lost_login": ("GET", "POST"), "helpdesk.answer": ("POST",), "helpdesk.close": ("POST",),
           "helpdesk.new_code": ("POST",), "helpdesk.unlock": ("POST",), "cas.saml_validate": ("POST",),
           "cas.login": ("GET", "POST"), "cas.logout": ("GET", "POST"), "account.password": ("GET", "POST"),
           "account.devices": ("POST",), "account.email": ("GET", "POST"), "account.confirm_email": ("GET", "POST"),
           "account.mobile": ("GET", "POST"), "account.mobile_code": ("GET", "POST"), "administration.act": ("POST",),
           "saml.acs": ("POST",), "federation.arrived": ("GET", "POST"), "federation.confirm": ("GET", "POST"),
           "federation.activate": ("GET", "POST"), "account.franceconnect": ("POST",)}
"""The methods of each endpoint (GET only when not listed)."""
AUTHORIZATION_HEADER = {"oidc.token", "oidc.revoke", "oidc.introspect", "oidc.userinfo"}
"""Endpoints that also read the Authorization header (client authentication, bearer token)."""
AUTHORIZATION_SCHEMES = (None, "Bearer", "Basic", "Basic, Latin-1", "Basic, not Base64", "other")
"""How the Authorization header is made: none, a bearer token, client_id:client_secret in Base64 (of
their UTF-8 or Latin-1 bytes), anything after « Basic », or anything."""
SIGNED_IN_ONLY = {"portal.welcome", "consent.applications", "helpdesk.index", "helpdesk.show", "helpdesk.answer",
                  "helpdesk.close", "helpdesk.new_code", "helpdesk.unlock", "account.overview", "account.password",
                  "account.devices", "account.my_data", "account.email", "account.mobile", "account.mobile_code",
                  "administration.index", "administration.school", "administration.accounts", "administration.act",
                  "administration.pending_csv", "account.franceconnect"}
"""Endpoints that send an anonymous browser to the login page."""
EXAMPLES: dict[tuple[str, ...], int] = {
    ("oidc.authorize",): 100, ("oidc.token",): 250, ("oidc.revoke",): 200, ("oidc.userinfo",): 40, ("oidc.logout",): 40,
    ("login.form", "POST"): 150, ("parents_help.form", "POST"): 50, ("activation.form", "POST", "activating"): 300,
    ("recovery.new_password", "POST"): 50, ("consent.form",): 30, ("consent.applications", "POST", "parent"): 300,
    ("helpdesk.answer", "POST", "staff"): 40,
}
"""Examples per route, method and browser (the first key that matches): 20 when none does, 10 for
routes with COMMON parameters only, or that send an anonymous browser to the login page."""
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)
"""Hypothesis' explain phase is left out: on /authorize it takes minutes."""


@dataclass(frozen=True)
class Live:
    """A valid value only known while the test runs (a fresh code, the browser's interaction…),
    with a hostile `suffix` sometimes."""

    name: str
    suffix: str = ""


NASTY = "\t\n\r\x0b\x1f\x7f\x85\xa0\u212a\u0130\u0131\u00e9\u200b\u202e\ufeff\U0001f600 %&=?#/+;:@\\\"'<>*()"
"""Characters that trip parsers, encoders and normalisers (tab, C0/C1 controls, the Kelvin sign…)."""
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000"
CONTROLS = "\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x85\x9f"
VALID: dict[str, tuple[str | Live, ...]] = {
    "client_id": (Live("first_party"), Live("third_party")),
    "client_secret": (Live("secret"),),
    "redirect_uri": (REDIRECT_URI,),
    "post_logout_redirect_uri": (POST_LOGOUT_URI,),
    "response_type": ("code", "token", "code id_token", "none"),
    "response_mode": ("query", "fragment", "form_post"),
    "scope": ("openid", "openid profile", "openid profile email offline_access", "profile"),
    "state": ("af0ifjsldkj",),
    "nonce": ("n-0S6_WzA2Mj",),
    "Authorization": ("Bearer abc", "Basic Og==", "Basic", "Negotiate abc"),
    "prompt": ("none", "login", "consent", "login consent", "select_account"),
    "max_age": ("0", "3600", "-1"),
    "display": ("page", "popup"),
    "acr_values": ("1",),
    "claims": ('{"userinfo": {"email": null}}',),
    "id_token_hint": (Live("id_token"),),
    "login_hint": (Live("victim"), Live("helped")),
    "logout_hint": (Live("victim"),),
    "lang": ("fr", "en"),
    "ui_locales": ("fr", "en-GB de"),
    "code_challenge": (CHALLENGE,),
    "code_challenge_method": ("S256", "plain"),
    "request": ("eyJhbGciOiJub25lIn0.e30.",),
    "request_uri": ("https://rp.example.org/request.jwt",),
    "interaction": (Live("interaction"),),
    "SAMLResponse": ("PHNhbWxwOlJlc3BvbnNlLz4=", "not base64"),
    "SAMLRequest": ("fZBBDoIwEEX3nqLpHqjE", "x"),
    "SigAlg": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",),
    "grant_type": ("authorization_code", "refresh_token", "client_credentials"),
    "code": (Live("code"), "123456"),
    "code_verifier": (VERIFIER,),
    "refresh_token": (Live("refresh_token"),),
    "access_token": (Live("access_token"),),
    "token": (Live("access_token"), Live("refresh_token"), Live("jeton")),
    "token_type_hint": ("access_token", "refresh_token"),
    "jeton": (Live("jeton"),),
    "login": (Live("victim"), Live("helped")),
    "who": (Live("victim"), "d@example.fr"),
    "password": (PASSWORD, NEW_PASSWORD),
    "confirmation": (Live("same:password"),),
    "remember": ("y",),
    "accept": ("y",),
    "channel": ("mail", "sms"),
    "email": ("d@example.fr",),
    "mobile": ("06 12 34 56 78",),
    "phone": ("06 12 34 56 78",),
    "message": ("activation-expired", "Le code de la lettre est refusé."),
    "parent_name": ("Danièle Adams",),
    "child_name": ("Léo Adams",),
    "child_class": ("4e B",),
    "school": (TILLEULS, MOULIN),
    "problem": ("activation", "password", "other"),
    "consent": (Live("consent"),),
    "decision": ("allow", "deny"),
    "answer": ("Bonjour, voici un nouveau code.",),
    "etat": ("closes", "pending", "disabled"),
    "fait": ("answered", "closed", "no-account", "verrouiller", "desactiver"),
    "audience": ("parents", "professeurs"),
    "reference": (Live("reference"), Live("reference_elsewhere"), Live("reference_closed")),
    "ticket": ("ST-abc", "PT-abc", "PGT-abc"),
    "service": ("http://127.0.0.1:9/moodle/",),
    "targetService": ("http://127.0.0.1:9/moodle/",),
    "TARGET": ("http://127.0.0.1:9/moodle/",),
    "renew": ("true", "false"),
    "gateway": ("true", "false"),
    "method": ("POST", "GET", "HEADER"),
    "pgtUrl": ("https://127.0.0.1:9/cb", "http://127.0.0.1:9/cb"),
    "pgt": ("PGT-abc",),
    "format": ("JSON", "XML"),
    "uai": (TILLEULS, MOULIN),
    "action": ("code", "debloquer", "verrouiller", "desactiver"),
    "compte": (Live("pupil"),),
    "confirme": ("oui",),
    "tous": ("non",),
    "profil": ("student", "parent"),
    "classe": ("4e B",),
    "q": ("adams",),
    "n": ("1",),
}
"""Valid values of each parameter (and path argument)."""


def with_suffix(value: str | Live, suffix: str) -> str | Live:
    return Live(value.name, suffix) if isinstance(value, Live) else value + suffix


SPOILERS: dict[str, st.SearchStrategy[str]] = {
    "empty": st.just(""),
    "nul": st.sampled_from(("\x00", "a\x00b")),  # on its own: the app refuses a request with NUL anywhere
    "blank": st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=3),
    "control": st.text(st.sampled_from(CONTROLS), min_size=1, max_size=3),
    "odd": st.text(st.sampled_from(NASTY), min_size=1, max_size=8),
    "huge": st.integers(10**19, 10**30).map(str),
    "number": st.integers(-2**63, 2**63).map(str),
    "text": st.text(st.characters(exclude_characters="\x00"), max_size=40),  # control characters, non-ASCII…
    "long": st.builds(operator.mul, st.sampled_from(("a", "9", "é", "\u212a", "\t", "%")), st.integers(2000, 5000)),
}
"""Hostile values (besides "suffixed": a valid value with odd characters appended)."""
KINDS = ("valid",) * 40 + ("absent",) * 4 + tuple(SPOILERS) + ("blank", "control", "odd", "suffixed", "suffixed",
                                                               "suffixed")
"""What a parameter gets, by weight: mostly a valid value, a hostile one about once in four, sometimes
none."""


def draw_value(data: st.DataObject, name: str, required: bool = False) -> str | Live | None:
    """A value of parameter `name`, or None (left out). The kind is drawn on its own, by weight:
    as branches of st.one_of, hostile values would crowd out the valid ones."""
    kind = data.draw(st.sampled_from(tuple(kind for kind in KINDS if kind != "absent") if required else KINDS),
                     label=f"{name} is")
    valid = VALID.get(name, ("x",))
    if kind == "absent":
        return None
    if kind == "valid":
        return data.draw(st.sampled_from(valid), label=name)
    if kind == "suffixed":
        return with_suffix(data.draw(st.sampled_from(valid), label=name),
                           data.draw(st.text(st.sampled_from(NASTY), min_size=1, max_size=3), label=f"{name} suffix"))
    return data.draw(SPOILERS[kind], label=name)


def header_value(value: str) -> str:
    """`value` as a real server hands it over: its Latin-1 bytes (else its UTF-8 ones) read as
    Latin-1, without line breaks, and without the spaces and tabs around it (RFC 9110 5.5)."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raw = value.encode()
    return raw.decode("latin-1").replace("\r", "").replace("\n", "").strip(" \t")


@dataclass
class Browser:
    """A browser's cookies (the flow cookie with its CSRF token and pending interaction, the
    SSO cookie once signed in), restored into a new test client for each example."""

    login: str | None
    cookies: dict[str, str]
    csrf: str
    interaction: str | None


class World:
    """The app on the session's slapd, its clients, accounts, help requests and browsers."""

    def __init__(self, app: Flask, directory: Directory) -> None:
        self.app, self.directory = app, directory
        self.flow_cookie = app.config["SESSION_COOKIE_NAME"]
        # The background threads compose mail with the `random` module, which Hypothesis forbids
        # while it draws: the outbox sender stops, and the tasks run in the test's thread instead.
        app.extensions[EXTENSION].outbound.stop_background_sender()
        queue = app.extensions[EXTENSION].recovery.tasks
        self.run_tasks = functools.partial(TaskQueue.run_due, queue)
        queue.run_due = lambda: 0  # type: ignore[method-assign]
        self.sso_cookie = app.extensions[EXTENSION].sessions.cookie_name
        with app.app_context():
            store = services().store
            self.first = clients.register(store, name="Vie scolaire", redirect_uris=[REDIRECT_URI],
                                          post_logout_redirect_uris=[POST_LOGOUT_URI])
            self.third = clients.register(store, name="Appli tierce", redirect_uris=[REDIRECT_URI],
                                          post_logout_redirect_uris=[POST_LOGOUT_URI], first_party=False)
            cas_services.add(store, name="Moodle", services=["http://127.0.0.1:9/moodle/"], attributes="pronote")
        self.parent = new_active(directory, "Fuzzparent")
        self.victim = new_active(directory, "Fuzzcible", mobile="+33612345678")
        self.helped = new_active(directory, "Fuzzaide")
        self.staff = new_staff(directory, "Fuzzassistance")
        self.admin = new_staff(directory, "Fuzzadministration", roles=("school-admin",))
        self.pupil = new_active(directory, "Fuzzeleve")
        """An account of the admin's school for the console's actions (a new code, a lock…)."""
        self.references = {"reference": self._help_request(TILLEULS), "reference_elsewhere": self._help_request(MOULIN),
                           "reference_closed": self._help_request(TILLEULS)}
        with app.app_context(), services().store.transaction() as db:
            db.execute(update(HelpRequest).where(HelpRequest.reference == self.references["reference_closed"])
                       .values(status="closed"))
            row = Consent(login=self.parent, client_id=self.third.client.client_id, scope="openid profile")
            db.add(row)
            db.flush()
            self.consent = str(row.id)
        self.browsers: dict[str, Browser] = {}
        for who in ("anonymous", "parent", "staff", "activating", "admin", "federated"):
            self.browsers[who] = self._new_browser(who)
        self.id_token = self._tokens()["id_token"]

    # Building browsers

    def _help_request(self, school: str) -> str:
        client = self.app.test_client()
        data = {"csrf_token": csrf_token(client.get("/aide").text), "parent_name": "Danièle Adams",
                "email": "d@example.fr", "phone": "06 12 34 56 78", "login": self.helped, "child_name": "Léo Adams",
                "child_class": "4e B", "school": school, "problem": "password", "message": "Mot de passe perdu."}
        assert client.post("/aide", data=data).status_code == 302
        with self.app.app_context():
            return services().store.session.scalars(select(HelpRequest.reference).order_by(HelpRequest.id.desc())
                                                    ).first()

    def _new_browser(self, who: str) -> Browser:
        client = self.app.test_client()
        login: str | None = None
        if who == "anonymous":  # an SMS code asked, and an authorization request waiting for the sign-in
            token = csrf_token(client.get("/mot-de-passe-oublie").text)
            asked = client.post("/mot-de-passe-oublie", data={"csrf_token": token, "who": self.victim,
                                                                 "channel": "sms"})
            assert asked.status_code == 302, asked.status_code
            started = client.get("/authorize", query_string=self._authorization(self.first.client.client_id))
        elif who == "federated":  # FranceConnect's identity proven, the account to confirm or activate
            created = Provisioner(self.directory, 90).add(NewAccount("Fuzz", "Federee", Profile.PARENT, (TILLEULS,),
                                                                     birth_date="1980-02-29"))
            login = created.login
            account = self.directory.get(login)
            with client.session_transaction() as flow:
                flow["federated"] = {**asdict(Identity("franceconnect", "fuzz-sub", ("franceconnect",),
                                                       given_name="Fuzz", family_name="FEDEREE",
                                                       birthdate="1980-02-29", linked_by_confirmation=True)),
                                     "at": int(time.time())}
                flow["federated_activation"] = {"login": login, "stamp": account.security_stamp,
                                                "at": int(time.time())}
            started = client.get("/authorize", query_string=self._authorization(self.first.client.client_id))
        elif who == "activating":  # the activation code typed, the activation page to fill
            created = new_pending(self.directory, "Fuzzactivation")
            login = created.login
            assert sign_in(client, login, created.activation_code).headers["Location"] == "/activation"
            started = client.get("/authorize", query_string=self._authorization(self.first.client.client_id))
        else:  # signed in, with a third-party app's request waiting for consent
            login = {"parent": self.parent, "staff": self.staff, "admin": self.admin}[who]
            assert sign_in(client, login, PASSWORD).status_code == 302
            started = client.get("/authorize", query_string={
                **self._authorization(self.third.client.client_id), "prompt": "consent"})
        interaction = parse_qs(urlsplit(started.headers["Location"]).query).get("interaction", [None])[0]
        cookies = {name: cookie.value for name in (self.flow_cookie, self.sso_cookie)
                   if (cookie := client.get_cookie(name)) is not None}
        return Browser(login, cookies, csrf_token(client.get("/aide").text), interaction)

    def _authorization(self, client_id: str) -> dict[str, str]:
        return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                "scope": "openid profile offline_access", "state": "s", "nonce": "n",
                "code_challenge": CHALLENGE, "code_challenge_method": "S256"}

    def browser(self, who: str) -> tuple[Browser, FlaskClient]:
        """The browser `who`, signed in again first if an example ended its session or finished its
        activation; and a test client with its cookies."""
        browser = self.browsers[who]
        if not self._still_valid(who, browser):
            browser = self.browsers[who] = self._new_browser(who)
        client = self.app.test_client()
        for name, value in browser.cookies.items():
            client.set_cookie(name, value)
        return browser, client

    def _still_valid(self, who: str, browser: Browser) -> bool:
        if who in ("activating", "federated"):
            return self.directory.get(browser.login or "").stored_state is AccountState.PENDING
        if who == "anonymous":
            return True
        with self.app.app_context():
            row = services().store.session.get(SsoSession, digest(browser.cookies[self.sso_cookie]))
            return row is not None and row.ended_at is None

    def restore(self, endpoint: str) -> None:
        """Undoes what examples change on the server that later examples need: the help request
        open, the consent given, the accounts that wrong passwords locked."""
        if endpoint == "login.form":
            for login in (self.victim, self.helped):
                self.directory.unlock(login)
        if not endpoint.startswith(("helpdesk.", "consent.")):
            return
        with self.app.app_context(), services().store.transaction() as db:
            db.execute(update(HelpRequest).where(HelpRequest.reference == self.references["reference"])
                       .values(status=OPEN, closed_at=None, closed_by=None))
            db.execute(update(Consent).where(Consent.id == int(self.consent)).values(revoked_at=None))

    # Live values

    def resolve(self, value: str | Live, browser: Browser, fresh: dict[str, str]) -> str:
        """`value`, a Live one read or made (`fresh` keeps those of the example: a code, tokens…)."""
        if not isinstance(value, Live):
            return value
        return self._live(value.name, browser, fresh) + value.suffix

    def _live(self, name: str, browser: Browser, fresh: dict[str, str]) -> str:
        fixed = {"first_party": self.first.client.client_id, "third_party": self.third.client.client_id,
                 "secret": self.first.client_secret or "", "victim": self.victim, "helped": self.helped,
                 "pupil": self.pupil,
                 "consent": self.consent, "id_token": self.id_token, "interaction": browser.interaction or "",
                 **self.references}
        if name in fixed:
            return fixed[name]
        if name.startswith("same:"):  # what this example sends as another parameter
            return fresh.get(f"parameter:{name[5:]}", PASSWORD)
        if name not in fresh:
            if name == "jeton":
                fresh[name] = self._reset_link()
            elif name == "code":
                fresh[name] = self._code()
            else:
                fresh.update(self._tokens())
        return fresh[name]

    def _code(self) -> str:
        """A new authorization code of the first-party app for the parent (PKCE: VERIFIER)."""
        _, client = self.browser("parent")
        response = client.get("/authorize", query_string=self._authorization(self.first.client.client_id))
        return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]

    def _tokens(self) -> dict[str, str]:
        response = self.app.test_client().post("/token", data={
            "grant_type": "authorization_code", "code": self._code(), "redirect_uri": REDIRECT_URI,
            "code_verifier": VERIFIER, "client_id": self.first.client.client_id,
            "client_secret": self.first.client_secret})
        assert response.status_code == 200, response.text
        return {key: value for key, value in response.json.items() if isinstance(value, str)}

    def _reset_link(self) -> str:
        """A usable password-reset link's token for the victim's account."""
        account = self.directory.get(self.victim)
        with self.app.app_context():
            return reset_tokens.new_link(services().store, account.login, account.security_stamp, 3600)


@pytest.fixture(scope="module")
def world(slapd: PrivateSlapd, directory: Directory, tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("fuzz")
    franceconnect_port = free_port()
    franceconnect_url = f"http://127.0.0.1:{franceconnect_port}"
    serve(create_franceconnect_demo(franceconnect_url, Registered("ent", "s" * 32, [], []), [], "f" * 40),
          franceconnect_port)  # a FranceConnect that answers: the way back is fuzzed past the discovery
    settings = load_settings(settings_file(slapd, folder), environ={}).with_changes(
        terms_version="2026-09", schools=SCHOOLS, help_desks={TILLEULS: "vie-scolaire@example.fr"},
        sms_gateway=(folder / "sms").as_uri(), federation=FederationSettings(educonnect=EduConnectSettings(
            metadata=str(write_metadata("http://127.0.0.1:9", folder / "educonnect"))),
            franceconnect=FranceConnectSettings(issuer=franceconnect_url + API, client_id="ent",
                                                client_secret="s" * 32)))
    app = create_app(settings)
    app.config["PROPAGATE_EXCEPTIONS"] = True  # an unhandled exception reaches the test, with its traceback
    return World(app, directory)


def cases() -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, browser) to try."""
    for endpoint in PARAMETERS:
        for method in METHODS.get(endpoint, ("GET",)):
            browsers = ["anonymous", "parent"]
            if endpoint.startswith("helpdesk."):
                browsers.append("staff")
            if endpoint.startswith("administration."):
                browsers.append("admin")
            if endpoint == "activation.form":
                browsers.append("activating")
            if endpoint.startswith("federation."):
                browsers.append("federated")
            for who in browsers:
                yield endpoint, method, who


@dataclass
class Request:
    """What one example sends."""

    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    headers: dict[str, str]

    def __str__(self) -> str:
        def cut(value: str) -> str:
            return value if len(value) <= 120 else f"{value[:60]}…[{len(value)} characters]"
        query, form = ([(name, cut(value)) for name, value in pairs] for pairs in (self.query, self.form))
        headers = {name: cut(value) for name, value in self.headers.items()}
        return f"{self.path} query={query!r} form={form!r} headers={headers!r}"


def draw_request(data: st.DataObject, world: World, browser: Browser, endpoint: str, method: str) -> Request:
    """Path arguments, parameters (some repeated; for a POST, in the body, a few in the query
    string too, with the browser's CSRF token or none or a forged one) and Authorization header."""
    rule = next(rule for rule in world.app.url_map.iter_rules() if rule.endpoint == endpoint)
    names = PARAMETERS[endpoint] + COMMON
    live: dict[str, str] = {}  # this example's fresh values

    def value(name: str, required: bool = False) -> str | None:
        drawn = draw_value(data, name, required)
        return None if drawn is None else world.resolve(drawn, browser, live)

    path = rule.rule
    for argument in sorted(rule.arguments):
        path = re.sub(rf"<(?:[^<>:]+:)?{argument}>", quote(value(argument, required=True) or "", safe=""), path)
    pairs: list[tuple[str, str]] = []

    def add(name: str, typed: str | None) -> None:
        if typed is not None:
            pairs.append((name, typed))
            live.setdefault(f"parameter:{name}", typed)

    for name in names:
        add(name, value(name))
    for _ in range(data.draw(st.integers(0, 2), label="repeated parameters")):
        name = data.draw(st.sampled_from(names), label="repeated")
        add(name, value(name, required=True))
    headers: dict[str, str] = {}
    if endpoint in AUTHORIZATION_HEADER:
        scheme = data.draw(st.sampled_from(AUTHORIZATION_SCHEMES), label="Authorization")
        if scheme in ("Bearer", "Basic, not Base64"):
            headers["Authorization"] = header_value(f"{scheme.split(',')[0]} {value('access_token', required=True)}")
        elif scheme in ("Basic", "Basic, Latin-1"):
            credentials = f"{value('client_id', required=True)}:{value('client_secret', required=True)}"
            try:
                raw = credentials.encode("latin-1" if scheme == "Basic, Latin-1" else "utf-8")
            except UnicodeEncodeError:
                raw = credentials.encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif scheme is not None:
            headers["Authorization"] = header_value(value("Authorization", required=True) or "")
    if method == "GET":
        return Request(path, pairs, [], headers)
    in_query = data.draw(st.sets(st.sampled_from(names), max_size=3), label="in the query string") \
        if data.draw(st.sampled_from((False,) * 4 + (True,)), label="some in the query string") else set()
    form = [(name, typed) for name, typed in pairs if name not in in_query]
    token = data.draw(st.sampled_from(("valid",) * 8 + ("none", "forged")), label="csrf_token")
    if token != "none":
        form.append(("csrf_token", browser.csrf if token == "valid" else browser.csrf[::-1]))
    return Request(path, [(name, typed) for name, typed in pairs if name in in_query], form, headers)


def examples_of(endpoint: str, method: str, who: str, path_arguments: bool) -> int:
    """How many examples Hypothesis tries (see EXAMPLES): the whole file runs in well under a minute."""
    listed = [EXAMPLES[key] for key in ((endpoint, method, who), (endpoint, method), (endpoint,)) if key in EXAMPLES]
    if listed:
        return listed[0]
    if not (PARAMETERS[endpoint] or path_arguments) or (who == "anonymous" and endpoint in SIGNED_IN_ONLY):
        return 10
    return 20


def test_every_route_is_fuzzed(world: World) -> None:
    routes = {(rule.endpoint, method) for rule in world.app.url_map.iter_rules()
              if rule.endpoint != "static" and not rule.endpoint.endswith(".static")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == {(endpoint, method) for endpoint, method, _ in cases()}


@pytest.mark.parametrize(("endpoint", "method", "who"), list(cases()))
def test_no_input_gives_a_server_error(world: World, endpoint: str, method: str, who: str) -> None:
    path_arguments = any(rule.arguments for rule in world.app.url_map.iter_rules() if rule.endpoint == endpoint)

    @hypothesis_settings(max_examples=examples_of(endpoint, method, who, path_arguments), deadline=None, database=None,
                         derandomize=True, phases=PHASES,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def attempt(data: st.DataObject) -> None:
        browser, client = world.browser(who)
        world.restore(endpoint)
        request = draw_request(data, world, browser, endpoint, method)
        note(f"{method} {request}")
        try:
            response = client.open(request.path, method=method, query_string=MultiDict(request.query),
                                   data=MultiDict(request.form) if method == "POST" else None,
                                   headers=request.headers)
        except Exception as error:
            raise AssertionError(f"{method} {request.path} as {who}: {type(error).__name__}: {error}"[:2000]) \
                from error
        finally:
            world.run_tasks()
        assert response.status_code < 500, f"{method} {request.path} as {who}: HTTP {response.status_code}"

    attempt()


@pytest.mark.parametrize(("who", "method", "path", "parameters", "headers", "status"), [
    ("anonymous", "GET", "/authorize", {"response_type": "\t"}, {}, 400),
    ("anonymous", "GET", "/authorize", {"client_id": "first_party", "response_type": "code",
                                        "redirect_uri": REDIRECT_URI + "\t"}, {}, 400),
    ("anonymous", "GET", "/authorize", {"client_id": "first_party", "response_type": "code",
                                        "redirect_uri": REDIRECT_URI + "\u212a"}, {}, 400),
    ("anonymous", "POST", "/token", {"grant_type": "authorization_code"}, {"Authorization": "Bearer \x0b"}, 401),
    ("anonymous", "POST", "/revoke", {"token": "x"}, {"Authorization": "Basic \xe9"}, 401),
    ("anonymous", "POST", "/revoke", {"token": "x"}, {"Authorization": "Basic //46eA=="}, 401),
    ("anonymous", "POST", "/connexion", {"login": "victim", "password": "x\t"}, {}, 400),
    ("activating", "POST", "/activation", {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD,
                                           "email": "d@example.fr", "mobile": "\t", "accept": "y"}, {}, 302),
    ("parent", "POST", "/applications", {"consent": "abc"}, {}, 404),
    ("parent", "POST", "/applications", {"consent": "1" * 23}, {}, 404),
    ("staff", "GET", "/assistance/%00", {}, {}, 400),
])
def test_the_inputs_that_once_gave_a_server_error(world: World, who: str, method: str, path: str,
                                                  parameters: dict[str, str], headers: dict[str, str],
                                                  status: int) -> None:
    browser, client = world.browser(who)
    live = {"first_party": world.first.client.client_id, "victim": world.victim}
    values = {name: live.get(value, value) for name, value in parameters.items()}
    if method == "POST" and path != "/token" and path != "/revoke":
        values["csrf_token"] = browser.csrf
    response = client.open(path, method=method, query_string=values if method == "GET" else None,
                           data=values if method == "POST" else None, headers=headers)
    assert response.status_code == status, response.text[:300]
