"""SMS, sent at once (the codes they carry expire within minutes): no outbox; the background
task that sends one is tried again if the gateway fails.

sms_gateway: unset or "" = off; http(s)://… = JSON POST {"to": "+336…", "text": "…"} with
`Authorization: Bearer <sms_gateway_token>`, 10 s timeout, any 2xx = sent;
file:///some/dir = one .txt file per SMS in that folder (demo): "To: +336…", a blank
line, then the text.
"""
from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from idp.config import Settings, SettingsError

SMS_TIMEOUT = 10
_NUMBER = re.compile(r"^\+[1-9]\d{7,14}$")


class SmsUnavailable(Exception):
    """SMS are off, or the gateway refused or failed; the message says which, in French."""


def gateway_kind(settings: Settings) -> str | None:
    """None (off), "http" or "file"; a gateway of another kind is a settings error."""
    url = settings.sms_gateway.strip()
    if not url:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return "http"
    if scheme == "file" and _file_folder(url):
        return "file"
    raise SettingsError([f"sms_gateway : https://… ou file:///dossier attendu (schéma reçu : {scheme or 'aucun'})"])


_OUTSIDE_GSM = str.maketrans({"\u00a0": " ", "\u202f": " ", "’": "'"})
"""French typography's characters that the GSM 03.38 alphabet lacks, and what an SMS gets
instead (one of them would make it UCS-2: 70 characters an SMS instead of 160)."""


def send_sms(settings: Settings, to: str, text: str) -> None:
    text = text.translate(_OUTSIDE_GSM)
    kind = gateway_kind(settings)
    if kind is None:
        raise SmsUnavailable("l'envoi de SMS n'est pas configuré sur ce service")
    number = to.strip()
    if not _NUMBER.match(number):
        raise SmsUnavailable("numéro de mobile invalide : le SMS n'a pas été envoyé")
    if kind == "file":
        _write_file(_file_folder(settings.sms_gateway.strip()), number, text)
    else:
        _post(settings, number, text)


def _post(settings: Settings, number: str, text: str) -> None:
    import requests  # only when an HTTP gateway is configured

    headers = {"Authorization": f"Bearer {settings.sms_gateway_token}"} if settings.sms_gateway_token else {}
    url = settings.sms_gateway.strip()
    try:
        with requests.post(url, json={"to": number, "text": text}, headers=headers, timeout=SMS_TIMEOUT,
                           allow_redirects=False) as response:
            status = response.status_code
    except requests.RequestException as error:
        raise SmsUnavailable(f"la passerelle SMS est injoignable ({type(error).__name__})") from None
    if not 200 <= status < 300:
        raise SmsUnavailable(f"la passerelle SMS a refusé le message (HTTP {status})")


def _file_folder(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path) if parts.netloc in ("", "localhost") else ""


def _write_file(folder: str, number: str, text: str) -> None:
    directory = Path(folder)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{time.time_ns()}-{secrets.token_hex(3)}-{number.lstrip('+')}.txt"
        partial = directory / f".{path.name}.tmp"
        partial.write_text(f"To: {number}\n\n{text}\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        raise SmsUnavailable(f"impossible d'écrire le SMS dans {folder} ({error.strerror or error})") from None
