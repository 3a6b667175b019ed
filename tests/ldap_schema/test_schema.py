"""The schema files deployments load."""
from __future__ import annotations

import re
import subprocess
from importlib import resources
from pathlib import Path

from idp.directory import attributes

SCHEMA_DIR = Path(str(resources.files("ldap_schema")))


def definitions(text: str) -> list[str]:
    unfolded = re.sub(r"\n ", "", text)  # LDIF continuation lines
    found = re.findall(r"(?:attributetype|objectclass|olcAttributeTypes:|olcObjectClasses:)\s*(\(.*?\))\s*(?=\n\S|\Z)",
                       unfolded, re.S | re.I)
    return [" ".join(item.split()) for item in found]


def test_schema_and_ldif_define_the_same_things() -> None:
    schema = definitions((SCHEMA_DIR / "ent-idp.schema").read_text(encoding="utf-8"))
    ldif = definitions((SCHEMA_DIR / "ent-idp.ldif").read_text(encoding="utf-8"))
    assert len(schema) == 16 and schema == ldif


def test_oids_are_under_the_project_uuid_arc() -> None:
    oids = re.findall(r"\(\s*([\d.]+)", (SCHEMA_DIR / "ent-idp.schema").read_text(encoding="utf-8"))
    assert oids and all(oid.startswith("2.25.25735129627646600737920609379726577059.") for oid in oids)
    assert len(set(oids)) == len(oids)


def test_every_attribute_the_code_uses_is_defined_and_documented() -> None:
    schema = (SCHEMA_DIR / "ent-idp.schema").read_text(encoding="utf-8")
    readme = (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    ours = [value for name, value in vars(attributes).items()
            if name.isupper() and isinstance(value, str) and value.startswith("entidp")]
    assert len(ours) == 15
    for name in ours:
        assert f"'{name}'" in schema and f"`{name}`" in readme


def test_ldif_loads_into_cn_config(tmp_path: Path) -> None:
    """What a deployment does: add ent-idp.ldif to a cn=config directory (slapadd -n0)."""
    config_dir = tmp_path / "slapd.d"
    config_dir.mkdir()
    base = tmp_path / "config.ldif"
    base.write_text(
        "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n\n"
        "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n"
        + "\n".join((Path("/etc/ldap/schema") / f"{name}.ldif").read_text()
                    for name in ("core", "cosine", "inetorgperson"))
        + "\n" + (SCHEMA_DIR / "ent-idp.ldif").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    done = subprocess.run(["/usr/sbin/slapadd", "-n0", "-F", str(config_dir), "-l", str(base)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list(config_dir.glob("cn=config/cn=schema/*ent-idp.ldif"))
