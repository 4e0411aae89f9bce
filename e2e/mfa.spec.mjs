// Two-step verification with the real clerk-js and @clerk/ui, in Chromium:
// add an authenticator app in <UserProfile/>'s Security page, sign out, sign
// in with the password and the app's code, then with a backup code, which a
// second time is refused.
//
// Run by crates/frontdesk-server/tests/api/mfa_browser.rs on the page of
// e2e/clerk-page.html (the same settings as clerk-js.spec.mjs):
//   FRONTDESK_URL, PAGE_URL, ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS,
//   EMAIL, PASSWORD  a user the test made with the Backend API
// The app's codes are computed (harness.mjs `totp`) from the secret the
// Frontend API handed <UserProfile/>, as the user's phone would.

import { check, clerkReady, env, log, openSpec, passwordSignIn, pathsAt, stepNow, totp } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const PAGE = env('PAGE_URL');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const STEP = 20_000;

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

const { page, until, fail, pass } = await openSpec('mfa', { shown: pathsAt(FRONTDESK) });

// The secret and backup codes, as the Frontend API handed them to the page.
let secret;
let backupCodes = [];
page.on('response', async (r) => {
  const url = new URL(r.url());
  if (r.request().method() !== 'POST' || !/\/v1\/me\/totp/.test(url.pathname)) return;
  try {
    const body = await r.json();
    if (body.response?.secret) secret = body.response.secret;
    if (body.response?.backup_codes) backupCodes = body.response.backup_codes;
  } catch {}
});

const who = () =>
  page.evaluate(() => {
    const c = window.Clerk;
    return c?.loaded && c.user && c.session ? { user: c.user.id, session: c.session.id } : null;
  });

async function signOut() {
  await page.evaluate(() => window.Clerk.signOut());
  await until('signed out', () => page.evaluate(() => window.Clerk?.loaded && window.Clerk.user === null));
}

/// <SignIn/>: identifier and password; returns when the second step shows.
async function passwordStep() {
  await passwordSignIn(page, until, PAGE, EMAIL, PASSWORD, STEP);
  await until('the factor-two page', async () => new URL(page.url()).pathname.includes('factor-two'));
  log(`second step at ${new URL(page.url()).pathname}`);
}

try {
  // 1. Signed in with the password alone: no second factor yet.
  await passwordSignIn(page, until, PAGE, EMAIL, PASSWORD, STEP);
  const first = await until('signed in with the password', who);
  const fva0 = claims(await page.evaluate(() => window.Clerk.session.getToken())).fva;
  check(JSON.stringify(fva0) === '[0,-1]', `fva before a second factor is [0,-1] (got ${JSON.stringify(fva0)})`);
  log(`signed in without a second factor: ${first.session}, fva ${JSON.stringify(fva0)}`);

  // 2. <UserProfile/> → Security → Add two-step verification → Authenticator application.
  await page.goto(`${PAGE}/user/security`);
  await clerkReady(page, until);
  await page.getByRole('button', { name: 'Add two-step verification' }).click();
  await page.getByText('Authenticator application').click();
  await until('the secret from POST /v1/me/totp', () => secret);
  log(`<UserProfile/> asked for an app secret (${secret.length} characters), showing its QR code`);
  await page.locator('.cl-formButtonPrimary', { hasText: 'Continue' }).click();
  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
  const enrolStep = stepNow();
  await otp.fill(totp(secret, enrolStep));
  await until('the backup codes', () => backupCodes.length > 0);
  log(`app confirmed; ${backupCodes.length} backup codes shown`);
  await until('backup codes on screen', () => page.getByText(backupCodes[0]).first().isVisible());
  await page.locator('.cl-formButtonPrimary', { hasText: 'Finish' }).click();
  const enabled = await until('totpEnabled on the user', () =>
    page.evaluate(() => window.Clerk.user.totpEnabled && window.Clerk.user.twoFactorEnabled),
  );
  check(enabled, 'the user object says two-step verification is on');
  await until('the app listed in the Security page', () => page.getByText('Authenticator app').first().isVisible());
  log('<UserProfile/> lists the authenticator app');

  // 3. Sign out; sign in with the password and the app's next code.
  await signOut();
  await passwordStep();
  const code = page.locator('input[data-input-otp]');
  await code.waitFor({ state: 'visible', timeout: STEP });
  await code.fill(totp(secret, enrolStep + 1));
  const second = await until('signed in with the app', who);
  const fva = claims(await page.evaluate(() => window.Clerk.session.getToken())).fva;
  check(JSON.stringify(fva) === '[0,0]', `fva after both factors is [0,0] (got ${JSON.stringify(fva)})`);
  log(`signed in with password + app: ${second.session}, fva ${JSON.stringify(fva)}`);

  // 4. And with a backup code instead, once.
  for (const attempt of ['first', 'second']) {
    await signOut();
    await passwordStep();
    await page.getByText('Use another method').click();
    await page.getByRole('button', { name: 'Use a backup code' }).click();
    const input = page.locator('input[name="code"]');
    await input.waitFor({ state: 'visible', timeout: STEP });
    await input.fill(backupCodes[0]);
    await page.locator('.cl-formButtonPrimary').click();
    if (attempt === 'first') {
      const s = await until('signed in with a backup code', who);
      log(`signed in with password + backup code: ${s.session}`);
    } else {
      const error = page.locator('.cl-formFieldErrorText, .cl-alert');
      await error.first().waitFor({ state: 'visible', timeout: STEP });
      const text = (await error.first().textContent()).trim();
      check(/incorrect/i.test(text), `the form says the code is wrong (got "${text}")`);
      check(!(await who()), 'a spent backup code does not sign in');
      log(`the same backup code again: "${text}"`);
    }
  }

  await pass();
} catch (e) {
  await fail(e);
}
