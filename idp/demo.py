"""`ent-idp demo` and `ent-idp directory start`: everything on one machine, in one folder."""
from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from idp.config import Settings, load_settings
from idp.directory import AccountState, Directory
from idp.directory.errors import SlapdError
from idp.directory.slapd import Argon2Cost, MultiProviderSlapd, PrivateSlapd, free_port
from idp.provisioning.codes import new_activation_code, printed
from idp.services import Services

DEMO_ARGON2 = Argon2Cost(memory_kib=19456, iterations=2, parallelism=1)
DEMO_SCHOOLS = {"0770001H": "Collège Les Tilleuls", "0770942F": "Collège Jean Moulin"}
DEMO_CODE_DAYS = 90
DEMO_COLLEGES = (("demo-college", "Collège Les Tilleuls — Vie scolaire"),
                 ("demo-college-2", "Collège Jean Moulin — Cahier de textes"))
"""Two college apps, so that a person sees the second one sign them in without a login."""
DEMO_CAS_APP = ("Pronote — Collège Les Tilleuls (démonstration)", "0770001H")
"""A college app that signs in with CAS, as Pronote does (name, the school whose home page shows it)."""


def serve_directory(data_dir: Path, *, port: int, replicas: int = 1) -> None:
    """A private slapd in `data_dir` until Ctrl-C; writes `data_dir/idp.toml` for the other commands.

    With `replicas` > 1, that many slapd replicating each other (multi-provider) on
    `port`, `port` + 1…, in `data_dir/provider-N`; idp.toml lists all their URLs.
    """
    slapd: PrivateSlapd | MultiProviderSlapd
    if replicas > 1:
        slapd = MultiProviderSlapd(data_dir, port=port, count=replicas)
    else:
        if (data_dir / "provider-1").exists():
            raise SlapdError(f"{data_dir} contient un annuaire répliqué : relancez avec --replicas "
                             f"{len(list(data_dir.glob('provider-*')))} ou choisissez un autre dossier (--data-dir)")
        slapd = PrivateSlapd(data_dir, port=port)
    import signal

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    slapd.start()
    # A SIGTERM that comes before _wait_for_stop listens is a clean stop too.
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        config = write_settings(data_dir, slapd, demo=False)
        if isinstance(slapd, MultiProviderSlapd):
            print(f"Annuaire OpenLDAP répliqué ({slapd.base_dn}), {replicas} fournisseurs :")
            for provider in slapd.providers:
                print(f"  serverID {provider.server_id} : {provider.url}, pid {provider.pid} ({provider.data_dir})")
        else:
            print(f"Annuaire OpenLDAP : {slapd.url} ({slapd.base_dn}), pid {slapd.pid}")
        print(f"Réglages : {config}  (ent-idp --config {config} accounts …)")
        print("Ctrl-C pour arrêter.", flush=True)
        _wait_for_stop()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        code = slapd.stop()
        print(f"Annuaire arrêté (code {code}).")


