"""The ENT and a real SAML identity provider (pysaml2's, as `ent-idp demo --federation` runs it),
each on its own port, for the tests of signing in with ÉduConnect."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp.app import create_app
from idp.config import load_settings
from idp.demo_educonnect import Behaviour, EduConnectIdentity, create_educonnect_demo, write_metadata
from idp.demo_franceconnect import API, Registered, create_franceconnect_demo
from idp.directory.slapd import PrivateSlapd, free_port
from idp.federation.educonnect_endpoints import EXTENSION
from tests.conftest import settings_file
from tests.federation.federated import ACADEMIE, Federation, serve


@pytest.fixture(scope="session")
def federation(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    folder = tmp_path_factory.mktemp("federation")
    ent_port, idp_port, fc_port = free_port(), free_port(), free_port()
    issuer, educonnect_url = f"http://127.0.0.1:{ent_port}", f"http://127.0.0.1:{idp_port}"
    franceconnect_url = f"http://127.0.0.1:{fc_port}"
    registered = Registered("ent-77", "fc-secret-" + "x" * 30, [issuer + "/franceconnect/retour"],
                            [issuer + "/franceconnect/deconnexion"])
    idp_metadata = write_metadata(educonnect_url, folder / "educonnect")
    settings = load_settings(settings_file(slapd, folder, f'issuer = "{issuer}"\nsecret_key = "{"k" * 40}"\n'
                                           f'[aaf]\nacademie = "{ACADEMIE}"\n'
                                           f'[federation.educonnect]\nmetadata = "{idp_metadata}"\n'
                                           f'[federation.franceconnect]\nissuer = "{franceconnect_url}{API}"\n'
                                           f'client_id = "{registered.client_id}"\n'
                                           f'client_secret = "{registered.client_secret}"\n'), environ={})
    ent = create_app(settings.with_changes(demo=False))
    sp_metadata = folder / "sp-metadata.xml"
    sp_metadata.write_text(ent.extensions[EXTENSION].metadata, encoding="utf-8")
    behaviour = Behaviour()
    identities: dict[str, EduConnectIdentity] = {}
    educonnect = create_educonnect_demo(educonnect_url, folder / "educonnect", sp_metadata, [], "s" * 40, behaviour)
    educonnect.config["IDENTITIES"] = identities
    franceconnect = create_franceconnect_demo(franceconnect_url, registered, [], "f" * 40)
    servers = [serve(ent, ent_port), serve(educonnect, idp_port), serve(franceconnect, fc_port)]
    yield Federation(ent, issuer, educonnect_url, behaviour, identities, franceconnect_url,
                     franceconnect.extensions["franceconnect_demo"])
    for thread in servers:
        thread.server.shutdown()  # type: ignore[attr-defined]
        thread.join()


