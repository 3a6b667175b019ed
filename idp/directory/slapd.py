"""A private OpenLDAP slapd, built from ldap_schema/, for development, tests and the demo.

Deployments run their own slapd with ldap_schema/ent-idp.ldif; this one lives in a
folder, listens on loopback and stops with its owner.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from .errors import SlapdError

SLAPD = "/usr/sbin/slapd"
INSTALL_HINT = "apt-get install -y slapd ldap-utils"
DEFAULT_BASE_DN = "dc=ent77,dc=fr"


@dataclass(frozen=True)
class Argon2Cost:
    """How hard slapd works to hash a password (memory KiB, iterations, lanes)."""

    memory_kib: int = 19456
    iterations: int = 2
    parallelism: int = 1


OWASP_ARGON2 = Argon2Cost()
"""OWASP's minimum for argon2: what production uses."""


@dataclass(frozen=True)
class Lockout:
    """The directory's password policy: a backstop at twice the provider's own lockout
    (`accounts.lockout_failures`, 20 by default; see idp.signin)."""

    max_failures: int = 40
    duration_seconds: int = 900


class PrivateSlapd:
    """One slapd instance in `data_dir`: built once, started and stopped as a child process.

    With `server_id` (1…4095) and `peers` (the other providers' URLs) it is one provider of
    a multi-provider group (ldap_schema/replication.conf); see MultiProviderSlapd.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        base_dn: str = DEFAULT_BASE_DN,
        argon2: Argon2Cost = OWASP_ARGON2,
        lockout: Lockout = Lockout(),
        demo_people: bool = False,
        server_id: int = 0,
        peers: Sequence[str] = (),
        secret_file: Path | None = None,
    ) -> None:
        if peers and not 1 <= server_id <= 4095:
            raise ValueError("a replicating provider needs a serverID from 1 to 4095")
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.base_dn = base_dn
        self.argon2 = argon2
        self.lockout = lockout
        self.demo_people = demo_people
        self.server_id = server_id
        self.peers = list(peers)
        self._secret_path = Path(secret_file).resolve() if secret_file else self.data_dir / "admin.secret"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def admin_dn(self) -> str:
        return f"cn=admin,{self.base_dn}"

    @property
    def admin_password(self) -> str:
        return self._secret_file.read_text().strip()

    @property
    def built(self) -> bool:
        return (self.data_dir / "data" / "data.mdb").exists()

    @property
    def _secret_file(self) -> Path:
        return self._secret_path

    def build(self, seed: PrivateSlapd | None = None) -> bool:
        """Creates the instance unless it exists; True when it was created.

        Without `seed`: the tree, the policy (and the demo people) from ldap_schema/.
        With `seed`, another provider of the same group: a copy of its data (slapcat), so
        that both hold the same entries with the same entryUUID and entryCSN.
        """
        _require_slapd()
        if self.built:
            self._write_config()
            return False
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        if not self._secret_file.exists():
            self._secret_file.parent.mkdir(parents=True, exist_ok=True)
            self._secret_file.touch(mode=0o600)
            self._secret_file.write_text(secrets.token_urlsafe(32) + "\n")
            os.chmod(self._secret_file, 0o600)
        self._write_config()
        ldif = self.data_dir / "initial.ldif"
        ldif.touch(mode=0o600)
        slapadd = ["/usr/sbin/slapadd", "-q", "-f", str(self._config_file), "-l", str(ldif)]
        try:
            if seed is None:
                parts = ["base.ldif", "policy.ldif"] + (["demo.ldif"] if self.demo_people else [])
                ldif.write_text("\n".join(self._fill(part) for part in parts), encoding="utf-8")
                if self.server_id:  # entryCSN and contextCSN carry this provider's serverID
                    slapadd += ["-S", str(self.server_id), "-w"]
            else:
                _run(["/usr/sbin/slapcat", "-f", str(seed._config_file), "-l", str(ldif)], "slapcat")
            _run(slapadd, "slapadd")
        finally:
            ldif.unlink(missing_ok=True)
        return True

    def start(self, timeout: float = 10.0) -> None:
        """Starts slapd in the foreground of a child process; returns once it accepts connections."""
        self.build()
        if _port_in_use(self.port):
            raise SlapdError(f"le port {self.port} est déjà utilisé : choisissez-en un autre (--port)")
        log = open(self.data_dir / "slapd.log", "ab")
        self._process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", str(self._config_file), "-h", f"ldap://127.0.0.1:{self.port}/"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_stop_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not _port_in_use(self.port):
            if self._process.poll() is not None:
                if _port_taken(self.port):  # taken meanwhile, e.g. by another program's connection
                    raise SlapdError(f"le port {self.port} est déjà utilisé : choisissez-en un autre (--port)")
                raise SlapdError(f"slapd s'est arrêté au démarrage : voir {self.data_dir / 'slapd.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise SlapdError(f"slapd ne répond pas après {timeout:.0f} s : voir {self.data_dir / 'slapd.log'}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stops slapd (SIGTERM, then waits); returns its exit code (0 when clean)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def __enter__(self) -> PrivateSlapd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Internals

    @property
    def _config_file(self) -> Path:
        return self.data_dir / "slapd.conf"

    def _write_config(self) -> None:
        schema_dir = resources.files("ldap_schema")
        self._config_file.write_text(self._fill("slapd.conf", {
            "schema_file": str(schema_dir / "ent-idp.schema"),
            "data_dir": str(self.data_dir),
            "admin_dn": self.admin_dn,
            "admin_password_hash": _ssha(self.admin_password),
            "argon2_memory_kib": str(self.argon2.memory_kib),
            "argon2_iterations": str(self.argon2.iterations),
            "argon2_parallelism": str(self.argon2.parallelism),
            "replication": self._write_replication_config(),
        }))
        os.chmod(self._config_file, 0o600)

    def _write_replication_config(self) -> str:
        """data_dir/replication.conf for a provider with peers; the line slapd.conf includes it with."""
        path = self.data_dir / "replication.conf"
        if not self.peers:
            path.unlink(missing_ok=True)
            return ""
        consumers = [
            f'syncrepl rid={rid:03d} provider={peer} type=refreshAndPersist retry="1 +"\n'
            f'\tsearchbase="{self.base_dn}" scope=sub bindmethod=simple\n'
            f'\tbinddn="{self.admin_dn}" credentials="{self.admin_password}"\n'
            f'\tnetwork-timeout=2'
            for rid, peer in enumerate(self.peers, start=1)
        ]
        path.touch(mode=0o600)
        path.write_text(self._fill("replication.conf", {
            "server_id": str(self.server_id),
            "syncrepl": "\n".join(consumers),
        }))
        os.chmod(path, 0o600)
        return f"include {path}"

    def _fill(self, name: str, extra: dict[str, str] | None = None) -> str:
        template = Template((resources.files("ldap_schema") / name).read_text(encoding="utf-8"))
        first_rdn = self.base_dn.split(",", 1)[0]
        return template.substitute({
            "base_dn": self.base_dn,
            "base_dc": first_rdn.split("=", 1)[1],
            "organization": "ENT",
            "max_failures": str(self.lockout.max_failures),
            "lockout_seconds": str(self.lockout.duration_seconds),
            **(extra or {}),
        })


class MultiProviderSlapd:
    """`count` private slapd replicating each other (OpenLDAP 2.5 multi-provider): provider
    N lives in data_dir/provider-N, listens on `port` + N - 1 and has serverID N. All share
    one admin password (data_dir/admin.secret) and accept writes; `url` lists them all,
    space-separated, as the `ldap.url` setting takes them.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        count: int = 2,
        ports: Sequence[int] = (),
        base_dn: str = DEFAULT_BASE_DN,
        argon2: Argon2Cost = OWASP_ARGON2,
        lockout: Lockout = Lockout(),
        demo_people: bool = False,
    ) -> None:
        """`port`, `port` + 1… for `count` providers, or exactly `ports` (one per provider)."""
        ports = list(ports) or ([port + index for index in range(count)] if port is not None else [])
        if len(ports) < 2:
            raise ValueError("multi-provider replication needs at least two providers (port and count, or ports)")
        self.data_dir = Path(data_dir).resolve()
        urls = [f"ldap://127.0.0.1:{each}" for each in ports]
        self.providers = [
            PrivateSlapd(
                self.data_dir / f"provider-{index + 1}", port=ports[index], base_dn=base_dn, argon2=argon2,
                lockout=lockout, demo_people=demo_people, server_id=index + 1,
                peers=[url for other, url in enumerate(urls) if other != index],
                secret_file=self.data_dir / "admin.secret",
            )
            for index in range(len(ports))
        ]

    @property
    def url(self) -> str:
        return " ".join(provider.url for provider in self.providers)

    @property
    def urls(self) -> list[str]:
        return [provider.url for provider in self.providers]

    @property
    def base_dn(self) -> str:
        return self.providers[0].base_dn

    @property
    def admin_dn(self) -> str:
        return self.providers[0].admin_dn

    @property
    def admin_password(self) -> str:
        return self.providers[0].admin_password

    @property
    def lockout(self) -> Lockout:
        return self.providers[0].lockout

    @property
    def built(self) -> bool:
        return all(provider.built for provider in self.providers)

    def build(self) -> bool:
        """Creates the missing providers; True when the directory itself was created.

        The first provider built loads ldap_schema/ (slapadd -S <its serverID>); every
        other one starts as a copy of it (slapcat | slapadd), so that all begin in sync.
        """
        _require_slapd()
        if (self.data_dir / "data").exists():
            raise SlapdError(f"{self.data_dir} contient un annuaire sans réplication : "
                             "choisissez un autre dossier (--data-dir)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        seed = next((provider for provider in self.providers if provider.built), None)
        created = seed is None
        for provider in self.providers:
            provider.build(seed=seed)
            seed = seed or provider
        return created

    def start(self, timeout: float = 10.0) -> None:
        """Starts every provider; returns once all accept connections."""
        self.build()
        for provider in self.providers:
            if _port_in_use(provider.port):
                raise SlapdError(f"le port {provider.port} est déjà utilisé : choisissez-en un autre (--port)")
        try:
            for provider in self.providers:
                provider.start(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stops every provider; 0 when all stopped cleanly, else the first other exit code."""
        codes = [provider.stop(timeout) for provider in reversed(self.providers)]
        failed = [code for code in codes if code not in (0, None)]
        if failed:
            return failed[0]
        return 0 if 0 in codes else None

    @property
    def pids(self) -> list[int | None]:
        return [provider.pid for provider in self.providers]

    def __enter__(self) -> MultiProviderSlapd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port free on 127.0.0.1, below the kernel's ephemeral range when it can.

    Within that range, an outgoing connection may take the port before slapd listens on
    it, and a connection to it once slapd has stopped (a syncrepl retry, a client failing
    over) may end up connected to itself (TCP self-connect) and read back its own request.
    """
    low = _ephemeral_range_start()
    if low - 1024 > 4096:
        for _ in range(100):
            port = max(1024, low - 20000) + secrets.randbelow(low - max(1024, low - 20000))
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ephemeral_range_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _stop_with_parent() -> None:
    """In the child, before exec: Linux sends slapd SIGTERM if its owner dies without
    stopping it (killed, crashed), so no private slapd outlives the demo or the tests."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _require_slapd() -> None:
    if not Path(SLAPD).exists() or shutil.which("slapadd", path="/usr/sbin:/usr/bin") is None:
        raise SlapdError(f"OpenLDAP (slapd) n'est pas installé : {INSTALL_HINT}")


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _port_taken(port: int) -> bool:
    """Whether slapd could not listen on `port` (it binds with SO_REUSEADDR too)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise SlapdError(f"{what} a échoué : {detail[-1] if detail else done.returncode}")


def _ssha(secret: str) -> str:
    """{SSHA} for the rootdn's random 256-bit machine secret (people's passwords use Argon2)."""
    salt = os.urandom(8)
    digest = hashlib.sha1(secret.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()