def run_demo(data_dir: Path, *, host: str, port: int, college_port: int | None = None,
             federation: bool = False) -> None:
    """The README's run command ends here: directory, demo accounts, provider, and a
    demo college app that signs in through it. `federation`: the demo ÉduConnect and
    FranceConnect too (idp.demo_federation)."""
    from idp.app import create_app
    from idp.demo_cas_app import create_cas_app
    from idp.demo_college import create_demo_college
    from idp.http_server import apply_lockout_policy, serve_until_stopped

    college_port = college_port or port + 1
    cas_port = college_port + len(DEMO_COLLEGES)
    federation_ports = (cas_port + 1, cas_port + 2) if federation else ()
    for wanted, option in ((port, "--port"), *((college_port + index, "--college-port")
                                               for index in range(len(DEMO_COLLEGES) + 1 + len(federation_ports)))):
        if _port_in_use(host, wanted):
            raise SlapdError(f"le port {wanted} est déjà utilisé : choisissez-en un autre ({option})")
    data_dir.mkdir(parents=True, exist_ok=True)
    slapd = PrivateSlapd(data_dir / "ldap", port=free_port(), argon2=DEMO_ARGON2, demo_people=True)
    created = not slapd.built
    slapd.start()
    try:
        public_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        issuer = f"http://{public_host}:{port}"
        college_urls = [f"http://{public_host}:{college_port + index}" for index in range(len(DEMO_COLLEGES))]
        national = None
        if federation:
            from idp.demo_federation import DemoFederation
            educonnect_url, franceconnect_url = (f"http://{public_host}:{wanted}" for wanted in federation_ports)
            national = DemoFederation.at(educonnect_url, franceconnect_url, issuer, data_dir / "federation")
        config = write_settings(data_dir, slapd, demo=True, issuer=issuer, partners={
            name.split(" — ")[0]: url for (_, name), url in zip(DEMO_COLLEGES, college_urls, strict=True)},
            extra=national.settings_lines() if national else ())
        settings = load_settings(config)
        demo_file = data_dir / "demo.json"
        if created or not demo_file.exists():
            write_demo_file(demo_file, settings, Services(settings).directory)
        apply_lockout_policy(settings)
        app = create_app(settings)
        sites = [(app, host, port)]
        for (client_id, name), url in zip(DEMO_COLLEGES, college_urls, strict=True):
            with app.app_context():
                college = register_demo_college(demo_file, client_id, name, url)
            # Each app signs its own cookies with a key of its own: never the provider's.
            sites.append((create_demo_college(issuer=settings.issuer, client_id=client_id, name=name,
                                              client_secret=college["client_secret"], base_url=url,
                                              secret_key=secrets.token_urlsafe(32)),
                          host, int(url.rsplit(":", 1)[1])))
        cas_url = f"http://{public_host}:{cas_port}/"
        with app.app_context():
            register_demo_cas_app(demo_file, DEMO_CAS_APP[0], cas_url, DEMO_CAS_APP[1])
        sites.append((create_cas_app(settings.issuer, cas_url, secrets.token_urlsafe(32)), host, cas_port))
        if national is not None:
            sites += [(site, host, site_port) for site, site_port in
                      national.demo_sites(app, Services(settings).directory, demo_file)]

        def ready() -> None:
            print(f"{settings.ent_name} (démonstration) : {settings.issuer}")
            for (_, name), url in zip(DEMO_COLLEGES, college_urls, strict=True):
                print(f"Application de collège de démonstration « {name} » : {url}")
            print(f"Application CAS de démonstration « {DEMO_CAS_APP[0]} » : {cas_url}")
            if national is not None:
                print(f"ÉduConnect (démonstration) : {national.educonnect_url}, "
                      f"FranceConnect (démonstration) : {national.franceconnect_url}")
            print(f"Comptes de démonstration : {demo_file}")
            print(f"Réglages : {config}  (ent-idp --config {config} accounts …)")
            print("Ctrl-C pour arrêter.", flush=True)

        serve_until_stopped(sites, on_ready=ready)
    finally:
        slapd.stop()
        print("Démonstration arrêtée.")


def write_settings(data_dir: Path, slapd: PrivateSlapd | MultiProviderSlapd, *, demo: bool, issuer: str | None = None,
                   partners: dict[str, str] | None = None, extra: Sequence[str] = ()) -> Path:
    """`data_dir/idp.toml`: the settings of this instance (kept secret: owner only)."""
    path = data_dir / "idp.toml"
    secret_key = _existing_secret_key(path) or secrets.token_urlsafe(48)
    lines = [
        "# Written by ent-idp for the instance in this folder.",
        f"demo = {str(demo).lower()}",
        f"secret_key = {json.dumps(secret_key)}",
        'instance_dir = "instance"',
    ]
    if issuer:
        lines.append(f"issuer = {json.dumps(issuer)}")
    if demo:
        lines.append(f"sms_gateway = {json.dumps((data_dir / 'sms').resolve().as_uri())}")
        lines.append('rate_limit_exempt = "127.0.0.1"  # the conformance suite, run from this machine')
        lines += ["", "[schools]"] + [f'"{uai}" = {json.dumps(name)}' for uai, name in DEMO_SCHOOLS.items()]
        lines += ["", "[help_desks]"] + [f'"{uai}" = "vie-scolaire.{uai.lower()}@college.example.fr"'
                                         for uai in DEMO_SCHOOLS]
    if partners:
        lines += ["", "[partners]"] + [f"{json.dumps(name)} = {json.dumps(url)}" for name, url in partners.items()]
    lines += [*extra,
        "", "[ldap]",
        f"url = {json.dumps(slapd.url)}",
        f"base_dn = {json.dumps(slapd.base_dn)}",
        f"bind_dn = {json.dumps(slapd.admin_dn)}",
        f"bind_password = {json.dumps(slapd.admin_password)}",
    ]
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def write_demo_file(path: Path, settings: Settings, directory: Directory) -> None:
    """Gives every demo account a fresh secret and lists them in demo.json (CONTRACTS.md)."""
    from datetime import datetime, timedelta

    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=DEMO_CODE_DAYS)
    accounts: list[dict[str, Any]] = []
    for account in directory.accounts():
        entry: dict[str, Any] = {
            "login": account.login, "profile": account.profile.value,
            "given_name": account.given_name, "surname": account.surname,
            "school": account.schools[0] if account.schools else None,
            "state": account.stored_state.value,
        }
        if account.stored_state is AccountState.PENDING:
            code = new_activation_code()
            directory.issue_activation_code(account.login, code, expires)
            entry["activation_code"] = printed(code)
        else:
            password = f"Ent77-{secrets.token_hex(4)}"
            directory.set_password(account.login, password)
            entry["password"] = password
        accounts.append(entry)
    accounts.sort(key=lambda entry: (entry["state"] != "pending", entry["login"] != "daniele.adams", entry["login"]))
    content = {
        "issuer": settings.issuer,
        "clients": [],
        "cas_services": [],
        "accounts": accounts,
        "outbox_dir": settings.outbox_dir,
    }
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)


