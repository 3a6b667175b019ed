"""ÉduConnect: the ENT as a SAML 2.0 service provider, with pysaml2 (which signs and checks with
Debian's `xmlsec1`). Its metadata is what ÉduConnect registers: the entity id, where
assertions come back (HTTP-POST to /saml/acs), where logouts go (/saml/slo), and the two
certificates; the ENT signs its requests and wants signed assertions."""
from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.sigver import security_context

from idp.config import Settings

from .saml_keys import key_pairs

XMLSEC = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
METADATA_PATH, ACS_PATH, SLO_PATH, LOGIN_PATH = "/saml/metadata", "/saml/acs", "/saml/slo", "/saml/connexion"
SIGNING_ALGORITHM = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
DIGEST_ALGORITHM = "http://www.w3.org/2001/04/xmlenc#sha256"
"""Never pysaml2's default SHA-1."""
REFRESH_HOURS = 24
"""How often metadata read from a URL is read again (the identity provider's keys rotate)."""
log = logging.getLogger(__name__)


def service_provider(settings: Settings) -> SPConfig:
    """pysaml2's configuration of the ENT's service provider; ÉduConnect's metadata is read now
    (a file that cannot be read stops the start with its reason)."""
    base = settings.issuer.rstrip("/")
    keys = key_pairs(Path(settings.instance_dir) / "saml", f"{settings.ent_name} ÉduConnect")
    source = settings.federation.educonnect.metadata
    metadata = metadata_spec(source)
    config = SPConfig()
    config.load({
        "entityid": base + METADATA_PATH,
        "xmlsec_binary": XMLSEC,
        "key_file": str(keys["signing"].key),
        "cert_file": str(keys["signing"].certificate),
        "encryption_keypairs": [{"key_file": str(keys["encryption"].key),
                                 "cert_file": str(keys["encryption"].certificate)}],
        "metadata": metadata,
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "name": settings.ent_name,
            "endpoints": {"assertion_consumer_service": [(base + ACS_PATH, BINDING_HTTP_POST)],
                          "single_logout_service": [(base + SLO_PATH, BINDING_HTTP_REDIRECT)]},
            "authn_requests_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "allow_unsolicited": False,
            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
            "signing_algorithm": SIGNING_ALGORITHM,
            "digest_algorithm": DIGEST_ALGORITHM,
        }},
    })
    return config


def metadata_spec(source: str) -> dict[str, list]:
    """pysaml2's way of naming where ÉduConnect's metadata is read."""
    return {"remote": [{"url": source}]} if source.startswith("https://") else {"local": [source]}


class MetadataRefresh:
    """ÉduConnect's metadata read again, so that a new signing certificate is trusted without a
    restart: from a URL every REFRESH_HOURS, from a file when it changed. A read that fails keeps
    the metadata as it was (pysaml2's reload puts it back), and is tried again an hour later."""

    def __init__(self, config: SPConfig, source: str) -> None:
        self.config, self.source = config, source
        self.read_at, self.stamp = time.monotonic(), self._file_stamp()
        self.lock = threading.Lock()

    def _file_stamp(self) -> float | None:
        return None if self.source.startswith("https://") else os.stat(self.source).st_mtime

    def due(self) -> bool:
        if self.source.startswith("https://"):
            return time.monotonic() - self.read_at >= REFRESH_HOURS * 3600
        try:
            return self._file_stamp() != self.stamp
        except OSError:
            return False

    def refresh_if_due(self) -> None:
        if not self.due() or not self.lock.acquire(blocking=False):
            return
        try:
            self.config.metadata.reload(metadata_spec(self.source))
            self.read_at = time.monotonic()
            self.stamp = self._file_stamp()
        except Exception as error:  # unreachable, unreadable, badly signed: the old metadata stays
            log.warning("ÉduConnect metadata not read again: %s", error)
            self.read_at = time.monotonic() - (REFRESH_HOURS - 1) * 3600
        finally:
            self.lock.release()


def signed_metadata(config: SPConfig) -> str:
    """The service provider's metadata, signed with its signing key."""
    _, document = sign_entity_descriptor(entity_descriptor(config), None, security_context(config))
    return str(document)


def identity_provider(config: SPConfig) -> str:
    """ÉduConnect's entity id: the one identity provider of its metadata."""
    found = list(config.metadata.identity_providers())
    if len(found) != 1:
        raise ValueError(f"federation.educonnect.metadata : un fournisseur d'identité attendu, {len(found)} trouvé(s)")
    return str(found[0])


REF_ID = "FrEduCtRefId"
"""ÉduConnect's attribute naming the person in the académies' directories: `{AAF}<académie>|…|<id>`."""


def join_keys(ref_ids: list[str], academie: str, prefixed: bool) -> tuple[str, ...]:
    """The AAF join keys of an assertion's FrEduCtRefId values: those of `academie` (any when
    empty), as the directory's join keys are written (`CRE$1234567` when `prefixed`)."""
    keys: list[str] = []
    for value in ref_ids:
        if not value.startswith("{AAF}"):
            continue
        parts = value.removeprefix("{AAF}").split("|")
        code, identifier = parts[0].strip(), parts[-1].strip()
        if len(parts) < 2 or not code or not identifier:
            continue
        if academie and code.casefold() != academie.casefold():
            continue
        key = f"{code}${identifier}" if prefixed else identifier
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def signing_certificates(config: SPConfig, entity_id: str) -> list[str]:
    """ÉduConnect's signing certificates, as its metadata lists them now (two while a key rotates)."""
    return [certificate for _, certificate in config.metadata.certs(entity_id, "idpsso", use="signing")]


def slo_location(config: SPConfig, entity_id: str) -> str | None:
    """Where ÉduConnect takes logouts by HTTP-Redirect (None when its metadata names no such place)."""
    services = config.metadata.single_logout_service(entity_id, BINDING_HTTP_REDIRECT, "idpsso")
    return services[0]["location"] if services else None
