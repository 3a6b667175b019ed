"""Scale-out: two provider instances behind a load balancer, sharing one PostgreSQL, one
Redis and one instance folder (the signing keys), as docker/compose.yaml deploys them.

Everything is a plain process owned by the test run, in a temporary folder, on free ports:
PostgreSQL and Redis (session fixtures), and each provider instance (`serve_instance.py`:
`create_app(settings)` served by werkzeug). The instances are separate processes on purpose:
in one process two apps would share module state (Flask-Limiter's `limiter` is a module
global whose storage the last `init_app` sets), which could make state look shared when it
is not. The load balancer is a tiny werkzeug server in the test process, on the issuer's
port: both instances have that one issuer, and each request goes to the instance named by
its `X-Backend` header (A or B), or round robin without it; it tells which one answered
in `X-Served-By` and keeps a log.
"""
from __future__ import annotations

import http.client
import itertools
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from idp import clients
from idp.directory import Directory, NewAccount, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from idp.store import Store
from tests.scaleout.servers import TIMINGS, Child, Postgres, Redis, missing_servers, port_open, running_redis

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "scale-out-secret-key-" + "x" * 32
PASSWORD = "Tilleul2026"


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if TIMINGS:
        terminalreporter.write_line("scale-out servers (s): " + ", ".join(
            f"{name} {seconds:.2f}" for name, seconds in TIMINGS.items()))


def require_servers() -> None:
    reason = missing_servers()
    if reason:
        pytest.skip(f"scale-out tests need PostgreSQL and Redis: {reason}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    require_servers()
    with running_redis(tmp_path_factory.mktemp("redis")) as found:
        yield found


# The load balancer

class LoadBalancer:
    """WSGI app on the issuer's port: forwards each request, Host header included, to the
    instance its `X-Backend` header names, else round robin; adds `X-Served-By`."""

    HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                  "transfer-encoding", "upgrade", "content-length"}

    def __init__(self, backends: dict[str, int]) -> None:
        self.backends = backends
        self._turns = itertools.cycle(sorted(backends))
        self._lock = threading.Lock()
        self.log: list[tuple[str, str, str]] = []
        """(instance, method, path) of every request forwarded."""

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        name = environ.get("HTTP_X_BACKEND")
        if name is None:
            with self._lock:
                name = next(self._turns)
        if name not in self.backends:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [f"no instance {name!r}".encode()]
        method = environ["REQUEST_METHOD"]
        target = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key not in ("HTTP_X_BACKEND", "HTTP_CONNECTION")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        if body is not None:
            headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection("127.0.0.1", self.backends[name], timeout=60)
        try:
            connection.request(method, target, body=body, headers=headers)
            with connection.getresponse() as response:
                content = response.read()
                status = f"{response.status} {response.reason}"
                answer = [(key, value) for key, value in response.getheaders()
                          if key.lower() not in self.HOP_BY_HOP]
        finally:
            connection.close()
        with self._lock:
            self.log.append((name, method, target.split("?")[0]))
        start_response(status, [*answer, ("Content-Length", str(len(content))), ("X-Served-By", name)])
        return [content]


# A pair of instances

@dataclass
class Pair:
    """Instances A and B of one deployment, behind their load balancer (the issuer)."""

    issuer: str
    balancer: LoadBalancer
    instances: dict[str, Child]
    store: Store
    """The test's own connection to the shared database (to register apps)."""
    settings_file: Path

    def register(self, name: str, **options: object) -> clients.Registered:
        return clients.register(self.store, name=name, **options)


