"""The schools' console (`/administration`) through Flask's test client, on the session's slapd,
fed from a generated AAF export."""
from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from idp.directory import AccountState, Directory, InvalidCredentials, NewAccount, Profile
from idp.provisioning.aaf_import import AafImport
from idp.provisioning.codes import normalize_typed_code
from idp.provisioning.service import Provisioner
from idp.services import services
from idp.store.schools import save_from_aaf
from tests.conftest import audit_events
from tests.flows.conftest import PASSWORD, csrf_token, new_active, sign_in
from tests.provisioning.aaf import Export
from tests.typography import html_faults


class School:
    """An export imported into the directory, with its letters' codes and a school admin of
    the first school."""

    def __init__(self, app: Flask, directory: Directory, surname: str, tmp_path: Path) -> None:
        self.export = Export(surname)
        report = AafImport(directory, Provisioner(directory, 90)).run(self.export.write(tmp_path / "aaf"))
        assert not report.refused
        with app.app_context():  # as `accounts import-aaf` does: the schools' names are kept
            save_from_aaf(services().store, report.schools)
        self.codes = {created.person.join_key: created.activation_code for created in report.created}
        self.logins = {created.person.join_key: created.login for created in report.created}
        self.uai, self.other = self.export.tilleuls.uai, self.export.moulin.uai
        self.admin = self.staff(app, directory, surname + "adm", ("school-admin",), (self.uai,))

    @staticmethod
    def staff(app: Flask, directory: Directory, surname: str, roles: tuple[str, ...],
              schools: tuple[str, ...]) -> FlaskClient:
        created = Provisioner(directory, 90).add(NewAccount("Hélène", surname, Profile.STAFF, schools, roles=roles))
        directory.activate(created.login, password=PASSWORD, recovery_email="sec@example.fr", terms_version="x")
        browser = app.test_client()
        assert sign_in(browser, created.login, PASSWORD).status_code == 302
        return browser

    def login(self, person: object) -> str:
        return self.logins[person.key]  # type: ignore[attr-defined]


@pytest.fixture
def school(app: Flask, directory: Directory, unique_surname: str, tmp_path: Path) -> School:
    return School(app, directory, unique_surname, tmp_path)


def post(browser: FlaskClient, path: str, **data: object):  # type: ignore[no-untyped-def]
    return browser.post(path, data={"csrf_token": csrf_token(browser.get("/aide").text), **data})


def test_only_school_admins_and_admins_get_in(client: FlaskClient, app: Flask, directory: Directory,
                                               unique_surname: str) -> None:
    assert client.get("/administration").headers["Location"] == "/connexion"
    parent = app.test_client()
    assert sign_in(parent, new_active(directory, unique_surname), PASSWORD).status_code == 302
    refused = parent.get("/administration")
    assert refused.status_code == 403 and "Accès réservé" in refused.text
    desk = School.staff(app, directory, unique_surname + "desk", ("helpdesk",), ("0770001H",))
    assert desk.get("/administration/0770001H").status_code == 403  # the help desk keeps /assistance only


def test_the_dashboard_counts_the_school_and_links_its_classes(school: School, directory: Directory) -> None:
    assert "Administration des comptes de vos établissements" in school.admin.get("/accueil").text
    index = html.unescape(school.admin.get("/administration").text)
    assert f"/administration/{school.uai}" in index and f"/administration/{school.other}" not in index
    directory.activate(school.login(school.export.zoe), password=PASSWORD, recovery_email="z@example.fr",
                       terms_version="v1")
    page = school.admin.get(f"/administration/{school.uai}")
    text = html.unescape(page.text)
    # Tilleuls: Zoé (activated), her mother, the teacher, the secretary and the school admin (active).
    assert page.status_code == 200
    assert "5 comptes\u00a0: 2 activés, 3 en attente d’activation (dont 0 avec un code expiré)." in text
    assert f"/administration/{school.uai}/comptes?profil=student&amp;classe=4e+B" in page.text
    assert '<progress max="100" value="40"' in page.text  # two accounts in five activated this week
    assert not html_faults(page.text)


def test_a_school_outside_the_admins_is_not_found(school: School) -> None:
    for path in (f"/administration/{school.other}", f"/administration/{school.other}/comptes",
                 f"/administration/{school.other}/en-attente.csv", "/administration/1234567X"):
        assert school.admin.get(path).status_code == 404, path
    assert post(school.admin, f"/administration/{school.other}/comptes", action="debloquer",
                compte=school.login(school.export.hugo)).status_code == 404


