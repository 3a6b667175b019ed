"""The `ent-idp` command as admins script it (CONTRACTS.md)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from idp.cli import EXIT_SOME_LINES_REJECTED, main
from idp.directory.slapd import PrivateSlapd
from tests.conftest import settings_file, start_slapd

ENT_IDP = shutil.which("ent-idp", path=str(Path(sys.executable).parent)) or "ent-idp"


@pytest.fixture
def config(slapd: PrivateSlapd, tmp_path: Path) -> str:
    return str(settings_file(slapd, tmp_path))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_on_a_fresh_directory_prints_the_guide_login_and_a_code(tmp_path: Path) -> None:
    slapd = start_slapd(tmp_path / "ldap")
    try:
        done = subprocess.run(
            [ENT_IDP, "accounts", "add", "--given-name", "Danièle", "--surname", "Adams", "--profile", "parent",
             "--json"],
            env={**os.environ, "ENT_IDP_CONFIG": str(settings_file(slapd, tmp_path))},
            capture_output=True, text=True, timeout=60,
        )
    finally:
        slapd.stop()
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["login"] == "daniele.adams"
    assert set(created) == {"login", "activation_code", "dn"}
    assert len(created["activation_code"].replace("-", "")) == 12


def test_add_show_reset_lock_unlock(capsys: pytest.CaptureFixture[str], config: str, unique_surname: str,
                                    tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--config", config, "accounts", "add", "--given-name", "Jean-Marc",
                       "--surname", unique_surname, "--profile", "teacher", "--school", "0770001h",
                       "--school", "0770942F", "--email", "jm@example.fr", "--json")
    assert code == 0
    login = json.loads(out)["login"]
    code, out, _ = run(capsys, "--config", config, "accounts", "show", login, "--json")
    shown = json.loads(out)
    assert shown["state"] == "pending" and shown["profile"] == "teacher"
    assert shown["schools"] == ["0770001H", "0770942F"] and shown["recovery_email_set"] is True
    assert shown["mobile_set"] is False
    assert not any("code" in key or "password" in key for key in shown)
    code, out, _ = run(capsys, "--config", config, "accounts", "reset", login, "--json",
                       "--letters", str(tmp_path / "letter.pdf"))
    assert code == 0 and json.loads(out)["login"] == login
    assert len(PdfReader(tmp_path / "letter.pdf").pages) == 1
    assert json.loads(run(capsys, "--config", config, "accounts", "lock", login, "--json")[1])["state"] == "locked"
    code, out, _ = run(capsys, "--config", config, "accounts", "unlock", login)
    assert code == 0 and "déverrouillé" in out
    assert json.loads(run(capsys, "--config", config, "accounts", "show", login, "--json")[1])["state"] == "pending"


def test_import_with_letters_and_a_bad_line(capsys: pytest.CaptureFixture[str], config: str, unique_surname: str,
                                            tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text("given_name,surname,profile,school\n"
                        f"Anne,{unique_surname},parent,0770001H\n"
                        f"Paul,{unique_surname},boss,0770001H\n"
                        f"Zoé,{unique_surname},student,0770001H\n", encoding="utf-8")
    code, out, err = run(capsys, "--config", config, "accounts", "import", str(csv_file),
                         "--letters", str(tmp_path / "letters.pdf"), "--json")
    assert code == EXIT_SOME_LINES_REJECTED
    report = json.loads(out)
    assert [created["login"] for created in report["created"]] == [
        f"anne.{unique_surname.lower()}", f"zoe.{unique_surname.lower()}"]
    assert report["problems"] == [
        {"line": 3, "message": "profil « boss » inconnu (attendu : parent, teacher, student, staff)"}]
    assert "ligne 3 : profil « boss » inconnu" in err
    pages = PdfReader(tmp_path / "letters.pdf").pages
    assert len(pages) == 2 and report["created"][0]["activation_code"] in pages[0].extract_text()


@pytest.mark.parametrize(("args", "message"), [
    (["accounts", "show", "nobody.here"], "aucun compte « nobody.here »"),
    (["accounts", "unlock", "nobody.here"], "aucun compte « nobody.here »"),
    (["accounts", "add", "--given-name", "A", "--surname", "B", "--profile", "parent", "--school", "0770001A"],
     "lettre clé devrait être H"),
    (["accounts", "add", "--given-name", "A", "--surname", "B", "--profile", "parent", "--mobile", "12"],
     "numéro de mobile invalide"),
    (["accounts", "add", "--given-name", "A", "--surname", "B", "--profile", "parent", "--child", "nobody.here"],
     "enfant inconnu"),
    (["accounts", "import", "/nonexistent.csv"], "fichier introuvable"),
])
def test_errors_are_one_clear_line_and_a_non_zero_exit(capsys: pytest.CaptureFixture[str], config: str,
                                                       args: list[str], message: str) -> None:
    code, out, err = run(capsys, "--config", config, *args)
    assert code != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_directory_down_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('[ldap]\nurl = "ldap://127.0.0.1:1"\nbind_dn = "cn=admin,dc=ent77,dc=fr"\n'
                      'bind_password = "x"\ntimeout = 1\n', encoding="utf-8")
    done = subprocess.run([ENT_IDP, "--config", str(config), "accounts", "show", "daniele.adams"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == "ent-idp : l'annuaire ne répond pas (ldap://127.0.0.1:1)"


def test_bad_settings_name_each_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('[ldap]\nurl = "http://x"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "accounts", "show", "daniele.adams")
    assert code == 1 and err.startswith("ent-idp : réglages : ldap.url")


def test_clients_add_list_show_remove(capsys: pytest.CaptureFixture[str], config: str) -> None:
    code, out, _ = run(capsys, "--config", config, "clients", "add", "--name", "Cahier de textes",
                       "--redirect-uri", "https://cahier.example.fr/cb", "--redirect-uri", "http://127.0.0.1:8080/cb",
                       "--post-logout-redirect-uri", "https://cahier.example.fr/", "--json")
    assert code == 0
    created = json.loads(out)
    assert set(created) == {"client_id", "client_secret"} and len(created["client_secret"]) >= 32
    listed = json.loads(run(capsys, "--config", config, "clients", "list", "--json")[1])["clients"]
    assert created["client_id"] in [client["client_id"] for client in listed]
    shown = json.loads(run(capsys, "--config", config, "clients", "show", created["client_id"], "--json")[1])
    assert shown["redirect_uris"] == ["https://cahier.example.fr/cb", "http://127.0.0.1:8080/cb"]
    assert shown["first_party"] is True and shown["public"] is False and "secret" not in json.dumps(shown)
    assert shown["refresh_tokens"] is False
    assert run(capsys, "--config", config, "clients", "remove", created["client_id"])[0] == 0
    code, _, err = run(capsys, "--config", config, "clients", "show", created["client_id"])
    assert code == 1 and "aucune application" in err


def test_public_client_has_no_secret(capsys: pytest.CaptureFixture[str], config: str) -> None:
    code, out, _ = run(capsys, "--config", config, "clients", "add", "--name", "Appli mobile", "--public",
                       "--redirect-uri", "http://127.0.0.1:7000/cb", "--json")
    assert code == 0 and json.loads(out)["client_secret"] is None


def test_clients_add_refresh_tokens(capsys: pytest.CaptureFixture[str], config: str) -> None:
    code, out, _ = run(capsys, "--config", config, "clients", "add", "--name", "Agenda", "--refresh-tokens",
                       "--redirect-uri", "https://agenda.example.fr/cb", "--json")
    assert code == 0
    client_id = json.loads(out)["client_id"]
    shown = json.loads(run(capsys, "--config", config, "clients", "show", client_id, "--json")[1])
    assert shown["refresh_tokens"] is True
    listed = json.loads(run(capsys, "--config", config, "clients", "list", "--json")[1])["clients"]
    assert [c["refresh_tokens"] for c in listed if c["client_id"] == client_id] == [True]


@pytest.mark.parametrize("uri", ["http://college.example.fr/cb", "https://college.example.fr/cb#x", "/cb"])
def test_client_redirect_uris_must_be_safe(capsys: pytest.CaptureFixture[str], config: str, uri: str) -> None:
    code, _, err = run(capsys, "--config", config, "clients", "add", "--name", "X", "--redirect-uri", uri)
    assert code == 1 and "adresse invalide" in err


def test_keys_rotate_keeps_the_old_key_for_verification(capsys: pytest.CaptureFixture[str], config: str,
                                                         tmp_path: Path) -> None:
    from idp.config import load_settings
    from idp.oidc.keys import KeyRing
    first = json.loads(run(capsys, "--config", config, "keys", "rotate", "--now", "--json")[1])["kid"]
    second = json.loads(run(capsys, "--config", config, "keys", "rotate", "--now", "--json")[1])["kid"]
    ring = KeyRing(Path(load_settings(config, environ={}).instance_dir) / "keys")
    assert ring.signing_key.kid == second
    assert {first, second} <= {key["kid"] for key in ring.public_jwks()["keys"]}
    assert all("d" not in key for key in ring.public_jwks()["keys"])  # public parts only
    for path in (ring.folder).glob("*.pem"):
        assert path.stat().st_mode & 0o077 == 0


def test_workers_starting_together_create_one_signing_key(tmp_path: Path) -> None:
    import multiprocessing

    from idp.oidc.keys import KeyRing
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=KeyRing(tmp_path / "keys").ensure) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert len(list((tmp_path / "keys").glob("*.pem"))) == 1


@pytest.mark.parametrize("command", ["lock", "reset"])
def test_lock_and_reset_end_the_sessions_and_revoke_the_tokens(capsys: pytest.CaptureFixture[str], config: str,
                                                               unique_surname: str, command: str) -> None:
    from idp.config import load_settings
    from idp.store import SsoSession, Store, Token

    code, out, _ = run(capsys, "--config", config, "accounts", "add", "--given-name", "Paul",
                       "--surname", unique_surname, "--profile", "parent", "--json")
    login, other = json.loads(out)["login"], "someone.else"
    settings = load_settings(config, environ={})
    store = Store.for_instance(settings.database_url, settings.instance_dir)
    try:
        with store.transaction() as db:
            for who in (login, other):
                db.add(SsoSession(id_digest=f"{command}-{who}", login=who, sub="s", auth_time=1, amr=["pwd"],
                                  remember=False, created_at=1, last_seen_at=1, expires_at=2**31 - 1))
                db.add(Token(access_digest=f"{command}-{who}", client_id="c", login=who, sub="s",
                             scope="openid", auth_time=1, issued_at=1, expires_at=2**31 - 1, family=command))
        assert run(capsys, "--config", config, "accounts", command, login)[0] == 0
        store.end()
        ended = {row.login: row.ended_at is not None for row in store.session.query(SsoSession)
                 .filter(SsoSession.id_digest.like(f"{command}-%"))}
        revoked = {row.login: row.revoked_at is not None for row in store.session.query(Token)
                   .filter(Token.access_digest.like(f"{command}-%"))}
        assert ended == revoked == {login: True, other: False}
    finally:
        store.dispose()


def test_import_aaf_feeds_the_directory_then_a_delta_keeps_it_current(
        capsys: pytest.CaptureFixture[str], config: str, unique_surname: str, tmp_path: Path) -> None:
    from tests.provisioning.aaf import Export, delete_request, modify_request, write_file

    export = Export(unique_surname)
    folder = tmp_path / "septembre"
    export.write(folder)
    code, out, err = run(capsys, "--config", config, "accounts", "import-aaf", str(folder), "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["dry_run"] and len(json.loads(out)["would_create"]) == 6
    code, out, err = run(capsys, "--config", config, "accounts", "import-aaf", str(folder),
                         "--letters", str(tmp_path / "lettres.pdf"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert len(report["created"]) == 6 and report["disabled"] == [] and report["refused"] == []
    assert {created["profile"] for created in report["created"]} == {"student", "parent", "teacher", "staff"}
    assert len(PdfReader(tmp_path / "lettres.pdf").pages) == 6
    zoe = next(c["login"] for c in report["created"] if c["join_key"] == export.zoe.key)
    # The delta names schools by their AAF key only: the keys of September's export were kept.
    delta = write_file(tmp_path / "ENT_77_Delta_20261015_Eleve_0001.xml", [
        modify_request("Eleve", export.zoe.key, {"ENTPersonStructRattach": export.moulin.key,
                                                 "ENTEleveClasses": f"{export.moulin.key}$4e A"}),
        delete_request("Eleve", export.hugo.key), modify_request("Eleve", "inconnu", {"sn": "X"})])
    code, out, err = run(capsys, "--config", config, "accounts", "import-aaf", str(delta))
    assert code == EXIT_SOME_LINES_REJECTED
    assert "2 mis à jour, 1 désactivé(s)" in out and "1 refusé(s)" in out  # Zoé, and her mother's schools
    assert "requête 3 (inconnu) : modification d'une personne absente de l'annuaire" in err
    code, out, _ = run(capsys, "--config", config, "accounts", "show", zoe, "--json")
    assert json.loads(out)["schools"] == [export.moulin.uai]

    def listed(*filters: str) -> list[str]:
        code, out, _ = run(capsys, "--config", config, "accounts", "list", *filters, "--json")
        assert code == 0
        accounts = json.loads(out)["accounts"]
        assert not any("code" in key or "password" in key or "secret" in key for item in accounts for key in item)
        return sorted(item["login"] for item in accounts)

    moulin, tilleuls = export.moulin.uai, export.tilleuls.uai
    logins = {c["join_key"]: c["login"] for c in report["created"]}
    assert listed("--school", moulin, "--profile", "student") == sorted([zoe, logins[export.homonym.key],
                                                                          logins[export.hugo.key]])
    assert listed("--school", moulin, "--class", "4e A") == [zoe]
    assert listed("--school", tilleuls, "--state", "pending", "--profile", "staff") == [logins[export.secretary.key]]
    assert listed("--school", moulin, "--state", "disabled") == [logins[export.hugo.key]]
    code, out, _ = run(capsys, "--config", config, "accounts", "list", "--school", moulin, "--profile", "parent")
    assert logins[export.mother.key] in out and "1 compte(s)" in out


def test_roles_are_given_and_taken(capsys: pytest.CaptureFixture[str], config: str, unique_surname: str) -> None:
    code, out, _ = run(capsys, "--config", config, "accounts", "add", "--given-name", "Anne", "--surname",
                       unique_surname, "--profile", "staff", "--school", "0770001H", "--json")
    login = json.loads(out)["login"]
    code, out, _ = run(capsys, "--config", config, "accounts", "roles", login, "--add", "school-admin",
                       "--add", "helpdesk", "--json")
    assert code == 0 and json.loads(out) == {"login": login, "roles": ["school-admin", "helpdesk"]}
    code, out, _ = run(capsys, "--config", config, "accounts", "roles", login, "--remove", "helpdesk")
    assert code == 0 and out.strip() == f"{login} : school-admin"
    assert json.loads(run(capsys, "--config", config, "accounts", "show", login, "--json")[1])["roles"] == [
        "school-admin"]
    with pytest.raises(SystemExit):
        main(["--config", config, "accounts", "roles", login, "--add", "root"])
    assert "'root'" in capsys.readouterr().err  # argparse names the roles there are


def test_the_activation_report_and_new_codes_for_the_expired_ones(
        capsys: pytest.CaptureFixture[str], config: str, slapd: PrivateSlapd, unique_surname: str,
        tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.conftest import directory_of
    from tests.provisioning.aaf import Export

    export = Export(unique_surname)
    export.write(tmp_path / "export")
    code, out, err = run(capsys, "--config", config, "accounts", "import-aaf", str(tmp_path / "export"), "--json")
    assert code == 0, err
    logins = {c["join_key"]: c["login"] for c in json.loads(out)["created"]}
    directory = directory_of(slapd)
    directory.activate(logins[export.mother.key], password="Tilleul2026", recovery_email="m@example.fr",
                       terms_version="v1")
    directory.issue_activation_code(logins[export.homonym.key], "AAAABBBBCCCC", datetime.now(UTC) - timedelta(days=1))
    moulin = export.moulin.uai

    code, out, _ = run(capsys, "--config", config, "report", "activation", "--school", moulin, "--json")
    [school] = json.loads(out)["schools"]
    assert (school["school"], school["accounts"], school["active"], school["pending"], school["expired"]) == (
        moulin, 4, 1, 3, 1)  # Hugo, the homonym, the mother, the teacher
    lines = {(line["profile"], line["class"]): (line["accounts"], line["expired"]) for line in school["lines"]}
    assert lines == {("student", "3e C"): (1, 1), ("student", "6e A"): (1, 0), ("parent", None): (1, 0),
                     ("teacher", None): (1, 0)}
    code, out, _ = run(capsys, "--config", config, "report", "activation", "--school", moulin, "--csv")
    rows = out.splitlines()
    assert rows[0] == "school,name,profile,class,accounts,active,pending,expired,locked,disabled"
    assert f"{moulin},Collège Jean Moulin,student,3e C,1,0,1,1,0,0" in rows  # the name the export gave
    code, out, _ = run(capsys, "--config", config, "report", "activation", "--school", moulin)
    assert f"{moulin} Collège Jean Moulin : 4 comptes, 1 activés (25 %), 3 en attente dont 1 codes expirés" in out

    code, out, _ = run(capsys, "--config", config, "accounts", "reset", "--expired", "--school", moulin,
                       "--letters", str(tmp_path / "lettres.pdf"), "--json")
    assert code == 0 and [r["login"] for r in json.loads(out)["reset"]] == [logins[export.homonym.key]]
    assert len(PdfReader(tmp_path / "lettres.pdf").pages) == 1
    code, out, _ = run(capsys, "--config", config, "report", "activation", "--school", moulin, "--json")
    assert json.loads(out)["schools"][0]["expired"] == 0
    assert run(capsys, "--config", config, "accounts", "reset", "--expired")[0] == 1  # which school?
