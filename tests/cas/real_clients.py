"""Real CAS clients as plain processes, for tests against the ENT's CAS server: Apache httpd
with Debian's mod_auth_cas, and Debian's phpCAS served by `php -S`. Each runs on a free port
in a folder of its own, never reads or changes the system's configuration, and keeps its
logs there to be printed when a test fails.

The apps' pages answer JSON (`{"user": …, "attributes": {…}}`): what the client library
handed the app once it had validated the ticket.
"""
from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from idp.directory.slapd import free_port
from tests.serving import Child

APPS = Path(__file__).parent / "apps"
APACHE = shutil.which("apache2", path="/usr/sbin:/usr/bin") or "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
PHP = shutil.which("php", path="/usr/bin:/usr/local/bin") or "/usr/bin/php"
PHPCAS = Path("/usr/share/php/CAS.php")
APACHE_USER = "www-data"
"""Apache refuses to serve as root: its children (and the CGI daemon) run as this user."""

Validation = Literal["serviceValidate", "p3/serviceValidate", "samlValidate"]
"""Which validate endpoint mod_auth_cas calls; `samlValidate` switches `CASValidateSAML On`."""


def launch(command: list[str], log: Path, cwd: Path) -> Child:
    with open(log, "wb") as out:
        return Child(subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT), log)


def wait_until_answering(child: Child, port: int, seconds: float = 30) -> None:
    """Waits until something answers HTTP on 127.0.0.1:`port` (any status)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("HEAD", "/")
            connection.getresponse()
            connection.close()
            return
        except OSError:
            pass
        if child.process.poll() is not None or time.monotonic() > deadline:
            child.stop()
            raise AssertionError(f"{child.process.args[0]} did not start:\n{child.log.read_text(errors='replace')}")
        time.sleep(0.1)


def _public_folder(prefix: str) -> Path:
    """A folder the web server's own user can enter: pytest's tmp folders are the owner's only,
    and Apache's CGI daemon (as www-data) must reach the script and its socket."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def _give_to_apache_user(path: Path) -> None:
    """mod_auth_cas writes its sessions as the children's user, and only they may read them."""
    if os.geteuid() == 0:
        account = pwd.getpwnam(APACHE_USER)
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(0o700)


@dataclass
class ApacheCas:
    """Apache httpd + mod_auth_cas in front of a CGI script (`whoami`) at four places:

    - `/protected/` (`AuthType CAS`, `Require valid-user`): sign in through the ENT;
    - `/renew/` (`CASRenew`): the ENT must ask for the password again (`renew=true`);
    - `/gateway/` (`CASGateway`): asks the ENT without a login page (`gateway=true`), and lets
      anonymous visitors in when it answers without a ticket;
    - `/inconnu/`: protected like `/protected/`, for a service the ENT does not know.

    `start()` / `stop()`, or `with ApacheCas(issuer) as apache:`.
    """

    issuer: str
    validation: Validation = "p3/serviceValidate"
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: _public_folder("ent-idp-apache-cas-"))
    child: Child | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def protected_url(self) -> str:
        return f"{self.base_url}/protected/whoami"

    @property
    def renew_url(self) -> str:
        return f"{self.base_url}/renew/whoami"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway/whoami"

    @property
    def unknown_service_url(self) -> str:
        return f"{self.base_url}/inconnu/whoami"

    @property
    def service_urls(self) -> list[str]:
        """The URLs to register as the app's services (the unknown one is left out)."""
        return [self.protected_url, self.renew_url, self.gateway_url]

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"

    @property
    def logs(self) -> list[Path]:
        return [self.error_log, self.folder / "access.log", self.folder / "apache.log"]

    @property
    def config(self) -> Path:
        return self.folder / "httpd.conf"

    def start(self) -> ApacheCas:
        self._write_config()
        self.child = launch([APACHE, "-f", str(self.config), "-DFOREGROUND"], self.folder / "apache.log", self.folder)
        try:
            wait_until_answering(self.child, self.port)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log_text()}") from None
        return self

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ApacheCas:
        try:
            return self.start()
        except BaseException:
            self.cleanup()  # what went wrong is in the error's text
            raise

    def __exit__(self, *_: object) -> None:
        self.cleanup()

    def log_text(self) -> str:
        return _logs_text(self.logs)

    def _write_config(self) -> None:
        cgi, sessions, run = self.folder / "cgi", self.folder / "sessions", self.folder / "run"
        for folder in (run, self.folder / "mutex"):
            folder.mkdir(exist_ok=True)
        cgi.mkdir(exist_ok=True)
        shutil.copy(APPS / "cgi" / "whoami", cgi / "whoami")
        (cgi / "whoami").chmod(0o755)
        sessions.mkdir(exist_ok=True)
        _give_to_apache_user(sessions)
        self.config.write_text(apache_config(self), encoding="utf-8")