def test_an_account_of_another_school_cannot_be_acted_on_through_ones_own(school: School,
                                                                          directory: Directory) -> None:
    hugo = school.login(school.export.hugo)  # at Jean Moulin only
    response = post(school.admin, f"/administration/{school.uai}/comptes", action="desactiver", compte=hugo,
                    confirme="oui")
    assert response.status_code == 400 and "Cochez au moins un compte" in html.unescape(response.text)
    assert directory.get(hugo).state is AccountState.PENDING


def test_the_list_filters_by_class_state_and_name(school: School) -> None:
    listed = school.admin.get(f"/administration/{school.uai}/comptes?profil=student&classe=4e+B")
    assert not html_faults(listed.text) and not html_faults(school.admin.get("/administration").text)
    page = html.unescape(listed.text)
    assert school.login(school.export.zoe) in page and school.login(school.export.homonym) not in page
    found = html.unescape(school.admin.get(f"/administration/{school.uai}/comptes?q=paul").text)
    assert school.login(school.export.secretary) in found and school.login(school.export.zoe) not in found
    assert "1 compte(s)" in found


def test_new_codes_for_a_class_are_confirmed_then_come_back_as_its_letters(school: School, directory: Directory,
                                                                           app: Flask) -> None:
    zoe = school.login(school.export.zoe)
    path = f"/administration/{school.uai}/comptes"
    asked = post(school.admin, path, action="code", tous="oui", profil="student", classe="4e B")
    assert asked.status_code == 200 and "Nouveau code et lettre d’activation\u00a0?" in html.unescape(asked.text)
    assert not html_faults(asked.text)
    assert directory.verify(zoe, school.codes[school.export.zoe.key], normalize_typed_code).login == zoe  # not yet
    letters = post(school.admin, path, action="code", compte=zoe, confirme="oui")
    assert letters.mimetype == "application/pdf" and letters.headers["Cache-Control"] == "no-store"
    [page] = PdfReader(io.BytesIO(letters.data)).pages
    assert zoe in page.extract_text() and "4e B" in page.extract_text()
    with pytest.raises(InvalidCredentials):
        directory.verify(zoe, school.codes[school.export.zoe.key], normalize_typed_code)  # the old letter is void
    assert any(event["event"] == "console.code_reissued" and event.get("account") == zoe for event in audit_events(app))


def test_lock_asks_first_unlock_does_not_and_disable_ends_access(school: School, directory: Directory) -> None:
    secretary = school.login(school.export.secretary)
    path = f"/administration/{school.uai}/comptes"
    assert "Verrouiller\u00a0?" in html.unescape(post(school.admin, path, action="verrouiller", compte=secretary).text)
    assert directory.get(secretary).state is AccountState.PENDING
    done = post(school.admin, path, action="verrouiller", compte=secretary, confirme="oui")
    assert done.status_code == 302 and directory.get(secretary).state is AccountState.LOCKED
    assert "Comptes verrouillés" in html.unescape(school.admin.get(done.headers["Location"]).text)
    assert post(school.admin, path, action="debloquer", compte=secretary).status_code == 302
    assert directory.get(secretary).state is AccountState.PENDING
    assert post(school.admin, path, action="desactiver", compte=secretary, confirme="oui").status_code == 302
    assert directory.get(secretary).state is AccountState.DISABLED


def test_the_pending_accounts_come_as_a_spreadsheet_without_secrets(school: School) -> None:
    response = school.admin.get(f"/administration/{school.uai}/en-attente.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["login", "given_name", "surname", "profile", "class", "code_expires", "code_expired"]
    assert {row[0] for row in rows[1:]} == {school.login(person) for person in (
        school.export.zoe, school.export.mother, school.export.teacher, school.export.secretary)}
    assert not any(code in response.data.decode() for code in school.codes.values())


def test_an_admin_sees_every_school(school: School, app: Flask, directory: Directory, unique_surname: str) -> None:
    admin = School.staff(app, directory, unique_surname + "root", ("admin",), ())
    index = html.unescape(admin.get("/administration").text)
    assert f"/administration/{school.uai}" in index and f"/administration/{school.other}" in index
    assert "Collège Jean Moulin" in index and "Les chiffres sont sur la page de l’établissement." in index
    assert admin.get(f"/administration/{school.other}/comptes").status_code == 200
