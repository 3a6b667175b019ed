"""Fixtures of the guide-conformance suite: a real instance (private slapd, SMTP server,
provider and two college apps, each a real server on this machine) and Chromium.

Each test is one guide step, named by its id (`test_A6_...`); after it runs, a screenshot
of the page is saved under the report folder (`ENT_IDP_CONFORMANCE_REPORT`, default
`conformance-report/`) with `report.json`, which the HTML report is built from.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Locator, Page
from werkzeug.serving import make_server

from conformance import accessibility
from conformance.guides import STEPS
from idp import clients
from idp.app import create_app
from idp.cas import services as cas_services
from idp.config import load_settings
from idp.demo import DEMO_CAS_APP
from idp.demo_cas_app import create_cas_app
from idp.demo_college import BACKCHANNEL_LOGOUT_PATH, create_demo_college
from idp.demo_federation import DemoFederation, educonnect_identity
from idp.demo_franceconnect import FranceConnectIdentity
from idp.directory import AccountNotFound, Directory, NewAccount, Profile, connect
from idp.directory.slapd import Argon2Cost, Lockout, PrivateSlapd, free_port
from idp.http_server import closing_bodies
from idp.provisioning.codes import new_activation_code, printed
from idp.provisioning.service import Provisioner
from idp.services import Services, services
from idp.store import federation as national_links

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REPORT_DIR = Path(os.environ.get("ENT_IDP_CONFORMANCE_REPORT", "conformance-report"))
SCHOOL = "0770001H"
PASSWORD = "Tilleul2026"
HELP_DESK = "vie-scolaire@tilleuls.example.fr"
PERSONA = ("Hélène", "Martin")
PERSONA_BIRTH_DATE = "1983-06-21"
"""What FranceConnect's pivot identity of the persona says, and her account too."""
"""The person of the guides' pictures: each step that needs one account gets hers, made again
for it (the suite removes the account it made for the step before, which frees the login), so
that every screenshot shows the same name and login."""


class Mailbox:
    """An SMTP server's received messages (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def _waited(probe, seconds: float = 15.0):  # type: ignore[no-untyped-def]
    """What `probe()` gives once it is not empty, or after `seconds` (then empty)."""
    deadline = time.monotonic() + seconds
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@dataclass
class Person:
    login: str
    given_name: str
    surname: str
    secret: str
    """The activation code (pending) or the password (active)."""


@dataclass
class NationalPerson:
    """Someone ÉduConnect or FranceConnect knows, whose ENT account is `login`."""

    username: str
    password: str
    login: str
    secret: str | None
    """The account's activation code while it is pending (its password once active, when known)."""


@dataclass
class NationalIdentities:
    """The instance's ÉduConnect and FranceConnect, and how the suite gets people both know."""

    listed: dict[str, list[dict]] = field(default_factory=dict)
    """`federation` of the accounts file (demo.json): provider → identities."""
    reset: Callable[[str], str] | None = None
    """With the directory: an account made pending again (its national links removed); its new code."""
    add: dict[str, Callable[[Any], None]] = field(default_factory=dict)
    """Local instance: makes a person known to the provider's demo."""


@dataclass
class CollegeApp:
    name: str
    url: str


