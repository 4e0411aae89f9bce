// A required second factor with the real clerk-js and @clerk/ui, in
// Chromium: on an instance that requires two-step verification, a user
// without one signs in, gets a pending session with the `setup-mfa` task,
// adds an authenticator app in <TaskSetupMFA/>, and is signed in.
//
// Run by crates/frontdesk-server/tests/api/mfa_browser.rs on the page of
// e2e/clerk-page.html, after it set `mfa.required`; EMAIL and PASSWORD name
// a user without a second factor.

import path from 'node:path';

import { Recorder, check, env, launch, log, retry, stepNow, totp } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const PAGE = env('PAGE_URL');
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '90000'));
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const STEP = 20_000;

const until = (what, fn, timeout = STEP) => retry(what, fn, { timeout, deadline: DEADLINE });

const browser = await launch(CHROMIUM);
const context = await browser.newContext();
const page = await context.newPage();
const seen = new Recorder();
await seen.guard(context);
seen.watch(page, (url) => (url.origin === FRONTDESK ? url.pathname : url.href.split('?')[0]));

let secret;
page.on('response', async (r) => {
  if (r.request().method() !== 'POST' || !/\/v1\/me\/totp$/.test(new URL(r.url()).pathname)) return;
  try {
    const body = await r.json();
    if (body.response?.secret) secret = body.response.secret;
  } catch {}
});

try {
  await page.goto(`${PAGE}/sign-in`);
  await until('Clerk.load()', () => page.evaluate(() => document.body?.dataset.loaded === 'true'));
  await page.locator('input[name="identifier"]').fill(EMAIL);
  const password = page.locator('input[name="password"]');
  if (!(await password.isVisible())) {
    await page.locator('.cl-formButtonPrimary').click();
    await password.waitFor({ state: 'visible', timeout: STEP });
  }
  await password.fill(PASSWORD);
  await page.locator('.cl-formButtonPrimary').click();
  const pending = await until('a pending session', () =>
    page.evaluate(() => window.Clerk?.session?.status === 'pending' && window.Clerk.session.currentTask?.key),
  );
  check(pending === 'setup-mfa', `the session's task is setup-mfa (${pending})`);
  log(`pending session with task ${pending}; at ${new URL(page.url()).pathname}`);

  await until('the secret from POST /v1/me/totp', () => secret);
  await page.locator('.cl-formButtonPrimary').first().click();
  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
  await otp.fill(totp(secret, stepNow()));
  // Backup codes may be shown before the session goes on.
  const active = await until('an active session', async () => {
    const s = await page.evaluate(() => window.Clerk?.session?.status ?? null);
    if (s === 'active') return true;
    const finish = page.locator('.cl-formButtonPrimary', { hasText: /Finish|Continue/ });
    if (await finish.isVisible().catch(() => false)) await finish.click().catch(() => {});
    return false;
  });
  check(active, 'the session is active');
  check(await page.evaluate(() => window.Clerk.user.totpEnabled), 'the user has an authenticator app');
  log(`task done: session active, app added; at ${new URL(page.url()).pathname}`);
  check(seen.blocked.length === 0, `no request left loopback (blocked: ${seen.blocked.join(', ')})`);
  await browser.close();
  console.log('PASS');
} catch (e) {
  await seen.fail(e, page, path.join(ARTIFACTS, 'mfa-required-failure.png'));
  await browser.close().catch(() => {});
  process.exit(1);
}
