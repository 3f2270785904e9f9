// The school's identity provider for Skolehylde's tests: oidc-provider (a certified OpenID
// provider) on 127.0.0.1, with one client (our app) and no pages to fill in.
//
//   node provider.mjs [PORT]     PORT 0 (the default) picks a free port
//
// Environment: REDIRECT_URI (our callback URL, required), CLIENT_ID, CLIENT_SECRET.
// Prints "READY <port>" on stdout once it serves http://127.0.0.1:<port> (the issuer).
//
// Who signs in: the authorization request's `login_hint` names an account; interactions
// complete at once (login + consent grant, no HTML form). Tests register accounts with
// `PUT /_test/accounts/<login_hint>` and a JSON object of claims (`sub` defaults to the
// hint). Claims travel in the id_token (`conformIdTokenClaims: false`), so the relying party
// needs no userinfo call.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const redirectUri = process.env.REDIRECT_URI;
const clientId = process.env.CLIENT_ID ?? 'skolehylde';
const clientSecret = process.env.CLIENT_SECRET ?? 'skolehylde-test-secret';
if (!redirectUri) {
  console.error('REDIRECT_URI must be set to the relying party callback URL');
  process.exit(2);
}

// Scope → claims. `profile` carries the school claims, like UNI-Login's attributes;
// `cpr` is here only so a test can show that a misbehaving IdP's CPR number is never kept.
const CLAIMS = {
  openid: ['sub'],
  profile: [
    'name', 'given_name', 'family_name',
    'institution_number', 'skolehylde_role', 'role', 'class', 'cpr',
  ],
  email: ['email', 'email_verified'],
};

const accounts = new Map([
  ['default', { sub: 'default', name: 'Standard Lærer', role: 'laerer', institution_number: '000000' }],
]);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig', alg: 'RS256' };

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      try { resolve(JSON.parse(body || '{}')); } catch (error) { reject(error); }
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer();

server.listen(port, '127.0.0.1', () => {
  const actualPort = server.address().port;
  const issuer = `http://127.0.0.1:${actualPort}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: CLAIMS,
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const claims = accounts.get(id);
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { ...claims, sub: claims.sub ?? id } } };
    },
  });
  const oidc = provider.callback();

  // Complete the interaction at once: sign in the hinted account and grant what was asked.
  async function interaction(req, res) {
    const details = await provider.interactionDetails(req, res);
    const accountId = details.session?.accountId ?? details.params.login_hint ?? 'default';
    if (!accounts.has(accountId)) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: `no test account ${accountId}`,
      }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      if (url.pathname.startsWith('/interaction/') && req.method === 'GET') {
        await interaction(req, res);
      } else if (url.pathname.startsWith('/_test/accounts/') && req.method === 'PUT') {
        const hint = decodeURIComponent(url.pathname.slice('/_test/accounts/'.length));
        accounts.set(hint, await readJson(req));
        res.writeHead(204);
        res.end();
      } else {
        oidc(req, res);
      }
    } catch (error) {
      console.error(error);
      if (!res.headersSent) send(res, 500, { error: String(error) });
    }
  });
  process.stdout.write(`READY ${actualPort}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