@dataclass
class Instance:
    """The ENT under test and where its test accounts and messages come from."""

    base_url: str
    source: str
    colleges: list[CollegeApp]
    cas_apps: list[CollegeApp] = field(default_factory=list)
    """Apps that sign in with CAS (the demo's « Pronote »)."""
    provisioner: Provisioner | None = None
    """Set when the suite may create accounts in the directory (local instance, or --config)."""
    pool: list[dict] = field(default_factory=list)
    """Accounts from an accounts file (demo.json format), used up as tests need them."""
    mailbox: Mailbox | None = None
    outbox_dir: Path | None = None
    sms_dir: Path | None = None
    help_desk: str | None = None
    remove: Callable[[str], None] | None = None
    """Removes an account the suite made, its sessions ended (set with the provisioner)."""
    made: dict[tuple[str, str], str] = field(default_factory=dict)
    """Logins of the accounts the suite made, by (given name, surname)."""
    national: NationalIdentities = field(default_factory=NationalIdentities)

    def national_person(self, provider: str) -> NationalPerson:
        """A pending parent account and its person's identity at `provider` (educonnect or
        franceconnect): the persona's, made known to the local demo; or one of the accounts file."""
        adding = self.national.add.get(provider)
        if adding is not None and self.provisioner is not None:
            person = self.pending(Profile.PARENT)
            directory = self.provisioner.directory
            account = directory.get(person.login)
            key = f"77{secrets.randbelow(10 ** 6):06d}"
            directory.update_from_feed(person.login, replace(NewAccount.of(account), join_key=key,
                                                             birth_date=PERSONA_BIRTH_DATE))
            username = f"{provider}.{person.login}"
            if provider == "educonnect":
                identity: Any = educonnect_identity(username, person.given_name, person.surname, key)
            else:
                identity = FranceConnectIdentity(username, "Fc-" + secrets.token_hex(4), person.given_name,
                                                 person.surname.upper(), PERSONA_BIRTH_DATE,
                                                 email=f"{person.login}@example.fr")
            adding(identity)
            return NationalPerson(username, identity.password, person.login, person.secret)
        listed = self.national.listed.get(provider, [])
        if not listed:
            pytest.skip(f"non exécuté : le fichier de comptes ne donne pas d’identité {provider} "
                        "(ent-idp demo --federation en donne)")
        entry = next((entry for entry in listed if entry.get("state") == "pending"), listed[0])
        if self.national.reset is not None:
            return NationalPerson(entry["username"], entry["password"], entry["login"],
                                  self.national.reset(entry["login"]))
        known = next((account for account in self.pool if account.get("login") == entry["login"]), {})
        if known.get("state") != "pending":
            pytest.skip("non exécuté : le compte de cette identité n’est plus en attente d’activation (--config "
                        "permet de le remettre en attente)")
        return NationalPerson(entry["username"], entry["password"], entry["login"], known.get("activation_code"))

    def college(self, index: int) -> CollegeApp:
        if index >= len(self.colleges):
            pytest.skip(f"non exécuté : cette étape demande {index + 1} applications de collège, "
                        f"{len(self.colleges)} connue(s) pour ce déploiement")
        return self.colleges[index]

    def cas_app(self, index: int) -> CollegeApp:
        if index >= len(self.cas_apps):
            pytest.skip(f"non exécuté : cette étape demande {index + 1} application(s) CAS, "
                        f"{len(self.cas_apps)} connue(s) pour ce déploiement")
        return self.cas_apps[index]

    def messages(self) -> list[Message]:
        """Mail the ENT sent: received by the suite's SMTP server, or written to the outbox folder."""
        if self.mailbox is not None:
            return list(self.mailbox.messages)
        if self.outbox_dir is not None and self.outbox_dir.exists():
            return [message_from_bytes(path.read_bytes()) for path in sorted(self.outbox_dir.glob("*.eml"))]
        pytest.skip("non exécuté : aucune boîte aux lettres lisible pour ce déploiement (--outbox)")

    def mail_to(self, address: str) -> list[str]:
        """Text parts of the mail received for `address`, waiting a while for the first (the
        ENT sends mail in the background)."""
        def received() -> list[str]:
            return [part.get_payload(decode=True).decode() for message in self.messages()
                    if message["To"] == address for part in message.walk()
                    if part.get_content_type() == "text/plain"]
        return _waited(received)

    def sms_to(self, number: str) -> Path:
        """The SMS the gateway wrote for `number` (waiting a while: sent in the background)."""
        if self.sms_dir is None:
            pytest.skip("non exécuté : pas de passerelle SMS lisible pour ce déploiement")
        sms_dir = self.sms_dir
        return _waited(lambda: [path for path in sorted(sms_dir.glob("*")) if number in path.read_text()])[-1]

    def pending(self, profile: Profile = Profile.PARENT, given_name: str = PERSONA[0],
                surname: str = PERSONA[1]) -> Person:
        """A new account, as the school's letter gives it: login and activation code."""
        if self.provisioner is None:
            return self._from_pool("pending", profile)
        earlier = self.made.pop((given_name, surname), None)
        if earlier is not None and self.remove is not None:
            with contextlib.suppress(AccountNotFound):
                self.remove(earlier)
        created = self.provisioner.add(NewAccount(given_name, surname, profile, (SCHOOL,)))
        self.made[(given_name, surname)] = created.login
        return Person(created.login, given_name, surname, created.activation_code)

    def active(self, profile: Profile = Profile.TEACHER, given_name: str = PERSONA[0], surname: str = PERSONA[1],
               mobile: str | None = None) -> Person:
        """An account already activated, with PASSWORD and the e-mail `<login>@example.fr`."""
        if self.provisioner is None:
            if mobile:
                pytest.skip("non exécuté : le fichier de comptes ne donne pas de compte avec un mobile connu")
            return self._from_pool("active", profile)
        person = self.pending(profile, given_name, surname)
        self.provisioner.directory.activate(person.login, password=PASSWORD,
                                            recovery_email=f"{person.login}@example.fr",
                                            mobile=mobile, terms_version="2026-09")
        return Person(person.login, given_name, surname, PASSWORD)

    def _from_pool(self, state: str, profile: Profile) -> Person:
        for entry in self.pool:
            if entry.get("state") == state and entry.get("profile") == profile.value:
                self.pool.remove(entry)
                secret = entry.get("activation_code") if state == "pending" else entry.get("password")
                return Person(entry["login"], entry.get("given_name", ""), entry.get("surname", ""), secret)
        pytest.skip(f"non exécuté : plus de compte « {profile.value} » ({state}) dans le fichier de comptes")


