"""Settings: defaults < TOML file (`--config` / ENT_IDP_CONFIG) < ENT_IDP_* variables
(or ENT_IDP_*_FILE naming a file that holds the value, for secrets).

Every field documents itself; `load_settings` checks them all and reports every
problem at once, one line each, before anything starts.
"""
from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from idp.provisioning.schools import uai_problem
from idp.proxy import problems as proxy_problems
from idp.theme import colour_problem

ENV_PREFIX = "ENT_IDP_"


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def doc(text: str, default: Any = None, **kwargs: Any) -> Any:
    if "default_factory" in kwargs:
        return field(metadata={"doc": text}, **kwargs)
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class LdapSettings:
    url: str = doc("The directory: ldap://, ldaps:// or ldapi:// URL; several, space-separated, are tried in order.",
                   "ldap://127.0.0.1:389")
    base_dn: str = doc("Suffix of the directory; accounts live under ou=people.", "dc=ent77,dc=fr")
    bind_dn: str = doc("The provider's service account (needs write and manage on ou=people).", "")
    bind_password: str = doc("Its password.", "")
    timeout: int = doc("Seconds to wait for slapd before saying it is unavailable.", 5)


@dataclass(frozen=True)
class AccountSettings:
    activation_code_days: int = doc("Days an activation code stays valid.", 90)
    address_failures: int = doc("Wrong secrets for one login from one client address before that address is "
                                "refused for that login (the owner, elsewhere, still signs in).", 5)
    lockout_failures: int = doc("Wrong secrets for one login, from every address together, before it is refused "
                                "from everywhere; the directory's password policy locks at twice as many, as a "
                                "backstop (written to it when the provider starts).", 20)
    lockout_minutes: int = doc("How long those refusals (and the directory's lock) last.", 15)
    reset_link_minutes: int = doc("Validity of a password-reset link sent by mail (60 at most).", 60)
    recovery_messages_per_hour: int = doc("Reset mails or SMS sent for one account, and to one address or number, "
                                          "per hour; beyond, asking is answered as usual but nothing is sent.", 3)
    disabled_days: int = doc("Days a disabled account (gone from the académie's export) is kept before "
                             "`accounts import-aaf` removes it, freeing its login.", 365)


@dataclass(frozen=True)
class OidcSettings:
    code_seconds: int = doc("Lifetime of an authorization code (at most 600).", 60)
    access_token_seconds: int = doc("Lifetime of an access token.", 3600)
    id_token_seconds: int = doc("Lifetime of an ID token.", 3600)
    refresh_token_days: int = doc("Lifetime of a refresh token (each use gives a new one).", 30)
    jwks_cache_seconds: int = doc("How long apps may cache /jwks.json (its max-age): a key rotated in with "
                                  "`keys rotate` signs only once that time has passed.", 300)


@dataclass(frozen=True)
class CasSettings:
    ticket_seconds: int = doc("Lifetime of a CAS service or proxy ticket (at most 300): an app validates it at once.",
                              60)
    proxy_granting_ticket_minutes: int = doc("Lifetime of a CAS proxy-granting ticket (an app asking for proxy "
                                             "tickets on the person's behalf).", 120)


@dataclass(frozen=True)
class AafSettings:
    academie: str = doc("The académie whose AAF identifiers the directory's join keys are (e.g. CRE for Créteil): "
                        "ÉduConnect's FrEduCtRefId values of another académie name no one here; empty: any.", "")
    join_key_prefixed: bool = doc("Whether the join keys carry the académie (`CRE$1234567`, as several académies' "
                                  "exports do) or only its identifier (`1234567`).", False)


@dataclass(frozen=True)
class FranceConnectSettings:
    issuer: str = doc("FranceConnect's issuer (its OpenID Connect discovery is read there), e.g. "
                      "https://fcp-low.integ01.dev-franceconnect.fr/api/v2; empty: FranceConnect is off.", "")
    client_id: str = doc("The ENT's client id at FranceConnect.", "")
    client_secret: str = doc("Its client secret (ENT_IDP_FEDERATION_FRANCECONNECT_CLIENT_SECRET_FILE: from a file).",
                             "")
    acr_values: str = doc("The eIDAS level asked for and required in the ID token.", "eidas1")


@dataclass(frozen=True)
class EduConnectSettings:
    metadata: str = doc("ÉduConnect's SAML metadata (the identity provider's): a file, or an https:// URL read "
                        "again every day; empty: « Se connecter avec ÉduConnect » is off.", "")


@dataclass(frozen=True)
class FederationSettings:
    educonnect: EduConnectSettings = doc("ÉduConnect (SAML 2.0): the ENT is its service provider.",
                                         default_factory=EduConnectSettings)
    franceconnect: FranceConnectSettings = doc("FranceConnect (OpenID Connect): the ENT is its relying party.",
                                               default_factory=FranceConnectSettings)


@dataclass(frozen=True)
class SessionSettings:
    idle_minutes: int = doc("A browser session unused this long ends (« Se souvenir de moi » unchecked).", 120)
    absolute_hours: int = doc("A browser session ends this long after sign-in, used or not (unchecked).", 12)
    remember_days: int = doc("Lifetime of a session with « Se souvenir de moi » checked.", 30)


