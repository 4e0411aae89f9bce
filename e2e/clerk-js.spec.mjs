// The real clerk-js and @clerk/ui, in Chromium, against Frontdesk: sign-up
// with an emailed code, token refresh, sign-out, sign-in with a password.
//
// Run by crates/frontdesk-server/tests/api/clerk_js.rs, which starts Frontdesk
// and serves e2e/clerk-page.html on another origin, then sets:
//   FRONTDESK_URL   Frontdesk's base URL (http://127.0.0.1:<port>)
//   PAGE_URL        the page's origin (http://localhost:<port>)
//   TOKEN_LIFETIME  Frontdesk's session token lifetime, in seconds
//   ARTIFACTS_DIR   where to put a screenshot on failure
//   CHROMIUM        the browser (default /usr/bin/chromium; never downloaded)
//   CLERK_JS_VERSION, CLERK_UI_VERSION  the versions the page must load
//   DEADLINE_MS     the whole run's budget
// Prints one line per step and `PASS` at the end; exits non-zero on failure
// with the network log, console output and a screenshot path.

import path from 'node:path';

import { Recorder, check, codeSent, env, launch, log } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const PAGE = env('PAGE_URL');
const LIFETIME = Number(env('TOKEN_LIFETIME', '20'));
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const JS_VERSION = env('CLERK_JS_VERSION', '');
const UI_VERSION = env('CLERK_UI_VERSION', '');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '75000'));
const STEP = 20_000;

const tag = Math.random().toString(36).slice(2, 10);
const EMAIL = `frontdesk-e2e-${tag}+clerk_test@example.com`;
const PASSWORD = `correct horse ${tag} battery`;
const tokenResponses = [];

