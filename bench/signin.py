"""Benchmark: complete OpenID Connect sign-ins through the real login page, served by gunicorn.

    .venv/bin/python bench/signin.py [--cost owasp|test] [--duration 20] [--concurrency 1,4,8]
                                     [--workers 2] [--connections 1000]

Sets up, in a temporary folder, a private slapd (Argon2 at the chosen cost), active accounts
whose passwords slapd hashed, one confidential college app, and `ent-idp serve` (gunicorn).
Then, per concurrency level, that many driver PROCESSES each run complete flows for
--duration seconds, each with a new browser (its own connection, cookies and loopback
address: the rate limits and lockout counters are on and count as in production):
GET /authorize (code, PKCE S256, state, nonce) → the login page → POST login + password →
the redirect back to the app's redirect URI (not followed) → POST /token
(client_secret_basic, code_verifier) → GET /userinfo, the last two over the app's own
keep-alive connection.

Measures flows/s, latency percentiles, errors, the CPU the provider (gunicorn master and
workers) and slapd spent per flow (/proc/<pid>/stat), the workers' peak memory (VmHWM), and
the machine's Argon2 limit: binds of one account straight to the same slapd from as many
processes as cores, half before and half after the levels. Each flow verifies exactly one password,
so flows/s ÷ verifications/s says how close the provider comes to what hashing allows. Argon2 runs in slapd: the
provider's CPU per flow is its own work, password verification excluded.

Targets: provider CPU ≤ 15 ms per flow; at OWASP cost, throughput ≥ 0.8 × the hash-bound
limit; no errors at concurrency 8. Prints a table and writes bench/results/signin.json.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import multiprocessing
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from idp import clients  # noqa: E402
from idp.config import load_settings  # noqa: E402
from idp.directory import NewAccount, Profile, connect  # noqa: E402
from idp.directory.slapd import OWASP_ARGON2, Argon2Cost, Lockout, PrivateSlapd, free_port  # noqa: E402
from idp.provisioning.service import Provisioner  # noqa: E402
from idp.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENT_IDP = ROOT / ".venv" / "bin" / "ent-idp"
COSTS = {"owasp": OWASP_ARGON2, "test": Argon2Cost(memory_kib=1024, iterations=1, parallelism=1)}
PASSWORD = "Tilleul-2026-bench"
REDIRECT_URI = "http://127.0.0.1:9/cb"
SCOPE = "openid profile email"
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
PROFILES = [Profile.STUDENT, Profile.PARENT, Profile.TEACHER]
STEPS = ("authorize", "login_page", "login_post", "token", "userinfo")
TIMEOUT = 60
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_PROVIDER_CPU_MS = 15.0
TARGET_HASH_RATIO = 0.8


# /proc

def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def cpu_ticks(pid: int, with_reaped_children: bool = False) -> int:
    """utime + stime (+ cutime + cstime of children it waited for) in clock ticks."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            pass
    return found


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def private_kib(pid: int) -> int:
    """Memory only this process holds (smaps_rollup's Private_Clean + Private_Dirty): what one
    more worker adds to the machine, where the resident figure also counts the pages of shared
    libraries that every process maps."""
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total


def machine_ticks() -> tuple[int, int, int]:
    """(busy in processes, busy in interrupts, total) clock ticks of all CPUs since boot, from
    /proc/stat. Interrupt time (mostly loopback TCP here) is charged to no process."""
    user, nice, system, idle, iowait, irq, softirq, steal = \
        (int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9])
    return user + nice + system + steal, irq + softirq, user + nice + system + idle + iowait + irq + softirq + steal


def tree_ticks(pid: int) -> int:
    """CPU of a server and of all its child processes, those running and those it reaped
    (PostgreSQL's backends, nginx's workers)."""
    return cpu_ticks(pid, with_reaped_children=True) + sum(tree_ticks(child) for child in children(pid))


