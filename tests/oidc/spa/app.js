// A single-page app of the ENT: signs in with oidc-client-ts (code flow, PKCE, no secret),
// then reads the person's profile from /userinfo. Both calls to the provider go through CORS.
// config.json (served next to this page by the test) gives the authority and the client_id.
"use strict";

const status = document.getElementById("status");
const profile = document.getElementById("profile");
const button = document.getElementById("sign-in");

async function main() {
  const config = await (await fetch("config.json")).json();
  const manager = new oidc.UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: new URL("callback.html", location.href).href,
    response_type: "code",
    scope: "openid profile",
  });
  if (location.pathname.endsWith("/callback.html")) {
    await manager.signinRedirectCallback();
    const user = await manager.getUser();
    const answer = await fetch(`${config.authority}/userinfo`, {
      headers: { Authorization: `Bearer ${user.access_token}` },
    });
    profile.textContent = JSON.stringify(await answer.json());
    status.textContent = "Connecté";
    return;
  }
  button.addEventListener("click", () => manager.signinRedirect());
  button.hidden = false;
  status.textContent = "Prêt";
}

main().catch((error) => { status.textContent = `Erreur : ${error}`; });