def write_settings(folder: Path, slapd: PrivateSlapd, *, issuer: str, database_url: str, redis_url: str,
                   rate_limits: bool) -> Path:
    """One idp.toml for both instances: same issuer, secret, database, Redis and instance folder."""
    path = folder / "idp.toml"
    path.write_text(
        f'issuer = "{issuer}"\nsecret_key = "{SECRET_KEY}"\ndatabase_url = "{database_url}"\n'
        f'ratelimit_storage_url = "{redis_url}"\nrate_limits = {str(rate_limits).lower()}\n'
        f'instance_dir = "instance"\noutbox_dir = "outbox"\n'
        f'[oidc]\ncode_seconds = 600\n'
        f'[ldap]\nurl = "{slapd.url}"\nbase_dn = "{slapd.base_dn}"\nbind_dn = "{slapd.admin_dn}"\n'
        f'bind_password = "{slapd.admin_password}"\n',
        encoding="utf-8")
    return path


@contextmanager
def running_pair(label: str, folder: Path, slapd: PrivateSlapd, postgres: Postgres, redis: Redis, *,
                 rate_limits: bool) -> Iterator[Pair]:
    began = time.monotonic()
    issuer_port = free_port()
    issuer = f"http://127.0.0.1:{issuer_port}"
    config = write_settings(folder, slapd, issuer=issuer, database_url=postgres.url, redis_url=redis.url,
                            rate_limits=rate_limits)
    ports = {"A": free_port(), "B": free_port()}
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ENT_IDP_")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    instances: dict[str, Child] = {}
    server = thread = store = None
    try:
        for name, port in ports.items():  # launched together, as replicas are: both create the tables at once
            instances[name] = Child.launch(
                f"{label} {name}", [sys.executable, "-m", "tests.scaleout.serve_instance", str(config), str(port)],
                folder / f"instance-{name}.log", cwd=ROOT, env=environment)
        for name, port in ports.items():
            instances[name].wait_until(lambda port=port: port_open(port))
        balancer = LoadBalancer(ports)
        server = make_server("127.0.0.1", issuer_port, balancer, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="load-balancer", daemon=True)
        thread.start()
        store = Store(postgres.url)
        pair = Pair(issuer, balancer, instances, store, config)
        TIMINGS[f"{label} pair start"] = time.monotonic() - began
        yield pair
        for name, child in instances.items():
            assert child.stop() == 0, f"instance {name} did not stop cleanly:\n{child.tail()}"
    finally:
        if server is not None:
            server.shutdown()
            thread.join()  # type: ignore[union-attr]
            server.server_close()
        if store is not None:
            store.dispose()
        for child in instances.values():
            child.stop()


@pytest.fixture(scope="session")
def pair(slapd: PrivateSlapd, postgres: Postgres, redis_server: Redis,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """A and B, rate limits off (as in the other test suites)."""
    with running_pair("pair", tmp_path_factory.mktemp("pair"), slapd, postgres, redis_server,
                      rate_limits=False) as found:
        yield found


@pytest.fixture(scope="session")
def limited_pair(slapd: PrivateSlapd, postgres: Postgres, redis_server: Redis,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Another A and B with the production rate limits, counted in the shared Redis."""
    with running_pair("limited pair", tmp_path_factory.mktemp("limited-pair"), slapd, postgres, redis_server,
                      rate_limits=True) as found:
        yield found


@pytest.fixture
def outage(slapd: PrivateSlapd, postgres: Postgres, tmp_path: Path) -> Iterator[tuple[Pair, Redis]]:
    """A pair with rate limits on a Redis of its own, which the test may stop."""
    require_servers()
    (tmp_path / "redis").mkdir()
    with running_redis(tmp_path / "redis", "outage redis") as redis, \
            running_pair("outage pair", tmp_path, slapd, postgres, redis, rate_limits=True) as found:
        yield found, redis


@pytest.fixture(scope="session")
def teacher(directory: Directory) -> str:
    """An active teacher with a known password."""
    created = Provisioner(directory, 90).add(NewAccount("Camille", "Deuxinstances", Profile.TEACHER,
                                                        ("0770001H", "0770942F"), "camille@example.fr"))
    directory.set_password(created.login, PASSWORD)
    directory.activate(created.login)
    return created.login
