"""`ent-idp demo`, the README's run command, as a newcomer runs it: the portal, the demo
accounts, and single sign-on into the demo college app."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from idp.config import load_settings
from idp.directory import AccountState, Profile, connect
from idp.directory.slapd import free_port
from idp.provisioning.codes import normalize_typed_code
from tests.federation.federated import auto_posted_form
from tests.flows.conftest import csrf_token
from tests.oidc.conftest import Browser

ENT_IDP = str(Path(sys.executable).parent / "ent-idp")


def free_port_with_the_next_ones(count: int = 3) -> int:
    """A free port whose `count` next ones are free too (the demo's apps take them)."""
    while True:
        port = free_port()
        if not any(_in_use(port + offset) for offset in range(1, count + 1)):
            return port


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def forged_session(secret_key: str, content: dict) -> str:
    """A Flask session cookie signed with `secret_key`."""
    forger = Flask("forger")
    forger.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps(content)


def test_demo_serves_the_portal_with_demo_accounts_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port_with_the_next_ones()
    process = subprocess.Popen([ENT_IDP, "demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Espace Numérique de Travail" in wait_for(f"http://127.0.0.1:{port}/", process)
        demo = json.loads((tmp_path / "demo" / "demo.json").read_text(encoding="utf-8"))
        assert demo["issuer"] == f"http://127.0.0.1:{port}"
        accounts = {account["login"]: account for account in demo["accounts"]}
        assert accounts["daniele.adams"]["state"] == "pending" and accounts["daniele.adams"]["given_name"] == "Danièle"
        pending = {a["profile"] for a in demo["accounts"] if a["state"] == "pending" and a.get("activation_code")}
        active = {a["profile"] for a in demo["accounts"] if a["state"] == "active" and a.get("password")}
        assert {profile.value for profile in Profile} <= pending & active

        settings = load_settings(tmp_path / "demo" / "idp.toml", environ={})
        ldap = settings.ldap
        directory = connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password)
        parent = directory.verify("daniele.adams", normalize_typed_code(accounts["daniele.adams"]["activation_code"]))
        assert parent.state is AccountState.PENDING
        teacher = next(a for a in demo["accounts"] if a["profile"] == "teacher" and a["state"] == "active")
        assert directory.verify(teacher["login"], teacher["password"]).state is AccountState.ACTIVE

        assert [client["client_id"] for client in demo["clients"]] == ["demo-college", "demo-college-2"]
        college = demo["clients"][0]
        assert college["client_id"] and college["client_secret"] and college["url"] == f"http://127.0.0.1:{port + 1}"
        person = Browser(demo["issuer"])
        login_page = person.open(college["url"] + "/login", "POST")
        assert "Identifiant" in login_page.text
        back = person.sign_in(login_page, teacher["login"], teacher["password"])
        college_page = person.http.get(back.headers["Location"], timeout=30)
        assert "Bonjour" in college_page.text and teacher["login"] in college_page.text
        assert "professeur" in college_page.text

        # The CAS app (as Pronote) signs the same person in without a login, with Pronote's attributes.
        [cas_app] = demo["cas_services"]
        assert cas_app["name"] == "Pronote — Collège Les Tilleuls (démonstration)"
        assert cas_app["service"] == cas_app["url"] == f"http://127.0.0.1:{port + 3}/" and cas_app["id"]
        pronote = person.http.get(cas_app["url"], timeout=30)
        assert pronote.status_code == 200 and teacher["login"] in pronote.text, pronote.text[:500]
        assert "National_3" in pronote.text and "/connexion" not in pronote.url

        # The college apps sign their cookies with keys of their own: one signed with the
        # provider's key is not theirs.
        forged = forged_session(settings.secret_key, {"claims": {"name": "Intrus", "sub": "x"}})
        intruder = requests.get(college["url"] + "/", cookies={f"demo_college_{port + 1}": forged}, timeout=10)
        assert "Intrus" not in intruder.text and "Se connecter avec l’ENT" in intruder.text
        # Secrets in query strings (reset links, login hints) stay out of the logs.
        requests.get(demo["issuer"] + "/mot-de-passe-oublie/nouveau?jeton=jeton-secret-du-lien", timeout=10)
        requests.get(demo["issuer"] + "/connexion?login_hint=personne.secrete", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Démonstration arrêtée" in out
    assert "GET /mot-de-passe-oublie/nouveau" in err  # the requests are logged, their queries are not
    assert "jeton-secret-du-lien" not in out + err and "personne.secrete" not in out + err
    pid_file = tmp_path / "demo" / "ldap" / "slapd.pid"
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    assert pid is None  # slapd removed its pid file: it stopped cleanly


def test_demo_with_federation_signs_in_through_both_demo_identity_providers(tmp_path: Path) -> None:
    """`ent-idp demo --federation`: ÉduConnect signs an active parent in; FranceConnect leads a
    pending parent to their account, confirmed with the letter's code, and activates it."""
    port = free_port_with_the_next_ones(5)
    process = subprocess.Popen([ENT_IDP, "demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port),
                                "--federation"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        login_page = wait_for(f"http://127.0.0.1:{port}/connexion", process)
        assert "Se connecter avec ÉduConnect" in login_page and "FranceConnect" in login_page
        demo = json.loads((tmp_path / "demo" / "demo.json").read_text(encoding="utf-8"))
        accounts = {account["login"]: account for account in demo["accounts"]}
        educonnect = demo["federation"]["educonnect"]["identities"]
        franceconnect = demo["federation"]["franceconnect"]["identities"]
        assert {"username", "password", "login"} <= set(educonnect[0]) and educonnect[0]["login"] in accounts
        pending = next(identity for identity in franceconnect if identity["state"] == "pending")
        base = demo["issuer"]

        parent = requests.Session()
        sign_in = parent.get(base + "/saml/connexion", timeout=30)
        assert sign_in.url.startswith(f"http://127.0.0.1:{port + 4}/")
        posted = parent.post(sign_in.url.split("?")[0], data={"username": educonnect[0]["username"],
                                                               "password": educonnect[0]["password"]}, timeout=30)
        action, fields = auto_posted_form(posted.text)
        assert parent.post(action, data=fields, timeout=30).url == base + "/accueil"

        other = requests.Session()
        at_franceconnect = other.get(base + "/franceconnect/connexion", timeout=30)
        assert at_franceconnect.url.startswith(f"http://127.0.0.1:{port + 5}/")
        proposal = other.post(at_franceconnect.url, data={"username": pending["username"],
                                                          "password": pending["password"]}, timeout=30)
        assert f'value="{pending["login"]}"' in proposal.text
        activation = other.post(proposal.url, data={"csrf_token": csrf_token(proposal.text), "login": pending["login"],
                                                    "password": accounts[pending["login"]]["activation_code"]},
                                timeout=30)
        done = other.post(activation.url, data={"csrf_token": csrf_token(activation.text),
                                                "email": "parent@example.fr", "accept": "y"}, timeout=30)
        assert done.url == base + "/accueil" and "Votre compte est activé" in done.text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
