"""Benchmark: a département's morning peak. 20,000 distinct people sign in, on a directory of
100,000 accounts, through two `ent-idp serve` instances behind nginx that share PostgreSQL
and Redis; the same flows on a directory of 50 accounts before and after, for comparison.

    .venv/bin/python bench/morning.py [--people 100000] [--schools 130] [--signing-in 20000]
                                      [--concurrency 16] [--cost owasp|test] [--baseline-seconds 60]
                                      [--workers 1] [--connections 1000]

Sets up, in a temporary folder, as docker/compose.yaml deploys the service: PostgreSQL and
Redis (tests/scaleout/servers.py), nginx in front of two instances (each `ent-idp serve
--workers W`: gunicorn with gevent's worker), one settings file for both (the database,
Redis for the rate limits, rate limits on, nginx the trusted hop, one instance folder with
the signing keys) and one confidential college app in the shared database.

The directories, each a private slapd at --cost:
- the département's: the AAF export of bench/aaf.py (--people people in --schools collèges),
  imported with `ent-idp`'s importer; then --signing-in people drawn at random among them
  (pupils, relatives and staff alike), plus a few for the warm-up, are activated with a
  password. slapd hashes the first one's password at --cost; the others get the same stored
  hash (slapd keeps a value already hashed as it is), so that setting up 20,000 passwords does
  not take 20,000 Argon2 passes, while each sign-in verifies one at the full cost.
- the small one: 50 active accounts, as in bench/signin.py.

Then four measures, at --concurrency driver processes, with signin.py's drivers and flow
(authorize → login page → sign-in POST → token → userinfo, each person from a new browser
and a loopback address of their own, which nginx passes on in X-Forwarded-For):
1. `50 accounts, before`: the instances on the small directory, --baseline-seconds of flows,
   the accounts round-robin (after --warmup seconds unmeasured);
2. `97,532 accounts`: the instances restarted on the département's directory; each of the
   --signing-in people signs in once (after a warm-up with the warm-up people);
3. `97,532, 50 people`: right after, on the same instances, 50 of those people round-robin
   for --baseline-seconds: the directory's size alone;
4. `50 accounts, after`: as 1 (the machine's speed drifts).

Reports for each: flows, flows/s, latency percentiles of a complete flow, errors, each
step's median, the CPU per flow of the provider (both instances), slapd, PostgreSQL, Redis
and nginx, the workers' peak memory. Targets: zero errors, p99 < 1 s, and the département's
flows/s and provider CPU per flow equal, within noise, to the small directory's. Writes
bench/results/morning.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ldap3 import BASE, Connection, Server  # noqa: E402
from signin import (  # noqa: E402
    COSTS,
    PASSWORD,
    CpuMeter,
    Exhausted,
    Flows,
    OidcSignIns,
    ServedProvider,
    _f,
    install_signal_handlers,
    provision,
    register_client,
    run_level,
)

from idp.directory import connect  # noqa: E402
from idp.directory.slapd import Lockout, PrivateSlapd, free_port  # noqa: E402
from idp.provisioning.aaf_import import AafImport  # noqa: E402
from idp.provisioning.service import Provisioner  # noqa: E402
from tests.provisioning.aaf import departement  # noqa: E402
from tests.scaleout.servers import (  # noqa: E402
    NGINX,
    Child,
    missing_servers,
    nginx_config,
    port_open,
    running_postgres,
    running_redis,
)

WARMUP_PEOPLE = 400
"""People of the département's directory activated for the warm-up only (not measured)."""
LOCKOUT = Lockout(max_failures=1000, duration_seconds=60)
TARGET_P99_MS = 1000.0
NOISE = 0.10
"""'Equal within noise': the département's figure within 10 % of the small directory's
(mean of the runs before and after), or within their own spread if that is wider."""


class EachOnce(Flows):
    """Each person of the list signs in once: the driver of slot s takes logins s, s + slots,
    s + 2 × slots… (as `drive` hands them out) and stops after the last."""

    def __init__(self, flows: Flows) -> None:
        self.flows, self.name, self.steps = flows, flows.name, flows.steps
        self.left = 0

    def prepare(self, issuer: str, slot: int, slots: int, logins: list[str], app, duration: float) -> None:
        self.left = len(range(slot, len(logins), slots))

    def one(self, issuer: str, login: str, app, source: str) -> dict[str, float]:
        if self.left == 0:
            raise Exhausted
        self.left -= 1
        return self.flows.one(issuer, login, app, source)


# The département's directory

