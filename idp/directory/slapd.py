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
    max_failures: int = 5
    duration_seconds: int = 900


class PrivateSlapd:
    """One slapd instance in `data_dir`: built once, started and stopped as a child process."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        base_dn: str = DEFAULT_BASE_DN,
        argon2: Argon2Cost = OWASP_ARGON2,
        lockout: Lockout = Lockout(),
        demo_people: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.base_dn = base_dn
        self.argon2 = argon2
        self.lockout = lockout
        self.demo_people = demo_people
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
        return self.data_dir / "admin.secret"

    def build(self) -> bool:
        """Creates the instance unless it exists; True when it was created."""
        _require_slapd()
        if self.built:
            self._write_config()
            return False
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        self._secret_file.write_text(secrets.token_urlsafe(32) + "\n")
        os.chmod(self._secret_file, 0o600)
        self._write_config()
        ldif = self.data_dir / "initial.ldif"
        parts = ["base.ldif", "policy.ldif"] + (["demo.ldif"] if self.demo_people else [])
        ldif.write_text("\n".join(self._fill(part) for part in parts), encoding="utf-8")
        _run(["/usr/sbin/slapadd", "-q", "-f", str(self._config_file), "-l", str(ldif)], "slapadd")
        ldif.unlink()
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
        }))
        os.chmod(self._config_file, 0o600)

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
