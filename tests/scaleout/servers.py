"""PostgreSQL and Redis as plain child processes, on free ports, in a folder of their own:
the scale-out tests' shared servers (tests/conftest.py, tests/scaleout/conftest.py) and the
morning-peak benchmark's (bench/morning.py). No pytest here: the callers decide what a
missing server means (a skipped test, a benchmark that stops with the reason)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from idp.directory.slapd import free_port

PG_USER = "ent-idp-test"
"""postgres refuses to run as root: as root (the CI), PostgreSQL runs as this system user."""
DATABASE = "ent_idp"
START_TIMEOUT = 60.0
TIMINGS: dict[str, float] = {}
"""Seconds each server took to start and stop (the test run shows them at its end)."""


# The servers' binaries

def postgres_bin_dir() -> Path | None:
    """Debian's /usr/lib/postgresql/<version>/bin (newest), or initdb on the PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name)
                        if Path(path).parent.name.isdigit() else 0, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.insert(0, str(Path(on_path).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "postgres").is_file():
            return Path(candidate)
    return None


def missing_servers() -> str | None:
    """Why the scale-out tests cannot run here, or None."""
    missing = []
    if postgres_bin_dir() is None:
        missing.append("PostgreSQL (apt-get install postgresql)")
    if shutil.which("redis-server") is None:
        missing.append("Redis (apt-get install redis-server)")
    for module, package in (("psycopg", "psycopg[binary]"), ("redis", "redis")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {package}")
    return ", ".join(missing) + " missing" if missing else None


# Child processes

def _stop_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM if the test run dies without stopping it."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    """A server process of the test run, its output in `log`."""

    name: str
    process: subprocess.Popen
    log: Path
    started_in: float = 0.0
    """Seconds from launch to accepting connections."""

    @classmethod
    def launch(cls, name: str, command: list[str], log: Path, **options: object) -> Child:
        with open(log, "ab") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       preexec_fn=_stop_with_parent, **options)
        return cls(name, process, log)

    def wait_until(self, ready, timeout: float = START_TIMEOUT) -> None:  # type: ignore[no-untyped-def]
        """Polls `ready()` until true; fails with the end of the log if the process dies or hangs."""
        began = time.monotonic()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} stopped at start (exit {self.process.returncode}):\n{self.tail()}")
            if ready():
                self.started_in = time.monotonic() - began
                TIMINGS[f"{self.name} start"] = self.started_in
                return
            if time.monotonic() - began > timeout:
                self.stop()
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then waits; returns the exit code. Still running after `timeout`: SIGINT
        (PostgreSQL's fast shutdown, when clients linger), then SIGKILL."""
        if self.process.poll() is None:
            began = time.monotonic()
            for stop_signal, wait in ((signal.SIGTERM, timeout), (signal.SIGINT, 10.0), (signal.SIGKILL, None)):
                self.process.send_signal(stop_signal)
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            TIMINGS[f"{self.name} stop"] = time.monotonic() - began
        return self.process.returncode

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# PostgreSQL

def _postgres_account() -> dict[str, object]:
    """Popen options that run PostgreSQL as PG_USER when we are root (created if missing)."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", PG_USER], check=True, capture_output=True)
        account = pwd.getpwnam(PG_USER)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass
class Postgres:
    url: str
    """SQLAlchemy URL of the ent_idp database."""
    port: int
    child: Child
    seconds: float
    """initdb + start + createdb."""


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A private PostgreSQL (fsync off: its data lives as long as the block) with the
    ent_idp database, in a folder of its own outside root's private temporary folders
    (PostgreSQL runs as PG_USER when we are root)."""
    import psycopg

    began = time.monotonic()
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL missing (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="ent-idp-postgres-"))
    account = _postgres_account()
    if account:
        os.chown(root, account["user"], account["group"])  # type: ignore[arg-type]
    data = root / "data"
    try:
        subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "ent", "--auth=trust", "-E", "UTF8",
                        "--locale=C", "--no-sync"], check=True, capture_output=True, cwd=root, **account)
        port = free_port()
        child = Child.launch("postgres", [
            str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data), "-h", "127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200"], root / "postgres.log", cwd=root, **account)

        def accepts() -> bool:
            try:
                with psycopg.connect(host="127.0.0.1", port=port, user="ent", dbname="postgres", connect_timeout=1):
                    return True
            except psycopg.OperationalError:
                return False

        try:
            child.wait_until(accepts)
            with psycopg.connect(host="127.0.0.1", port=port, user="ent", dbname="postgres", autocommit=True) as db:
                db.execute(f"CREATE DATABASE {DATABASE}")
            TIMINGS["postgres initdb+start+createdb"] = time.monotonic() - began
            yield Postgres(f"postgresql+psycopg://ent@127.0.0.1:{port}/{DATABASE}", port, child,
                           time.monotonic() - began)
            assert child.stop() == 0, child.tail()
        finally:
            child.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# nginx

NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin") or "/usr/sbin/nginx"


def nginx_config(folder: Path, http: str, *, workers: str = "1", worker_connections: int = 256) -> Path:
    """`folder`/nginx.conf for an nginx of the test run (not a daemon, its pid, logs and
    temporary files in `folder`), `http` inside its http block; returns its path."""
    folder.mkdir(exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(f"""daemon off;
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{http}}}
""", encoding="utf-8")
    return config


# Redis

@dataclass
class Redis:
    url: str
    port: int
    child: Child

    def client(self):  # type: ignore[no-untyped-def]
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, db=0)


@contextmanager
def running_redis(folder: Path, name: str = "redis") -> Iterator[Redis]:
    """Redis without persistence in `folder`, until the block ends."""
    import redis

    port = free_port()
    child = Child.launch(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], folder / "redis.log")

    def accepts() -> bool:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    try:
        child.wait_until(accepts)
        yield Redis(f"redis://127.0.0.1:{port}/0", port, child)
        assert child.stop() == 0, child.tail()
    finally:
        child.stop()


