// A single-page app of the ENT: signs in with oidc-client-ts (code flow, PKCE, no secret),
// then reads the person's profile from /userinfo. Both calls to the provider go through CORS.
// config.json (served next to this page by the test) gives the authority and the client_id.
//
// Its page is only shown while the ENT accepts the app's access token: when the person signed
// out of the ENT (on this computer or from an app), the ENT revoked the token, /userinfo says
// 401, and the app forgets the user and asks for a sign-in again. No frame is needed for that,
// so it works whatever the browser partitions (a frame of the ENT's page never reaches this
// app's own storage when the two are different sites).
"use strict";

const status = document.getElementById("status");
const profile = document.getElementById("profile");
const button = document.getElementById("sign-in");

// oidc-client-ts says on the console what it finds amiss (in the metadata, the tokens…).
oidc.Log.setLogger(console);
oidc.Log.setLevel(oidc.Log.WARN);

async function main() {
  const config = await (await fetch("config.json")).json();
  const manager = new oidc.UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: new URL("callback.html", location.href).href,
    response_type: "code",
    scope: "openid profile",
  });
  button.addEventListener("click", () => manager.signinRedirect());
  if (location.pathname.endsWith("/callback.html")) {
    await manager.signinRedirectCallback();
    location.replace("index.html");
    return;
  }
  const user = await manager.getUser();
  if (!user || user.expired) {
    askToSignIn("Prêt");
    return;
  }
  const answer = await fetch(`${config.authority}/userinfo`, {
    headers: { Authorization: `Bearer ${user.access_token}` },
  });
  if (answer.status === 401) {
    await manager.removeUser();
    askToSignIn("Vous avez été déconnecté de l'ENT : reconnectez-vous.");
    return;
  }
  profile.textContent = JSON.stringify(await answer.json());
  status.textContent = "Connecté";
}

function askToSignIn(message) {
  profile.textContent = "";
  button.hidden = false;
  status.textContent = message;
}

main().catch((error) => { status.textContent = `Erreur : ${error}`; });
