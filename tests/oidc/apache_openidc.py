"""Apache httpd with Debian's mod_auth_openidc as a college app, a plain process on a free port
with a configuration of its own: `/protected/whoami` (a CGI script saying who the module
let in) behind `AuthType openid-connect`, with back-channel logout at its redirect URI
(`?logout=backchannel`), as such an app is set up against the ENT."""
from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from idp.directory.slapd import free_port
from tests.cas.real_clients import (
    APACHE,
    APPS,
    _logs_text,
    _public_folder,
    apache_server_config,
    launch,
    wait_until_answering,
)
from tests.serving import Child


@dataclass
class ApacheOidc:
    issuer: str
    client_id: str = ""
    client_secret: str = ""
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: _public_folder("ent-idp-apache-openidc-"))
    child: Child | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def protected_url(self) -> str:
        return f"{self.base_url}/protected/whoami"

    @property
    def passive_url(self) -> str:
        """Behind `prompt=none`: signs in only a person already signed in to the ENT."""
        return f"{self.base_url}/passive/whoami"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/protected/redirect_uri"

    @property
    def backchannel_logout_uri(self) -> str:
        return self.redirect_uri + "?logout=backchannel"

    @property
    def logs(self) -> list[Path]:
        return [self.folder / "error.log", self.folder / "access.log", self.folder / "apache.log"]

    def start(self) -> ApacheOidc:
        cgi = self.folder / "cgi"
        for folder in (self.folder / "run", self.folder / "mutex", cgi):
            folder.mkdir(exist_ok=True)
        shutil.copy(APPS / "cgi" / "whoami", cgi / "whoami")
        (cgi / "whoami").chmod(0o755)
        config = self.folder / "httpd.conf"
        config.write_text(self._config(), encoding="utf-8")
        self.child = launch([APACHE, "-f", str(config), "-DFOREGROUND"], self.folder / "apache.log", self.folder)
        try:
            wait_until_answering(self.child, self.port)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log_text()}") from None
        return self

    def cleanup(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_text(self) -> str:
        return _logs_text(self.logs)

    def _config(self) -> str:
        folder, issuer = self.folder, self.issuer.rstrip("/")
        return apache_server_config(folder, self.port, "auth_openidc", "auth_openidc:info") + f"""
OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {self.client_id}
OIDCClientSecret {self.client_secret}
OIDCRedirectURI {self.redirect_uri}
OIDCCryptoPassphrase {secrets.token_urlsafe(24)}
OIDCPKCEMethod S256
OIDCScope "openid profile"
OIDCRemoteUserClaim preferred_username
OIDCDefaultURL {self.protected_url}
# Cookies ignore ports: two apps on one host name need cookie names of their own.
OIDCCookie mod_auth_openidc_session_{self.port}
OIDCStateCookiePrefix mod_auth_openidc_state_{self.port}_

ScriptAlias /protected/ {folder}/cgi/
<Location /protected/>
    AuthType openid-connect
    Require valid-user
</Location>
ScriptAlias /passive/ {folder}/cgi/
<Location /passive/>
    AuthType openid-connect
    Require valid-user
    OIDCPathAuthRequestParams prompt=none
</Location>
"""
