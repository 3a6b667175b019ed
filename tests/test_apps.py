"""The home page's apps (idp.apps): OpenID Connect and CAS apps registered for some colleges
(`--school`) are shown to the people of those colleges only, and to parents whose children
are there; an app without a school is everyone's."""
from __future__ import annotations

from flask import Flask

from idp import clients
from idp.app import create_app
from idp.cas import services as cas_services
from idp.config import Settings
from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioner
from idp.services import services
from tests.flows.conftest import PASSWORD, sign_in

TILLEULS, MOULIN = "0770001H", "0770002J"


def person(directory: Directory, surname: str, profile: Profile, schools: tuple[str, ...],
           children: tuple[str, ...] = ()) -> str:
    created = Provisioner(directory, 90).add(NewAccount("Camille", surname, profile, schools, children=children))
    directory.activate(created.login, password=PASSWORD, recovery_email="c@example.fr", terms_version="x")
    return created.login


def home_apps(app: Flask, login: str) -> str:
    client = app.test_client()
    assert sign_in(client, login, PASSWORD).status_code == 302
    return client.get("/accueil").text


def test_apps_of_some_colleges_are_shown_to_their_people_and_to_their_pupils_parents(
        settings: Settings, directory: Directory, unique_surname: str) -> None:
    app = create_app(settings)
    with app.app_context():
        store = services().store
        clients.register(store, name=f"Vie scolaire Tilleuls {unique_surname}",
                         redirect_uris=["https://vs-tilleuls.example.fr/cb"], schools=[TILLEULS])
        clients.register(store, name=f"Médiathèque {unique_surname}", redirect_uris=["https://media.example.fr/cb"])
        cas_services.add(store, name=f"Pronote Moulin {unique_surname}", services=["https://pronote-moulin.example.fr/"],
                         schools=(MOULIN,))
    teacher = person(directory, unique_surname + "prof", Profile.TEACHER, (TILLEULS,))
    pupil = person(directory, unique_surname + "eleve", Profile.STUDENT, (MOULIN,))
    parent = person(directory, unique_surname + "parent", Profile.PARENT, (), children=(pupil,))

    seen = home_apps(app, teacher)
    assert f"Vie scolaire Tilleuls {unique_surname}" in seen and f"Médiathèque {unique_surname}" in seen
    assert f"Pronote Moulin {unique_surname}" not in seen
    seen = home_apps(app, parent)
    assert f"Pronote Moulin {unique_surname}" in seen and f"Médiathèque {unique_surname}" in seen
    assert f"Vie scolaire Tilleuls {unique_surname}" not in seen
