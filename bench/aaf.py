"""Benchmark: `ent-idp accounts import-aaf` of a département's export against `ldapadd` of the
same entries, then a delta of 1,000 changes.

    .venv/bin/python bench/aaf.py [--people 100000] [--schools 130] [--cost owasp|test]

The export is the project's generator's (tests/provisioning/aaf.py): 60 % pupils, 35 %
relatives, 5 % staff. Each side gets a fresh private slapd with the same configuration, and
slapd hashes every activation code with Argon2 on both, so the ratio shows the import's own
overhead (reading the XML, the mapping, the logins, the LDAP round trips). Target: ratio ≤ 2.
Prints a table and writes bench/results/aaf.json.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provisioning import COSTS  # noqa: E402
from idp.directory import Directory, connect  # noqa: E402
from idp.directory.slapd import Argon2Cost, PrivateSlapd, free_port  # noqa: E402
from idp.provisioning.aaf_import import AafImport  # noqa: E402
from idp.provisioning.codes import new_activation_code  # noqa: E402
from idp.provisioning.service import Provisioner  # noqa: E402
from tests.provisioning.aaf import delete_request, departement, modify_request, write_file  # noqa: E402

DELTA = 1_000


def write_ldif(directory: Directory, path: Path) -> int:
    """The entries the import made, as an LDIF for ldapadd (a cleartext code each: slapd hashes it)."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for account in directory.accounts():
            lines = [f"dn: {account.dn}", "objectClass: top", "objectClass: person",
                     "objectClass: organizationalPerson", "objectClass: inetOrgPerson", "objectClass: entidpAccount",
                     f"uid: {account.login}", f"givenName: {account.given_name}", f"sn: {account.surname}",
                     f"cn: {account.display_name}", f"displayName: {account.display_name}",
                     f"entidpProfile: {account.profile.value}", "entidpAccountState: pending",
                     "entidpActivationExpires: 20270226000000Z", f"entidpJoinKey: {account.join_key}",
                     f"userPassword: {new_activation_code()}"]
            lines += [f"entidpSchool: {school}" for school in account.schools]
            lines += [f"entidpClass: {name}" for name in account.classes]
            lines += [f"entidpChild: uid={child},{directory.people_dn}" for child in account.children]
            lines += [f"entidpBirthDate: {account.birth_date}"] if account.birth_date else []
            lines += [f"mail: {account.school_email}"] if account.school_email else []
            lines += [f"mobile: {account.school_mobile}"] if account.school_mobile else []
            out.write("\n".join(lines) + "\n\n")
            count += 1
    return count


def write_delta(folder: Path, pupils: int) -> list[Path]:
    """1,000 changes: 500 pupils renamed, 300 moved to another class, 200 gone."""
    step = max(1, pupils // DELTA)
    keys = [f"E-{n}" for n in range(0, pupils, step)][:DELTA]
    changes = [modify_request("Eleve", key, {"sn": "Renommé"}) for key in keys[:500]]
    changes += [modify_request("Eleve", key, {"ENTEleveClasses": "STRUCT-770001$3e B"}) for key in keys[500:800]]
    changes += [delete_request("Eleve", key) for key in keys[800:]]
    folder.mkdir()
    return [write_file(folder / "ENT_77_Delta_20261015_Eleve_0001.xml", changes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=130)
    parser.add_argument("--cost", choices=sorted(COSTS), default="owasp")
    args = parser.parse_args()
    cost: Argon2Cost = COSTS[args.cost]
    pupils_each = round(args.people * 0.6 / args.schools)
    staff_each = max(1, round(args.people * 0.05 / args.schools))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        paths = departement(work / "export", schools=args.schools, pupils=pupils_each, staff=staff_each)
        size = sum(path.stat().st_size for path in paths)
        with PrivateSlapd(work / "import", port=free_port(), argon2=cost) as slapd:
            directory = connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)
            began = time.perf_counter()
            report = AafImport(directory, Provisioner(directory, 90)).run(paths)
            imported = time.perf_counter() - began
            assert not report.refused and not report.file_errors, report.refused[:3]
            people = len(report.created)
            rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            schools = {key: uai for key, (uai, _) in report.schools.items()}
            delta_paths = write_delta(work / "delta", args.schools * pupils_each)
            began = time.perf_counter()
            delta = AafImport(directory, Provisioner(directory, 90), schools=schools).run(delta_paths)
            delta_seconds = time.perf_counter() - began
            assert not delta.refused, delta.refused[:3]
            ldif = work / "accounts.ldif"
            assert write_ldif(directory, ldif) == people
        with PrivateSlapd(work / "ldapadd", port=free_port(), argon2=cost) as slapd:
            began = time.perf_counter()
            subprocess.run(["ldapadd", "-x", "-H", slapd.url, "-D", slapd.admin_dn, "-w", slapd.admin_password,
                            "-f", str(ldif)], check=True, stdout=subprocess.DEVNULL)
            ldapadd = time.perf_counter() - began
    result = {
        "people": people, "schools": args.schools, "export_mib": round(size / 2**20, 1), "argon2": args.cost,
        "import_seconds": round(imported, 1), "import_people_per_second": round(people / imported, 1),
        "ldapadd_seconds": round(ldapadd, 1), "ldapadd_people_per_second": round(people / ldapadd, 1),
        "ratio_to_ldapadd": round(imported / ldapadd, 2), "target_ratio": 2.0,
        "delta_changes": DELTA, "delta_seconds": round(delta_seconds, 2),
        "delta_updated": len(delta.updated), "delta_disabled": len(delta.disabled),
        "peak_rss_mib": round(rss_mib),
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "aaf.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"people              {people} in {args.schools} schools ({result['export_mib']} MiB of XML; "
          f"argon2 {args.cost}: m={cost.memory_kib} t={cost.iterations} p={cost.parallelism})")
    print(f"ent-idp import-aaf  {imported:8.1f} s  {people / imported:8.1f} people/s  (peak RSS {rss_mib:.0f} MiB)")
    print(f"ldapadd (same LDIF) {ldapadd:8.1f} s  {people / ldapadd:8.1f} people/s")
    print(f"ratio               {imported / ldapadd:8.2f}  (target ≤ 2.00)")
    print(f"delta of {DELTA} changes {delta_seconds:6.2f} s  ({len(delta.updated)} updated, "
          f"{len(delta.disabled)} disabled)")


if __name__ == "__main__":
    main()
