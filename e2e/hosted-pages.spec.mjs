// Frontdesk's hosted pages in Chromium, no clerk-js: sign up (code from the
// dev mailbox) and land on an app on another origin through the handshake,
// see the profile, sign out, sign in with a password, sign in with an email
// code on a second device, sign the first device out from the profile page,
// reset the password and see the other session end; turn on two-step
// verification with an authenticator app and sign in with its code, then
// with a backup code (once).
//
// Run by crates/frontdesk-server/tests/api/hosted_pages.rs, which sets:
//   FRONTDESK_URL   Frontdesk's base URL (http://127.0.0.1:<port>)
//   APP_URL         an app on another origin (http://localhost:<port>) that
//                   answers every path with its own URL
//   SECRET_KEY      for reading the dev mailbox (GET /v1/dev/emails)
//   ARTIFACTS_DIR   where to put a screenshot on failure
//   CHROMIUM        the browser (never downloaded)
//   DEADLINE_MS     the whole run's budget
// Prints one line per step and `PASS` at the end.

import path from 'node:path';

import { Recorder, env, launch, log, stepNow, totp } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const APP = env('APP_URL');
const SECRET_KEY = env('SECRET_KEY');
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '60000'));

const tag = Math.random().toString(36).slice(2, 10);
const EMAIL = `pages-${tag}@example.com`;
const PASSWORD = `correct horse ${tag} battery`;
const NEW_PASSWORD = `staple ${tag} orbit lantern`;
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  if (Date.now() > DEADLINE) throw new Error(`over the deadline at: ${what}`);
}

/// The code in the newest mail to EMAIL whose subject mentions `about`,
/// newer than `after` (mail ids are not needed: the mailbox is newest first).
async function mailedCode(after) {
  const res = await fetch(`${FRONTDESK}/v1/dev/emails`, {
    headers: { authorization: `Bearer ${SECRET_KEY}` },
  });
  check(res.ok, `dev mailbox answers (${res.status})`);
  const { data } = await res.json();
  const mail = data.find((m) => m.to_email_address === EMAIL && m.created_at >= after);
  check(mail, `a mail to ${EMAIL} since ${after}`);
  const code = mail.body_plain.match(/\b(\d{6})\b/);
  check(code, 'the mail has a 6-digit code');
  return code[1];
}

/// Every input is labelled, and every input marked invalid points at a
/// visible error text.
async function accessible(page, what) {
  const problems = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input:not([type=hidden])')) {
      if (!el.labels || el.labels.length === 0) out.push(`unlabelled input ${el.name}`);
      if (el.getAttribute('aria-invalid') === 'true') {
        const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        const texts = ids.map((id) => document.getElementById(id)?.textContent?.trim()).filter(Boolean);
        if (texts.length === 0) out.push(`invalid ${el.name} without an error text`);
      }
    }
    if (!document.documentElement.lang) out.push('no lang');
    if (!document.querySelector('h1')) out.push('no h1');
    if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('scrolls sideways');
    return out;
  });
  check(problems.length === 0, `${what} is accessible: ${problems.join(', ')}`);
}

const browser = await launch(CHROMIUM);
const laptop = await browser.newContext();
const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true });
const seen = new Recorder();
await seen.guard(laptop);
await seen.guard(phone);
const a = await laptop.newPage();
const b = await phone.newPage();
let failed = null;

