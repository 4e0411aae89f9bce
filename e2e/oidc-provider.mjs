// A small, throwaway OpenID Connect provider for end-to-end tests, built on
// `oidc-provider` (panva). It plays the part of an upstream IdP ("Sign in with
// <SSO>") so Frontdesk's OIDC client code can be exercised against a real,
// spec-compliant provider in a browser (Playwright) or with plain fetch.
//
// Everything is configured from environment variables:
//
//   OIDC_PORT      TCP port; 0 or unset = pick a free port.
//   OIDC_HOST      127.0.0.1 (default), localhost or ::1. Only loopback is
//                  accepted. The issuer is http://<host>:<port> (no trailing
//                  slash); for `localhost` we still bind 127.0.0.1.
//   OIDC_CLIENTS   JSON array: [{"client_id","client_secret","redirect_uris":[...]}]
//                  Optional per client: token_endpoint_auth_method
//                  (default client_secret_basic). oidc-provider 9 treats
//                  client_secret_basic and client_secret_post as
//                  interchangeable, so either registration accepts both.
//                  For Basic, form-urlencode id and secret first (RFC 6749
//                  2.3.1): the provider URL-decodes them.
//   OIDC_ACCOUNTS  JSON array: [{"sub","email","email_verified","given_name",
//                  "family_name","picture"?,"password"}]. email_verified
//                  defaults to true when omitted.
//
// Behaviour: authorization code flow only, PKCE (S256) required for every
// client, scopes `openid email profile`, and the email/profile claims are put
// into the ID token itself (conformIdTokenClaims: false), which is RS256 signed
// with a key generated at start-up. The userinfo endpoint is enabled. The
// login page is a minimal server-rendered form (labelled "Email"/"Password",
// "Sign in" and "Cancel" buttons); consent is granted automatically.
//
// On start exactly one line `READY <issuer>` is written to stdout; all other
// output (including oidc-provider's own notices, which it prints with
// console.info) goes to stderr. SIGTERM/SIGINT stop it with exit code 0.
//
// Errors: once client_id and redirect_uri check out, authorization errors
// (missing PKCE, Cancel = access_denied, ...) are redirected to the
// redirect_uri as ?error=...&error_description=...&state=...&iss=...; before
// that (unknown client, unregistered redirect_uri) an HTML page with
// #error / #error_description is shown with status 400. The token endpoint
// answers JSON {error, error_description}.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

// Keep stdout reserved for the READY line: oidc-provider writes its notices
// with console.info, and we want nothing else there.
console.info = console.error;
console.log = console.error;

function fail(message) {
  console.error(`oidc-provider.mjs: ${message}`);
  process.exit(2);
}

function parseJsonEnv(name) {
  let value;
  try {
    value = JSON.parse(process.env[name] ?? '');
  } catch (err) {
    fail(`${name} must be a JSON array: ${err.message}`);
  }
  if (!Array.isArray(value)) fail(`${name} must be a JSON array`);
  return value;
}

// ---- configuration from the environment ----------------------------------

const LOOPBACK = { '127.0.0.1': '127.0.0.1', localhost: '127.0.0.1', '::1': '::1' };
const host = process.env.OIDC_HOST || '127.0.0.1';
if (!(host in LOOPBACK)) fail(`OIDC_HOST must be one of ${Object.keys(LOOPBACK).join(', ')}`);
const port = Number(process.env.OIDC_PORT || 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('OIDC_PORT must be 0..65535');

const clients = parseJsonEnv('OIDC_CLIENTS').map((c) => {
  if (!c.client_id || !c.client_secret || !Array.isArray(c.redirect_uris)) {
    fail('each OIDC_CLIENTS entry needs client_id, client_secret and redirect_uris[]');
  }
  return {
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: c.token_endpoint_auth_method || 'client_secret_basic',
  };
});

const accounts = new Map();
for (const a of parseJsonEnv('OIDC_ACCOUNTS')) {
  if (!a.sub || !a.email || typeof a.password !== 'string') {
    fail('each OIDC_ACCOUNTS entry needs sub, email and password');
  }
  accounts.set(String(a.sub), { ...a, sub: String(a.sub) });
}
const findByEmail = (email) => [...accounts.values()]
  .find((a) => a.email.toLowerCase() === String(email).trim().toLowerCase());

// ---- HTML -----------------------------------------------------------------

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title></head><body><main>${body}</main></body></html>`);
}

// The Cancel button lives in its own form so that the required fields of the
// login form do not block it.
function loginPage(res, uid, clientId, { email = '', error } = {}) {
  page(res, error ? 401 : 200, 'Sign in', `
<h1>Sign in</h1>
<p>to continue to <strong>${esc(clientId)}</strong></p>
${error ? `<p role="alert" class="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" value="${esc(email)}" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${esc(uid)}/abort">
  <button type="submit">Cancel</button>
</form>`);
}

