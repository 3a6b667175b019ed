"""« Pronote — Collège Les Tilleuls (démonstration) »: a small school app that signs in through
the ENT's CAS server, as the many CAS apps of French schools do, so CAS can be seen end to end
next to the OIDC demo college app (idp.demo_college).

CAS 3.0: the browser goes to ISSUER/cas/login?service=SERVICE and comes back with a ticket,
which the app validates itself, server to server, at ISSUER/cas/p3/serviceValidate (the ticket
is never trusted from the browser). The person is then kept in the app's own session; « Se
déconnecter » ends it and signs out of the ENT (ISSUER/cas/logout?service=SERVICE).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring  # no entities, no external DTDs
from flask import Flask, redirect, render_template_string, request, session
from werkzeug.wrappers import Response

CAS = "{http://www.yale.edu/tp/cas}"
NAME = "Pronote — Collège Les Tilleuls (démonstration)"
ERRORS = {
    "INVALID_TICKET": "Ce ticket de connexion n’est pas valide ou a déjà servi. Reconnectez-vous.",
    "INVALID_SERVICE": "L’ENT n’a pas délivré ce ticket pour cette application : connexion refusée.",
    "INVALID_REQUEST": "La demande de connexion est incomplète : connexion refusée.",
    "UNAUTHORIZED_SERVICE": "Cette application n’est pas autorisée à se connecter à l’ENT.",
    "unreachable": "L’ENT ne répond pas pour le moment. Réessayez dans quelques instants.",
    "unreadable": "La réponse de l’ENT n’est pas lisible : connexion refusée.",
}

PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — {{ name }}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #1e1e1e; }
  header { border-bottom: 3px solid #1565c0; margin-bottom: 1.5rem; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
  th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { width: 12rem; font-weight: 600; }
  button, .bouton { font: inherit; padding: 0.6rem 1.2rem; border: 0; border-radius: 4px; background: #1565c0;
                    color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
  button.secondaire { background: #555; }
  .message { padding: 0.8rem 1rem; border-left: 4px solid #1565c0; background: #eef4fb; }
  .erreur { border-color: #c62828; background: #fdf0f0; }
</style>
</head>
<body>
<header><h1>{{ name }}</h1></header>
<main>
{% if error %}
  <h2>Connexion impossible</h2>
  <p class="message erreur">{{ error }}</p>
  <p><a href="{{ login_url }}">Se connecter avec l’ENT</a></p>
{% elif person %}
  <h2>Bonjour {{ person.user }}</h2>
  <p>Connexion réussie avec votre compte ENT (CAS). Voici les informations reçues par l’application :</p>
  <table>
    <tr><th scope="row">Identifiant (cas:user)</th><td>{{ person.user }}</td></tr>
    {%- for name, values in person.attributes.items() %}
    <tr><th scope="row">{{ name }}</th><td>{{ values | join(", ") }}</td></tr>
    {%- endfor %}
  </table>
  <form method="post" action="{{ url_for('logout') }}">
    <button type="submit" class="secondaire">Se déconnecter</button>
  </form>
{% else %}
  <p class="message">La session est fermée sur l’application et sur l’ENT.</p>
  <p><a class="bouton" href="{{ login_url }}">Se connecter avec l’ENT</a></p>
{% endif %}
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class Validated:
    """What the ENT said about a ticket: the person's login and attributes, or why not."""

    user: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    failure: str | None = None


def parse_service_response(body: bytes) -> Validated:
    """A CAS 3.0 <cas:serviceResponse> (from our own issuer only, parsed without entities)."""
    try:
        root: Element = fromstring(body)
    except (ParseError, ValueError):  # defusedxml's refusals are ValueErrors too
        return Validated(failure="unreadable")
    success = root.find(f"{CAS}authenticationSuccess")
    if success is None:
        failure = root.find(f"{CAS}authenticationFailure")
        return Validated(failure=failure.get("code", "INVALID_TICKET") if failure is not None else "unreadable")
    user = (success.findtext(f"{CAS}user") or "").strip()
    if not user:
        return Validated(failure="unreadable")
    attributes: dict[str, list[str]] = {}
    released = success.find(f"{CAS}attributes")
    for element in list(released) if released is not None else []:
        name = element.tag.removeprefix(CAS)
        attributes.setdefault(name, []).append((element.text or "").strip())
    return Validated(user=user, attributes=attributes)


def logout_request_ticket(body: str) -> str | None:
    """The ticket a SAML LogoutRequest names, read safely; None when it is not one."""
    try:
        root = fromstring(body)
    except (ParseError, ValueError, DefusedXmlException):
        return None
    index = next((element.text for element in root.iter() if element.tag.endswith("}SessionIndex")), None)
    return index.strip() if index else None


def create_cas_app(issuer: str, service_url: str, secret_key: str) -> Flask:
    """service_url: the app's home as the ENT knows it (registered as a CAS service), e.g.
    http://127.0.0.1:5003/; the ENT sends the person back there with the ticket."""
    issuer = issuer.rstrip("/")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        # Cookies are per host, not per port: the demo's apps on 127.0.0.1 need a name each.
        SESSION_COOKIE_NAME=f"demo_cas_{urlsplit(service_url).port or 80}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=service_url.startswith("https://"),
    )
    login_url = f"{issuer}/cas/login?{urlencode({'service': service_url})}"
    home_path = urlsplit(service_url).path or "/"

    def page(title: str, status: int = 200, **context: object) -> tuple[str, int]:
        return render_template_string(PAGE, title=title, name=NAME, login_url=login_url, **context), status

    def validate(ticket: str) -> Validated:
        try:
            response = requests.get(f"{issuer}/cas/p3/serviceValidate", params={"service": service_url,
                                                                                "ticket": ticket}, timeout=10)
        except requests.RequestException:
            return Validated(failure="unreachable")
        if response.status_code != 200:
            return Validated(failure="unreadable")
        return parse_service_response(response.content)

    ended_tickets: set[str] = set()
    """Tickets the ENT's single logout named: the sessions they opened end."""
    ended_lock = threading.Lock()

    @app.before_request
    def forget_ended_session() -> None:
        if session.get("ticket") in ended_tickets:
            session.clear()

    @app.post(home_path)
    def single_logout() -> tuple[str, int]:
        """CAS single logout: the ENT POSTs a SAML LogoutRequest naming the ticket (SessionIndex)."""
        ticket = logout_request_ticket(request.form.get("logoutRequest", ""))
        if ticket is None:
            return "", 400
        with ended_lock:
            ended_tickets.add(ticket)
        return "", 200

    @app.get(home_path)
    def home() -> Response | tuple[str, int]:
        ticket = request.args.get("ticket")
        if ticket:
            validated = validate(ticket)
            if validated.failure:
                status = 502 if validated.failure == "unreachable" else 400
                return page("Connexion impossible", status, error=ERRORS.get(
                    validated.failure, f"La connexion à l’ENT a échoué ({validated.failure})."))
            session.clear()
            session["person"] = {"user": validated.user, "attributes": validated.attributes}
            session["ticket"] = ticket
            return redirect(service_url)  # the ticket leaves the address bar
        if session.get("person"):
            return page("Accueil", person=session["person"])
        if session.pop("signed_out", False):
            return page("Déconnecté")
        return redirect(login_url)

    @app.post("/deconnexion")
    def logout() -> Response:
        session.clear()
        session["signed_out"] = True
        return redirect(f"{issuer}/cas/logout?{urlencode({'service': service_url})}")

    return app