@dataclass(frozen=True)
class Settings:
    issuer: str = doc("Public base URL, the OIDC issuer: https, or http on loopback only.", "http://127.0.0.1:5000")
    secret_key: str = doc("Signing key for cookies and tokens (32 characters or more).", "")
    database_url: str = doc("SQLAlchemy URL of the provider's own state; default: SQLite in instance_dir.", "")
    smtp_url: str = doc("smtp://host:port or smtps://user:pass@host:port; unset in demo: .eml files.", "")
    sms_gateway: str = doc("SMS gateway: unset = off; https://… = JSON POST; file:///dir = files (demo).", "")
    sms_gateway_token: str = doc("Bearer token sent to the HTTP SMS gateway.", "")
    mail_from: str = doc("Sender of the ENT's mail.", "ENT 77 <ne-pas-repondre@ent77.example.fr>")
    outbox_dir: str = doc("Without smtp_url in demo mode, mail is written here as .eml files.", "outbox")
    ratelimit_storage_url: str = doc("Where the rate-limit and lockout counters live: database (the provider's own "
                                     "database, shared by every process using it), redis://… or memory:// (one "
                                     "process only).", "database")
    rate_limits: bool = doc("Limits per client address on sign-in, recovery and help; off only for test suites.",
                            True)
    rate_limit_exempt: str = doc("Client addresses never limited, comma-separated (e.g. the auditors' machine "
                                 "running the conformance suite).", "")
    instance_dir: str = doc("Folder of the provider's own files (keys, SQLite, outbox).", "instance")
    audit_log: str = doc("Security events, one JSON line each: a file (relative to instance_dir), - for standard "
                         "error, syslog (this machine's) or syslog://host:port.", "audit.log")
    ent_name: str = doc("Name of the ENT shown to people and on letters.", "ENT 77")
    theme_colour: str = doc("The ENT's colour (#rrggbb), on pages, mails and letters; readable on white (4.5:1).",
                            "#1d5c63")
    demo: bool = doc("Demo mode: relaxed checks, demo data. Never in production.", False)
    forwarded_allow_ips: str = doc("The trusted hops: addresses or networks of the reverse proxies in front of the "
                                   "provider, comma-separated. Only from them is X-Forwarded-For read (from the "
                                   "right, skipping trusted hops: the first other address is the client) and "
                                   "X-Forwarded-Proto believed; * trusts every hop.", "127.0.0.1")
    schools: dict[str, str] = doc("UAI → school name, e.g. \"0770001H\" = \"Collège Les Tilleuls\".",
                                  default_factory=dict)
    help_desks: dict[str, str] = doc("UAI → e-mail address of the school's help desk (parents' help requests).",
                                     default_factory=dict)
    partners: dict[str, str] = doc("« Collèges connectés » of the portal: name → URL of their own ENT.",
                                   default_factory=dict)
    terms_version: str = doc("Version of the charter (CGU) people accept at activation.", "2026-09")
    ldap: LdapSettings = doc("The directory.", default_factory=LdapSettings)
    accounts: AccountSettings = doc("Activation codes and lockout.", default_factory=AccountSettings)
    oidc: OidcSettings = doc("OpenID Connect tokens.", default_factory=OidcSettings)
    sessions: SessionSettings = doc("Signed-in browsers.", default_factory=SessionSettings)
    cas: CasSettings = doc("CAS tickets.", default_factory=CasSettings)
    aaf: AafSettings = doc("The académie's AAF identifiers.", default_factory=AafSettings)
    federation: FederationSettings = doc("Signing in with the national identities.",
                                         default_factory=FederationSettings)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(config_file: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Builds the settings from the file (or ENT_IDP_CONFIG) and the environment."""
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get(f"{ENV_PREFIX}CONFIG") or None
    problems: list[str] = []
    data: dict[str, Any] = {}
    base_dir = Path.cwd()
    if config_file:
        path = Path(config_file)
        base_dir = path.resolve().parent
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError([f"fichier de réglages introuvable : {path}"]) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError([f"{path} : TOML invalide ({error})"]) from None
    settings = _build(Settings, data, environ, "", problems)
    for folder in ("instance_dir", "outbox_dir"):
        if not Path(getattr(settings, folder)).is_absolute():
            settings = replace(settings, **{folder: str(base_dir / getattr(settings, folder))})
    problems += _check(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def web_problems(settings: Settings) -> list[str]:
    """What must also hold before serving pages."""
    if settings.demo:
        return []
    if len(settings.secret_key) < 32:
        return [f"secret_key ({ENV_PREFIX}SECRET_KEY) : manquante ou trop courte (32 caractères au moins)"]
    return []


def _build(cls: type, data: dict[str, Any], environ: Mapping[str, str], section: str,
           problems: list[str]) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for unknown in sorted(set(data) - known):
        problems.append(f"réglage inconnu : {section}{unknown}")
    values: dict[str, Any] = {}
    for item in fields(cls):
        kind = hints[item.name]
        name = f"{section}{item.name}"
        if isinstance(kind, type) and is_dataclass(kind):
            sub = data.get(item.name, {})
            if not isinstance(sub, dict):
                problems.append(f"{name} : une table [{name}] est attendue")
                sub = {}
            values[item.name] = _build(kind, sub, environ, f"{name}.", problems)
            continue
        env_name = ENV_PREFIX + name.replace(".", "_").upper()
        if f"{env_name}_FILE" in environ and kind is not dict[str, str]:
            values[item.name] = _parse(_read_secret(environ[f"{env_name}_FILE"], env_name, problems), kind,
                                       env_name, problems)
        elif env_name in environ and kind is not dict[str, str]:
            values[item.name] = _parse(environ[env_name], kind, env_name, problems)
        elif item.name in data:
            values[item.name] = _typed(data[item.name], kind, name, problems)
    return cls(**{k: v for k, v in values.items() if v is not None})


def _read_secret(path: str, name: str, problems: list[str]) -> str:
    """`NAME_FILE=/run/secrets/x`: the value is the file's content (Docker and systemd secrets)."""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        problems.append(f"{name}_FILE : fichier illisible ({path} : {error.strerror})")
        return ""


def _parse(text: str, kind: Any, name: str, problems: list[str]) -> Any:
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "oui", "on"):
            return True
        if text.lower() in ("0", "false", "no", "non", "off", ""):
            return False
        problems.append(f"{name} : booléen attendu (true/false), reçu {text!r}")
        return None
    if kind is int:
        try:
            return int(text)
        except ValueError:
            problems.append(f"{name} : nombre entier attendu, reçu {text!r}")
            return None
    return text