// ---- provider ---------------------------------------------------------------

// A fresh RS256 signing key per run.
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'RS256',
  use: 'sig',
};

const configuration = {
  clients,
  jwks: { keys: [signingKey] },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'picture'],
  },
  // Put the scope-requested claims into the ID token, not only into userinfo.
  conformIdTokenClaims: false,
  pkce: { required: () => true }, // oidc-provider only implements S256
  responseTypes: ['code'],
  features: {
    devInteractions: { enabled: false }, // replaced by the routes below
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: false },
  },
  // The provider adds `Secure` only when the request is https (ctx.secure),
  // so over http the cookies stay usable; lax suits the top-level redirects.
  // With `keys` set, Koa also writes `<name>.sig` signature cookies.
  cookies: {
    long: { httpOnly: true, sameSite: 'lax', secure: false },
    short: { httpOnly: true, sameSite: 'lax', secure: false },
    keys: [randomBytes(32).toString('base64url')],
  },
  // Explicit TTLs and CORS policy also silence the provider's "you SHOULD
  // change this default" notices.
  ttl: {
    AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600,
    Session: 86400, Grant: 86400, RefreshToken: 86400,
  },
  clientBasedCORS: () => true,
  async findAccount(ctx, sub) {
    const a = accounts.get(sub);
    if (!a) return undefined;
    return {
      accountId: sub,
      async claims() {
        const name = [a.given_name, a.family_name].filter(Boolean).join(' ');
        return {
          sub,
          email: a.email,
          email_verified: a.email_verified ?? true,
          given_name: a.given_name,
          family_name: a.family_name,
          name: name || undefined,
          picture: a.picture,
        };
      },
    };
  },
  // Auto-consent: every authorization request gets a grant covering the
  // OIDC scopes it asked for, so the consent prompt never triggers.
  async loadExistingGrant(ctx) {
    const { provider, client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    let grant = grantId ? await provider.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== session.accountId) {
      grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    }
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>OIDC error</title><h1>OIDC error</h1>
<p id="error">${esc(out.error)}</p><p id="error_description">${esc(out.error_description)}</p>`;
  },
};

// ---- interaction routes (login page) ----------------------------------------

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function handleInteraction(provider, req, res, url) {
  // /interaction/<uid>, /interaction/<uid>/login or /interaction/<uid>/abort.
  // The provider's `_interaction` cookie is scoped to /interaction/<uid>.
  const [, , uid, action] = url.pathname.split('/');
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    return page(res, 400, 'Error', `<h1>Sign-in session expired</h1><p>${esc(err.message)}</p>`);
  }
  if (details.uid !== uid) return page(res, 400, 'Error', '<h1>Interaction mismatch</h1>');
  const clientId = details.params.client_id;

  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'consent') {
      // Should not happen thanks to loadExistingGrant, but never show a page.
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } });
    }
    return loginPage(res, uid, clientId, { email: details.params.login_hint });
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = findByEmail(form.get('email') || '');
    if (!account || account.password !== form.get('password')) {
      return loginPage(res, uid, clientId, {
        email: form.get('email') || '',
        error: 'Invalid email or password.',
      });
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (req.method === 'POST' && action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  return page(res, 404, 'Not found', '<h1>Not found</h1>');
}

// ---- server -------------------------------------------------------------------

let provider;
let providerCallback;
const server = http.createServer((req, res) => {
  if (!provider) return page(res, 503, 'Starting', '<h1>Starting</h1>');
  const url = new URL(req.url, 'http://internal');
  if (url.pathname.startsWith('/interaction/')) {
    handleInteraction(provider, req, res, url).catch((err) => {
      console.error(err);
      if (!res.headersSent) page(res, 500, 'Error', `<h1>Error</h1><p>${esc(err.message)}</p>`);
    });
    return;
  }
  providerCallback(req, res);
});

server.listen(port, LOOPBACK[host], () => {
  const actualPort = server.address().port;
  const issuer = `http://${host === '::1' ? '[::1]' : host}:${actualPort}`;
  provider = new Provider(issuer, configuration);
  provider.proxy = false; // we are reached directly, never via a reverse proxy
  provider.on('server_error', (ctx, err) => console.error('oidc server_error', err));
  providerCallback = provider.callback();
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
