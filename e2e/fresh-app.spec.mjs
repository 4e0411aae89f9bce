// A brand-new Next.js app (create-next-app, plus exactly Clerk's quickstart
// and the env block of `frontdesk keys show --format nextjs`), opened the
// way its developer would, in Chromium, against Frontdesk: sign up on the
// hosted page, land back in the app signed in (no reload), open the user
// profile (its avatar loads), sign out, sign in again.
//
// Run by crates/frontdesk-server/tests/api/fresh_app.rs, which starts
// Frontdesk, generates and starts the app (`next dev`), then sets:
//   APP_URL         the app as typed into the address bar
//                   (http://localhost:<port> or http://127.0.0.1:<port>)
//   FRONTDESK_URL   Frontdesk
//   SECRET_KEY      a Frontdesk secret key (to read the development mailbox)
//   ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS
// Prints one line per step and `PASS`, or fails with the network log.

import path from 'node:path';

import { Recorder, check, env, launch, log, retry } from './harness.mjs';

const APP = env('APP_URL');
const FRONTDESK = env('FRONTDESK_URL');
const SK = env('SECRET_KEY');
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '300000'));
const STEP = 60_000;

const tag = Math.random().toString(36).slice(2, 10);
const EMAIL = `fresh-${tag}@example.com`;
const PASSWORD = `correct horse ${tag} battery`;
// Where the app is once signed in: the page it was opened at, under
// Frontdesk's spelling of loopback (`localhost` by default). An app opened at
// 127.0.0.1 while Frontdesk is at localhost is another site to the browser,
// which would keep the sign-in cookie from the app's clerk-js; the hosted
// pages send the user back to the spelling where both see it.
const app = new URL(APP);
const HOME = `${app.protocol}//${new URL(FRONTDESK).hostname}:${app.port}`;

const until = (what, fn, timeout = STEP) => retry(what, fn, { timeout, deadline: DEADLINE });

/// The newest code mailed to EMAIL, from the development mailbox.
async function mailedCode() {
  const res = await fetch(`${FRONTDESK}/v1/dev/emails?limit=50`, {
    headers: { authorization: `Bearer ${SK}` },
  });
  const body = await res.json();
  const mail = (body.data ?? []).find((m) => m.to_email_address === EMAIL);
  return mail?.body_plain?.match(/\b(\d{6})\b/)?.[1];
}

const rec = new Recorder();
const browser = await launch(env('CHROMIUM', '/usr/bin/chromium'));
const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
await rec.guard(context);
const page = await context.newPage();
const fapiBodies = [];
page.on('response', async (r) => {
  if (!/\/v1\/(client|environment)(\?|$)/.test(r.url())) return;
  try {
    fapiBodies.push(`${r.status()} ${r.request().method()} ${r.url()}\n${(await r.text()).slice(0, 3000)}`);
  } catch {}
});
rec.watch(page);
page.on('framenavigated', (f) => {
  if (f === page.mainFrame()) rec.console.push(`navigated: ${f.url()}`);
});

const signedOut = () => page.getByRole('button', { name: 'Sign in', exact: true });
const userButton = () => page.locator('.cl-userButtonTrigger');

try {
  log(`open ${APP} (the first time: next dev compiles the page)`);
  await page.goto(APP, { timeout: STEP * 2 });
  await signedOut().waitFor({ timeout: STEP * 2 });
  check(!(await userButton().isVisible()), 'signed out at first');

  log('sign up on the hosted page');
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  // clerk-js puts redirect_url in the fragment (as for Clerk's Account
  // Portal); the page moves it into the query, where its form reads it.
  await page.waitForURL(
    (u) => u.href.startsWith(`${FRONTDESK}/sign-up`) && u.searchParams.has('redirect_url'),
    { timeout: STEP },
  );
  await page.getByLabel('Email address').waitFor({ timeout: STEP });
  const url = new URL(page.url());
  check(url.searchParams.get('redirect_url')?.startsWith(APP), `redirect_url carried over: ${url}`);
  check(!url.searchParams.has('__clerk_db_jwt'), `the dev browser is not left in the URL: ${url}`);
  await page.getByLabel('First name').fill('Fresh');
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Verification code').waitFor({ timeout: STEP });
  check((await page.innerText('body')).includes(EMAIL), 'the verify page says where the code went');
  const code = await until('the code in the dev mailbox', mailedCode);
  await page.getByLabel('Verification code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();

  log('back in the app, signed in, without a reload');
  await page.waitForURL((u) => u.href.startsWith(HOME), { timeout: STEP });
  await userButton().waitFor({ timeout: STEP });
  check(!(await signedOut().isVisible()), 'no "Sign in" button once signed in');

  log('the user profile, with its avatar');
  await userButton().click();
  await page.locator('.cl-userButtonPopoverActionButton__manageAccount').click();
  const avatar = page.locator('.cl-userProfile-root img').first();
  await avatar.waitFor({ timeout: STEP });
  await until('the avatar image to load', () =>
    avatar.evaluate((img) => img.complete && img.naturalWidth > 0),
  );
  await page.keyboard.press('Escape');

  log('sign out');
  await userButton().click();
  await page.locator('.cl-userButtonPopoverActionButton__signOut').click();
  await signedOut().waitFor({ timeout: STEP });

  log('sign in again with the password');
  await signedOut().click();
  await page.waitForURL((u) => u.href.startsWith(`${FRONTDESK}/sign-in`), { timeout: STEP });
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(HOME), { timeout: STEP });
  await userButton().waitFor({ timeout: STEP });
  check(!(await signedOut().isVisible()), 'signed in again');
  check(rec.blocked.length === 0, `nothing left loopback: ${rec.blocked.join(', ')}`);
  log('PASS');
  await browser.close();
} catch (e) {
  console.error(`--- FAPI bodies\n${fapiBodies.slice(-4).join('\n')}`);
  await rec.fail(e, page, path.join(ARTIFACTS, `fresh-app-${app.hostname}.png`));
  await browser.close();
  process.exit(1);
}
