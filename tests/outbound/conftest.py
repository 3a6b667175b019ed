"""A real SMTP server (aiosmtpd) on a free port, TLS certificates made on the spot, and a
Store on SQLite in tmp_path."""
from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import update
from sqlalchemy.orm import Session

from idp.config import Settings
from idp.directory.slapd import free_port
from idp.outbound import Outbound, OutboxMessage
from idp.store import Store

SMTP_USER, SMTP_PASSWORD = "robot@ent77.example.fr", "s3crèt:/@mot"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 OK"


class Logins:
    """aiosmtpd's authenticator: accepts SMTP_USER / SMTP_PASSWORD and remembers who logged in."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
              and auth_data.password == SMTP_PASSWORD.encode())
        if ok:
            self.accepted.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


class SmtpServers:
    """Starts aiosmtpd servers for a test and stops them all after it."""

    def __init__(self) -> None:
        self.running: list[Controller] = []

    def start(self, port: int | None = None, **options: Any) -> tuple[Inbox, int]:
        inbox = Inbox()
        port = port or free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        self.running.append(controller)
        return inbox, port

    def stop_all(self) -> None:
        for controller in self.running:
            controller.stop()
        self.running.clear()


@pytest.fixture
def smtp_servers() -> Iterator[SmtpServers]:
    servers = SmtpServers()
    yield servers
    servers.stop_all()


@dataclass
class Certificates:
    ca_file: Path
    server_context: ssl.SSLContext

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A test authority and a certificate for 127.0.0.1 / localhost signed by it."""
    folder = tmp_path_factory.mktemp("tls")
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    end = start + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ent-idp test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    return Certificates(ca_file, server_context)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    yield store
    store.dispose()


@pytest.fixture
def base_settings(tmp_path: Path) -> Settings:
    return Settings().with_changes(instance_dir=str(tmp_path / "instance"), outbox_dir=str(tmp_path / "outbox"),
                                   issuer="https://ent77.example.fr")


RESET = {"given_name": "Danièle", "link": "https://ent77.example.fr/mot-de-passe/nouveau?jeton=abc&x=1",
         "expires_minutes": 60}


def row(store: Store, message_id: int) -> OutboxMessage:
    with Session(store.engine) as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        session.expunge(found)
        return found


def change(store: Store, message_id: int, **values: Any) -> None:
    with Session(store.engine) as session, session.begin():
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def make_due(store: Store, message_id: int) -> None:
    change(store, message_id, next_attempt_at=0)


OutboundFactory = Callable[..., Outbound]
