"""go-oidc (Debian's `golang-github-coreos-go-oidc-dev`), as a college app written in Go checks
ID tokens: `go/verifier.go`, built once per test run and kept running, so that its JWKS cache
lives across the tokens it is given."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).parent / "go" / "verifier.go"
GOPATH = "/usr/share/gocode"
"""Where Debian's Go library packages put their sources (no module download here)."""


def build(folder: Path) -> Path:
    binary = folder / "verifier"
    env = {**os.environ, "GOPATH": GOPATH, "GO111MODULE": "off", "GOCACHE": str(folder / "cache"), "GOFLAGS": ""}
    subprocess.run(["go", "build", "-o", str(binary), str(SOURCE)], cwd=folder, env=env, check=True,
                   capture_output=True, timeout=300)
    return binary


@dataclass(frozen=True)
class Verdict:
    ok: bool
    jwks_fetches: int
    detail: str
    """The `sub` when verified, go-oidc's reason otherwise."""


@contextmanager
def verifier(binary: Path, issuer: str, client_id: str) -> Iterator:
    """A running verifier: call it with an ID token, get its Verdict."""
    process = subprocess.Popen([str(binary), issuer, client_id], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, bufsize=1)

    def verify(id_token: str) -> Verdict:
        assert process.stdin and process.stdout
        process.stdin.write(id_token + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, f"go-oidc verifier stopped: {process.stderr.read() if process.stderr else ''}"
        word, rest = line.rstrip("\n").split(" ", 1)
        if word == "ok":
            sub, fetches = rest.rsplit(" ", 1)
            return Verdict(True, int(fetches), sub)
        fetches, reason = rest.split(" ", 1)
        return Verdict(False, int(fetches), reason)
    try:
        yield verify
    finally:
        process.kill()
        process.communicate(timeout=10)
