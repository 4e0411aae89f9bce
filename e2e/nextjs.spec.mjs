// The seed's Next.js app (examples/nextjs, production build, `next start`)
// with the unmodified @clerk/nextjs, in Chromium, against Frontdesk.
//
// Run by crates/frontdesk-server/tests/api/nextjs.rs, which starts Frontdesk,
// builds and starts the app, then sets:
//   APP_URL         the app (http://127.0.0.1:<port>, same site as Frontdesk)
//   FRONTDESK_URL   Frontdesk (Frontend and Backend API)
//   SECRET_KEY      a Frontdesk secret key (dev mailbox, sessions, metadata)
//   ENDPOINT_ID     the webhook endpoint pointing at the app
//   MAILBOX_URL     (production instances, which keep no dev mailbox)
//                   GET /code?to=… answers the newest code mailed there,
//                   read from Frontdesk's email.created webhook
//   TOKEN_LIFETIME  Frontdesk's session token lifetime, in seconds
//   ISSUER, SOCIAL  an OpenID Connect provider (npm oidc-provider) turned on
//                   as "Corp SSO", and a person there new to the app
//   ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS
// Prints one line per step and `PASS`, or fails with the network log.

import path from 'node:path';

import { Recorder, backendApi, check, env, launch, log, retry, sleep } from './harness.mjs';

const APP = env('APP_URL');
const FRONTDESK = env('FRONTDESK_URL');
const SK = env('SECRET_KEY');
const ENDPOINT = env('ENDPOINT_ID');
const MAILBOX = process.env.MAILBOX_URL;
const LIFETIME = Number(env('TOKEN_LIFETIME', '20'));
const ISSUER = env('ISSUER');
const SOCIAL = env('SOCIAL');
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '240000'));
const STEP = 30_000;
// @clerk/backend accepts a token up to 5 s past its `exp` (clock skew).
const SKEW = 5;

const tag = Math.random().toString(36).slice(2, 10);
const EMAIL = `seed-${tag}@example.com`;
const PASSWORD = `correct horse ${tag} battery`;

const bapi = backendApi(FRONTDESK, SK);

const until = (what, fn, timeout = STEP) => retry(what, fn, { timeout, deadline: DEADLINE });

/// The newest code Frontdesk mailed to `to`: from its development mailbox,
/// or on production instances from the `email.created` webhook.
async function mailedCode(to) {
  return until(`a code mailed to ${to}`, async () => {
    if (MAILBOX) {
      const res = await fetch(`${MAILBOX}/code?to=${encodeURIComponent(to)}`);
      return res.ok && (await res.text());
    }
    const mails = await bapi('GET', '/v1/dev/emails');
    const mail = mails.data.find((m) => m.to_email_address === to);
    return mail && mail.body_plain.match(/\b(\d{6})\b/)?.[1];
  });
}

/// The app's webhook route accepted (2xx after `svix` verification) an event.
async function delivered(type, userId) {
  return until(`${type} delivered to the app`, async () => {
    const page = await bapi('GET', `/v1/webhooks/endpoints/${ENDPOINT}/messages?status=success`);
    return page.data.find((m) => m.event_type === type && m.payload.data.id === userId);
  });
}

const browser = await launch(env('CHROMIUM', '/usr/bin/chromium'));
const context = await browser.newContext();
const seen = new Recorder();
await seen.guard(context);
let page = await context.newPage();
seen.watch(page);
const overall = setTimeout(() => fail(new Error('deadline exceeded')), DEADLINE - Date.now());

let failing = false;
async function fail(e) {
  if (failing) return;
  failing = true;
  await seen.fail(e, page, path.join(ARTIFACTS, 'nextjs-failure.png'));
  await browser.close().catch(() => {});
  process.exit(1);
}

