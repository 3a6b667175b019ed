"""`ent-idp conformance` against `ent-idp demo --federation`, as an auditor runs it (README)."""
from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path
from xml.etree import ElementTree

from conformance.guides import STEPS
from tests.test_demo import ENT_IDP, free_port_with_the_next_ones, wait_for


def test_conformance_against_the_demo_reports_every_step(tmp_path: Path) -> None:
    port = free_port_with_the_next_ones(5)
    demo_dir = tmp_path / "demo"
    log = tmp_path / "demo.log"  # a file, not a pipe: the demo logs every request, and a full pipe would stall it
    with log.open("w") as output:
        demo = subprocess.Popen([ENT_IDP, "demo", "--data-dir", str(demo_dir), "--port", str(port), "--federation"],
                                stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/", demo)
        report = tmp_path / "report"
        done = subprocess.run(
            [ENT_IDP, "--config", str(demo_dir / "idp.toml"), "conformance", "--accounts", str(demo_dir / "demo.json"),
             "--report", str(report), "--publish-guides", str(tmp_path / "published")],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + log.read_text()[-2000:]
    entries = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert {entry["id"] for entry in entries} == set(STEPS)
    assert {entry["outcome"] for entry in entries} == {"passed"}
    assert all(entry["screenshot"] for entry in entries)
    assert any(entry["callouts"] for entry in entries)
    page = (report / "index.html").read_text(encoding="utf-8")
    assert all(re.search(rf"\b{step_id}\b", page) for step_id in STEPS)
    suite = ElementTree.parse(report / "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0" and suite.get("errors") == "0" and int(suite.get("tests")) >= len(STEPS)
    assert (tmp_path / "published" / "guides.json").exists()