def _serve(app, port: int) -> tuple[object, threading.Thread]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", port, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="session")
def ent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """The ENT under test: `ENT_IDP_CONFORMANCE_BASE_URL` (set by `ent-idp conformance`), or a
    whole ENT started on this machine for the session."""
    base_url = os.environ.get("ENT_IDP_CONFORMANCE_BASE_URL")
    if base_url:
        yield _deployment(base_url.rstrip("/"))
        return
    yield from _local_instance(tmp_path_factory.mktemp("ent"))


def _deployment(base_url: str) -> Instance:
    """A running deployment. With its settings file (ENT_IDP_CONFIG), accounts are created in
    its directory and its outbox and SMS folders are read; with an accounts file only
    (ENT_IDP_CONFORMANCE_ACCOUNTS), its accounts are used up one per step."""
    accounts_file = os.environ.get("ENT_IDP_CONFORMANCE_ACCOUNTS")
    listed = json.loads(Path(accounts_file).read_text(encoding="utf-8")) if accounts_file else {}
    colleges = [CollegeApp(client.get("name", ""), client["url"].rstrip("/"))
                for client in listed.get("clients", []) if client.get("url")]
    cas_apps = [CollegeApp(app.get("name", ""), app["url"]) for app in listed.get("cas_services", []) if app.get("url")]
    outbox = os.environ.get("ENT_IDP_CONFORMANCE_OUTBOX") or listed.get("outbox_dir")
    instance = Instance(base_url, "déploiement (fichier de comptes)", colleges, cas_apps,
                        pool=list(listed.get("accounts", [])), outbox_dir=Path(outbox) if outbox else None)
    instance.national.listed = {provider: list(found.get("identities", []))
                                for provider, found in listed.get("federation", {}).items()}
    config = os.environ.get("ENT_IDP_CONFIG")
    if config:
        settings = load_settings(config)
        ldap = settings.ldap
        directory = connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password, ldap.timeout)
        instance.provisioner = Provisioner(directory, settings.accounts.activation_code_days)
        built = Services(settings)
        instance.remove = functools.partial(built.accounts.remove, actor="conformance")
        instance.national.reset = functools.partial(_pending_again, directory, built)
        instance.source = "déploiement (accès à l’annuaire)"
        instance.help_desk = settings.help_desks.get(SCHOOL)
        if not settings.smtp_url and instance.outbox_dir is None:
            instance.outbox_dir = Path(settings.outbox_dir)
        if settings.sms_gateway.startswith("file://"):
            instance.sms_dir = Path(settings.sms_gateway[len("file://"):])
    return instance


def _pending_again(directory: Directory, built: Services, login: str) -> str:
    """The account back to pending with a new activation code, its national identities unlinked."""
    code = new_activation_code()
    directory.issue_activation_code(login, code, datetime.now(UTC) + timedelta(days=1))
    national_links.unlink_everything_of(built.store, login)
    return printed(code)


