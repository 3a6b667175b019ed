"""SMS: off, the demo's files, and an HTTP gateway (a tiny local server)."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from idp.config import Settings, SettingsError
from idp.directory.slapd import free_port
from idp.outbound import Outbound, SmsUnavailable
from idp.store import Store

TEXT = "ENT 77 : votre code de vérification est 482 913. Il expire dans 10 minutes."


class Gateway:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "json": json.loads(body)})
                self.send_response(gateway.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    running = Gateway()
    yield running
    running.close()


def test_sms_off(base_settings: Settings, store: Store) -> None:
    outbound = Outbound(base_settings, store)
    assert outbound.sms_enabled is False
    with pytest.raises(SmsUnavailable, match="pas configuré"):
        outbound.sms("+33612345678", TEXT)


def test_file_gateway_writes_one_file_per_sms(base_settings: Settings, store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sms"
    outbound = Outbound(base_settings.with_changes(sms_gateway=f"file://{folder}"), store)
    assert outbound.sms_enabled is True
    outbound.sms("+33612345678", TEXT)
    outbound.sms("+33712345678", "deuxième")
    files = sorted(folder.glob("*.txt"), key=lambda path: path.read_text(encoding="utf-8"))
    assert len(files) == 2
    assert files[0].read_text(encoding="utf-8") == f"To: +33612345678\n\n{TEXT}\n"
    assert "33612345678" in files[0].name
    assert files[1].read_text(encoding="utf-8") == "To: +33712345678\n\ndeuxième\n"


def test_http_gateway_posts_json_with_the_bearer_token(base_settings: Settings, store: Store,
                                                       gateway: Gateway) -> None:
    settings = base_settings.with_changes(sms_gateway=gateway.url, sms_gateway_token="jeton-secret")
    outbound = Outbound(settings, store)
    assert outbound.sms_enabled is True

    outbound.sms("+33612345678", TEXT)

    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["json"] == {"to": "+33612345678", "text": TEXT}
    assert request["headers"]["Authorization"] == "Bearer jeton-secret"
    assert request["headers"]["Content-Type"] == "application/json"


def test_an_sms_keeps_to_the_gsm_alphabet(base_settings: Settings, store: Store, gateway: Gateway) -> None:
    outbound = Outbound(base_settings.with_changes(sms_gateway=gateway.url), store)
    outbound.sms("+33612345678", "ENT 77\u00a0: votre code d’activation expire dans 2\u202f000 secondes.")
    [request] = gateway.requests
    assert request["json"]["text"] == "ENT 77 : votre code d'activation expire dans 2 000 secondes."


def test_http_gateway_refusal_or_absence_raises(base_settings: Settings, store: Store, gateway: Gateway) -> None:
    gateway.status = 500
    outbound = Outbound(base_settings.with_changes(sms_gateway=gateway.url, sms_gateway_token="jeton-secret"), store)
    with pytest.raises(SmsUnavailable, match="HTTP 500") as refused:
        outbound.sms("+33612345678", TEXT)
    assert "jeton-secret" not in str(refused.value)

    gone = Outbound(base_settings.with_changes(sms_gateway=f"http://127.0.0.1:{free_port()}/sms"), store)
    with pytest.raises(SmsUnavailable, match="injoignable"):
        gone.sms("+33612345678", TEXT)


def test_bad_number_or_gateway(base_settings: Settings, store: Store, tmp_path: Path) -> None:
    outbound = Outbound(base_settings.with_changes(sms_gateway=f"file://{tmp_path}/sms"), store)
    with pytest.raises(SmsUnavailable, match="numéro"):
        outbound.sms("06 12 34 56 78", TEXT)
    assert not (tmp_path / "sms").exists()
    with pytest.raises(SettingsError, match="sms_gateway"):
        Outbound(base_settings.with_changes(sms_gateway="ftp://sms.example.fr"), store)
