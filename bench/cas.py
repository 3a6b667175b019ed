"""Benchmark: CAS 3.0 sign-ins and ticket validations next to OpenID Connect sign-ins, in one run.

    .venv/bin/python bench/cas.py [--cost owasp|test] [--duration 20] [--concurrency 1,4,8]
                                  [--workers 2] [--connections 1000]

The set-up of signin.py (private slapd, accounts, `ent-idp serve`, one OpenID Connect
college app) plus one CAS app (`ent-idp cas add --name "Pronote bench" --service
http://127.0.0.1:9/pronote/ --attributes pronote`). Then, per concurrency level, against the
same provider and slapd, one after the other, `--duration` seconds each:

1. the OpenID Connect sign-in of signin.py, each from a new browser;
2. the CAS sign-in, each from a new browser: GET /cas/login?service=S → 302 to the login page →
   the page (hidden fields, CSRF token) → POST /connexion (one password verification) → 302
   to S?ticket=ST-… (not followed) → GET /cas/p3/serviceValidate?service=S&ticket=… over the
   app's own keep-alive connection → 200 with <cas:authenticationSuccess> and the login;
3. SSO tickets: from a browser signed in beforehand (not measured), GET /cas/login?service=S
   with the SSO cookie → 302 with a ticket → its validation;
4. validations alone: the tickets a signed-in browser was given beforehand (not measured, at
   most 25 s of them: they live 60 s), validated one after the other.

Target: the CAS sign-in costs the provider no more CPU than the OpenID Connect sign-in, at
every level of the same run. Prints a table and writes bench/results/cas.json.
"""
from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from signin import (  # noqa: E402
    COSTS,
    ENT_IDP,
    Bench,
    Browser,
    Exhausted,
    FlowError,
    Flows,
    OidcSignIns,
    _expect,
    _f,
    add_arguments,
    install_signal_handlers,
    levels_of,
    run_level,
    through_login_page,
    visitor_address,
    wait_for_ctrl_c,
)

SERVICE = "http://127.0.0.1:9/pronote/"
CAS_STEPS = ("cas_login", "login_page", "login_post", "validate")
SSO_STEPS = ("sso_login", "validate")
ISSUING_SECONDS = 25.0  # tickets live 60 s (cas.ticket_seconds): all validated well within it
TARGET_CAS_TO_OIDC = 1.0


