"""`ent-idp demo --federation`: « ÉduConnect (démonstration) » and « FranceConnect (démonstration) »
next to the ENT, with identities that lead to demo accounts, so that a person sees both buttons
work end to end. The demo accounts get what the académie's export would give them: an AAF join
key (ÉduConnect's FrEduCtRefId carries it) and a birth date (FranceConnect's pivot identity)."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import Flask

from idp.demo_educonnect import EduConnectIdentity, create_educonnect_demo, write_metadata
from idp.demo_franceconnect import API, FranceConnectIdentity, Registered, create_franceconnect_demo
from idp.directory import Directory, NewAccount

ACADEMIE = "CRE"
"""The académie of the demo's join keys (Créteil, whose académie Seine-et-Marne belongs to)."""
EDUCONNECT = (("educonnect.claire", "claire.dubois", "7700001", "PARENT"),
              ("educonnect.lucas", "lucas.adams", "7700002", "ELEVE"))
"""ÉduConnect identities: (username, the ENT account it leads to, its AAF identifier, its kind)."""
FRANCECONNECT = (("franceconnect.daniele", "daniele.adams", "1982-04-17"),
                 ("franceconnect.claire", "claire.dubois", "1979-10-05"))
"""FranceConnect identities: (username, the parent they are, birth date)."""


@dataclass(frozen=True)
class DemoFederation:
    educonnect_url: str
    franceconnect_url: str
    folder: Path
    registered: Registered

    @classmethod
    def at(cls, educonnect_url: str, franceconnect_url: str, issuer: str, folder: Path) -> DemoFederation:
        registered = Registered("ent-demo", secrets.token_urlsafe(32), [issuer + "/franceconnect/retour"],
                                [issuer + "/franceconnect/deconnexion"])
        return cls(educonnect_url, franceconnect_url, folder, registered)

    def settings_lines(self) -> list[str]:
        """What the ENT's settings say of both (the ÉduConnect metadata is written now)."""
        metadata = write_metadata(self.educonnect_url, self.folder / "educonnect")
        return ["", "[aaf]", f'academie = "{ACADEMIE}"',
                "", "[federation.educonnect]", f"metadata = {json.dumps(str(metadata))}",
                "", "[federation.franceconnect]", f'issuer = "{self.franceconnect_url}{API}"',
                f'client_id = "{self.registered.client_id}"', f'client_secret = "{self.registered.client_secret}"']

    def sites(self, ent: Flask, educonnect: list[EduConnectIdentity],
              franceconnect: list[FranceConnectIdentity]) -> list[tuple[Flask, int]]:
        """The two identity providers (ÉduConnect reads the ENT's metadata), knowing these people."""
        from idp.federation.educonnect_endpoints import EXTENSION

        sp_metadata = self.folder / "educonnect" / "ent-metadata.xml"
        sp_metadata.write_text(ent.extensions[EXTENSION].metadata, encoding="utf-8")
        return [(create_educonnect_demo(self.educonnect_url, self.folder / "educonnect", sp_metadata, educonnect,
                                        secrets.token_urlsafe(32)), _port(self.educonnect_url)),
                (create_franceconnect_demo(self.franceconnect_url, self.registered, franceconnect,
                                           secrets.token_urlsafe(32)), _port(self.franceconnect_url))]

    def demo_sites(self, ent: Flask, directory: Directory, demo_file: Path) -> list[tuple[Flask, int]]:
        """The two, with identities of the demo accounts, listed in demo.json (`federation`)."""
        educonnect, franceconnect, listed = demo_identities(directory)
        content = json.loads(demo_file.read_text(encoding="utf-8"))
        content["federation"] = listed
        demo_file.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return self.sites(ent, educonnect, franceconnect)


def educonnect_identity(username: str, given_name: str, surname: str, identifier: str,
                        kind: str = "PARENT") -> EduConnectIdentity:
    """Someone ÉduConnect knows, with the académie's identifier the school registered."""
    return EduConnectIdentity(username, "Educ-" + secrets.token_hex(4), {
        "givenName": [given_name], "sn": [surname], "FrEduCtRefId": [f"{{AAF}}{ACADEMIE}|{kind}|{identifier}"]})


def demo_identities(directory: Directory) -> tuple[list[EduConnectIdentity], list[FranceConnectIdentity],
                                                   dict[str, Any]]:
    """The identities of the demo accounts, which get the join keys and birth dates they need."""
    educonnect, franceconnect = [], []
    listed: dict[str, Any] = {"educonnect": {"identities": []}, "franceconnect": {"identities": []}}
    for username, login, identifier, kind in EDUCONNECT:
        account = directory.find(login)
        if account is None:
            continue
        if account.join_key != identifier:
            directory.update_from_feed(login, replace(NewAccount.of(account), join_key=identifier))
        identity = educonnect_identity(username, account.given_name, account.surname, identifier, kind)
        educonnect.append(identity)
        listed["educonnect"]["identities"].append({"username": username, "password": identity.password,
                                                   "login": login})
    for username, login, birth_date in FRANCECONNECT:
        account = directory.find(login)
        if account is None:
            continue
        if account.birth_date != birth_date:
            directory.update_from_feed(login, replace(NewAccount.of(account), birth_date=birth_date))
        password = "Fc-" + secrets.token_hex(4)
        franceconnect.append(FranceConnectIdentity(username, password, account.given_name,
                                                   account.surname.upper(), birth_date,
                                                   email=f"{login}@exemple.fr"))
        listed["franceconnect"]["identities"].append({"username": username, "password": password, "login": login,
                                                      "state": account.stored_state.value})
    return educonnect, franceconnect, listed


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])
