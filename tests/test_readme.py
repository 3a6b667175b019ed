"""The README's security table: every rule of the checklist names tests, and they exist."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_security_rule_names_tests_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Security: each rule and the test that tries it", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| [^|]+ \| (.+) \|$", section, re.M)
    assert [int(number) for number, _ in rows] == list(range(1, 49))
    for number, tests in rows:
        named = re.findall(r"`([\w/]+\.py)::(test_\w+)`", tests)
        assert named, f"rule {number} names no test"
        for file, name in named:
            assert re.search(rf"^def {name}\(", (ROOT / file).read_text(encoding="utf-8"), re.M), \
                f"rule {number}: {file}::{name} does not exist"