def apache_server_config(folder: Path, port: int, module: str, log_level: str) -> str:
    """The start of an httpd.conf of its own, for an auth `module` in front of the CGI scripts
    in `folder/cgi`: nothing from /etc/apache2 but the module files and mime.types."""
    modules = ["mpm_event", "authz_core", "authn_core", "authz_user", "alias", "mime", "cgid", module]
    loads = "\n".join(f"LoadModule {name}_module {APACHE_MODULES}/mod_{name}.so" for name in modules)
    user = f"User {APACHE_USER}\nGroup {APACHE_USER}" if os.geteuid() == 0 else ""
    return f"""# Written by the tests: one Apache for one test run.
ServerRoot /etc/apache2
ServerName 127.0.0.1:{port}
UseCanonicalName On
Listen 127.0.0.1:{port}
PidFile {folder}/run/httpd.pid
DefaultRuntimeDir {folder}/run
Mutex file:{folder}/mutex default
ScriptSock {folder}/run/cgid.sock
ErrorLog {folder}/error.log
LogLevel warn {log_level}
LogFormat "%h \\"%r\\" %>s" brief
CustomLog {folder}/access.log brief
{user}
{loads}
TypesConfig /etc/mime.types
DocumentRoot {folder}/cgi
"""


def apache_config(apache: ApacheCas) -> str:
    """httpd.conf of its own: nothing from /etc/apache2 but the module files and mime.types."""
    folder, issuer = apache.folder, apache.issuer.rstrip("/")
    saml = "On" if apache.validation == "samlValidate" else "Off"
    locations = "\n".join(f"""
ScriptAlias /{path}/ {folder}/cgi/
<Location /{path}/>
    AuthType CAS
    Require valid-user
    CASAuthNHeader CAS-User
    CASScrubRequestHeaders On
    {extra}
</Location>""" for path, extra in (("protected", ""), ("renew", "CASRenew /renew/"),
                                   ("gateway", "CASGateway /gateway/"), ("inconnu", "")))
    return apache_server_config(folder, apache.port, "auth_cas", "auth_cas:debug") + f"""
CASDebug On
CASVersion 2
CASLoginURL {issuer}/cas/login
CASValidateURL {issuer}/cas/{apache.validation}
CASValidateSAML {saml}
CASCookiePath {folder}/sessions/
CASAttributePrefix CAS-
CASAttributeDelimiter ;
CASTimeout 600
CASIdleTimeout 600
{locations}
"""


@dataclass
class PhpCas:
    """Debian's phpCAS (CAS 3.0: tickets validated at /cas/p3/serviceValidate) in three pages
    served by `php -S`: `index.php` (`forceAuthentication`), `gateway.php`
    (`checkAuthentication`: gateway), `renew.php` (`renewAuthentication`); each keeps its own
    PHP session so that signing in on one does not sign in the others. `logout.php` signs out
    of the app and of the ENT (`logoutWithRedirectService`)."""

    issuer: str
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: _public_folder("ent-idp-phpcas-"))
    child: Child | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def protected_url(self) -> str:
        return f"{self.base_url}/index.php"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.php"

    @property
    def renew_url(self) -> str:
        return f"{self.base_url}/renew.php"

    @property
    def logout_url(self) -> str:
        return f"{self.base_url}/logout.php"

    @property
    def service_urls(self) -> list[str]:
        return [self.protected_url, self.gateway_url, self.renew_url]

    @property
    def logs(self) -> list[Path]:
        return [self.folder / "php.log"]

    def start(self) -> PhpCas:
        pages, sessions = self.folder / "pages", self.folder / "sessions"
        shutil.copytree(APPS / "phpcas", pages, dirs_exist_ok=True)
        sessions.mkdir(exist_ok=True)
        (pages / "settings.php").write_text(
            "<?php\n// Written by tests/cas/real_clients.py.\nreturn json_decode("
            f"'{json.dumps({'issuer': self.issuer.rstrip('/'), 'base_url': self.base_url})}', true);\n",
            encoding="utf-8")
        command = [PHP, "-d", f"include_path=.:{PHPCAS.parent}", "-d", f"session.save_path={sessions}",
                   "-d", "display_errors=Off", "-d", "log_errors=On",
                   "-d", "error_reporting=E_ALL & ~E_DEPRECATED",  # phpCAS 1.6 deprecates its own CAS.php
                   "-d", "session.use_strict_mode=1",
                   "-S", f"127.0.0.1:{self.port}", "-t", str(pages)]
        self.child = launch(command, self.folder / "php.log", pages)
        wait_until_answering(self.child, self.port)
        return self

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PhpCas:
        try:
            return self.start()
        except BaseException:
            self.cleanup()  # what went wrong is in the error's text
            raise

    def __exit__(self, *_: object) -> None:
        self.cleanup()

    def log_text(self) -> str:
        return _logs_text(self.logs)


def _logs_text(logs: list[Path]) -> str:
    return "\n".join(f"--- {log}\n{log.read_text(errors='replace') if log.exists() else '(absent)'}" for log in logs)
