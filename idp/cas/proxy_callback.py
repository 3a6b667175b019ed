"""Handing a proxy-granting ticket to an app's callback (CAS protocol 3.0, §2.5.4).

The callback URL (pgtUrl) is what identifies the proxying app, so it is trusted only when
reached over https with a certificate the system's CAs verify (http on this machine in demo
mode only), and only when it lies under a registered app's address (checked by the caller:
an unregistered callback would let anyone holding a ticket collect proxy tickets). The server
first calls it without parameters (peer trust), then with `pgtId` and `pgtIou` added to its own
parameters; both calls must answer 200. Redirects are never followed: the app that receives the
ticket must be the one named."""
from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from .services import LOOPBACK_HOSTS

TIMEOUT = (3.0, 5.0)
"""Seconds to connect, then to read: the app validating the ticket is waiting."""

log = logging.getLogger(__name__)

ProxyCallback = Callable[[str, str, str], bool]
"""(pgt_url, pgt_id, pgt_iou) → whether the app took the ticket."""


def callback_allowed(pgt_url: str, *, demo: bool) -> bool:
    """https, or http to this machine in demo mode."""
    parts = urlsplit(pgt_url)
    if parts.scheme == "https":
        return True
    return demo and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def deliver(pgt_url: str, pgt_id: str, pgt_iou: str) -> bool:
    """Calls the callback twice as §2.5.4 says; False on any other answer than 200, a
    redirect, an untrusted certificate or no answer in time."""
    with requests.Session() as http:
        http.trust_env = False  # straight to the app: no proxy from the environment, no .netrc
        try:
            for params in ({}, {"pgtId": pgt_id, "pgtIou": pgt_iou}):
                answer = http.get(pgt_url, params=params, timeout=TIMEOUT, allow_redirects=False, verify=True)
                answer.close()
                if answer.status_code != 200:
                    log.warning("CAS proxy callback %s answered %s", pgt_url, answer.status_code)
                    return False
        except requests.RequestException as error:
            log.warning("CAS proxy callback %s unreachable: %s", pgt_url, error)
            return False
    return True