def departement_directory(args: argparse.Namespace, work: Path, stack: ExitStack) -> tuple[PrivateSlapd, list[str],
                                                                                           list[str], dict]:
    """The AAF export imported into a slapd at --cost; (slapd, the people who will sign in,
    the warm-up people, figures of the set-up)."""
    began = time.perf_counter()
    pupils_each = round(args.people * 0.6 / args.schools)
    staff_each = max(1, round(args.people * 0.05 / args.schools))
    paths = departement(work / "export", schools=args.schools, pupils=pupils_each, staff=staff_each)
    # The activation codes of 100,000 people hashed at the test cost: the import is set-up here,
    # bench/aaf.py measures it. slapd is restarted at --cost before anyone signs in.
    with PrivateSlapd(work / "departement", port=free_port(), argon2=COSTS["test"], lockout=LOCKOUT) as slapd:
        directory = connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)
        report = AafImport(directory, Provisioner(directory, 90)).run(paths)
    if report.refused or report.file_errors:
        raise RuntimeError(f"the AAF import refused entries: {report.refused[:3]} {report.file_errors[:3]}")
    imported = time.perf_counter() - began
    slapd = PrivateSlapd(work / "departement", port=free_port(), argon2=COSTS[args.cost], lockout=LOCKOUT)
    slapd.start()
    stack.callback(slapd.stop)
    logins = [created.login for created in report.created]
    chosen = random.Random(77).sample(logins, min(len(logins), args.signing_in + WARMUP_PEOPLE))
    began = time.perf_counter()
    activate_all(slapd, chosen)
    return slapd, chosen[WARMUP_PEOPLE:], chosen[:WARMUP_PEOPLE], {
        "accounts": len(logins), "export_and_import_seconds": round(imported, 1),
        "activation_seconds": round(time.perf_counter() - began, 1)}


def activate_all(slapd: PrivateSlapd, logins: list[str]) -> None:
    """Activates `logins` with PASSWORD: slapd hashes the first; the others get its stored hash."""
    directory = connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)
    first, *others = logins
    directory.activate(first, password=PASSWORD, recovery_email=f"{first}@example.fr", terms_version="x")
    with Connection(Server(slapd.url), slapd.admin_dn, slapd.admin_password, auto_bind=True) as admin:
        admin.search(directory.dn_of(first), "(objectClass=*)", BASE, attributes=["userPassword"])
        stored = admin.entries[0].userPassword.value.rstrip(b"\0").decode()  # slapd 2.5 ends it with NULs

    def activate(login: str) -> None:
        directory.activate(login, password=stored, recovery_email=f"{login}@example.fr", terms_version="x")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(activate, others))


# The deployment

def write_settings(path: Path, slapd: PrivateSlapd, issuer: str, database_url: str, redis_url: str) -> None:
    path.write_text(
        f'issuer = "{issuer}"\n'
        'secret_key = "morning-peak-secret-key-0123456789abcdefghij"\n'
        f'database_url = "{database_url}"\n'
        f'ratelimit_storage_url = "{redis_url}"\n'
        'rate_limits = true\n'
        'forwarded_allow_ips = "127.0.0.1"\n'  # nginx, the one trusted hop
        'instance_dir = "instance"\n'
        '[accounts]\nlockout_failures = 1000\nlockout_minutes = 1\n'
        f'[ldap]\nurl = "{slapd.url}"\nbase_dn = "{slapd.base_dn}"\n'
        f'bind_dn = "{slapd.admin_dn}"\nbind_password = "{slapd.admin_password}"\n',
        encoding="utf-8")


def start_nginx(folder: Path, port: int, upstreams: list[int]) -> Child:
    """nginx as docker/nginx.conf runs it (plain HTTP here): both instances upstream, kept
    connections let go before gunicorn closes them, the client's address in X-Forwarded-For."""
    servers = "".join(f"        server 127.0.0.1:{upstream};\n" for upstream in upstreams)
    config = nginx_config(folder, f"""    upstream idp {{
{servers}        keepalive 32;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://idp;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
""", workers="auto", worker_connections=1024)
    nginx = Child.launch("nginx", [NGINX, "-c", str(config), "-p", str(folder)], folder / "nginx.log")
    nginx.wait_until(lambda: port_open(port))
    return nginx