class CpuMeter:
    """CPU spent between two snapshots by the provider (the gunicorn master of each instance
    and its workers), slapd, and the other `services` (name → pid, with their children)."""

    def __init__(self, master: int | tuple[int, ...], slapd: int, services: dict[str, int] | None = None) -> None:
        self.masters = (master,) if isinstance(master, int) else master
        self.slapd = slapd
        self.services = services or {}

    def workers(self) -> list[int]:
        return [pid for master in self.masters for pid in children(master)]

    def snapshot(self) -> dict:
        return {
            "provider": {**{master: cpu_ticks(master, with_reaped_children=True) for master in self.masters},
                         **{pid: cpu_ticks(pid) for pid in self.workers()}},
            "slapd": cpu_ticks(self.slapd),
            "services": {name: tree_ticks(pid) for name, pid in self.services.items()},
            "machine": machine_ticks(),
            "time": time.monotonic(),
        }

    @staticmethod
    def difference(before: dict, after: dict) -> dict:
        provider = sum(ticks - before["provider"].get(pid, 0) for pid, ticks in after["provider"].items())
        busy, interrupts, total = (a - b for a, b in zip(after["machine"], before["machine"], strict=True))
        return {
            "provider_ms": provider * 1000 / CLOCK_TICKS,
            "slapd_ms": (after["slapd"] - before["slapd"]) * 1000 / CLOCK_TICKS,
            "services_ms": {name: (ticks - before["services"][name]) * 1000 / CLOCK_TICKS
                            for name, ticks in after["services"].items()},
            "machine_busy": (busy + interrupts) / total if total else 0.0,
            "interrupts_share": interrupts / total if total else 0.0,
            "machine_busy_ms": busy * 1000 / CLOCK_TICKS, "machine_total_ms": total * 1000 / CLOCK_TICKS,
            "workers_replaced": sorted(set(before["provider"]) ^ set(after["provider"])),
        }


# Set-up

def provision(slapd: PrivateSlapd, count: int) -> list[str]:
    """`count` active accounts; slapd hashes their passwords at its configured cost."""
    directory = connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)
    provisioner = Provisioner(directory, 90)
    logins = []
    for i in range(count):
        person = NewAccount(f"Banc{i}", SURNAMES[i % 10], PROFILES[i % 3], ("0770001H",), f"banc{i}@example.fr")
        login = provisioner.add(person).login
        directory.activate(login, password=PASSWORD, recovery_email=f"banc{i}@example.fr", terms_version="x")
        logins.append(login)
    return logins


def write_settings(folder: Path, slapd: PrivateSlapd, port: int) -> Path:
    path = folder / "idp.toml"
    path.write_text(
        f'issuer = "http://127.0.0.1:{port}"\n'
        f'secret_key = "{secrets.token_urlsafe(36)}"\n'
        'instance_dir = "instance"\n'
        'rate_limits = true\n'  # counted as in production: each flow comes from its own address
        '[accounts]\n'
        'lockout_failures = 1000\n'  # `serve` writes twice this into slapd's default policy
        'lockout_minutes = 1\n'
        '[ldap]\n'
        f'url = "{slapd.url}"\nbase_dn = "{slapd.base_dn}"\n'
        f'bind_dn = "{slapd.admin_dn}"\nbind_password = "{slapd.admin_password}"\n',
        encoding="utf-8",
    )
    return path


