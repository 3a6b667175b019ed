from pathlib import Path

import pytest

from idp.config import SettingsError, load_settings, settings_documentation, web_problems


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idp.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_then_file_then_environment(tmp_path: Path) -> None:
    config = write(tmp_path, '[ldap]\nurl = "ldap://127.0.0.1:3890"\nbase_dn = "dc=ent77,dc=fr"\n'
                             '[accounts]\nactivation_code_days = 30\n')
    settings = load_settings(config, environ={"ENT_IDP_LDAP_URL": "ldap://127.0.0.1:3999",
                                              "ENT_IDP_ACCOUNTS_LOCKOUT_FAILURES": "7"})
    assert settings.ldap.url == "ldap://127.0.0.1:3999"
    assert settings.accounts.activation_code_days == 30
    assert settings.accounts.lockout_failures == 7
    assert settings.ratelimit_storage_url == "database"


def test_config_file_can_come_from_ent_idp_config(tmp_path: Path) -> None:
    config = write(tmp_path, 'ent_name = "ENT 77 test"\n')
    assert load_settings(environ={"ENT_IDP_CONFIG": str(config)}).ent_name == "ENT 77 test"


def test_relative_instance_dir_is_beside_the_file(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, 'instance_dir = "inst"\n'), environ={}).instance_dir == str(tmp_path / "inst")


def test_every_problem_is_reported_at_once_one_line_each(tmp_path: Path) -> None:
    config = write(tmp_path, 'issuer = "http://ent.example.fr"\ncolour = "blue"\n'
                             '[ldap]\nurl = "http://x"\ntimeout = "soon"\n[schools]\n"0770001A" = "X"\n')
    with pytest.raises(SettingsError) as error:
        load_settings(config, environ={"ENT_IDP_ACCOUNTS_LOCKOUT_MINUTES": "ten"})
    problems = error.value.problems
    assert any("réglage inconnu : colour" in p for p in problems)
    assert any(p.startswith("issuer : https obligatoire") for p in problems)
    assert any(p.startswith("ldap.url") for p in problems)
    assert any(p.startswith("ldap.timeout : nombre entier attendu") for p in problems)
    assert any("ENT_IDP_ACCOUNTS_LOCKOUT_MINUTES : nombre entier attendu" in p for p in problems)
    assert any("lettre clé devrait être H" in p for p in problems)
    assert all("\n" not in p for p in problems)


def test_missing_or_broken_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="introuvable"):
        load_settings(tmp_path / "absent.toml", environ={})
    with pytest.raises(SettingsError, match="TOML invalide"):
        load_settings(write(tmp_path, "issuer = \n"), environ={})


def test_weak_secret_key_is_refused_outside_demo(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'secret_key = "short"\n'), environ={})
    assert web_problems(settings) and "secret_key" in web_problems(settings)[0]
    assert web_problems(settings.with_changes(demo=True)) == []
    assert web_problems(settings.with_changes(secret_key="x" * 40)) == []


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for name, variable, _ in settings_documentation():
        assert (variable or name) in readme, f"README does not document {variable or name}"


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "bind_password"
    secret.write_text("s3cret-from-a-file\n", encoding="utf-8")
    settings = load_settings(environ={"ENT_IDP_LDAP_BIND_PASSWORD_FILE": str(secret),
                                      "ENT_IDP_LDAP_BIND_PASSWORD": "ignored"})
    assert settings.ldap.bind_password == "s3cret-from-a-file"
    with pytest.raises(SettingsError, match="ENT_IDP_SECRET_KEY_FILE : fichier illisible"):
        load_settings(environ={"ENT_IDP_SECRET_KEY_FILE": str(tmp_path / "absent")})