const claims = (jwt) =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/// Poll `fn` in the page until it returns a truthy value, surviving navigations.
async function until(page, what, fn, arg, timeout = STEP) {
  const end = Math.min(Date.now() + timeout, DEADLINE);
  let last;
  while (Date.now() < end) {
    try {
      const v = await page.evaluate(fn, arg);
      if (v) return v;
    } catch (e) {
      last = e; // the page navigated mid-evaluation; try again
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

/// The page is loaded and Clerk is ready (or failed to load).
async function clerkReady(page) {
  const state = await until(page, 'Clerk.load()', () => document.body?.dataset.loaded);
  if (state !== 'true') {
    throw new Error(`Clerk.load failed: ${await page.textContent('#status')}`);
  }
}

const signedInUser = () => {
  const c = window.Clerk;
  return c && c.loaded && c.user && c.session ? { user: c.user.id, session: c.session.id } : null;
};

const browser = await launch(CHROMIUM);
const context = await browser.newContext();
const page = await context.newPage();
const overall = setTimeout(() => {
  console.error(`deadline exceeded`);
  fail(new Error('deadline exceeded'));
}, DEADLINE - Date.now());

const seen = new Recorder();
await seen.guard(context);
// Frontdesk's paths alone; other origins in full.
seen.watch(page, (url) => (url.origin === FRONTDESK ? url.pathname : url.href.split('?')[0]));
const network = seen.network;
page.on('response', async (r) => {
  const req = r.request();
  const url = new URL(r.url());
  if (req.method() === 'POST' && /\/v1\/client\/sessions\/[^/]+\/tokens$/.test(url.pathname)) {
    try {
      const body = await r.json();
      tokenResponses.push({ at: Date.now(), status: r.status(), jwt: body.jwt, body: req.postData() });
    } catch (e) {
      tokenResponses.push({ at: Date.now(), status: r.status(), error: String(e) });
    }
  }
});

let failing = false;
async function fail(e) {
  if (failing) return;
  failing = true;
  await seen.fail(e, page, path.join(ARTIFACTS, 'clerk-js-failure.png'));
  await browser.close().catch(() => {});
  process.exit(1);
}

try {
  // 1. Sign up through <SignUp/>: email and password, then the emailed code.
  await page.goto(`${PAGE}/sign-up`);
  await clerkReady(page);
  const versions = await page.evaluate(() => ({ js: window.Clerk.version, ui: window.Clerk.uiVersion }));
  log(`loaded clerk-js ${versions.js}, ui ${versions.ui}`);
  if (JS_VERSION) check(versions.js === JS_VERSION, `clerk-js ${versions.js} is ${JS_VERSION}`);
  if (UI_VERSION) check(versions.ui === UI_VERSION, `@clerk/ui ${versions.ui} is ${UI_VERSION}`);
  check(!(await page.evaluate(() => !!window.Clerk.user)), 'nobody is signed in at first');

  const email = page.locator('input[name="emailAddress"]');
  await email.waitFor({ state: 'visible', timeout: STEP });
  await email.fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  // <SignUp/> asks for the code on the code screen, which this page loads
  // as a new document: the first request may be cut off by that load and
  // the new one sent after the field shows. A person types the code once
  // it has been sent.
  const sent = codeSent(page, STEP * 2);
  await page.locator('.cl-formButtonPrimary').click();
  log(`submitted the sign-up form for ${EMAIL}`);

  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
  log(`code screen at ${new URL(page.url()).pathname}`);
  await sent;
  await otp.fill('424242');

  const first = await until(page, 'signed in after sign-up', signedInUser);
  check(first.user.startsWith('user_'), `user id ${first.user}`);
  check(first.session.startsWith('sess_'), `session id ${first.session}`);
  log(`signed up: ${first.user}, ${first.session}; now at ${new URL(page.url()).pathname}`);
  // Asked, not necessarily answered: under load the request can still be in
  // flight (and then aborted by the navigation) when a test address's fixed
  // code has already completed the sign-up.
  check(
    network.some((l) => /^(200|FAILED) POST .*\/v1\/client\/sign_ups\/[^/?]+\/prepare_verification/.test(l)),
    '<SignUp/> asked for the code itself (prepare_verification)',
  );

  // 2. The session token, and its refresh before it expires.
  const tokenAt = Date.now();
  const token1 = await until(page, 'a session token', () => window.Clerk.session?.getToken());
  const c1 = claims(token1);
  check(c1.sub === first.user, `token sub ${c1.sub} is ${first.user}`);
  check(c1.sid === first.session, `token sid ${c1.sid} is ${first.session}`);
  check(c1.exp - c1.iat === LIFETIME, `token lifetime ${c1.exp - c1.iat} is ${LIFETIME}`);
  log(`token: sub ${c1.sub}, iat ${c1.iat}, exp ${c1.exp}`);

  const refreshEnd = Math.min(Date.now() + (LIFETIME + 10) * 1000, DEADLINE);
  let refreshed;
  while (!refreshed && Date.now() < refreshEnd) {
    refreshed = tokenResponses.find((t) => t.at > tokenAt && t.status === 200 && t.jwt && t.jwt !== token1);
    if (!refreshed) await page.waitForTimeout(250);
  }
  check(refreshed, `clerk-js refreshed the token by itself (POST …/tokens after ${token1.slice(-8)}); saw ${JSON.stringify(tokenResponses.map((t) => [t.status, t.error]))}`);
  const c2 = claims(refreshed.jwt);
  check(c2.sub === first.user && c2.sid === first.session, 'the refreshed token is for the same session');
  check(c2.iat >= c1.iat && c2.jti !== c1.jti, 'the refreshed token is new');
  log(`refreshed after ${((refreshed.at - tokenAt) / 1000).toFixed(1)}s: iat ${c2.iat}, exp ${c2.exp} (body ${refreshed.body})`);
  const token2 = await page.evaluate(() => window.Clerk.session.getToken());
  check(token2 !== token1, 'getToken() returns the refreshed token');
  const forced = await page.evaluate(() => window.Clerk.session.getToken({ skipCache: true }));
  check(claims(forced).sid === first.session, 'getToken({skipCache:true}) works');

  // 3. Sign out.
  await page.evaluate(() => window.Clerk.signOut());
  await until(page, 'signed out', () => {
    const c = window.Clerk;
    return c && c.loaded && c.user === null && c.session === null && document.body.dataset.loaded === 'true';
  });
  log(`signed out; now at ${new URL(page.url()).pathname}`);
  check(
    network.some((l) => /^200 DELETE \/v1\/client\/sessions( |$)/.test(l)),
    'sign-out called DELETE /v1/client/sessions',
  );

  // 4. Sign in through <SignIn/> with the password.
  await page.goto(`${PAGE}/sign-in`);
  await clerkReady(page);
  check(await page.evaluate(() => window.Clerk.user === null), 'still signed out after a reload');
  const identifier = page.locator('input[name="identifier"]');
  await identifier.waitFor({ state: 'visible', timeout: STEP });
  await identifier.fill(EMAIL);
  const password = page.locator('input[name="password"]');
  if (await password.isVisible()) {
    await password.fill(PASSWORD);
    await page.locator('.cl-formButtonPrimary').click();
    log('submitted identifier and password on one screen');
  } else {
    await page.locator('.cl-formButtonPrimary').click();
    await password.waitFor({ state: 'visible', timeout: STEP });
    await password.fill(PASSWORD);
    await page.locator('.cl-formButtonPrimary').click();
    log('submitted identifier, then password');
  }
  const second = await until(page, 'signed in after sign-in', signedInUser);
  check(second.user === first.user, `signed in as ${second.user}, the user who signed up`);
  check(second.session !== first.session, 'a new session');
  log(`signed in: ${second.user}, ${second.session}; now at ${new URL(page.url()).pathname}`);

  // 5. A reload keeps the session (the dev browser identifies this browser).
  await page.goto(`${PAGE}/`);
  await clerkReady(page);
  const again = await until(page, 'signed in after a reload', signedInUser);
  check(again.session === second.session, 'the same session after a reload');
  const token3 = await page.evaluate(() => window.Clerk.session.getToken());
  check(claims(token3).sid === second.session, 'a token for the new session');
  log('still signed in after a reload');

  // 6. One path, two APIs: clerk-js creates organizations at the Frontend
  //    API's /v1/organizations, where @clerk/backend lists them with a secret
  //    key (compat/backend.test.mjs). The Frontend API answers, as Clerk does
  //    on an instance without organizations.
  const created = await page.evaluate(() =>
    window.Clerk.createOrganization({ name: 'Acme' }).then(
      () => 'created',
      (e) => e?.errors?.[0]?.code ?? String(e?.message ?? e),
    ),
  );
  check(
    created === 'organization_not_enabled_in_instance',
    `createOrganization is answered by the Frontend API (got ${created})`,
  );
  log('createOrganization reached the Frontend API at /v1/organizations');

  check(seen.blocked.length === 0, `no request left loopback (blocked: ${seen.blocked.join(', ')})`);
  const fapiCalls = network.filter((l) => / \/v1\//.test(l));
  const failed = fapiCalls.filter((l) => !/^2\d\d /.test(l));
  log(`${fapiCalls.length} Frontend API calls, ${failed.length} not 2xx${failed.length ? `: ${failed.join('; ')}` : ''}`);
  clearTimeout(overall);
  await browser.close();
  console.log(`--- network (${network.length})\n${network.join('\n')}`);
  console.log(`--- console (${seen.console.length})\n${seen.console.join('\n')}`);
  console.log('PASS');
} catch (e) {
  await fail(e);
}
