"""node-oidc-provider next to `ent-idp serve`, for `signin.py --compare oidc-provider`: the
reference a sign-in's cost is compared with, driven by the same driver through the same steps.

It is installed from npm, pinned, into the benchmark's temporary folder (with the script
`oidc_provider_server.mjs` beside it, where Node.js resolves its import), and run in memory
with one confidential client and a login page that checks no password (the hash is slapd's
cost on the ENT's side, and not the provider's own work)."""
from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

VERSION = "9.13.3"
"""The node-oidc-provider compared with (npm `oidc-provider`)."""
SERVER = Path(__file__).resolve().parent / "oidc_provider_server.mjs"


class NodeOidcProvider:
    def __init__(self, folder: Path, port: int, client_id: str, client_secret: str, redirect_uri: str) -> None:
        for tool in ("node", "npm"):
            if shutil.which(tool) is None:
                raise SystemExit(f"--compare oidc-provider needs {tool} (./dev test installs Node.js)")
        folder.mkdir(parents=True, exist_ok=True)
        print(f"  installing oidc-provider@{VERSION} from npm into {folder}", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(folder), f"oidc-provider@{VERSION}", "--no-audit",
                        "--no-fund", "--loglevel=error"], check=True, stdout=subprocess.DEVNULL)
        script = folder / SERVER.name
        shutil.copyfile(SERVER, script)
        self.url = f"http://127.0.0.1:{port}"
        self.log = folder / "oidc-provider.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(["node", str(script), str(port), client_id, client_secret, redirect_uri],
                                            stdout=output, stderr=subprocess.STDOUT, cwd=folder)
        self._wait_ready()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"node-oidc-provider stopped:\n{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/.well-known/openid-configuration", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"node-oidc-provider did not answer:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
