"""The ENT and a real SAML identity provider (pysaml2's, as `ent-idp demo --federation` runs it),
each on its own port, for the tests of signing in with ÉduConnect."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp.app import create_app
from idp.config import load_settings
from idp.demo_educonnect import Behaviour, EduConnectIdentity, create_educonnect_demo, write_metadata
from idp.directory.slapd import PrivateSlapd, free_port
from idp.federation.endpoints import EXTENSION
from tests.conftest import settings_file
from tests.federation.federated import ACADEMIE, Federation, serve


@pytest.fixture(scope="session")
def federation(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    folder = tmp_path_factory.mktemp("federation")
    ent_port, idp_port = free_port(), free_port()
    issuer, educonnect_url = f"http://127.0.0.1:{ent_port}", f"http://127.0.0.1:{idp_port}"
    idp_metadata = write_metadata(educonnect_url, folder / "educonnect")
    settings = load_settings(settings_file(slapd, folder, f'issuer = "{issuer}"\nsecret_key = "{"k" * 40}"\n'
                                           f'[aaf]\nacademie = "{ACADEMIE}"\n'
                                           f'[federation.educonnect]\nmetadata = "{idp_metadata}"\n'), environ={})
    ent = create_app(settings.with_changes(demo=False))
    sp_metadata = folder / "sp-metadata.xml"
    sp_metadata.write_text(ent.extensions[EXTENSION].metadata, encoding="utf-8")
    behaviour = Behaviour()
    identities: dict[str, EduConnectIdentity] = {}
    educonnect = create_educonnect_demo(educonnect_url, folder / "educonnect", sp_metadata, [], "s" * 40, behaviour)
    educonnect.config["IDENTITIES"] = identities
    servers = [serve(ent, ent_port), serve(educonnect, idp_port)]
    yield Federation(ent, issuer, educonnect_url, behaviour, identities)
    for thread in servers:
        thread.server.shutdown()  # type: ignore[attr-defined]
        thread.join()


