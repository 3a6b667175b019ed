"""Signing keys: RSA keys in `<instance>/keys/`, owner-only, never in the code.

Each `<kid>.pem` has a `<kid>.json` beside it: `created` (the order of the rotations)
and `not_before` (the moment it may start signing). A rotated-in key is published in
the JWKS at once but signs only once the JWKS cache lifetime has passed, so relying
parties that cache the JWKS already know it when its first token arrives; until then
the previous key signs. The key that signs is the most recently created one whose
`not_before` has passed: every instance reading the same folder decides it from the
files alone, so they all switch at the same moment, without a restart. The other keys
are kept to verify tokens signed before a rotation, and all are published in the JWKS.
`keys/active` is rewritten on each rotation: it tells the instances to re-read the folder.
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from joserfc.jwk import KeySet, RSAKey

KEY_BITS = 2048
KEPT_AFTER_ROTATION = 2
"""Old keys kept for verification: tokens they signed live at most a few hours."""
JWKS_CACHE_SECONDS = 300
"""How long relying parties may cache /jwks.json (its `max-age`) unless the settings say
otherwise (`oidc.jwks_cache_seconds`); a rotated-in key waits this long before it signs."""


def now() -> float:
    """The clock the key ring reads (seconds since the epoch); tests replace it."""
    return time.time()


def iso_utc(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class _Key:
    key: RSAKey
    created: float
    not_before: float


class KeyRing:
    def __init__(self, folder: Path, cache_seconds: int = JWKS_CACHE_SECONDS) -> None:
        self.folder = Path(folder)
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._loaded_stamp: int | None = None
        self._keys: dict[str, _Key] = {}

    @property
    def signing_key(self) -> RSAKey:
        self._refresh()
        return self._keys[self._signer(self._keys, now())].key

    def signs_from(self, kid: str) -> str:
        """The moment (ISO UTC) the key `kid` starts signing, or started."""
        self._refresh()
        return iso_utc(self._keys[kid].not_before)

    def public_jwks(self) -> dict:
        self._refresh()
        return {"keys": [entry.key.as_dict(private=False) for entry in self._keys.values()]}

    def verification_keys(self) -> KeySet:
        self._refresh()
        return KeySet([entry.key for entry in self._keys.values()])

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
                        self._add_key(delay=0)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def rotate(self, immediately: bool = False) -> str:
        """Adds a new key, published at once; it signs after the JWKS cache lifetime
        (`immediately`: at once, when a key has leaked). Returns its kid. The oldest
        keys are dropped, never the one signing."""
        with self._lock:
            kid = self._add_key(delay=0 if immediately else self.cache_seconds)
            keys = self._read()
            signer = self._signer(keys, now())
            newest_first = sorted(keys, key=lambda name: keys[name].created, reverse=True)
            for old in newest_first[1 + KEPT_AFTER_ROTATION:]:
                if old != signer:
                    (self.folder / f"{old}.pem").unlink(missing_ok=True)
                    (self.folder / f"{old}.json").unlink(missing_ok=True)
            return kid

    def _add_key(self, delay: int) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        key = RSAKey.generate_key(KEY_BITS, private=True)
        kid = key.thumbprint()
        created = now()
        # In whole seconds: a delayed key never early, an emergency one at once.
        signs_from = iso_utc(math.ceil(created + delay) if delay else math.floor(created))
        # The description first, then the key, then `active`: a reader never sees a key
        # without its `not_before`.
        self._write(f"{kid}.json", json.dumps({"created": created, "not_before": signs_from}).encode())
        self._write(f"{kid}.pem", key.as_pem(private=True))
        self._write("active", json.dumps({"kid": kid, "signs_from": signs_from}).encode())
        return kid

    def _write(self, name: str, content: bytes) -> None:
        temporary = self.folder / f".{name}.{os.getpid()}.{threading.get_ident()}.new"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        temporary.replace(self.folder / name)

    @staticmethod
    def _signer(keys: dict[str, _Key], moment: float) -> str:
        ready = [kid for kid, entry in keys.items() if entry.not_before <= moment]
        if not ready:  # clocks apart: the earliest key rather than none
            return min(keys, key=lambda kid: keys[kid].not_before)
        return max(ready, key=lambda kid: keys[kid].created)

    def _read(self) -> dict[str, _Key]:
        keys = {}
        for path in self.folder.glob("*.pem"):
            kid = path.stem
            try:
                described = json.loads((self.folder / f"{kid}.json").read_text())
                created, not_before = float(described["created"]), _parse_iso(described["not_before"])
            except FileNotFoundError:  # a key from before `not_before`: it signed when written
                created = not_before = path.stat().st_mtime
            key = RSAKey.import_key(path.read_bytes(), parameters={"kid": kid, "use": "sig", "alg": "RS256"})
            keys[kid] = _Key(key, created, not_before)
        return keys

    def _refresh(self) -> None:
        stamp = (self.folder / "active").stat().st_mtime_ns
        if stamp == self._loaded_stamp:
            return
        with self._lock:
            self._keys = self._read()
            self._loaded_stamp = stamp
