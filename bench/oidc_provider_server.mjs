// node-oidc-provider as `bench/signin.py --compare oidc-provider` runs it: in memory, one
// confidential client, and a login page of its own that signs in whoever is typed (no password
// check: what is compared is the provider's own work, the password hash aside) and grants the
// scope at once, so that the flow has the same steps as the ENT's: authorize → login page →
// sign-in POST → (resume) → the app's redirect URI; then token and userinfo.
//
//   node bench/oidc_provider_server.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name'], email: ['email', 'email_verified'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: id, given_name: id, family_name: id, email: `${id}@example.fr`, email_verified: true };
      },
    };
  },
  routes: { authorization: '/authorize', token: '/token', userinfo: '/userinfo', jwks: '/jwks.json' },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
});

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

async function formBody(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !match[2]) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Connexion</title></head><body>
<h1>Connexion</h1>
<form method="post" action="/interaction/${escape(details.uid)}/login">
  <input type="hidden" name="uid" value="${escape(details.uid)}">
  <label>Identifiant <input name="login" autocomplete="username"></label>
  <label>Mot de passe <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Connexion</button>
</form></body></html>`;
    return undefined;
  }
  if (ctx.method === 'POST' && match[2]) {
    const accountId = (await formBody(ctx.req)).get('login');
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const back = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId }, consent: { grantId } });
    ctx.status = 303;
    ctx.redirect(back);
    return undefined;
  }
  return next();
});

provider.listen(Number(port), '127.0.0.1', () => console.log(`node-oidc-provider ${issuer}`));
