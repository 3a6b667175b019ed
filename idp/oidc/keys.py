"""Signing keys: RSA keys in `<instance>/keys/`, owner-only, never in the code.

`keys/active` names the key that signs; the other `*.pem` files are kept to verify
tokens signed before a rotation, and all are published in the JWKS. Every instance
reading the same folder follows a rotation without a restart.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

from joserfc.jwk import KeySet, RSAKey

KEY_BITS = 2048
KEPT_AFTER_ROTATION = 2
"""Old keys kept for verification: tokens they signed live at most a few hours."""


class KeyRing:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._loaded_stamp: float | None = None
        self._keys: dict[str, RSAKey] = {}
        self._active = ""

    @property
    def signing_key(self) -> RSAKey:
        self._refresh()
        return self._keys[self._active]

    def public_jwks(self) -> dict:
        self._refresh()
        return {"keys": [key.as_dict(private=False) for key in self._keys.values()]}

    def verification_keys(self) -> KeySet:
        self._refresh()
        return KeySet(list(self._keys.values()))

    def ensure(self) -> None:
        """Creates the first key if there is none. Several workers or instances starting
        together on one folder create one key between them (a file lock)."""
        with self._lock:
            if (self.folder / "active").exists():
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    if not (self.folder / "active").exists():
                        self._add_key()
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def rotate(self) -> str:
        """A new key signs from now on; returns its kid. The oldest ones are dropped."""
        with self._lock:
            kid = self._add_key()
            kept = sorted(self.folder.glob("*.pem"), key=lambda path: path.stat().st_mtime, reverse=True)
            for old in kept[1 + KEPT_AFTER_ROTATION:]:
                old.unlink()
            return kid

    def _add_key(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        key = RSAKey.generate_key(KEY_BITS, private=True)
        kid = key.thumbprint()
        path = self.folder / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(key.as_pem(private=True))
        active = self.folder / f"active.{os.getpid()}.new"
        active.write_text(json.dumps({"kid": kid}))
        os.chmod(active, 0o600)
        active.replace(self.folder / "active")
        return kid

    def _refresh(self) -> None:
        active_file = self.folder / "active"
        stamp = active_file.stat().st_mtime_ns
        if stamp == self._loaded_stamp:
            return
        with self._lock:
            keys = {}
            for path in self.folder.glob("*.pem"):
                kid = path.stem
                keys[kid] = RSAKey.import_key(path.read_bytes(), parameters={"kid": kid, "use": "sig", "alg": "RS256"})
            self._active = json.loads(active_file.read_text())["kid"]
            self._keys = keys
            self._loaded_stamp = stamp
