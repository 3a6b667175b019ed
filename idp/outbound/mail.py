"""Mail: templates, the RFC 5322 message, and the two ways out (SMTP, or .eml files in demo).

Templates live in templates/mail/<name>/{subject.<locale>.txt, body.<locale>.txt,
body.<locale>.html}, rendered by a plain Jinja environment (not Flask's: the CLI and the
background sender have no app context); autoescape is on for .html only.
"""
from __future__ import annotations

import base64
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, UndefinedError, select_autoescape

from idp.config import Settings, SettingsError

from .models import OutboxMessage

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
SMTP_TIMEOUT = 10
SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class MailError(Exception):
    """A failed attempt; `permanent` when retrying cannot help (the address is refused)."""

    def __init__(self, text: str, permanent: bool = False) -> None:
        super().__init__(text)
        self.permanent = permanent


class ServerDown(MailError):
    """The server (or its configuration) failed, not this message: other messages would fail too."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    locale: str


def template_names() -> list[str]:
    return sorted(p.name for p in (TEMPLATES / "mail").iterdir() if p.is_dir() and not p.name.startswith("_"))


def pick_locale(locale: str | None) -> str:
    short = (locale or "").replace("-", "_").split("_")[0].lower()
    return short if short in LOCALES else DEFAULT_LOCALE


def render(settings: Settings, template: str, context: dict[str, Any], locale: str = DEFAULT_LOCALE) -> Rendered:
    """The three parts of `template`; a key missing from `context` is an error, not a blank."""
    if template not in template_names():
        raise ValueError(f"modèle de courriel inconnu : {template!r}")
    locale = pick_locale(locale)
    values = {"ent_name": settings.ent_name, "theme_colour": settings.theme_colour, "portal_url": settings.issuer,
              **context, "locale": locale}
    folder = f"mail/{template}"
    try:
        subject = _one_line(_environment.get_template(f"{folder}/subject.{locale}.txt").render(values))
        values["subject"] = subject
        text = _environment.get_template(f"{folder}/body.{locale}.txt").render(values)
        html = _environment.get_template(f"{folder}/body.{locale}.html").render(values)
    except UndefinedError as error:
        raise ValueError(f"modèle de courriel {template!r} : {error}") from None
    except TemplateNotFound as missing:  # pragma: no cover - every template ships all parts (tested)
        raise ValueError(f"partie manquante du modèle {template!r} : {missing}") from None
    return Rendered(subject, text, html, locale)


def _one_line(text: str) -> str:
    """A subject on one line: its ASCII white space runs made one space; the no-break spaces
    of French typography stay (str.split() would take them for spaces)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip(" ")


def sender_address(settings: Settings) -> str:
    addresses = [address for _, address in getaddresses([settings.mail_from]) if "@" in address]
    if not addresses:
        raise SettingsError([f"mail_from : adresse de courriel attendue, reçu {settings.mail_from!r}"])
    return addresses[0]


def new_message_id(settings: Settings) -> str:
    return make_msgid(domain=sender_address(settings).rsplit("@", 1)[1])


def build_message(settings: Settings, row: OutboxMessage) -> EmailMessage:
    """multipart/alternative (text, then HTML) with the headers every message carries."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.to
    message["Subject"] = row.subject
    message["Date"] = formatdate(row.created_at, localtime=True)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body or "", cte="quoted-printable")
    message.add_alternative(row.html_body or "", subtype="html", cte="quoted-printable")
    message["Content-Language"] = row.locale  # after the parts: making them moves Content-* headers down
    return message


# Transports

@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"  # never the password


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://host:port (plain), smtp+starttls://host:port (STARTTLS required),
    smtps://host:port (implicit TLS); user:pass@ before the host logs in (percent-encoded)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SMTP_SCHEMES:
        raise SettingsError([f"smtp_url : smtp://, smtp+starttls:// ou smtps:// attendu "
                             f"(schéma reçu : {scheme or 'aucun'})"])  # never the URL: it may hold a password
    try:
        port = parts.port or SMTP_SCHEMES[scheme]
    except ValueError:
        raise SettingsError(["smtp_url : port invalide"]) from None
    if not parts.hostname:
        raise SettingsError(["smtp_url : nom du serveur manquant (smtp://hote:port)"])
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpServer(scheme, parts.hostname, port, user, password)


def send_smtp(server: SmtpServer, message: EmailMessage, envelope_from: str, to: str,
              context: ssl.SSLContext | None) -> None:
    """One message over one connection; raises MailError (ServerDown when the server is the problem)."""
    context = context or ssl.create_default_context()
    try:
        if server.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
    except (OSError, smtplib.SMTPException) as error:  # the socket is closed by then
        raise ServerDown(f"serveur de courrier injoignable ({server.where}) : {_describe(error)}") from None
    try:
        if server.scheme == "smtp+starttls":
            client.starttls(context=context)
        if server.user is not None:
            _login(client, server.user, server.password or "")
        client.send_message(message, from_addr=envelope_from, to_addrs=[to])
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass  # sent is sent
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise MailError(f"adresse refusée par le serveur de courrier ({server.where}) : {_describe(error)}",
                        permanent=all(code >= 500 for code in codes)) from None
    except smtplib.SMTPDataError as error:
        raise MailError(f"message refusé par le serveur de courrier ({server.where}) : {_describe(error)}",
                        permanent=error.smtp_code >= 500) from None
    except smtplib.SMTPNotSupportedError as error:
        raise ServerDown(f"le serveur de courrier ({server.where}) ne propose pas ce qu'il faut "
                         f"(STARTTLS ou AUTH) : {_describe(error)}") from None
    except smtplib.SMTPAuthenticationError as error:
        raise ServerDown(f"identifiants refusés par le serveur de courrier ({server.where}) : "
                         f"{_describe(error)}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise ServerDown(f"échec de l'envoi ({server.where}) : {_describe(error)}") from None
    finally:
        client.close()


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login, or AUTH PLAIN in UTF-8 (RFC 4616) for what smtplib cannot encode."""
    if (user + password).isascii():
        client.login(user, password)
        return
    client.ehlo_or_helo_if_needed()
    if "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError("AUTH PLAIN (identifiants non ASCII)")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


def write_eml(folder: str, row: OutboxMessage, message: EmailMessage) -> Path:
    """Demo without smtp_url: <id>-<template>.eml in outbox_dir, written whole or not at all."""
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{row.id}-{row.template}.eml"
    partial = directory / f".{path.name}.{os.getpid()}.tmp"
    partial.write_bytes(bytes(message))
    os.replace(partial, path)
    return path


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}".strip()
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
                         for code, text in error.recipients.values())
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def check_address(to: str) -> str:
    """One plain address (no display name, no line break): the To header cannot be injected."""
    address = to.strip()
    if not address or any(c in address for c in "\r\n<>,;\"") or address.count("@") != 1:
        raise ValueError(f"adresse de courriel invalide : {to!r}")
    local, domain = address.split("@")
    try:
        Address(username=local, domain=domain)
    except (ValueError, IndexError):
        raise ValueError(f"adresse de courriel invalide : {to!r}") from None
    if not local or not domain:
        raise ValueError(f"adresse de courriel invalide : {to!r}")
    return address