try {
  // 1. Sign up from an app on another origin, with the code from the mailbox.
  const target = `${APP}/dashboard`;
  await a.goto(`${FRONTDESK}/sign-up?redirect_url=${encodeURIComponent(target)}`);
  await accessible(a, 'sign-up');
  await a.getByLabel('First name').fill('Ada');
  await a.getByLabel('Email address').fill(EMAIL);
  await a.getByLabel('Password', { exact: true }).fill('password123');
  await a.getByRole('button', { name: 'Continue' }).click();
  await a.waitForSelector('#f-password[aria-invalid=true]');
  await accessible(a, 'sign-up with a common password');
  check(
    (await a.textContent('#f-password-error')).includes('too common'),
    'a common password is refused, next to the field',
  );
  await a.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await a.getByRole('button', { name: 'Show password' }).click();
  check((await a.getAttribute('#f-password', 'type')) === 'text', '"Show" displays the password');
  await a.getByRole('button', { name: 'Hide password' }).click();
  check((await a.getAttribute('#f-password', 'type')) === 'password', '"Hide" masks it again');
  let since = Date.now() - 1000;
  await a.getByRole('button', { name: 'Continue' }).click();
  await a.waitForURL(/\/sign-up\/verify\?/);
  log('sign-up: code requested');
  await accessible(a, 'verify');
  await a.getByLabel('Verification code').fill(await mailedCode(since));
  await a.getByRole('button', { name: 'Verify' }).click();
  await a.waitForURL((u) => u.href.startsWith(target));
  const landed = new URL(a.url());
  const handshake = landed.searchParams.get('__clerk_handshake');
  check(handshake, 'the app got a __clerk_handshake');
  const directives = claims(handshake).handshake;
  const session = directives.find((d) => d.startsWith('__session='));
  const jwt = session.split(';')[0].slice('__session='.length);
  const c = claims(jwt);
  check(c.sid && c.sub && c.azp === APP, `the app's session token is for it (azp ${c.azp})`);
  log(`sign-up: landed on ${landed.origin}${landed.pathname} with a session for ${c.sub}`);

  // 2. The profile.
  await a.goto(`${FRONTDESK}/user`);
  await accessible(a, 'profile');
  check((await a.inputValue('#f-first_name')) === 'Ada', 'the profile shows the first name');
  check((await a.textContent('body')).includes(EMAIL), 'the profile shows the email address');
  check((await a.textContent('body')).includes('This device'), 'the profile marks this device');
  await a.getByLabel('Last name').fill('<b>Lovelace</b>');
  await a.getByRole('button', { name: 'Save' }).click();
  await a.waitForURL(/done=profile/);
  check((await a.inputValue('#f-last_name')) === '<b>Lovelace</b>', 'markup in a name is kept as text');
  check((await a.$$('b')).length === 0, 'and never rendered as markup');
  log('profile: names shown and saved');

  // 3. Sign out.
  await a.goto(`${FRONTDESK}/sign-out`);
  await a.getByRole('button', { name: 'Sign out' }).click();
  await a.waitForURL(/\/sign-in/);
  await a.goto(`${FRONTDESK}/user`);
  check(new URL(a.url()).pathname === '/sign-in', 'signed out: /user sends to sign-in');
  log('signed out');

  // 4. Sign in with the password (a wrong one first).
  await accessible(a, 'sign-in');
  await a.getByLabel('Email address').fill(EMAIL);
  await a.getByLabel('Password', { exact: true }).fill('not the password at all');
  await a.getByRole('button', { name: 'Sign in', exact: true }).click();
  await a.waitForSelector('.alert');
  await accessible(a, 'sign-in with a wrong password');
  const wrong = await a.textContent('.alert');
  check(wrong.includes('email address or password is incorrect'), `a wrong password: ${wrong}`);
  // An address with no account reads the same (no account enumeration).
  await a.getByLabel('Email address').fill(`nobody-${EMAIL}`);
  await a.getByLabel('Password', { exact: true }).fill('not the password at all');
  await a.getByRole('button', { name: 'Sign in', exact: true }).click();
  await a.waitForSelector('.alert');
  check((await a.textContent('.alert')) === wrong, 'an unknown address reads like a wrong password');
  await a.getByLabel('Email address').fill(EMAIL);
  await a.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await a.getByRole('button', { name: 'Sign in', exact: true }).click();
  await a.waitForURL(/\/user$/);
  log('signed in with the password');

  // 5. A second device signs in with an emailed code.
  await b.goto(`${FRONTDESK}/sign-in`);
  await accessible(b, 'sign-in on a phone');
  await b.getByLabel('Email address').fill(EMAIL);
  since = Date.now() - 1000;
  await b.getByRole('button', { name: 'Email me a sign-in code instead' }).click();
  await b.waitForURL(/\/sign-in\/code\?/);
  await b.getByLabel('Code').fill(await mailedCode(since));
  await b.getByRole('button', { name: 'Continue' }).click();
  await b.waitForURL(/\/user$/);
  await accessible(b, 'profile on a phone');
  const rows = await b.$$('tbody tr');
  check(rows.length === 2, `two devices listed (${rows.length})`);
  log('second device signed in with an email code');

  // 6. From the phone, sign the laptop out.
  const other = b.locator('tbody tr', { hasNot: b.locator('.badge') });
  await other.getByRole('button', { name: /^Sign out/ }).click();
  await b.waitForURL(/done=device/);
  check((await b.$$('tbody tr')).length === 1, 'one device left');
  await a.goto(`${FRONTDESK}/user`);
  check(new URL(a.url()).pathname === '/sign-in', 'the laptop was signed out');
  log('revoked the other device from the profile page');

  // 7. Reset the password on the laptop: the phone's session ends.
  await a.goto(`${FRONTDESK}/forgot-password`);
  await accessible(a, 'forgot password');
  await a.getByLabel('Email address').fill(EMAIL);
  since = Date.now() - 1000;
  await a.getByRole('button', { name: 'Send code' }).click();
  await a.waitForURL(/\/forgot-password\/reset\?/);
  await a.getByLabel('Code').fill(await mailedCode(since));
  await a.getByLabel('New password').fill(NEW_PASSWORD);
  await a.getByRole('button', { name: 'Reset password' }).click();
  await a.waitForURL(/\/user$/);
  await b.goto(`${FRONTDESK}/user`);
  check(new URL(b.url()).pathname === '/sign-in', "the reset ended the phone's session");
  log('password reset; the old session ended');

  // 8. The old password is refused, the new one works.
  await b.getByLabel('Email address').fill(EMAIL);
  await b.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await b.getByRole('button', { name: 'Sign in', exact: true }).click();
  await b.waitForSelector('.alert');
  check((await b.textContent('.alert')).includes('password is incorrect'), 'the old password is refused');
  await b.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await b.getByRole('button', { name: 'Sign in', exact: true }).click();
  await b.waitForURL(/\/user$/);
  log('the new password works, the old one does not');

  // 9. Two-step verification: add an app from the profile (on the phone).
  await b.getByRole('button', { name: 'Add an authenticator app' }).click();
  await b.waitForSelector('figure.qr svg');
  await accessible(b, 'authenticator app setup');
  const secret = (await b.textContent('#totp-secret')).trim();
  const enrolStep = stepNow();
  await b.getByLabel('Code from the app').fill('000000' === totp(secret, enrolStep) ? '111111' : '000000');
  await b.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await b.waitForSelector('#f-code[aria-invalid=true]');
  check((await b.textContent('#totp-secret')).trim() === secret, 'a wrong code keeps the same secret');
  await b.getByLabel('Code from the app').fill(totp(secret, enrolStep));
  await b.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await b.waitForSelector('#backup-codes');
  const backup = await b.$$eval('#backup-codes code', (els) => els.map((e) => e.textContent.trim()));
  check(backup.length === 10, `ten backup codes shown once (${backup.length})`);
  await b.getByRole('link', { name: 'Done' }).click();
  await b.waitForURL(/done=two-step/);
  check((await b.textContent('body')).includes('Authenticator app'), 'the profile says the app is on');
  log('two-step verification on; backup codes shown');

  // 10. The laptop signs out, then in: password, then the app's next code.
  await a.goto(`${FRONTDESK}/sign-out`);
  await a.getByRole('button', { name: 'Sign out' }).click();
  await a.waitForURL(/\/sign-in/);
  await a.getByLabel('Email address').fill(EMAIL);
  await a.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await a.getByRole('button', { name: 'Sign in', exact: true }).click();
  await a.waitForURL(/\/sign-in\/factor-two\?/);
  await accessible(a, 'two-step sign-in');
  await a.getByLabel('Authenticator code').fill(totp(secret, enrolStep + 1));
  await a.getByRole('button', { name: 'Continue' }).click();
  await a.waitForURL(/\/user$/);
  log('signed in with password + app code');

  // 11. Then with a backup code, which works once.
  for (const round of ['first', 'again']) {
    await a.goto(`${FRONTDESK}/sign-out`);
    await a.getByRole('button', { name: 'Sign out' }).click();
    await a.waitForURL(/\/sign-in/);
    await a.getByLabel('Email address').fill(EMAIL);
    await a.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await a.getByRole('button', { name: 'Sign in', exact: true }).click();
    await a.waitForURL(/\/sign-in\/factor-two\?/);
    await a.getByRole('link', { name: 'Use a backup code instead' }).click();
    await a.getByLabel('Backup code').fill(backup[3]);
    await a.getByRole('button', { name: 'Continue' }).click();
    if (round === 'first') {
      await a.waitForURL(/\/user$/);
      log('signed in with password + backup code');
    } else {
      await a.waitForSelector('#f-code[aria-invalid=true]');
      check((await a.textContent('#f-code-error')).includes('Incorrect'), 'a spent backup code is refused');
      log('the same backup code again is refused');
    }
  }

  check(seen.blocked.length === 0, `no request left loopback: ${seen.blocked.join(', ')}`);
  console.log('PASS');
} catch (e) {
  failed = e;
  const shot = path.join(ARTIFACTS, 'hosted-pages-failure.png');
  await a.screenshot({ path: shot, fullPage: true }).catch(() => {});
  await b.screenshot({ path: shot.replace('.png', '-phone.png'), fullPage: true }).catch(() => {});
  console.log(`FAIL: ${e.message}\nlaptop at ${a.url()}\nphone at ${b.url()}\nscreenshots in ${ARTIFACTS}`);
  console.log(await a.content().catch(() => ''));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