def _typed(value: Any, kind: Any, name: str, problems: list[str]) -> Any:
    expected = dict if kind == dict[str, str] else kind
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        if expected is dict:
            return {str(k): str(v) for k, v in value.items()}
        return value
    label = {str: "texte", int: "nombre entier", bool: "booléen", dict: "table"}[expected]
    problems.append(f"{name} : {label} attendu, reçu {value!r}")
    return None


def _check(settings: Settings) -> list[str]:
    problems = []
    issuer = urlsplit(settings.issuer)
    if issuer.scheme not in ("http", "https") or not issuer.hostname:
        problems.append(f"issuer : URL http(s) attendue, reçu {settings.issuer!r}")
    elif issuer.scheme == "http" and not _loopback(issuer.hostname):
        problems.append(f"issuer : https obligatoire hors de la machine locale ({settings.issuer})")
    if not settings.ldap.url.split() or any(urlsplit(url).scheme not in ("ldap", "ldaps", "ldapi")
                                            for url in settings.ldap.url.split()):
        problems.append(f"ldap.url : URL ldap://, ldaps:// ou ldapi:// attendue, reçu {settings.ldap.url!r}")
    if "=" not in settings.ldap.base_dn:
        problems.append(f"ldap.base_dn : DN attendu (ex. dc=ent77,dc=fr), reçu {settings.ldap.base_dn!r}")
    for name in ("timeout",):
        if getattr(settings.ldap, name) <= 0:
            problems.append(f"ldap.{name} : doit être positif")
    for section in ("accounts", "oidc", "sessions", "cas"):
        values = getattr(settings, section)
        for item in fields(values):
            if getattr(values, item.name) <= 0:
                problems.append(f"{section}.{item.name} : doit être positif")
    if settings.accounts.address_failures > settings.accounts.lockout_failures:
        problems.append("accounts.address_failures : pas plus que accounts.lockout_failures")
    if settings.accounts.reset_link_minutes > 60:
        problems.append("accounts.reset_link_minutes : 60 minutes au plus")
    if settings.oidc.code_seconds > 600:
        problems.append("oidc.code_seconds : 600 secondes au plus (un code sert aussitôt)")
    if settings.cas.ticket_seconds > 300:
        problems.append("cas.ticket_seconds : 300 secondes au plus (un ticket sert aussitôt)")
    problems += proxy_problems(settings.forwarded_allow_ips)
    colour = colour_problem(settings.theme_colour)
    if colour:
        problems.append(colour)
    storage = settings.ratelimit_storage_url
    if storage not in ("", "database") and urlsplit(storage).scheme not in (
            "memory", "redis", "rediss", "redis+sentinel", "redis+cluster"):
        problems.append(f"ratelimit_storage_url : database, memory:// ou redis://… attendu, reçu {storage!r}")
    for uai in settings.schools:
        problem = uai_problem(uai)
        if problem:
            problems.append(f"schools : {problem}")
    return problems


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_documentation() -> list[tuple[str, str, str]]:
    """(TOML name, environment variable, meaning) of every setting, for the README and --help."""
    rows = []
    def walk(cls: type, section: str) -> None:
        hints = get_type_hints(cls)
        for item in fields(cls):
            if is_dataclass(hints[item.name]):
                walk(hints[item.name], f"{section}{item.name}.")
            else:
                env = ("" if hints[item.name] == dict[str, str]
                       else ENV_PREFIX + f"{section}{item.name}".replace(".", "_").upper())
                rows.append((f"{section}{item.name}", env, item.metadata["doc"]))
    walk(Settings, "")
    return rows