const pathOf = () => new URL(page.url()).pathname;
const text = (sel) => page.locator(sel).first().innerText({ timeout: STEP });
// Signed out, `auth.protect()` answers API requests with a 404 page before the route runs.
const profile = () =>
  page.evaluate(() =>
    fetch('/api/user/profile').then(async (r) => ({ status: r.status, body: r.ok ? await r.json() : {} })),
  );

async function signIn() {
  await page.goto(`${APP}/sign-in`);
  const identifier = page.locator('input[name="identifier"]');
  await identifier.waitFor({ state: 'visible', timeout: STEP });
  await identifier.fill(EMAIL);
  const password = page.locator('input[name="password"]');
  if (!(await password.isVisible())) {
    await page.locator('.cl-formButtonPrimary').click();
    await password.waitFor({ state: 'visible', timeout: STEP });
  }
  await password.fill(PASSWORD);
  await page.locator('.cl-formButtonPrimary').click();
  await until('leaving /sign-in', async () => !pathOf().startsWith('/sign-in'));
}

async function dashboardEmail() {
  await page.goto(`${APP}/dashboard`);
  return (await text('[data-testid="user-email"]')).trim();
}

try {
  // 1. A new visitor sees the public landing page; /dashboard sends them to /sign-in.
  await page.goto(`${APP}/`);
  check((await page.innerText('body')).includes('Welcome to the seed app'), 'the landing page');
  await page.goto(`${APP}/dashboard`);
  await until('the redirect to /sign-in', async () => pathOf().startsWith('/sign-in'));
  log(`signed out: /dashboard went to ${pathOf()}`);

  // 2. Sign up through <SignUp/> with the code from Frontdesk's dev mailbox.
  await page.goto(`${APP}/sign-up`);
  const email = page.locator('input[name="emailAddress"]');
  await email.waitFor({ state: 'visible', timeout: STEP });
  await email.fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.locator('.cl-formButtonPrimary').click();
  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
  await otp.fill(await mailedCode(EMAIL));
  await until('leaving /sign-up', async () => !pathOf().startsWith('/sign-up'));
  log(`signed up as ${EMAIL}; at ${pathOf()}`);

  // 3. The dashboard shows the user; the API route answers with auth() + currentUser().
  check((await dashboardEmail()) === EMAIL, 'the dashboard shows the email');
  // clerk-js read the whole environment and client (`degraded` when a
  // member it reads unguarded is missing; its forms then lose fields).
  const status = await until('clerk-js to load', async () => {
    const s = await page.evaluate(() => window.Clerk?.status);
    return s && s !== 'loading' ? s : null;
  });
  check(status === 'ready', `clerk-js loaded as ready, not ${status}`);
  const p1 = await profile();
  check(p1.status === 200 && p1.body.id.startsWith('user_'), `profile ${JSON.stringify(p1)}`);
  check(p1.body.email === EMAIL, `profile email ${p1.body.email}`);
  const userId = p1.body.id;
  log(`profile: ${JSON.stringify(p1.body)}`);
  await delivered('user.created', userId);
  log('user.created passed svix verification in the app');

  // 4. Change the name through <UserButton/>'s profile; user.updated follows.
  await page.locator('.cl-userButtonTrigger').first().click();
  await page.locator('.cl-userButtonPopoverActionButton__manageAccount').click();
  await page.locator('.cl-profileSectionPrimaryButton__profile').click();
  await page.locator('input[name="firstName"]').fill('Grace');
  await page.locator('.cl-userProfile-root .cl-formButtonPrimary, .cl-formButtonPrimary').first().click();
  await until('the new first name', async () => (await profile()).body.firstName === 'Grace');
  await delivered('user.updated', userId);
  log('renamed to Grace through <UserButton/>; user.updated delivered');
  await page.keyboard.press('Escape');

  // 5. Sign out through <UserButton/>, then sign in with the password.
  await page.goto(`${APP}/dashboard`);
  await page.locator('.cl-userButtonTrigger').first().click();
  await page.locator('.cl-userButtonPopoverActionButton__signOut').click();
  await until('signed out', async () => (await profile()).status === 404);
  log('signed out through <UserButton/>');
  await signIn();
  check((await dashboardEmail()) === EMAIL, 'signed in again with the password');
  log('signed in with the password');

  // 6. Past the token lifetime with no page open, a navigation is still signed in (handshake).
  await page.close();
  await sleep((LIFETIME + 2) * 1000);
  page = await context.newPage();
  seen.watch(page);
  check((await dashboardEmail()) === EMAIL, 'still signed in after the token expired');
  log(`still signed in after ${LIFETIME + 2}s idle`);

  // 7. Revoke the session through the Backend API: signed out within one token lifetime.
  const sessions = await bapi('GET', `/v1/sessions?user_id=${userId}&status=active`);
  check(sessions.length >= 1, `an active session (${JSON.stringify(sessions)})`);
  for (const s of sessions) await bapi('POST', `/v1/sessions/${s.id}/revoke`);
  const revokedAt = Date.now();
  await until(
    'signed out after the revocation',
    async () => {
      // Let clerk-js load each time: it may notice first and clear the cookies.
      await page.goto(`${APP}/dashboard`, { waitUntil: 'networkidle' });
      return pathOf().startsWith('/sign-in');
    },
    (LIFETIME + SKEW + 10) * 1000,
  );
  const revokedAfter = (Date.now() - revokedAt) / 1000;
  log(`revoked: signed out after ${revokedAfter.toFixed(1)}s`);
  // No token is minted for the session after the revocation; one minted just
  // before it is good for one lifetime, plus the 5 s of clock skew
  // @clerk/backend allows (usually clerk-js notices first and it takes ~2 s).
  check(
    revokedAfter <= LIFETIME + SKEW + 3,
    `signed out within one token lifetime and the verifier's skew (${revokedAfter}s)`,
  );

  // 8. Public metadata `tier: "pro"` opens /pro after the next token refresh.
  await signIn();
  await page.goto(`${APP}/pro`);
  check((await text('h1')) === 'Upgrade required', '/pro is closed at first');
  await bapi('PATCH', `/v1/users/${userId}/metadata`, { public_metadata: { tier: 'pro' } });
  const tierAt = Date.now();
  await until(
    '/pro to open',
    async () => {
      await page.goto(`${APP}/pro`);
      return (await text('h1')) === 'Pro';
    },
    (LIFETIME + 10) * 1000,
  );
  log(`/pro opened ${((Date.now() - tierAt) / 1000).toFixed(1)}s after tier: pro`);

  // 9. A new person with <SignIn/>'s "Corp SSO" button: to the provider,
  // back through @clerk/nextjs's /sign-in/sso-callback (the transfer to a
  // sign-up), signed in on the protected dashboard.
  await page.goto(`${APP}/dashboard`);
  await page.locator('.cl-userButtonTrigger').first().click();
  await page.locator('.cl-userButtonPopoverActionButton__signOut').click();
  await until('signed out', async () => (await profile()).status === 404);
  await page.goto(`${APP}/sign-in`);
  const corp = page.locator('.cl-socialButtonsBlockButton, .cl-socialButtonsIconButton').first();
  await corp.waitFor({ state: 'visible', timeout: STEP });
  await corp.click();
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
  await page.getByLabel('Email').fill(SOCIAL);
  await page.getByLabel('Password').fill('provider password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.href.startsWith(APP) && !u.pathname.startsWith('/sign-in'), { timeout: STEP });
  check((await dashboardEmail()) === SOCIAL, 'signed up through the provider, on the dashboard');
  log(`signed up with Corp SSO through /sign-in/sso-callback; at ${pathOf()}`);

  check(seen.blocked.length === 0, `no request left loopback (blocked: ${seen.blocked.join(', ')})`);
  clearTimeout(overall);
  await browser.close();
  console.log(`USER ${userId}`);
  console.log('PASS');
} catch (e) {
  await fail(e);
}
