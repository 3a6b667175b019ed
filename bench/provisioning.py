"""Benchmark: `ent-idp accounts import` of N accounts against `ldapadd` of the same entries.

    .venv/bin/python bench/provisioning.py [--count 10000] [--cost owasp|test]

Each side gets a fresh private slapd with the same configuration; slapd hashes every
activation code with Argon2 on both sides, so the ratio shows the import's own overhead
(CSV checks, login choice, code generation, LDAP round trips). Target: ratio ≤ 2.
Prints a table and writes bench/results/provisioning.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from idp.directory import connect  # noqa: E402
from idp.directory.slapd import OWASP_ARGON2, Argon2Cost, PrivateSlapd, free_port  # noqa: E402
from idp.provisioning.codes import new_activation_code  # noqa: E402
from idp.provisioning.csv_import import read_accounts_csv  # noqa: E402
from idp.provisioning.service import Provisioner  # noqa: E402

COSTS = {"owasp": OWASP_ARGON2, "test": Argon2Cost(memory_kib=1024, iterations=1, parallelism=1)}
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
PROFILES = ["student", "parent", "teacher"]


def write_csv(path: Path, count: int) -> None:
    lines = ["given_name,surname,profile,school"]
    lines += [f"Prénom{i},{SURNAMES[i % 10]},{PROFILES[i % 3]},0770001H" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_ldif(path: Path, count: int, base_dn: str) -> None:
    entries = []
    for i in range(count):
        login = f"prenom{i}.{SURNAMES[i % 10].lower()}"
        entries.append("\n".join([
            f"dn: uid={login},ou=people,{base_dn}",
            "objectClass: top", "objectClass: person", "objectClass: organizationalPerson",
            "objectClass: inetOrgPerson", "objectClass: entidpAccount",
            f"uid: {login}", f"givenName: Prénom{i}", f"sn: {SURNAMES[i % 10]}",
            f"cn: Prénom{i} {SURNAMES[i % 10]}", f"displayName: Prénom{i} {SURNAMES[i % 10]}",
            f"entidpProfile: {PROFILES[i % 3]}", "entidpSchool: 0770001H", "entidpAccountState: pending",
            "entidpActivationExpires: 20270226000000Z", f"userPassword: {new_activation_code()}",
        ]))
    path.write_text("\n\n".join(entries) + "\n", encoding="utf-8")


def time_import(work: Path, count: int, cost: Argon2Cost) -> float:
    csv_file = work / "accounts.csv"
    write_csv(csv_file, count)
    with PrivateSlapd(work / "import", port=free_port(), argon2=cost) as slapd:
        directory = connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)
        began = time.perf_counter()
        report = Provisioner(directory, 90).import_rows(read_accounts_csv(csv_file).rows)
        elapsed = time.perf_counter() - began
    assert len(report.created) == count and not report.problems
    return elapsed


def time_ldapadd(work: Path, count: int, cost: Argon2Cost) -> float:
    with PrivateSlapd(work / "ldapadd", port=free_port(), argon2=cost) as slapd:
        ldif = work / "accounts.ldif"
        write_ldif(ldif, count, slapd.base_dn)
        began = time.perf_counter()
        subprocess.run(["ldapadd", "-x", "-H", slapd.url, "-D", slapd.admin_dn, "-w", slapd.admin_password,
                        "-f", str(ldif)], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--cost", choices=sorted(COSTS), default="owasp")
    args = parser.parse_args()
    cost = COSTS[args.cost]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ldapadd = time_ldapadd(work, args.count, cost)
        imported = time_import(work, args.count, cost)
    result = {
        "accounts": args.count, "argon2": vars(cost) if hasattr(cost, "__dict__") else str(cost),
        "import_seconds": round(imported, 2), "import_accounts_per_second": round(args.count / imported, 1),
        "ldapadd_seconds": round(ldapadd, 2), "ldapadd_accounts_per_second": round(args.count / ldapadd, 1),
        "ratio_to_ldapadd": round(imported / ldapadd, 2), "target_ratio": 2.0,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "provisioning.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"accounts            {args.count} "
          f"(argon2 {args.cost}: m={cost.memory_kib} t={cost.iterations} p={cost.parallelism})")
    print(f"ent-idp import      {imported:8.2f} s  {args.count / imported:8.1f} accounts/s")
    print(f"ldapadd (same LDIF) {ldapadd:8.2f} s  {args.count / ldapadd:8.1f} accounts/s")
    print(f"ratio               {imported / ldapadd:8.2f}  (target ≤ 2.00)")


if __name__ == "__main__":
    main()