def register_demo_college(demo_file: Path, client_id: str, name: str, base_url: str) -> dict[str, Any]:
    """The demo college app as a client of the provider (kept across runs), listed in demo.json."""
    from idp import clients
    from idp.demo_college import BACKCHANNEL_LOGOUT_PATH
    from idp.services import services

    store = services().store
    content = json.loads(demo_file.read_text(encoding="utf-8"))
    known = {client["client_id"]: client for client in content.get("clients", [])}
    redirect_uris = [base_url + "/callback"]
    try:
        existing = clients.find(store, client_id)
    except clients.ClientError:
        existing = None
    if existing is not None and client_id in known:
        with store.transaction():
            existing.redirect_uris = redirect_uris
            existing.post_logout_redirect_uris = [base_url + "/"]
            existing.backchannel_logout_uri = base_url + BACKCHANNEL_LOGOUT_PATH
        entry = {**known[client_id], "redirect_uris": redirect_uris, "url": base_url}
    else:
        if existing is not None:
            clients.remove(store, client_id)
        registered = clients.register(store, name=name, redirect_uris=redirect_uris,
                                      post_logout_redirect_uris=[base_url + "/"], client_id=client_id,
                                      backchannel_logout_uri=base_url + BACKCHANNEL_LOGOUT_PATH)
        entry = {"name": name, "client_id": client_id, "client_secret": registered.client_secret,
                 "redirect_uris": redirect_uris, "url": base_url}
    known[client_id] = entry
    content["clients"] = list(known.values())
    demo_file.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return entry


def register_demo_cas_app(demo_file: Path, name: str, service_url: str, school: str) -> dict[str, Any]:
    """The demo CAS app as a registered CAS service (kept across runs while its address stays
    the same), listed in demo.json under `cas_services`."""
    from idp.cas import services as cas_services
    from idp.services import services

    store = services().store
    content = json.loads(demo_file.read_text(encoding="utf-8"))
    kept = [entry for entry in content.get("cas_services", []) if entry.get("name") == name]
    registered = {record.id for record in cas_services.list_services(store)}
    if kept and kept[0]["service"] == service_url and kept[0]["id"] in registered:
        entry = kept[0]
    else:
        for old in kept:
            if old["id"] in registered:
                cas_services.remove(store, old["id"])
        record = cas_services.add(store, name=name, services=[service_url], attributes="pronote", schools=(school,))
        entry = {"id": record.id, "name": name, "service": service_url, "url": service_url}
    content["cas_services"] = [entry, *(other for other in content.get("cas_services", []) if other["name"] != name)]
    demo_file.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return entry


def _existing_secret_key(path: Path) -> str | None:
    if not path.exists():
        return None
    import tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("secret_key")
    except tomllib.TOMLDecodeError:
        return None


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1" if host in ("0.0.0.0", "") else host, port)) == 0


def _wait_for_stop() -> None:
    import signal
    import threading

    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sys.stdout.flush()