def register_client(config: Path) -> tuple[str, str]:
    settings = load_settings(config, environ={})
    store = Store.for_instance(settings.database_url, settings.instance_dir)
    try:
        registered = clients.register(store, name="Banc d'essai", redirect_uris=[REDIRECT_URI])
    finally:
        store.dispose()
    assert registered.client_secret
    return registered.client.client_id, registered.client_secret


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM if this benchmark dies without stopping it."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ServedProvider:
    """`ent-idp serve` (gunicorn) as a child process."""

    def __init__(self, config: Path, port: int, workers: int, connections: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [str(ENT_IDP), "--config", str(config), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(workers), "--connections", str(connections)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=config.parent,
                env={k: v for k, v in os.environ.items() if not k.startswith("ENT_IDP_")}, preexec_fn=_die_with_parent,
                start_new_session=True,  # Ctrl-C reaches the benchmark, which stops gunicorn itself
            )
        self.workers = workers

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ent-idp serve stopped ({self.process.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200 and len(children(self.pid)) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"ent-idp serve not ready after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# One sign-in

class FlowError(Exception):
    pass


class Reply:
    """An HTTP response; header names in lower case."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> dict:
        return json.loads(self.body)


class _Closed(Exception):
    """The server closed the connection."""


class Browser:
    """A new browser: one keep-alive connection to the provider and its own cookies.

    A minimal HTTP/1.1 client (keep-alive, bodies with Content-Length, as gunicorn sends
    them): http.client parses each response's headers with the e-mail parser, which would
    cost the drivers, on the same CPUs, more than a tenth of what the provider spends."""

    def __init__(self, issuer: str, source: str | None = None) -> None:
        """`source`: the local address to connect from (each person's browser its own)."""
        address = urlsplit(issuer)
        self.address = (address.hostname or "127.0.0.1", address.port or 80)
        self.source = (source, 0) if source else None
        self.host = address.netloc
        self.cookies: dict[str, str] = {}
        self.sock: socket.socket | None = None
        self.buffer = b""

    def request(self, method: str, target: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=TIMEOUT, source_address=self.source)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.sock.sendall(message)
                return self._response()
            except (_Closed, ConnectionError):
                self.close()  # the server closed an idle keep-alive connection: once more
                if attempt == 2:
                    raise FlowError(f"{method} {target.split('?')[0]}: connection closed") from None
        raise AssertionError("unreachable")

    def _response(self) -> Reply:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, cookie_value = value.split(";", 1)[0].partition("=")
                self.cookies[cookie.strip()] = cookie_value.strip()
            else:
                headers[name] = value
        if "chunked" in headers.get("transfer-encoding", ""):
            raise FlowError("chunked response: not expected from the provider")
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Reply(int(status_line.split(" ", 2)[1]), headers, body)

    def _receive(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed()
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""


def _expect(response: Reply, step: str, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    if response.status not in statuses:
        raise FlowError(f"{step}: HTTP {response.status}")


def _form(page: Reply) -> tuple[str, dict[str, str]]:
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page.body.decode(), re.S)
    if not form:
        raise FlowError("login_page: no form")
    hidden = {}
    for tag in re.findall(r"<input[^>]*>", form.group(2)):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden":
            hidden[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return html.unescape(form.group(1)), hidden


def _target(location: str) -> str:
    """The path and query of a Location (absolute or not)."""
    parts = urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


def through_login_page(browser: Browser, issuer: str, start: str, first_step: str, login: str, back_to: str,
                       steps: dict[str, float], straight: bool = False) -> str:
    """From a new browser: `GET start` → 302 to the login page → the page (hidden fields, CSRF
    token) → `POST /connexion` (login + password: one password verification) → the redirect
    to `back_to` (not followed; with `straight`, the POST's own redirect must be it). Puts the
    durations of `first_step`, `login_page` and `login_post` in `steps`; returns the Location that
    leads back to the app."""
    began = time.perf_counter()
    response = browser.request("GET", start)
    _expect(response, first_step, (302, 303))
    mark = time.perf_counter()
    steps[first_step] = mark - began

    page = browser.request("GET", _target(response.headers["location"]))
    _expect(page, "login_page", 200)
    action, fields = _form(page)
    steps["login_page"], mark = time.perf_counter() - mark, time.perf_counter()

    response = browser.request("POST", action, form={**fields, "login": login, "password": PASSWORD})
    for _ in range(5):  # straight back to the app, or through the protocol's endpoint
        _expect(response, "login_post", (302, 303))
        location = urljoin(issuer + "/", response.headers["location"])
        if location.startswith(back_to):
            break
        if straight:
            raise FlowError(f"login_post: not straight back to the app ({urlsplit(location).path[:40]})")
        if not location.startswith(issuer):
            raise FlowError(f"login_post: redirect elsewhere ({location[:60]})")
        response = browser.request("GET", _target(location))
    else:
        raise FlowError("login_post: too many redirects")
    steps["login_post"] = time.perf_counter() - mark
    return location


def sign_in(issuer: str, client_id: str, client_secret: str, login: str, app: Browser,
            source: str | None = None) -> dict[str, float]:
    """One complete flow from a new browser at `source`; `app` is the college app's own
    connection (token and userinfo). Returns each step's duration (s)."""
    steps: dict[str, float] = {}
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    browser = Browser(issuer, source)
    try:
        location = through_login_page(browser, issuer, "/authorize?" + urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": SCOPE,
            "state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
        }), "authorize", login, REDIRECT_URI, steps)
        params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        if "code" not in params or params.get("state") != state:
            raise FlowError(f"login_post: no code ({params.get('error', 'state mismatch')})")
        mark = time.perf_counter()
    finally:
        browser.close()

    basic = base64.b64encode(f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()).decode()
    response = app.request("POST", "/token", headers={"Authorization": f"Basic {basic}"}, form={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    })
    _expect(response, "token", 200)
    token = response.json()
    if "id_token" not in token or "access_token" not in token:
        raise FlowError("token: no id_token or access_token")
    steps["token"], mark = time.perf_counter() - mark, time.perf_counter()

    response = app.request("GET", "/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    _expect(response, "userinfo", 200)
    if "sub" not in response.json():
        raise FlowError("userinfo: no sub")
    steps["userinfo"] = time.perf_counter() - mark
    return steps


class Flows:
    """What a driver process repeats: `prepare` runs before the level starts (not measured),
    `one` is one flow (its steps' durations, s); `one` raises `Exhausted` when the driver has
    nothing left to do before the deadline."""

    name = "flow"
    steps: tuple[str, ...] = ()

    def prepare(self, issuer: str, slot: int, slots: int, logins: list[str], app: Browser, duration: float) -> None:
        pass

    def one(self, issuer: str, login: str, app: Browser, source: str) -> dict[str, float]:
        raise NotImplementedError


class Exhausted(Exception):
    """The driver has no more flows to run."""


class OidcSignIns(Flows):
    """The complete OpenID Connect sign-in (`sign_in`)."""

    name = "oidc"
    steps = STEPS

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret

    def one(self, issuer: str, login: str, app: Browser, source: str) -> dict[str, float]:
        return sign_in(issuer, self.client_id, self.client_secret, login, app, source=source)


def visitor_address(slot: int, flow: int) -> str:
    """A loopback address per flow (127.0.0.0/8 is all this machine's): every person signs in
    from an address of their own, as in production, so that the rate limits per address and
    the counters per login and address are counted and cost what they cost there."""
    return f"127.{1 + slot % 254}.{(flow // 250) % 256}.{flow % 250 + 1}"


def drive(slot: int, slots: int, issuer: str, work: Flows, logins: list[str],
          duration: float, ready, go, start_at, results) -> None:  # type: ignore[no-untyped-def]
    """A driver process: `work`'s flows until the deadline; puts its figures on `results`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    flows: list[dict[str, float]] = []
    errors: dict[str, int] = {}
    app = Browser(issuer)  # the college app's server keeps its connection to the provider
    prepared = True
    try:
        work.prepare(issuer, slot, slots, logins, app, duration)
    except (FlowError, OSError, ValueError, KeyError) as error:
        errors[f"prepare: {error}"] = 1
        prepared = False
    ready.release()
    go.wait()
    deadline = start_at.value + duration if prepared else 0.0
    cpu = os.times()
    i = 0
    while time.monotonic() < deadline:
        login = logins[(slot + i * slots) % len(logins)]
        i += 1
        try:
            flows.append(work.one(issuer, login, app, visitor_address(slot, i)))
        except Exhausted:
            break
        except (FlowError, OSError, ValueError, KeyError) as error:
            kind = str(error) if isinstance(error, FlowError) else f"{type(error).__name__}: {str(error)[:80]}"
            errors[kind] = errors.get(kind, 0) + 1
            app.close()
            time.sleep(0.05)
    used = os.times()
    app.close()
    results.put({"flows": flows, "errors": errors, "ended": time.monotonic(),
                 "cpu_s": (used.user - cpu.user) + (used.system - cpu.system)})


def run_level(context, concurrency: int, duration: float, issuer: str, work: Flows,  # type: ignore[no-untyped-def]
              logins: list[str], meter: CpuMeter | None) -> dict:
    ready, go = context.Semaphore(0), context.Event()
    start_at, results = context.Value("d", 0.0), context.Queue()
    processes = [context.Process(target=drive, args=(slot, concurrency, issuer, work, logins, duration,
                                                     ready, go, start_at, results), daemon=True)
                 for slot in range(concurrency)]
    try:
        for process in processes:
            process.start()
        for _ in processes:
            ready.acquire()
        before = meter.snapshot() if meter else None
        start_at.value = time.monotonic()
        go.set()
        reports = [results.get(timeout=duration + 5 * TIMEOUT) for _ in processes]
        after = meter.snapshot() if meter else None
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    flows = [flow for report in reports for flow in report["flows"]]
    errors: dict[str, int] = {}
    for report in reports:
        for kind, count in report["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    elapsed = max(report["ended"] for report in reports) - start_at.value
    latencies = sorted(sum(flow.values()) * 1000 for flow in flows)
    done = len(flows)
    level = {
        "concurrency": concurrency, "seconds": round(elapsed, 2), "flows": done,
        "flows_per_second": round(done / elapsed, 2),
        "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95),
                       "p99": _percentile(latencies, 99), "max": round(latencies[-1], 1) if latencies else None},
        "step_median_ms": {step: round(statistics.median(flow[step] for flow in flows) * 1000, 1) if flows else None
                           for step in work.steps},
        "errors": sum(errors.values()), "error_kinds": errors,
        "driver_cpu_ms_per_flow": round(sum(r["cpu_s"] for r in reports) * 1000 / done, 1) if done else None,
    }
    if meter:
        spent = CpuMeter.difference(before, after)
        level.update({
            "provider_cpu_ms_per_flow": round(spent["provider_ms"] / done, 2) if done else None,
            "slapd_cpu_ms_per_flow": round(spent["slapd_ms"] / done, 2) if done else None,
            "machine_cpu_busy": round(spent["machine_busy"], 3),
            "interrupts_cpu_share": round(spent["interrupts_share"], 3),
            # CPU used by processes other than the provider, slapd and the drivers (other work on this machine)
            "other_processes_cpu_share": round(max(0.0, spent["machine_busy_ms"] - spent["provider_ms"]
                                                   - spent["slapd_ms"] - sum(spent["services_ms"].values())
                                                   - sum(r["cpu_s"] for r in reports) * 1000)
                                               / spent["machine_total_ms"], 3) if spent["machine_total_ms"] else None,
            "workers_replaced": spent["workers_replaced"],
            "worker_peak_rss_mib": {str(pid): round(status_kib(pid, "VmHWM") / 1024, 1)
                                    for pid in meter.workers()},
            "worker_private_mib": {str(pid): round(private_kib(pid) / 1024, 1) for pid in meter.workers()},
        })
        if spent["services_ms"]:
            level["services_cpu_ms_per_flow"] = {name: round(ms / done, 2) if done else None
                                                 for name, ms in spent["services_ms"].items()}
    return level


def _percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    rank = min(len(values) - 1, max(0, round(percent / 100 * len(values) + 0.5) - 1))  # nearest rank
    return round(values[rank], 1)


# The Argon2 limit of this machine

def bind_loop(url: str, dn: str, password: str, seconds: float, ready, go, start_at, results) -> None:  # type: ignore[no-untyped-def]
    from ldap3 import NONE, Connection, Server
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = Server(url, get_info=NONE)
    done = failed = 0
    ready.release()
    go.wait()
    deadline = start_at.value + seconds
    while time.monotonic() < deadline:
        connection = Connection(server, user=dn, password=password, raise_exceptions=False, read_only=True)
        connection.open()
        if connection.bind():
            done += 1
        else:
            failed += 1
        connection.unbind()
    used = os.times()
    results.put({"binds": done, "failed": failed, "ended": time.monotonic(), "cpu_s": used.user + used.system})


def hash_bound(context, slapd: PrivateSlapd, login: str, processes: int, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    dn = f"uid={login},ou=people,{slapd.base_dn}"
    ready, go = context.Semaphore(0), context.Event()
    start_at, results = context.Value("d", 0.0), context.Queue()
    workers = [context.Process(target=bind_loop, args=(slapd.url, dn, PASSWORD, seconds, ready, go, start_at,
                                                       results), daemon=True) for _ in range(processes)]
    try:
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.acquire()
        slapd_before, machine_before = cpu_ticks(slapd.pid), machine_ticks()
        start_at.value = time.monotonic()
        go.set()
        reports = [results.get(timeout=seconds + 60) for _ in workers]
        slapd_after, machine_after = cpu_ticks(slapd.pid), machine_ticks()
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
    binds = sum(report["binds"] for report in reports)
    elapsed = max(report["ended"] for report in reports) - start_at.value
    busy, _, total = (a - b for a, b in zip(machine_after, machine_before, strict=True))
    others = busy - (slapd_after - slapd_before) - sum(report["cpu_s"] for report in reports) * CLOCK_TICKS
    return {
        "processes": processes, "binds": binds, "failed": sum(report["failed"] for report in reports),
        "seconds": round(elapsed, 2), "verifications_per_second": round(binds / elapsed, 1),
        "slapd_cpu_ms_per_verification": round((slapd_after - slapd_before) * 1000 / CLOCK_TICKS / binds, 2)
        if binds else None,
        "other_processes_cpu_share": round(max(0.0, others / total), 3) if total else None,
    }


def _combined(samples: list[dict]) -> dict:
    binds, seconds = sum(s["binds"] for s in samples), sum(s["seconds"] for s in samples)
    slapd_ms = [s["slapd_cpu_ms_per_verification"] * s["binds"] for s in samples if s["binds"]]
    return {
        "processes": samples[0]["processes"], "binds": binds, "failed": sum(s["failed"] for s in samples),
        "seconds": round(seconds, 2), "verifications_per_second": round(binds / seconds, 1),
        "slapd_cpu_ms_per_verification": round(sum(slapd_ms) / binds, 2) if binds else None,
        "other_processes_cpu_share": max(s["other_processes_cpu_share"] or 0 for s in samples),
        "samples_per_second": [s["verifications_per_second"] for s in samples],
    }


# Main

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the set-up and of the levels (signin.py's and those reusing it)."""
    parser.add_argument("--cost", choices=sorted(COSTS), default="owasp")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per concurrency level")
    parser.add_argument("--concurrency", default="1,4,8", help="driver processes per level, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=1000, help="simultaneous connections per gunicorn worker")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured flows first")
    parser.add_argument("--keep", action="store_true", help="leave the provider and slapd running until Ctrl-C "
                                                            "(to attach a profiler)")


def levels_of(args: argparse.Namespace) -> list[int]:
    return [int(c) for c in args.concurrency.split(",") if c.strip()]


class Bench:
    """The set-up every sign-in benchmark shares, in the temporary folder `work`: a private
    slapd at `args.cost`, `args.accounts` active accounts, `idp.toml`, one confidential
    college app (`client`: id and secret), and `ent-idp serve` ready; `stack` stops them.
    `before_serve(config)` runs once the settings are written, before the provider starts."""

    def __init__(self, args: argparse.Namespace, work: Path, stack: ExitStack, name: str = "signin",
                 before_serve=None) -> None:  # type: ignore[no-untyped-def]
        print(f"setting up: slapd (argon2 {args.cost}), {args.accounts} accounts, gunicorn ×{args.workers} "
              f"in {work}", flush=True)
        self.work = work
        self.slapd = PrivateSlapd(work / "slapd", port=free_port(), argon2=COSTS[args.cost],
                                  lockout=Lockout(max_failures=1000, duration_seconds=60))
        self.slapd.start()
        stack.callback(self.slapd.stop)
        began = time.perf_counter()
        self.logins = provision(self.slapd, args.accounts)
        self.setup_seconds = time.perf_counter() - began
        port = free_port()
        self.config = write_settings(work, self.slapd, port)
        self.client = register_client(self.config)
        if before_serve is not None:
            before_serve(self.config)
        self.provider = ServedProvider(self.config, port, args.workers, args.connections, work / "provider.log")
        stack.callback(self.provider.stop)
        self.provider.wait_ready()
        self.meter = CpuMeter(self.provider.pid, self.slapd.pid)
        print(f"  {args.accounts} accounts in {self.setup_seconds:.1f} s; provider pid {self.provider.pid} "
              f"(workers {' '.join(map(str, children(self.provider.pid)))}), slapd pid {self.slapd.pid}", flush=True)
        if args.keep:
            print(f"  {self.provider.url}  client_id={self.client[0]} client_secret={self.client[1]} "
                  f"password={PASSWORD}\n  logins: {', '.join(self.logins[:3])}…  (Ctrl-C stops)", flush=True)

    @property
    def url(self) -> str:
        return self.provider.url

    def signing_keys(self) -> int:
        return len(list((self.work / "instance" / "keys").glob("*.pem")))

    def slapd_peak_mib(self) -> float:
        return round(status_kib(self.slapd.pid, "VmHWM") / 1024, 1)


def wait_for_ctrl_c() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # stop everything as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    add_arguments(parser)
    parser.add_argument("--hash-processes", type=int, default=os.cpu_count() or 2,
                        help="processes binding straight to slapd for the hash-bound limit (default: cores)")
    parser.add_argument("--hash-seconds", type=float, default=None,
                        help="seconds of binds in all, half before and half after the levels "
                             "(default: --duration, at most 20)")
    parser.add_argument("--compare", choices=["oidc-provider"],
                        help="also drive node-oidc-provider (npm, pinned) level by level, and print both CPU figures")
    args = parser.parse_args()
    levels = levels_of(args)
    cost = COSTS[args.cost]
    hash_seconds = args.hash_seconds or min(args.duration, 20.0)
    context = multiprocessing.get_context("fork")
    install_signal_handlers()

    with tempfile.TemporaryDirectory(prefix="bench-signin-") as folder, ExitStack() as stack:
        bench = Bench(args, Path(folder), stack)
        slapd, logins, meter = bench.slapd, bench.logins, bench.meter
        oidc = OidcSignIns(*bench.client)
        reference = compared(args, Path(folder), stack)

        if args.warmup > 0:
            warm = run_level(context, max(levels), args.warmup, bench.url, oidc, logins, None)
            print(f"  warm-up: {warm['flows']} flows, {warm['errors']} errors {warm['error_kinds'] or ''}", flush=True)
            if reference is not None:
                run_level(context, max(levels), args.warmup, reference.url, REFERENCE_FLOWS, logins, None)

        # The limit is measured half before and half after the levels: the machine's speed drifts.
        print(f"hash-bound limit: {args.hash_processes} processes binding for {hash_seconds / 2:.0f} s…", flush=True)
        limits = [hash_bound(context, slapd, logins[-1], args.hash_processes, hash_seconds / 2)]
        results, references = [], []
        for concurrency in levels:
            print(f"concurrency {concurrency}: {args.duration:.0f} s…", flush=True)
            results.append(run_level(context, concurrency, args.duration, bench.url, oidc, logins, meter))
            if reference is not None:  # right after, level by level: the machine's speed drifts
                print(f"  node-oidc-provider at concurrency {concurrency}: {args.duration:.0f} s…", flush=True)
                references.append(run_level(context, concurrency, args.duration, reference.url, REFERENCE_FLOWS,
                                            logins, CpuMeter(reference.pid, slapd.pid)))
        print(f"hash-bound limit again: {hash_seconds / 2:.0f} s…", flush=True)
        limits.append(hash_bound(context, slapd, logins[-1], args.hash_processes, hash_seconds / 2))
        limit = _combined(limits)
        slapd_peak = bench.slapd_peak_mib()
        keys = bench.signing_keys()
        if args.keep:
            wait_for_ctrl_c()
    report(args, cost, results, limit, slapd_peak, keys, references)


REFERENCE_CLIENT = ("bench-reference", "bench-reference-secret-0123456789")
REFERENCE_FLOWS = OidcSignIns(*REFERENCE_CLIENT)
TARGET_REFERENCE_RATIO = 1.5
"""The provider's CPU per flow, at most this many times node-oidc-provider's."""


def compared(args: argparse.Namespace, work: Path, stack: ExitStack):  # type: ignore[no-untyped-def]
    """node-oidc-provider, with `--compare oidc-provider`."""
    if args.compare != "oidc-provider":
        return None
    from oidc_provider import NodeOidcProvider
    reference = NodeOidcProvider(work / "oidc-provider", free_port(), *REFERENCE_CLIENT, REDIRECT_URI)
    stack.callback(reference.stop)
    print(f"  node-oidc-provider pid {reference.pid} at {reference.url}", flush=True)
    return reference


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def report(args: argparse.Namespace, cost: Argon2Cost, results: list[dict], limit: dict,
           slapd_peak: float, signing_keys: int, references: list[dict] | None = None) -> None:
    rate, hash_ms = limit["verifications_per_second"], limit["slapd_cpu_ms_per_verification"]
    for level in results:
        level["ratio_to_hash_bound"] = round(level["flows_per_second"] / rate, 2) if rate else None
        # What the ratio would be if the drivers ran elsewhere and the CPUs were saturated: Argon2's
        # CPU per verification over the server side's CPU per flow (provider + slapd).
        server_ms = (level["provider_cpu_ms_per_flow"] or 0) + (level["slapd_cpu_ms_per_flow"] or 0)
        level["cpu_bound_ratio"] = round(hash_ms / server_ms, 2) if hash_ms and server_ms else None
    worst_cpu = max((level["provider_cpu_ms_per_flow"] or 0) for level in results)
    best = max(results, key=lambda level: level["flows_per_second"])
    top = next((level for level in results if level["concurrency"] == 8), results[-1])
    summary = {
        "provider_cpu_ms_per_flow_worst": worst_cpu,
        "provider_cpu_target_met": worst_cpu <= TARGET_PROVIDER_CPU_MS,
        "peak_flows_per_second": best["flows_per_second"], "peak_at_concurrency": best["concurrency"],
        "peak_ratio_to_hash_bound": best["ratio_to_hash_bound"],
        "cpu_bound_ratio_at_peak": best["cpu_bound_ratio"],
        "hash_ratio_target_met": (best["ratio_to_hash_bound"] or 0) >= TARGET_HASH_RATIO,
        f"errors_at_concurrency_{top['concurrency']}": top["errors"],
    }
    result = {
        "argon2": {"name": args.cost, "memory_kib": cost.memory_kib, "iterations": cost.iterations,
                   "parallelism": cost.parallelism},
        "cpus": os.cpu_count(), "gunicorn_workers": args.workers, "connections_per_worker": args.connections,
        "accounts": args.accounts, "seconds_per_level": args.duration,
        "levels": results, "hash_bound": limit, "slapd_peak_rss_mib": slapd_peak,
        "signing_keys_created": signing_keys, "summary": summary,
        "targets": {"provider_cpu_ms_per_flow": TARGET_PROVIDER_CPU_MS,
                    "ratio_to_hash_bound_at_owasp": TARGET_HASH_RATIO, "errors_at_concurrency_8": 0},
    }
    comparison = _comparison(results, references or [])
    if comparison:
        result["compare"] = comparison
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "signin.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    print()
    print(f"sign-in flows: argon2 {args.cost} (m={cost.memory_kib} t={cost.iterations} p={cost.parallelism}), "
          f"{os.cpu_count()} CPUs, gunicorn {args.workers} workers × {args.connections} connections, "
          f"{args.accounts} accounts, {args.duration:.0f} s per level")
    print(f"{'conc':>4} {'flows':>6} {'flows/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'prov ms/flow':>12} {'slapd ms/flow':>13} {'×limit':>6} {'busy':>5} {'worker MiB':>10} {'private':>7}")
    for level in results:
        peak = max(level["worker_peak_rss_mib"].values(), default=0)
        private = max(level["worker_private_mib"].values(), default=0)
        print(f"{level['concurrency']:>4} {level['flows']:>6} {level['flows_per_second']:>8.2f} "
              f"{_f(level['latency_ms']['p50']):>8} "
              f"{_f(level['latency_ms']['p95']):>8} {_f(level['latency_ms']['p99']):>8} {level['errors']:>6} "
              f"{_f(level['provider_cpu_ms_per_flow']):>12} {_f(level['slapd_cpu_ms_per_flow']):>13} "
              f"{_f(level['ratio_to_hash_bound']):>6} {level['machine_cpu_busy'] * 100:>4.0f}% "
              f"{peak:>10.1f} {private:>7.1f}")
    for level in results:
        steps = "  ".join(f"{step} {_f(ms)}" for step, ms in level["step_median_ms"].items())
        print(f"  c={level['concurrency']} median ms per step: {steps}")
        if level["error_kinds"]:
            print(f"  c={level['concurrency']} errors: {level['error_kinds']}")
        if (level["other_processes_cpu_share"] or 0) > 0.05:
            print(f"  c={level['concurrency']} warning: other processes used "
                  f"{level['other_processes_cpu_share']:.0%} of the machine's CPU during this level; "
                  "throughput and latency are understated")
        if level["workers_replaced"]:
            print(f"  c={level['concurrency']} gunicorn workers replaced during the run: {level['workers_replaced']}")
    print(f"hash-bound limit     {rate:8.1f} verifications/s (before and after the levels: "
          f"{' and '.join(str(r) for r in limit['samples_per_second'])}; "
          f"{limit['binds']} binds in {limit['seconds']} s, "
          f"{limit['processes']} processes; slapd {_f(limit['slapd_cpu_ms_per_verification'])} ms CPU each"
          f"{'; ' + str(limit['failed']) + ' failed' if limit['failed'] else ''})")
    if (limit["other_processes_cpu_share"] or 0) > 0.05:
        print(f"  warning: other processes used {limit['other_processes_cpu_share']:.0%} of the machine's CPU "
              "meanwhile; the limit is understated")
    print(f"peak throughput      {best['flows_per_second']:8.2f} flows/s at concurrency {best['concurrency']} = "
          f"{_f(best['ratio_to_hash_bound'])} × the limit (target ≥ {TARGET_HASH_RATIO} at OWASP cost)")
    print(f"  without the drivers {_f(best['cpu_bound_ratio']):>6} × the limit: Argon2 CPU per verification ÷ "
          f"(provider + slapd) CPU per flow (the drivers used {_f(best['driver_cpu_ms_per_flow'])} ms CPU per flow "
          f"on the same {os.cpu_count()} CPUs)")
    print(f"provider CPU / flow  {worst_cpu:8.2f} ms worst level, password verification excluded "
          f"(target ≤ {TARGET_PROVIDER_CPU_MS:.0f} ms)")
    print(f"errors at c={top['concurrency']}       {top['errors']:8d} (target 0)")
    print(f"slapd peak memory    {slapd_peak:8.1f} MiB; signing keys created: {signing_keys}")
    if comparison:
        from oidc_provider import VERSION
        print(f"against node-oidc-provider {VERSION} (in memory, no password check), the same driver, "
              "level by level:")
        print(f"{'conc':>4} {'ent-idp ms/flow':>15} {'node ms/flow':>12} {'ratio':>6} {'node flows/s':>12} "
              f"{'node errors':>11}")
        for line in comparison["levels"]:
            print(f"{line['concurrency']:>4} {_f(line['provider_cpu_ms_per_flow']):>15} "
                  f"{_f(line['reference_cpu_ms_per_flow']):>12} {_f(line['ratio']):>6} "
                  f"{line['reference_flows_per_second']:>12.2f} {line['reference_errors']:>11}")
        print(f"worst ratio          {_f(comparison['worst_ratio']):>8} (target ≤ {TARGET_REFERENCE_RATIO})")


def _comparison(results: list[dict], references: list[dict]) -> dict:
    """Each level's provider CPU per flow next to node-oidc-provider's, and their ratio."""
    if not references:
        return {}
    from oidc_provider import VERSION
    lines = []
    for ours, theirs in zip(results, references, strict=True):
        mine, reference = ours["provider_cpu_ms_per_flow"], theirs["provider_cpu_ms_per_flow"]
        lines.append({"concurrency": ours["concurrency"], "provider_cpu_ms_per_flow": mine,
                      "reference_cpu_ms_per_flow": reference,
                      "ratio": round(mine / reference, 2) if mine and reference else None,
                      "reference_flows_per_second": theirs["flows_per_second"], "reference_errors": theirs["errors"],
                      "reference_step_median_ms": theirs["step_median_ms"]})
    worst = max((line["ratio"] or 0) for line in lines)
    return {"reference": f"node-oidc-provider {VERSION}", "levels": lines, "worst_ratio": worst,
            "target": TARGET_REFERENCE_RATIO, "target_met": worst <= TARGET_REFERENCE_RATIO}


def _f(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: provider and slapd stopped", file=sys.stderr)
        sys.exit(130)
