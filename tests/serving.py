"""`ent-idp serve` and nginx as child processes, and an HTTP client that chooses the local
address it connects from (127.0.0.2, 127.0.0.3…: distinct clients on one machine)."""
from __future__ import annotations

import http.client
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from tests.flows.conftest import csrf_token
from tests.scaleout.servers import NGINX, nginx_config

ENT_IDP = shutil.which("ent-idp", path=str(Path(sys.executable).parent)) or "ent-idp"


@dataclass
class Child:
    """A server started by a test; `stop()` ends it."""

    process: subprocess.Popen
    log: Path

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def start(command: list[str], log: Path, ready: tuple[str, int], cwd: Path) -> Child:
    """Starts `command` and waits until `ready` (host, port) accepts connections."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    child = Child(process, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection(*ready, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return child
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            child.stop()
            raise AssertionError(f"{command[0]} did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def serve(config: Path, port: int, folder: Path, *options: str) -> Child:
    return start([ENT_IDP, "--config", str(config), "serve", "--port", str(port), *options],
                 folder / "serve.log", ("127.0.0.1", port), folder)


def nginx(folder: Path, port: int, upstream: int) -> Child:
    """Debian's nginx as the reverse proxy of docker/nginx.conf does it: it appends the
    client's address to X-Forwarded-For and says the scheme."""
    config = nginx_config(folder, f"""    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
""")
    return start([NGINX, "-c", str(config), "-p", str(folder)], folder / "nginx.log", ("127.0.0.1", port), folder)


@dataclass
class Visitor:
    """A browser on the machine at `source` (a loopback address), talking to host:port."""

    port: int
    source: str
    host: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(self.source, 0))
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = urlencode(data) if data is not None else None
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def sign_in(self, login: str, password: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """The login page's form, posted as a browser does (with its CSRF token)."""
        _, page = self.request("GET", "/connexion", headers=headers)
        return self.request("POST", "/connexion", {"csrf_token": csrf_token(page), "login": login, "password": password,
                                                   "interaction": ""}, headers=headers)


class RecordingSite:
    """An app's site, a real HTTP server on this machine (a proxy callback, a back- or
    front-channel logout endpoint): answers `status` to any GET or POST and keeps, in order,
    each request's path (with its query) and, for a POST, its form."""

    def __init__(self, status: int = 200) -> None:
        self.paths: list[str] = []
        self.forms: list[dict[str, list[str]]] = []
        paths, forms = self.paths, self.forms

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                paths.append(self.path)
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                paths.append(self.path)
                forms.append(parse_qs(body))
                self._answer()

            def _answer(self) -> None:
                page = b"<!doctype html><title>app</title>ok" if status == 200 else b""
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> RecordingSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