def _local_instance(folder: Path) -> Iterator[Instance]:
    slapd = PrivateSlapd(folder / "ldap", port=free_port(), argon2=Argon2Cost(1024, 1, 1), lockout=Lockout(5, 300))
    slapd.start()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port, college_ports, cas_port = free_port(), [free_port(), free_port()], free_port()
    base_url = f"http://127.0.0.1:{port}"
    national = DemoFederation.at(f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}", base_url,
                                 folder / "federation")
    colleges = [CollegeApp("Collège Les Tilleuls — Vie scolaire", f"http://127.0.0.1:{college_ports[0]}"),
                CollegeApp("Collège Jean Moulin — Cahier de textes", f"http://127.0.0.1:{college_ports[1]}")]
    config = folder / "idp.toml"
    config.write_text(
        f'issuer = "{base_url}"\nsecret_key = "{"c" * 48}"\ninstance_dir = "instance"\n'
        f'smtp_url = "smtp://127.0.0.1:{smtp.port}"\nrate_limits = false\n'
        f'sms_gateway = "file://{folder / "sms"}"\n'
        f'[help_desks]\n"{SCHOOL}" = "{HELP_DESK}"\n'
        f'[schools]\n"{SCHOOL}" = "Collège Les Tilleuls"\n'
        f'[partners]\n"Collège Les Tilleuls" = "{colleges[0].url}"\n'
        f'[ldap]\nurl = "{slapd.url}"\nbase_dn = "{slapd.base_dn}"\nbind_dn = "{slapd.admin_dn}"\n'
        f'bind_password = "{slapd.admin_password}"\n' + "\n".join(national.settings_lines()) + "\n",
        encoding="utf-8")
    app = create_app(load_settings(config, environ={}))
    servers = [_serve(app, port)]
    [(educonnect, educonnect_port), (franceconnect, franceconnect_port)] = national.sites(app, [], [])
    servers += [_serve(educonnect, educonnect_port), _serve(franceconnect, franceconnect_port)]
    known = NationalIdentities(add={
        "educonnect": lambda identity: educonnect.config["IDENTITIES"].__setitem__(identity.username, identity),
        "franceconnect": lambda identity: franceconnect.extensions["franceconnect_demo"].people.__setitem__(
            identity.username, identity)})
    for college, college_port in zip(colleges, college_ports, strict=True):
        with app.app_context():
            registered = clients.register(services().store, name=college.name,
                                          redirect_uris=[college.url + "/callback"],
                                          post_logout_redirect_uris=[college.url + "/"],
                                          backchannel_logout_uri=college.url + BACKCHANNEL_LOGOUT_PATH)
        servers.append(_serve(create_demo_college(issuer=base_url, client_id=registered.client.client_id,
                                                  client_secret=registered.client_secret, base_url=college.url,
                                                  secret_key="d" * 40), college_port))
    pronote = CollegeApp(DEMO_CAS_APP[0], f"http://127.0.0.1:{cas_port}/")
    with app.app_context():
        cas_services.add(services().store, name=pronote.name, services=[pronote.url], attributes="pronote")
    servers.append(_serve(create_cas_app(base_url, pronote.url, "p" * 40), cas_port))
    directory = connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)

    def remove(login: str) -> None:
        with app.app_context():
            services().accounts.remove(login, actor="conformance")
    yield Instance(base_url, "instance locale", colleges, [pronote], Provisioner(directory, 90), mailbox=mailbox,
                   sms_dir=folder / "sms", help_desk=HELP_DESK, remove=remove, national=known)
    for server, thread in servers:
        server.shutdown()
        thread.join()
    smtp.stop()
    slapd.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--disable-gpu", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 1000, "height": 900}}


def reopen_browser(browser: Browser, context: BrowserContext) -> Page:
    """What closing and reopening the browser does to cookies: those without an expiry
    (session cookies) are gone, persistent ones stay."""
    state = context.storage_state()
    state["cookies"] = [cookie for cookie in state["cookies"] if cookie.get("expires", -1) > 0]
    context.close()
    return browser.new_context(storage_state=state, locale="fr-FR").new_page()