class Deployment:
    """nginx on the issuer's port, PostgreSQL, Redis, and the two instances, started on one
    directory at a time (`on`)."""

    def __init__(self, args: argparse.Namespace, work: Path, stack: ExitStack, slapd: PrivateSlapd) -> None:
        self.args, self.work = args, work
        self.postgres = stack.enter_context(running_postgres())
        (work / "redis").mkdir()
        self.redis = stack.enter_context(running_redis(work / "redis"))
        self.ports = [free_port(), free_port()]
        port = free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        self.nginx = start_nginx(work / "nginx", port, self.ports)
        stack.callback(self.nginx.stop)
        self.config = work / "idp.toml"
        write_settings(self.config, slapd, self.issuer, self.postgres.url, self.redis.url)
        self.client = register_client(self.config)  # in the shared database, once

    @contextmanager
    def on(self, slapd: PrivateSlapd, name: str) -> Iterator[CpuMeter]:
        write_settings(self.config, slapd, self.issuer, self.postgres.url, self.redis.url)
        instances = []
        try:
            for letter, port in zip("AB", self.ports, strict=True):
                instance = ServedProvider(self.config, port, self.args.workers, self.args.connections,
                                          self.work / f"instance-{letter}-{name}.log")
                instances.append(instance)
                instance.wait_ready()
            assert slapd.pid is not None
            yield CpuMeter(tuple(instance.pid for instance in instances), slapd.pid, {
                "postgres": self.postgres.child.process.pid, "redis": self.redis.child.process.pid,
                "nginx": self.nginx.process.pid})
        finally:
            for instance in instances:
                instance.stop()


# Main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--people", type=int, default=100_000, help="people in the département's AAF export")
    parser.add_argument("--schools", type=int, default=130)
    parser.add_argument("--signing-in", type=int, default=20_000, help="distinct people who sign in, once each")
    parser.add_argument("--concurrency", type=int, default=16, help="driver processes")
    parser.add_argument("--cost", choices=sorted(COSTS), default="owasp")
    parser.add_argument("--baseline-seconds", type=float, default=60.0,
                        help="seconds of each measure on the 50 accounts' directory")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance")
    parser.add_argument("--connections", type=int, default=1000, help="simultaneous connections per worker")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unmeasured flows before each measure")
    parser.add_argument("--limit-seconds", type=float, default=3600.0,
                        help="the département's measure stops after this long, whoever is left")
    args = parser.parse_args()
    reason = missing_servers()
    if reason:
        sys.exit(f"bench/morning.py needs PostgreSQL and Redis: {reason} (./dev test installs them)")
    context = multiprocessing.get_context("fork")
    install_signal_handlers()
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-morning-") as folder, ExitStack() as stack:
        work = Path(folder)
        print(f"setting up in {work}: the AAF export of {args.people} people, imported…", flush=True)
        large, people, warmup_people, setup = departement_directory(args, work, stack)
        print(f"  {setup['accounts']} accounts written and imported in {setup['export_and_import_seconds']} s; "
              f"{len(people) + len(warmup_people)} activated in {setup['activation_seconds']} s", flush=True)
        small = PrivateSlapd(work / "small", port=free_port(), argon2=COSTS[args.cost], lockout=LOCKOUT)
        small.start()
        stack.callback(small.stop)
        small_logins = provision(small, 50)
        deployment = Deployment(args, work, stack, small)
        print(f"  PostgreSQL, Redis, nginx at {deployment.issuer} → instances on {deployment.ports}", flush=True)

        def measure(slapd: PrivateSlapd, accounts: int, warm: list[str],
                    parts: list[tuple[str, Flows, list[str], float]]) -> None:
            """The instances started on `slapd`, a warm-up with `warm`, then each part:
            (name, flows, logins, seconds)."""
            with deployment.on(slapd, f"{accounts}-accounts-{len(runs)}") as meter:
                run_level(context, args.concurrency, args.warmup, deployment.issuer, oidc, warm, None)
                for name, flows, logins, seconds in parts:
                    how = "each once" if isinstance(flows, EachOnce) else f"round-robin, {seconds:.0f} s"
                    print(f"{name}: {len(logins)} people, {how}…", flush=True)
                    level = run_level(context, args.concurrency, seconds, deployment.issuer, flows, logins, meter)
                    runs.append({"name": name, "directory_accounts": accounts, "people": len(logins), **level})

        oidc = OidcSignIns(*deployment.client)
        measure(small, 50, small_logins, [("50 accounts, before", oidc, small_logins, args.baseline_seconds)])
        measure(large, setup["accounts"], warmup_people, [
            (f"{setup['accounts']:,} accounts", EachOnce(oidc), people, args.limit_seconds),
            # The same directory, 50 of its people again and again: its size alone, without the 20,000 first
            # sign-ins of as many people.
            (f"{setup['accounts']:,}, 50 people", oidc, people[:50], args.baseline_seconds)])
        measure(small, 50, small_logins, [("50 accounts, after", oidc, small_logins, args.baseline_seconds)])
    report(args, setup, runs)


