"""« Collège Les Tilleuls — Vie scolaire »: a small college app (a relying party) that
`ent-idp demo` serves on its own port, so single sign-on can be seen end to end.

Authorization code flow with PKCE (S256), state and nonce, through Authlib's Flask client;
the ID token is verified (signature from jwks_uri, iss, aud, nonce), the RFC 9207 `iss`
of the callback is checked, and signing out goes through the provider's end_session_endpoint.
It accepts back-channel logout: a logout token from the ENT (signature, iss, aud, events)
ends the sessions of its `sid`, which the app forgets at their next request.
"""
from __future__ import annotations

import secrets
import threading
from datetime import datetime
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, render_template_string, request, session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.wrappers import Response

REDIRECT_PATH = "/callback"
BACKCHANNEL_LOGOUT_PATH = "/backchannel-logout"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
SCOPE = "openid profile email"
PROFILES = {"parent": "parent", "teacher": "professeur", "student": "élève", "staff": "personnel"}
ERRORS = {
    "access_denied": "La connexion a été refusée : l’application n’a reçu aucune information.",
    "login_required": "Aucune session n’est ouverte sur l’ENT.",
    "consent_required": "Votre accord est nécessaire pour partager vos informations avec l’application.",
    "interaction_required": "L’ENT a besoin que vous vous connectiez à nouveau.",
    "mismatching_state": "Cette demande de connexion a expiré ou n’est pas reconnue. Recommencez.",
    "wrong_issuer": "La réponse ne vient pas de l’ENT attendu : connexion refusée.",
    "invalid_id_token": "Le jeton d’identité reçu de l’ENT n’est pas valide : connexion refusée.",
    "unreachable": "L’ENT ne répond pas pour le moment. Réessayez dans quelques instants.",
}

PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — {{ college }}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #1e1e1e; }
  header { border-bottom: 3px solid #2e7d32; margin-bottom: 1.5rem; }
  header p { color: #555; margin-top: -0.5rem; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
  th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { width: 12rem; font-weight: 600; }
  td code { word-break: break-all; }
  button { font: inherit; padding: 0.6rem 1.2rem; border: 0; border-radius: 4px; background: #2e7d32; color: #fff;
           cursor: pointer; }
  button.secondaire { background: #555; }
  .message { padding: 0.8rem 1rem; border-left: 4px solid #2e7d32; background: #f1f8f1; }
  .erreur { border-color: #c62828; background: #fdf0f0; }
</style>
</head>
<body>
<header>
  <h1>{{ college }}</h1>
  <p>{{ service }}</p>
</header>
<main>
{% if error %}
  <h2>Connexion impossible</h2>
  <p class="message erreur">{{ error }}</p>
  <p><a href="{{ url_for('home') }}">Retour à l’accueil</a></p>
{% elif claims %}
  <h2>Bonjour {{ claims.get('name') or claims.get('preferred_username') }}</h2>
  <p>Connexion réussie avec votre compte ENT. Voici les informations reçues par l’application :</p>
  <table>
    {%- for label, value in rows %}
    <tr><th scope="row">{{ label }}</th>
        <td>{% if label == 'sub' %}<code>{{ value }}</code>{% else %}{{ value }}{% endif %}</td></tr>
    {%- endfor %}
  </table>
  <form method="post" action="{{ url_for('logout') }}">
    <button type="submit" class="secondaire">Se déconnecter</button>
  </form>
{% else %}
  {% if signed_out %}<p class="message">La session est fermée sur l’application et sur l’ENT.</p>{% endif %}
  <p>Application de démonstration d’un collège connecté à l’ENT.</p>
  <p>Consultez l’emploi du temps, les absences et le cahier de textes avec votre compte ENT.</p>
  <form method="post" action="{{ url_for('login') }}">
    <button type="submit">Se connecter avec l’ENT</button>
  </form>
{% endif %}
</main>
</body>
</html>
"""


def create_demo_college(*, issuer: str, client_id: str, client_secret: str, base_url: str,
                        secret_key: str, name: str = "Collège Les Tilleuls — Vie scolaire") -> Flask:
    """base_url e.g. http://127.0.0.1:5001; its redirect URI is base_url + "/callback",
    its post-logout redirect URI is base_url + "/"."""
    issuer, base_url = issuer.rstrip("/"), base_url.rstrip("/")
    college, _, service = name.partition(" — ")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        # Cookies are per host, not per port: two demo apps on 127.0.0.1 need two names.
        SESSION_COOKIE_NAME=f"demo_college_{urlsplit(base_url).port or 80}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=base_url.startswith("https://"),
    )
    oauth = OAuth(app)
    ent = oauth.register(
        "ent", client_id=client_id, client_secret=client_secret,
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},
    )

    ended_sessions: set[str] = set()
    """The ENT's sessions said ended by back-channel logout (`sid`); this app's sessions in them end."""
    ended_lock = threading.Lock()

    def page(title: str, status: int = 200, **context: object) -> tuple[str, int]:
        return render_template_string(PAGE, title=title, college=college, service=service, **context), status

    @app.before_request
    def forget_ended_session() -> None:
        claims = session.get("claims")
        if claims and claims.get("sid") in ended_sessions:
            session.clear()

    @app.post(BACKCHANNEL_LOGOUT_PATH)
    def backchannel_logout() -> tuple[dict[str, str] | str, int, dict[str, str]]:
        """OpenID Connect Back-Channel Logout 1.0 §2.6: the token is checked before anything ends."""
        headers = {"Cache-Control": "no-store"}
        try:
            keys = KeySet.import_key_set(ent.fetch_jwk_set(force=True))  # a key rotated since
            token = jwt.decode(request.form.get("logout_token", ""), keys, algorithms=["RS256"])
        except (JoseError, ValueError, requests.RequestException):
            return {"error": "invalid_request"}, 400, headers
        claims = token.claims
        if (token.header.get("typ") != "logout+jwt" or claims.get("iss") != issuer or claims.get("aud") != client_id
                or LOGOUT_EVENT not in (claims.get("events") or {}) or "nonce" in claims or not claims.get("sid")):
            return {"error": "invalid_request"}, 400, headers
        with ended_lock:
            ended_sessions.add(claims["sid"])
        return "", 200, headers

    def failure(code: str, description: str | None = None, status: int = 400) -> tuple[str, int]:
        detail = f"{code} : {description}" if description else code
        message = ERRORS.get(code) or f"La connexion à l’ENT a échoué ({detail})."
        return page("Connexion impossible", status, error=message)

    @app.get("/")
    def home() -> tuple[str, int]:
        claims = session.get("claims")
        if claims:
            return page(service or college, claims=claims, rows=_rows(claims))
        signed_out = False
        if request.args.get("state"):
            try:
                ent.validate_logout_response()
                signed_out = True
            except OAuthError:
                pass
        return page("Accueil", signed_out=signed_out)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Response | tuple[str, int]:
        try:
            return ent.authorize_redirect(base_url + REDIRECT_PATH)
        except requests.RequestException:
            return failure("unreachable", status=502)

    @app.get(REDIRECT_PATH)
    def callback() -> Response | tuple[str, int]:
        returned_issuer = request.args.get("iss")
        if returned_issuer is not None and returned_issuer != issuer:
            return failure("wrong_issuer")
        if request.args.get("error"):
            if request.args.get("state"):
                ent.framework.clear_state_data(session, request.args["state"])
            return failure(request.args["error"], request.args.get("error_description"))
        try:
            metadata = ent.load_server_metadata()
            if returned_issuer is None and metadata.get("authorization_response_iss_parameter_supported"):
                return failure("wrong_issuer")
            token = ent.authorize_access_token()
        except OAuthError as error:
            return failure(error.error or "invalid_request", error.description)
        except requests.RequestException:
            return failure("unreachable", status=502)
        except (JoseError, ValueError):
            return failure("invalid_id_token")
        if "userinfo" not in token:
            return failure("invalid_id_token")
        claims = {key: value for key, value in dict(token["userinfo"]).items()
                  if key not in ("nonce", "at_hash", "c_hash")}
        session.clear()
        session["claims"] = claims
        session["id_token"] = token["id_token"]
        return redirect("/")

    @app.post("/logout")
    def logout() -> Response | tuple[str, int]:
        id_token = session.get("id_token")
        session.clear()
        if not id_token:
            return redirect("/")
        try:
            return ent.logout_redirect(post_logout_redirect_uri=base_url + "/", id_token_hint=id_token,
                                       client_id=client_id, state=secrets.token_urlsafe(16))
        except requests.RequestException:
            return failure("unreachable", status=502)

    return app


def _rows(claims: dict) -> list[tuple[str, str]]:
    """The table of the signed-in page: French labels, in a fixed order."""
    schools = claims.get("schools") or ([claims["school"]] if claims.get("school") else [])
    auth_time = claims.get("auth_time")
    rows = [
        ("Identifiant", claims.get("preferred_username")),
        ("Nom", claims.get("family_name")),
        ("Prénom", claims.get("given_name")),
        ("Profil", PROFILES.get(claims.get("profile_type", ""), claims.get("profile_type"))),
        ("Établissement(s)", ", ".join(schools)),
        ("Courriel", claims.get("email")),
        ("sub", claims.get("sub")),
        ("Connecté à l’ENT le",
         datetime.fromtimestamp(auth_time).strftime("%d/%m/%Y à %H:%M:%S") if isinstance(auth_time, int) else None),
    ]
    return [(label, value) for label, value in rows if value]