def callout(page: Page, target: Locator, number: int | None = None) -> None:
    """Marks `target` on this step's screenshot: outlined, with the number of the guide's text
    (1), (2)… when it has one. Call it on the page the step ends on, once the element is where
    the guide shows it."""
    box, label = target.first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " const named = (e.labels && e.labels[0]) || e;"
        " const text = (e.getAttribute('aria-label') || named.innerText || '').trim().split('\\n')[0];"
        " const short = text.length > 80 ? text.slice(0, text.lastIndexOf(' ', 80)) + '…' : text;"
        " return [[r.x + scrollX, r.y + scrollY, r.width, r.height], short] }")
    marks = getattr(page, "ent_callouts", [])
    marks.append({"n": number, "box": [round(value) for value in box], "label": label})
    page.ent_callouts = marks  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def screenshot(request: pytest.FixtureRequest, page: Page) -> Iterator[None]:
    """After each step, a screenshot of the page it ended on and an entry of report.json.
    A step that opens another page (a reopened browser) sets `request.node.last_page`. Each
    page state is also checked for accessibility (conformance.accessibility): a violation
    fails the step."""
    accessibility.start()
    yield
    name = request.node.originalname
    step_id = name.split("_")[1]
    page = getattr(request.node, "last_page", page)
    shot = None
    file_name = request.node.name.replace("[chromium]", "").replace("[", "-").replace("]", "").replace("-chromium", "")
    phone_shot = None
    if not page.is_closed():
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        shot = REPORT_DIR / f"{file_name}.png"
        page.screenshot(path=str(shot), full_page=True)
        accessibility.check(page)
        phone_shot = REPORT_DIR / f"{file_name}-telephone.png"
        size = page.viewport_size
        page.set_viewport_size({"width": accessibility.SIZES[1][0], "height": accessibility.SIZES[1][1]})
        page.screenshot(path=str(phone_shot), full_page=True)
        if size:
            page.set_viewport_size(size)
    checked = accessibility.summary()
    outcome, message = getattr(request.node, "step_outcome", "not run"), getattr(request.node, "step_message", None)
    if checked["violations"] and outcome == "passed":
        outcome, message = "failed", accessibility.described(checked["violations"])
    step = STEPS.get(step_id)
    callspec = getattr(request.node, "callspec", None)
    param = next((str(v) for k, v in (callspec.params.items() if callspec else []) if k != "browser_name"), None)
    _append_report({
        "id": step_id, "param": param, "test": file_name,
        "guide": step.guide if step else None, "section": step.section if step else None,
        "words": step.words if step else "",
        "outcome": outcome,
        "duration": round(getattr(request.node, "step_duration", 0.0), 2),
        "message": message,
        "screenshot": shot.name if shot else None,
        "phone_screenshot": phone_shot.name if phone_shot else None,
        "accessibility": checked,
        "callouts": getattr(page, "ent_callouts", []) if not page.is_closed() else [],
        "heading": _heading(page),
    })
    if checked["violations"]:
        pytest.fail(accessibility.described(checked["violations"]), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.step_outcome = {"passed": "passed", "failed": "failed"}.get(report.outcome, "not run")  # type: ignore[attr-defined]
        item.step_duration = report.duration  # type: ignore[attr-defined]
        if report.failed:
            item.step_message = _short(str(report.longrepr))  # type: ignore[attr-defined]
        elif report.skipped:
            item.step_message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)  # type: ignore[attr-defined]


def _heading(page: Page) -> str | None:
    """The title a reader sees on the page the step ended on (its first h1), for the pictures'
    alternative texts."""
    if page.is_closed():
        return None
    heading = page.locator("h1").first
    return " ".join(heading.inner_text().split()) if heading.count() else None


def _short(longrepr: str) -> str:
    """The lines of a failure an auditor can read: the assertion and what was seen."""
    lines = [line[2:] if line.startswith("E ") else line for line in longrepr.splitlines() if line.startswith("E ")]
    return "\n".join(lines[:20]) or longrepr[-2000:]


_report_lock = threading.Lock()


def _append_report(entry: dict) -> None:
    with _report_lock:
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        path = REPORT_DIR / "report.json"
        entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        entries = [e for e in entries if e["test"] != entry["test"]] + [entry]
        path.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")


def new_code() -> str:
    return printed(new_activation_code())