def register_cas_app(config: Path) -> dict:
    done = subprocess.run(
        [str(ENT_IDP), "--config", str(config), "cas", "add", "--name", "Pronote bench", "--service", SERVICE,
         "--attributes", "pronote", "--json"],
        capture_output=True, text=True, cwd=config.parent,
        env={k: v for k, v in os.environ.items() if not k.startswith("ENT_IDP_")})
    if done.returncode != 0:
        raise RuntimeError(f"ent-idp cas add failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout)


# The flows

def ticket_in(location: str, step: str) -> str:
    """The service ticket of a redirect back to the CAS app."""
    if not location.startswith(SERVICE):
        raise FlowError(f"{step}: redirect elsewhere ({location[:60]})")
    ticket = parse_qs(urlsplit(location).query).get("ticket", [""])[0]
    if not ticket.startswith("ST-"):
        raise FlowError(f"{step}: no ticket")
    return ticket


def validate(app: Browser, ticket: str, login: str) -> None:
    """The app's server validates the ticket over its own connection (CAS 3.0, XML)."""
    response = app.request("GET", "/cas/p3/serviceValidate?" + urlencode({"service": SERVICE, "ticket": ticket}))
    _expect(response, "validate", 200)
    body = response.body.decode()
    if "<cas:authenticationSuccess>" not in body:
        code = re.search(r'<cas:authenticationFailure code="([^"]+)"', body)
        raise FlowError(f"validate: {code.group(1) if code else 'no authenticationSuccess'}")
    user = re.search(r"<cas:user>([^<]*)</cas:user>", body)
    if user is None or html.unescape(user.group(1)) != login:
        raise FlowError("validate: not the login that signed in")


def cas_sign_in(issuer: str, login: str, app: Browser, browser: Browser) -> dict[str, float]:
    """The complete CAS sign-in in `browser` (which keeps its cookies: the SSO session)."""
    steps: dict[str, float] = {}
    try:
        location = through_login_page(browser, issuer, "/cas/login?" + urlencode({"service": SERVICE}),
                                      "cas_login", login, SERVICE, steps, straight=True)
        ticket = ticket_in(location, "login_post")
        mark = time.perf_counter()
    finally:
        browser.close()
    validate(app, ticket, login)
    steps["validate"] = time.perf_counter() - mark
    return steps


def sso_ticket(issuer: str, browser: Browser) -> str:
    """A ticket for the signed-in `browser`, without the login page."""
    response = browser.request("GET", "/cas/login?" + urlencode({"service": SERVICE}))
    _expect(response, "sso_login", 302)
    return ticket_in(urljoin(issuer + "/", response.headers["location"]), "sso_login")


class CasSignIns(Flows):
    """The complete CAS sign-in, each from a new browser."""

    name = "cas"
    steps = CAS_STEPS

    def one(self, issuer: str, login: str, app: Browser, source: str) -> dict[str, float]:
        return cas_sign_in(issuer, login, app, Browser(issuer, source))


class SsoTickets(Flows):
    """A ticket from a browser signed in before the level, then its validation."""

    name = "sso"
    steps = SSO_STEPS

    def prepare(self, issuer: str, slot: int, slots: int, logins: list[str], app: Browser, duration: float) -> None:
        self.login = logins[slot % len(logins)]
        self.browser = Browser(issuer, visitor_address(slot, 0))  # flows of the other levels start at 1
        cas_sign_in(issuer, self.login, app, self.browser)

    def one(self, issuer: str, login: str, app: Browser, source: str) -> dict[str, float]:
        began = time.perf_counter()
        ticket = sso_ticket(issuer, self.browser)
        mark = time.perf_counter()
        validate(app, ticket, self.login)
        return {"sso_login": mark - began, "validate": time.perf_counter() - mark}


class Validations(SsoTickets):
    """The validation alone: tickets given to a signed-in browser before the level."""

    name = "validation"
    steps = ("validate",)

    def prepare(self, issuer: str, slot: int, slots: int, logins: list[str], app: Browser, duration: float) -> None:
        super().prepare(issuer, slot, slots, logins, app, duration)
        self.tickets: list[str] = []
        deadline = time.monotonic() + min(duration, ISSUING_SECONDS)
        while time.monotonic() < deadline:
            self.tickets.append(sso_ticket(issuer, self.browser))
        self.tickets.reverse()  # the oldest first

    def one(self, issuer: str, login: str, app: Browser, source: str) -> dict[str, float]:
        if not self.tickets:
            raise Exhausted()
        began = time.perf_counter()
        validate(app, self.tickets.pop(), self.login)
        return {"validate": time.perf_counter() - began}


# Main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    add_arguments(parser)
    args = parser.parse_args()
    levels = levels_of(args)
    context = multiprocessing.get_context("fork")
    install_signal_handlers()
    kinds: list[Flows] = []
    registered: dict = {}

    with tempfile.TemporaryDirectory(prefix="bench-cas-") as folder, ExitStack() as stack:
        bench = Bench(args, Path(folder), stack,
                      before_serve=lambda config: registered.update(register_cas_app(config)))
        print(f"  CAS app {registered.get('id')}: {SERVICE} (attributes {registered.get('attributes', '?')})",
              flush=True)
        kinds = [OidcSignIns(*bench.client), CasSignIns(), SsoTickets(), Validations()]
        if args.warmup > 0:
            for work in kinds[:3]:
                warm = run_level(context, max(levels), args.warmup, bench.url, work, bench.logins, None)
                print(f"  warm-up {work.name}: {warm['flows']} flows, {warm['errors']} errors "
                      f"{warm['error_kinds'] or ''}", flush=True)
        results = []
        for concurrency in levels:
            level: dict = {"concurrency": concurrency}
            for work in kinds:
                print(f"concurrency {concurrency}, {work.name}: {args.duration:.0f} s…", flush=True)
                level[work.name] = run_level(context, concurrency, args.duration, bench.url, work, bench.logins,
                                             bench.meter)
            results.append(level)
        slapd_peak = bench.slapd_peak_mib()
        if args.keep:
            wait_for_ctrl_c()
    report(args, results, slapd_peak)


def report(args: argparse.Namespace, results: list[dict], slapd_peak: float) -> None:
    for level in results:
        oidc, cas = level["oidc"]["provider_cpu_ms_per_flow"], level["cas"]["provider_cpu_ms_per_flow"]
        level["cas_to_oidc_provider_cpu"] = round(cas / oidc, 3) if oidc and cas else None
        sso, alone = level["sso"]["provider_cpu_ms_per_flow"], level["validation"]["provider_cpu_ms_per_flow"]
        # what a ticket for a signed-in browser costs without its validation (the difference)
        level["sso_ticket_alone_provider_cpu_ms"] = round(sso - alone, 2) if sso and alone else None
    ratios = [level["cas_to_oidc_provider_cpu"] for level in results]
    worst = max((r for r in ratios if r is not None), default=None)
    cost = COSTS[args.cost]
    summary = {
        "cas_to_oidc_provider_cpu_worst": worst,
        "target_met": worst is not None and worst <= TARGET_CAS_TO_OIDC,
        "errors": {kind: sum(level[kind]["errors"] for level in results) for kind in ("oidc", "cas", "sso",
                                                                                          "validation")},
    }
    result = {
        "argon2": {"name": args.cost, "memory_kib": cost.memory_kib, "iterations": cost.iterations,
                   "parallelism": cost.parallelism},
        "cpus": os.cpu_count(), "gunicorn_workers": args.workers, "connections_per_worker": args.connections,
        "accounts": args.accounts, "seconds_per_level": args.duration, "cas_service": SERVICE,
        "levels": results, "slapd_peak_rss_mib": slapd_peak, "summary": summary,
        "targets": {"cas_to_oidc_provider_cpu_at_most": TARGET_CAS_TO_OIDC},
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "cas.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    print()
    print(f"CAS and OpenID Connect: argon2 {args.cost} (m={cost.memory_kib} t={cost.iterations} "
          f"p={cost.parallelism}), {os.cpu_count()} CPUs, gunicorn {args.workers} workers × {args.connections} "
          f"connections, {args.accounts} accounts, {args.duration:.0f} s per flow and level")
    print(f"{'':>4} {'—— OIDC sign-in ——':^27} {'—— CAS sign-in ——':^27} {'':>8} "
          f"{'SSO ticket + valid.':^20} {'validation alone':^20}")
    print(f"{'conc':>4} {'flows/s':>8} {'p50 ms':>7} {'prov ms':>8}   {'flows/s':>8} {'p50 ms':>7} {'prov ms':>8}   "
          f"{'CAS/OIDC':>8} {'/s':>9} {'prov ms':>9}  {'/s':>9} {'prov ms':>9}  {'errors':>11}")
    for level in results:
        o, c, s, v = (level[k] for k in ("oidc", "cas", "sso", "validation"))
        errors = "/".join(str(level[k]["errors"]) for k in ("oidc", "cas", "sso", "validation"))
        print(f"{level['concurrency']:>4} {o['flows_per_second']:>8.2f} {_f(o['latency_ms']['p50']):>7} "
              f"{_f(o['provider_cpu_ms_per_flow']):>8}   {c['flows_per_second']:>8.2f} {_f(c['latency_ms']['p50']):>7} "
              f"{_f(c['provider_cpu_ms_per_flow']):>8}   {_f(level['cas_to_oidc_provider_cpu']):>8} "
              f"{s['flows_per_second']:>9.1f} {_f(s['provider_cpu_ms_per_flow']):>9}  "
              f"{v['flows_per_second']:>9.1f} {_f(v['provider_cpu_ms_per_flow']):>9}  {errors:>11}")
    print("  (prov ms: the provider's CPU per flow, per SSO ticket + validation, per validation; errors: "
          "OIDC/CAS/SSO/validation)")
    for level in results:
        for kind in ("oidc", "cas", "sso", "validation"):
            measure = level[kind]
            steps = "  ".join(f"{step} {_f(ms)}" for step, ms in measure["step_median_ms"].items())
            print(f"  c={level['concurrency']} {kind:<10} median ms per step: {steps};  slapd "
                  f"{_f(measure['slapd_cpu_ms_per_flow'])} ms/flow, drivers {_f(measure['driver_cpu_ms_per_flow'])} "
                  f"ms/flow, busy {measure['machine_cpu_busy'] * 100:.0f}%")
            if measure["error_kinds"]:
                print(f"  c={level['concurrency']} {kind} errors: {measure['error_kinds']}")
            if (measure["other_processes_cpu_share"] or 0) > 0.05:
                print(f"  c={level['concurrency']} {kind} warning: other processes used "
                      f"{measure['other_processes_cpu_share']:.0%} of the machine's CPU during this level; throughput "
                      "and latency are understated")
            if measure["workers_replaced"]:
                print(f"  c={level['concurrency']} {kind}: gunicorn workers replaced: {measure['workers_replaced']}")
    print(f"CAS / OIDC provider CPU per sign-in: {_f(worst)} at worst (target ≤ {TARGET_CAS_TO_OIDC:.0f}: "
          f"{'met' if summary['target_met'] else 'not met'})")
    print(f"slapd peak memory    {slapd_peak:8.1f} MiB")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: provider and slapd stopped", file=sys.stderr)
        sys.exit(130)
