// Passkeys with the real clerk-js and @clerk/ui, in Chromium with a virtual
// platform authenticator (DevTools WebAuthn): signed in with the password,
// add a passkey in <UserProfile/>'s Security page, sign out, sign in through
// the browser's autofill (conditional UI) and with "Use passkey instead" (no
// identifier, no password: the passkey names the account, and counts as
// both factors), then remove the passkey.
//
// Run by crates/frontdesk-server/tests/api/passkeys_browser.rs on the page
// of e2e/clerk-page.html, served at localhost (browsers refuse IP-address
// relying parties):
//   FRONTDESK_URL, PAGE_URL, ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS,
//   EMAIL, PASSWORD  a user the test made with the Backend API

import path from 'node:path';

import {
  Recorder,
  check,
  clerkReady,
  env,
  launch,
  log,
  passwordSignIn,
  retry,
  virtualAuthenticator,
} from './harness.mjs';

const PAGE = env('PAGE_URL');
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '90000'));
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const STEP = 20_000;

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
const until = (what, fn, timeout = STEP) => retry(what, fn, { timeout, deadline: DEADLINE });

const browser = await launch(CHROMIUM);
const context = await browser.newContext();
// clerk-js offers WebAuthn only to a "valid browser" (`isValidBrowser`:
// not `navigator.webdriver`), and Playwright's Chromium says it is driven.
// A person's browser is not: say so before any page script runs.
await context.addInitScript(() =>
  Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false }),
);
const page = await context.newPage();
const seen = new Recorder();
await seen.guard(context);
seen.watch(page, (url) => url.pathname);
const overall = setTimeout(() => fail(new Error('deadline exceeded')), DEADLINE - Date.now());

let failing = false;
async function fail(e) {
  if (failing) return;
  failing = true;
  await seen.fail(e, page, path.join(ARTIFACTS, 'passkeys-failure.png'));
  await browser.close().catch(() => {});
  process.exit(1);
}

const who = () =>
  page.evaluate(() => {
    const c = window.Clerk;
    return c?.loaded && c.user && c.session ? { user: c.user.id, session: c.session.id } : null;
  });

try {
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  // 1. Signed in with the password.
  await passwordSignIn(page, until, PAGE, EMAIL, PASSWORD, STEP);
  const first = await until('signed in with the password', who);
  log(`signed in with the password: ${first.session}`);

  // 2. <UserProfile/> → Security → Add a passkey.
  await page.goto(`${PAGE}/user/security`);
  await clerkReady(page, until);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  const names = await until('the passkey on the user', () =>
    page.evaluate(() => {
      const keys = window.Clerk.user?.passkeys ?? [];
      return keys.length ? keys.map((k) => k.name) : null;
    }),
  );
  log(`<UserProfile/> registered a passkey: ${JSON.stringify(names)}`);
  check(/Chrome on Linux/.test(names[0]), `named after the device (got ${names[0]})`);
  await until('the passkey listed in the Security page', () => page.getByText(names[0]).first().isVisible());
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  check(credentials.length === 1, `the authenticator holds one credential (got ${credentials.length})`);
  check(credentials[0].isResidentCredential, 'the credential is discoverable (resident)');
  check(credentials[0].rpId === 'localhost', `bound to the page's host (got ${credentials[0].rpId})`);
  log(`the authenticator holds it: rpId ${credentials[0].rpId}, resident ${credentials[0].isResidentCredential}`);

  // 3. Sign out; on <SignIn/> the browser's autofill (conditional UI) offers
  // the passkey as the page loads: clerk-js asks for a challenge at once,
  // and the virtual authenticator answers as a person picking the passkey
  // from the autofill list would. No identifier, no password.
  const signOut = async () => {
    await page.evaluate(() => window.Clerk.signOut());
    await until('signed out', () => page.evaluate(() => window.Clerk?.loaded && window.Clerk.user === null));
  };
  await signOut();
  const passkeyCalls = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/client\/sign_ins/.test(r.url()) && /strategy=passkey/.test(r.postData() ?? '')) {
      passkeyCalls.push(new URL(r.url()).pathname);
    }
  });
  await page.goto(`${PAGE}/sign-in`);
  await clerkReady(page, until);
  const second = await until('signed in through autofill', who);
  check(second.user === first.user, 'the passkey named the same account');
  check(
    passkeyCalls[0] === '/v1/client/sign_ins' && passkeyCalls.some((p) => p.endsWith('/attempt_first_factor')),
    `autofill: a challenge on load, then the assertion (${passkeyCalls.join(', ')})`,
  );
  const fva = claims(await page.evaluate(() => window.Clerk.session.getToken())).fva;
  check(JSON.stringify(fva) === '[0,0]', `a passkey is both factors: fva [0,0] (got ${JSON.stringify(fva)})`);
  const used = await page.evaluate(() => window.Clerk.user.passkeys[0].lastUsedAt);
  check(used, 'the passkey shows when it was last used');
  log(`signed in through autofill: ${second.session}, fva ${JSON.stringify(fva)}`);

  // And with the "Use passkey instead" button, in a browser without
  // conditional UI (so that autofill does not answer first).
  await context.addInitScript(() => {
    window.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await signOut();
  await page.goto(`${PAGE}/sign-in`);
  await clerkReady(page, until);
  await page.getByText('Use passkey instead').click();
  const third = await until('signed in with the passkey button', who);
  check(third.user === first.user, 'the button signs in the same account');
  const { credentials: after } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  log(`signed in with "Use passkey instead": ${third.session}, sign count ${after[0].signCount}`);

  // 4. Remove it in <UserProfile/>.
  await page.goto(`${PAGE}/user/security`);
  await clerkReady(page, until);
  const row = page.locator('.cl-profileSectionItem__passkeys');
  await row.first().waitFor({ state: 'visible', timeout: STEP });
  await row.first().locator('.cl-menuButton, button[aria-label="Open menu"]').first().click();
  await page.getByRole('menuitem', { name: /remove/i }).click();
  const confirm = page.locator('.cl-formButtonPrimary', { hasText: /remove/i });
  await confirm.waitFor({ state: 'visible', timeout: STEP });
  const [removal] = await Promise.all([
    page.waitForResponse(
      (r) => /\/v1\/me\/passkeys\/pk_/.test(r.url()) && r.request().method() === 'POST',
      { timeout: STEP },
    ),
    confirm.click(),
  ]);
  check(removal.status() === 200, `the removal answered ${removal.status()}`);
  await until('the passkey gone from the user', () =>
    page.evaluate(() => (window.Clerk.user?.passkeys ?? []).length === 0),
  );
  log('<UserProfile/> removed the passkey');

  check(seen.blocked.length === 0, `no request left loopback (blocked: ${seen.blocked.join(', ')})`);
  clearTimeout(overall);
  await browser.close();
  console.log(`--- network (${seen.network.length})\n${seen.network.join('\n')}`);
  console.log('PASS');
} catch (e) {
  await fail(e);
}