def compared_with_small(run: dict, before: dict, after: dict) -> dict:
    """`run`'s flows/s and CPU per flow ÷ the mean of the two runs on 50 accounts."""
    comparison = {}
    for figure in ("flows_per_second", "provider_cpu_ms_per_flow", "slapd_cpu_ms_per_flow"):
        mean = (before[figure] + after[figure]) / 2
        spread = abs(before[figure] - after[figure]) / mean if mean else 0.0
        ratio = run[figure] / mean if mean else None
        comparison[figure] = {"small_mean": round(mean, 2), "small_spread": round(spread, 3),
                              "ratio": round(ratio, 3) if ratio else None,
                              "equal_within_noise": ratio is not None and abs(ratio - 1) <= max(NOISE, spread)}
    return comparison


def report(args: argparse.Namespace, setup: dict, runs: list[dict]) -> None:
    before, large, large_fifty, after = runs
    comparison = compared_with_small(large, before, after)
    size_alone = compared_with_small(large_fifty, before, after)
    summary = {
        "errors": large["errors"], "p99_ms": large["latency_ms"]["p99"],
        "p99_target_met": (large["latency_ms"]["p99"] or 0) < TARGET_P99_MS,
        "all_signed_in": large["flows"] == large["people"],
        "comparison_with_50_accounts": comparison,
        "same_directory_50_people_compared_with_50_accounts": size_alone,
        "worker_peak_rss_mib": max(v for run in runs for v in run["worker_peak_rss_mib"].values()),
    }
    result = {"argon2": args.cost, "cpus": os.cpu_count(), "instances": 2, "gunicorn_workers_each": args.workers,
              "connections_per_worker": args.connections, "concurrency": args.concurrency,
              "set_up": setup, "runs": runs, "summary": summary,
              "targets": {"errors": 0, "p99_ms_below": TARGET_P99_MS, "noise": NOISE}}
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "morning.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    print()
    print(f"morning peak: argon2 {args.cost}, {os.cpu_count()} CPUs, 2 instances × {args.workers} gunicorn worker(s) "
          f"behind nginx, PostgreSQL and Redis shared, concurrency {args.concurrency}")
    print(f"{'directory':>22} {'flows':>6} {'s':>6} {'flows/s':>8} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} "
          f"{'errors':>6} {'prov':>6} {'slapd':>6} {'pg':>5} {'redis':>5} {'nginx':>5} {'busy':>5} {'MiB':>6} "
          f"{'priv':>5}")
    for run in runs:
        services = run["services_cpu_ms_per_flow"]
        latency = run["latency_ms"]
        print(f"{run['name']:>22} {run['flows']:>6} {run['seconds']:>6.0f} {run['flows_per_second']:>8.2f} "
              f"{_f(latency['p50']):>6} {_f(latency['p95']):>6} {_f(latency['p99']):>6} {_f(latency['max']):>6} "
              f"{run['errors']:>6} {_f(run['provider_cpu_ms_per_flow']):>6} {_f(run['slapd_cpu_ms_per_flow']):>6} "
              f"{_f(services['postgres']):>5} {_f(services['redis']):>5} {_f(services['nginx']):>5} "
              f"{run['machine_cpu_busy'] * 100:>4.0f}% {max(run['worker_peak_rss_mib'].values()):>6.1f} "
              f"{max(run['worker_private_mib'].values()):>5.1f}")
    print("  (latency in ms of a complete flow; CPU in ms per flow: prov = both instances, pg = PostgreSQL)")
    for run in runs:
        steps = "  ".join(f"{step} {_f(ms)}" for step, ms in run["step_median_ms"].items())
        print(f"  {run['name']}: median ms per step: {steps}")
        if run["error_kinds"]:
            print(f"  {run['name']}: errors {run['error_kinds']}")
        if (run["other_processes_cpu_share"] or 0) > 0.05:
            print(f"  {run['name']}: warning: other processes used {run['other_processes_cpu_share']:.0%} of the CPU")
    print(f"département: {large['flows']} of {large['people']} people signed in, {large['errors']} errors, "
          f"p99 {_f(large['latency_ms']['p99'])} ms (target < {TARGET_P99_MS:.0f})")
    for run, lines in ((large, comparison), (large_fifty, size_alone)):
        print(f"{run['name']} against 50 accounts (the two runs on 50 accounts: their mean, and how they differ):")
        for figure, line in lines.items():
            print(f"  {figure}: {_f(run[figure])} against {_f(line['small_mean'])} (× {line['ratio']}; "
                  f"{line['small_spread']:.0%}): {'equal within noise' if line['equal_within_noise'] else 'NOT equal'}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: every server stopped", file=sys.stderr)
        sys.exit(130)
