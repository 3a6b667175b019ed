"""`ent-idp serve`: gunicorn's gevent workers serving complete sign-ins at once, slow clients
(half-sent headers, bodies that never end) included, with a short access log that keeps
query strings out."""
from __future__ import annotations

import base64
import hashlib
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from idp import clients
from idp.config import load_settings
from idp.directory import Directory, NewAccount, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.http_server import BODY_TIMEOUT_SECONDS, KEEPALIVE_SECONDS
from idp.provisioning.service import Provisioner
from idp.store import Store
from tests.conftest import eventually, settings_file
from tests.flows.conftest import SmtpServer, csrf_token
from tests.oidc.conftest import Browser, redirect_params
from tests.serving import ENT_IDP, serve

PASSWORD = "Servi-2026"
REDIRECT_URI = "http://127.0.0.1:9/servi"


@dataclass
class Served:
    issuer: str
    client_id: str
    client_secret: str
    log: Path
    process: subprocess.Popen
    smtp: SmtpServer


@pytest.fixture(scope="module")
def served(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    smtp = SmtpServer().start()
    config = settings_file(slapd, folder, f'issuer = "http://127.0.0.1:{port}"\nsmtp_url = "{smtp.url}"\n'
                                         f'secret_key = "{secrets.token_urlsafe(32)}"')
    settings = load_settings(config, environ={})
    store = Store.for_instance(settings.database_url, str(folder / "instance"))
    registered = clients.register(store, name="Servie", redirect_uris=[REDIRECT_URI])
    store.dispose()
    child = serve(config, port, folder, "--workers", "2", "--connections", "200")
    yield Served(f"http://127.0.0.1:{port}", registered.client.client_id, registered.client_secret, child.log,
                 child.process, smtp)
    child.stop()
    smtp.stop()


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


def test_mail_leaves_from_a_request(served: Served, directory: Directory) -> None:
    """The background task runner and the outbox sender are threads that gevent's monkey
    patching turns into greenlets: a lost-login request still ends in a mail sent by SMTP."""
    created = Provisioner(directory, 90).add(NewAccount("Postée", "Gunicorn", Profile.PARENT, ("0770001H",)))
    directory.activate(created.login, password=PASSWORD, recovery_email="postee@example.fr")
    browser = requests.Session()
    token = csrf_token(browser.get(served.issuer + "/identifiant-oublie", timeout=10).text)
    answer = browser.post(served.issuer + "/identifiant-oublie", timeout=10,
                          data={"csrf_token": token, "email": "postee@example.fr"})
    assert answer.status_code == 200
    eventually(lambda: any(created.login in text for text in served.smtp.mailbox.text_to("postee@example.fr")))


def test_the_access_log_is_short_and_leaves_queries_out(served: Served) -> None:
    requests.get(served.issuer + "/connexion?login_hint=secret.person", timeout=10)
    time.sleep(0.5)
    lines = [line for line in served.log.read_text().splitlines() if '"GET /connexion"' in line]
    assert lines and " 200 " in lines[-1] and lines[-1].endswith("ms")
    assert "secret.person" not in served.log.read_text()


def _read_to_end(connection: socket.socket, deadline: float) -> bytes:
    """What the server sent until it closed the connection, at the latest by `deadline`."""
    received = b""
    while True:
        connection.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            pytest.fail(f"the server neither answered nor closed the connection in time (received {received!r})")
        if not chunk:
            return received
        received += chunk


def test_slow_clients_hold_no_worker(served: Served, directory: Directory) -> None:
    """Slowloris: 50 clients stall in the middle of their request header and 20 in the middle
    of a body, yet a health check and a whole sign-in are answered at once; the stalled headers
    are dropped after the keep-alive time, the stalled bodies answered 408 after the body time."""
    created = Provisioner(directory, 90).add(NewAccount("Lente", "Connexion", Profile.TEACHER, ("0770001H",)))
    directory.activate(created.login, password=PASSWORD)
    address = (urlsplit(served.issuer).hostname, urlsplit(served.issuer).port)
    headers: list[socket.socket] = []
    bodies: list[socket.socket] = []
    pool = ThreadPoolExecutor(1)
    try:
        attack = time.monotonic()
        for _ in range(50):
            headers.append(socket.create_connection(address, timeout=5))
            headers[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(20):
            bodies.append(socket.create_connection(address, timeout=5))
            bodies[-1].sendall(b"POST /connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\n"
                               b"login=lent")
        bodies_sent = time.monotonic()
        time.sleep(0.5)  # the server has read every one of them by now
        # Both answered before the first stalled header could have been dropped.
        deadline = attack + KEEPALIVE_SECONDS - 0.5
        try:
            health = pool.submit(requests.get, served.issuer + "/healthz", timeout=30)
            assert health.result(deadline - time.monotonic()).status_code == 200
            signed_in = pool.submit(_sign_in, served, created.login)
            assert signed_in.result(deadline - time.monotonic())["preferred_username"] == created.login
        except TimeoutError:
            pytest.fail(f"no answer {time.monotonic() - attack:.1f} s after 70 slow clients connected")

        for connection in bodies:
            answer = _read_to_end(connection, bodies_sent + BODY_TIMEOUT_SECONDS + 5)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert b"\r\nconnection: close\r\n" in answer.lower()
            assert answer.endswith("Requête trop lente : la connexion a été fermée.\n".encode())
        assert time.monotonic() - bodies_sent >= BODY_TIMEOUT_SECONDS - 0.5
        for connection in headers:
            assert _read_to_end(connection, time.monotonic() + 1) == b""  # closed, nothing answered
    finally:
        for connection in headers + bodies:
            connection.close()
        pool.shutdown()


def test_bodies_too_large_or_of_unknown_length_are_not_waited_for(served: Served) -> None:
    """Neither is read: the answer comes at once and the connection is closed."""
    address = (urlsplit(served.issuer).hostname, urlsplit(served.issuer).port)
    for path, head, status in ((b"/connexion", b"Content-Length: 1000000", b"413"),
                               (b"/token", b"Content-Length: 1000000", b"413"),
                               (b"/connexion", b"Transfer-Encoding: chunked", b"411")):
        with socket.create_connection(address, timeout=5) as connection:
            connection.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Type: application/x-www-form-urlencoded\r\n" + head + b"\r\n\r\n")
            answer = _read_to_end(connection, time.monotonic() + 3)
        assert answer.startswith(b"HTTP/1.1 " + status + b" "), answer
        assert b"\r\nconnection: close\r\n" in answer.lower()


def test_sigterm_stops_it_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(20) == 0


def test_counters_in_memory_are_refused_for_several_workers(slapd: PrivateSlapd, tmp_path: Path) -> None:
    """SECURITY.md 32: with memory:// each worker would count alone (55 of 70 tries accepted
    against a limit of 30): `serve` refuses to start so."""
    config = settings_file(slapd, tmp_path, 'ratelimit_storage_url = "memory://"')
    config.write_text(config.read_text(encoding="utf-8").replace("rate_limits = false", "rate_limits = true"),
                      encoding="utf-8")
    done = subprocess.run([ENT_IDP, "--config", str(config), "serve", "--port", str(free_port()), "--workers", "2"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "memory:// ne compte que dans un processus" in done.stderr, done.stderr


UNUSED_WHEN_SERVING = ("fpdf", "PIL", "fontTools", "segno", "saml2", "alembic", "mako", "pygments")
"""Libraries a worker does not need until a letter is printed (fpdf2, Pillow, fontTools,
segno), ÉduConnect is configured (pysaml2) or the database needs upgrading (Alembic)."""


def test_a_served_worker_holds_no_library_it_does_not_use(slapd: PrivateSlapd, tmp_path: Path) -> None:
    """`ent-idp serve` imports every command's module, then gunicorn forks its workers from
    that process: whatever it imported, each worker holds resident. Replays what a worker
    imports (the CLI, the server, `create_app` on a database already made, as `serve` makes it
    before forking) in a fresh interpreter and lists what it loaded of those libraries."""
    config = settings_file(slapd, tmp_path, f'secret_key = "{secrets.token_urlsafe(32)}"')
    config.write_text(config.read_text(encoding="utf-8").replace("demo = true", "demo = false"), encoding="utf-8")
    made = "from idp.cli.serve import _check_schema; from idp.config import load_settings; " \
           "import sys; _check_schema(load_settings(sys.argv[1], environ={}))"
    subprocess.run([sys.executable, "-c", made, str(config)], cwd=tmp_path, check=True, timeout=60)
    worker = ("import sys; import idp.cli; import idp.http_server; from idp.app import create_app; "
              "from idp.config import load_settings; create_app(load_settings(sys.argv[1], environ={})); "
              f"print(' '.join(sorted({{name.split('.')[0] for name in sys.modules}} & set({UNUSED_WHEN_SERVING!r}))))")
    loaded = subprocess.run([sys.executable, "-c", worker, str(config)], cwd=tmp_path, check=True, timeout=60,
                            capture_output=True, text=True).stdout.split()
    assert loaded == []
