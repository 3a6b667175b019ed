"""The ENT as ÉduConnect's service provider: its signed SAML metadata (idp.federation)."""
from __future__ import annotations

import base64
import subprocess
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from flask import Flask
from saml2.sigver import security_context, verify_redirect_signature

from idp.app import create_app
from idp.config import EduConnectSettings, FederationSettings, Settings
from idp.federation.educonnect import XMLSEC
from idp.federation.educonnect_endpoints import EXTENSION
from idp.federation.saml_keys import key_pairs

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def idp_metadata(folder: Path) -> Path:
    """A stand-in for ÉduConnect's metadata: an identity provider with its certificate."""
    pair = key_pairs(folder / "idp-keys", "ÉduConnect (test)")["signing"]
    certificate = "".join(pair.certificate.read_text().splitlines()[1:-1])
    path = folder / "educonnect.xml"
    path.write_text(f'''<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="https://educonnect.example.fr/idp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://educonnect.example.fr/idp/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
''', encoding="utf-8")
    return path


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Flask:
    federation = FederationSettings(educonnect=EduConnectSettings(metadata=str(idp_metadata(tmp_path))))
    return create_app(settings.with_changes(federation=federation))


def test_the_metadata_is_signed_and_says_where_assertions_come_back(app: Flask, settings: Settings,
                                                                     tmp_path: Path) -> None:
    response = app.test_client().get("/saml/metadata")
    assert response.status_code == 200 and response.mimetype == "application/samlmetadata+xml"
    root = ElementTree.fromstring(response.data)
    base = settings.issuer.rstrip("/")
    assert root.tag == f"{MD}EntityDescriptor" and root.get("entityID") == base + "/saml/metadata"
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp is not None and sp.get("AuthnRequestsSigned") == "true" and sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{MD}AssertionConsumerService")
    assert acs is not None and acs.get("Location") == base + "/saml/acs"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    slo = sp.find(f"{MD}SingleLogoutService")
    assert slo is not None and slo.get("Location") == base + "/saml/slo"
    assert sorted(key.get("use") or "" for key in sp.findall(f"{MD}KeyDescriptor")) == ["encryption", "signing"]
    # xmlsec1 checks the signature with the signing certificate the metadata publishes.
    signed = tmp_path / "metadata.xml"
    signed.write_bytes(response.data)
    certificate = Path(settings.instance_dir) / "saml" / "signing.crt"
    checked = subprocess.run([XMLSEC, "--verify", "--pubkey-cert-pem", str(certificate), "--id-attr:ID",
                              "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", str(signed)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert root.find(f"{DS}Signature") is not None


def test_the_keys_are_made_once_and_the_private_ones_kept_private(app: Flask, settings: Settings) -> None:
    folder = Path(settings.instance_dir) / "saml"
    before = (folder / "signing.crt").read_bytes()
    create_app(app.extensions["ent_idp"].settings)  # a restart
    assert (folder / "signing.crt").read_bytes() == before
    assert (folder / "signing.key").stat().st_mode & 0o077 == 0 and (folder / "encryption.key").is_file()


def test_without_educonnect_there_is_no_metadata(settings: Settings) -> None:
    assert create_app(settings).test_client().get("/saml/metadata").status_code == 404


def test_se_connecter_avec_educonnect_sends_a_signed_authn_request_by_redirect(app: Flask, settings: Settings) -> None:
    response = app.test_client().get("/saml/connexion?interaction=abc")
    assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://educonnect.example.fr/idp/sso"
    query = parse_qs(location.query)
    assert set(query) == {"SAMLRequest", "RelayState", "SigAlg", "Signature"}
    request = ElementTree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15))
    base = settings.issuer.rstrip("/")
    assert request.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}AuthnRequest"
    assert request.get("Destination") == "https://educonnect.example.fr/idp/sso"
    assert request.get("AssertionConsumerServiceURL") == base + "/saml/acs"
    assert request.findtext("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer") == base + "/saml/metadata"
    # What the identity provider checks: the redirect's signature, with the certificate of our metadata.
    certificate = "".join((Path(settings.instance_dir) / "saml" / "signing.crt").read_text().splitlines()[1:-1])
    message = {name: values[0] for name, values in query.items()}
    context = security_context(app.extensions[EXTENSION].config)
    assert verify_redirect_signature(message, context.sec_backend, cert=certificate)
    forged = {**message, "RelayState": message["RelayState"] + "x"}
    assert not verify_redirect_signature(forged, context.sec_backend, cert=certificate)
