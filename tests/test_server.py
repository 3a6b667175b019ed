"""`ent-idp serve`: gunicorn workers and threads serving complete sign-ins at once, with
a short access log that keeps query strings out."""
from __future__ import annotations

import base64
import hashlib
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from idp import clients
from idp.config import load_settings
from idp.directory import Directory, NewAccount, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from idp.store import Store
from tests.conftest import settings_file
from tests.oidc.conftest import Browser, redirect_params

PASSWORD = "Servi-2026"
REDIRECT_URI = "http://127.0.0.1:9/servi"


@dataclass
class Served:
    issuer: str
    client_id: str
    client_secret: str
    log: Path
    process: subprocess.Popen


@pytest.fixture(scope="module")
def served(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    config = settings_file(slapd, folder, f'issuer = "http://127.0.0.1:{port}"\n'
                                         f'secret_key = "{secrets.token_urlsafe(32)}"')
    settings = load_settings(config, environ={})
    store = Store.for_instance(settings.database_url, str(folder / "instance"))
    registered = clients.register(store, name="Servie", redirect_uris=[REDIRECT_URI])
    store.dispose()
    log = folder / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("ent-idp")), "--config", str(config), "serve", "--port", str(port),
             "--workers", "2", "--threads", "2"], cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(issuer + "/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    yield Served(issuer, registered.client.client_id, registered.client_secret, log, process)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def _sign_in(served: Served, login: str) -> dict:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = Browser(served.issuer)
    page = browser.open(served.issuer + "/authorize?" + urlencode({
        "response_type": "code", "client_id": served.client_id, "redirect_uri": REDIRECT_URI, "scope": "openid profile",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}))
    code = redirect_params(browser.sign_in(page, login, PASSWORD))["code"]
    token = requests.post(served.issuer + "/token", auth=(served.client_id, served.client_secret), timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier})
    assert token.status_code == 200, token.text
    userinfo = requests.get(served.issuer + "/userinfo", timeout=30,
                            headers={"Authorization": "Bearer " + token.json()["access_token"]})
    assert userinfo.status_code == 200, userinfo.text
    return userinfo.json()


def test_gunicorn_serves_concurrent_sign_ins(served: Served, directory: Directory) -> None:
    logins = []
    for i in range(8):
        created = Provisioner(directory, 90).add(NewAccount(f"Servi{i}", "Gunicorn", Profile.TEACHER, ("0770001H",)))
        directory.activate(created.login, password=PASSWORD)
        logins.append(created.login)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda login: _sign_in(served, login), logins))
    assert [answer["preferred_username"] for answer in answers] == logins


def test_the_access_log_is_short_and_leaves_queries_out(served: Served) -> None:
    requests.get(served.issuer + "/connexion?login_hint=secret.person", timeout=10)
    time.sleep(0.5)
    lines = [line for line in served.log.read_text().splitlines() if '"GET /connexion"' in line]
    assert lines and " 200 " in lines[-1] and lines[-1].endswith("ms")
    assert "secret.person" not in served.log.read_text()


def test_sigterm_stops_it_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(20) == 0
