"""The service provider's two key pairs (signing its requests and metadata, and decrypting the
assertions sent to it), made once in the instance folder: ÉduConnect registers the
certificates of the metadata, so they must not change at each start."""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 3072
CERTIFICATE_YEARS = 10


@dataclass(frozen=True)
class KeyPair:
    key: Path
    certificate: Path


def key_pairs(folder: Path, common_name: str) -> dict[str, KeyPair]:
    """`signing` and `encryption`, each a PEM key (readable by its owner only) and a
    self-signed certificate, made in `folder` when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs = {use: KeyPair(folder / f"{use}.key", folder / f"{use}.crt") for use in ("signing", "encryption")}
    for use, pair in pairs.items():
        if not (pair.key.is_file() and pair.certificate.is_file()):
            _make(pair, f"{common_name} ({use})")
    return pairs


def _make(pair: KeyPair, common_name: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=365 * CERTIFICATE_YEARS))
                   .sign(key, hashes.SHA256()))
    descriptor = os.open(pair.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    pair.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
