// Step-up with the real clerk-js and @clerk/ui, in Chromium: a session whose
// password was checked eleven minutes ago adds an email address in
// <UserProfile/>; Frontdesk answers `session_reverification_required`,
// @clerk/ui opens <UserVerification/>, the password is entered again, and
// the same call is retried and goes through (the address's code step).
//
// Run by crates/frontdesk-server/tests/api/reverify_browser.rs on the page of
// e2e/clerk-page.html, with
//   EMAIL, PASSWORD  a user the test made with the Backend API
// The session is aged by the test (`askTest('age-session …')`), not by
// waiting ten minutes.

import { askTest, check, clerkReady, codeSent, env, log, openSpec, passwordSignIn, pathsAt } from './harness.mjs';

const PAGE = env('PAGE_URL');
const FRONTDESK = env('FRONTDESK_URL');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const SECOND = EMAIL.replace('@', '+clerk_test@');
const STEP = 20_000;

const { page, until, fail, pass } = await openSpec('reverify', { shown: pathsAt(FRONTDESK) });

// What the Frontend API answered to the address being added, in order.
const added = [];
page.on('response', (r) => {
  const url = new URL(r.url());
  if (r.request().method() === 'POST' && /^\/v1\/me\/email_addresses\/?$/.test(url.pathname)) added.push(r.status());
});

try {
  await passwordSignIn(page, until, PAGE, EMAIL, PASSWORD, STEP);
  const sid = await until('signed in', () => page.evaluate(() => window.Clerk?.session?.id));
  log(`signed in: ${sid}`);

  // Eleven minutes later (by the test's hand): the password check is stale.
  await askTest(`age-session ${sid}`);
  log('the session checked its factors eleven minutes ago');

  await page.goto(`${PAGE}/user`);
  await clerkReady(page, until);
  const sent = codeSent(page, STEP * 2);
  await page.getByRole('button', { name: 'Add email address' }).click();
  await page.locator('input[name="emailAddress"]').fill(SECOND);
  await page.locator('.cl-formButtonPrimary', { hasText: 'Add' }).click();

  // <UserVerification/>: the password again.
  const password = page.locator('.cl-modalContent input[name="password"]');
  await password.waitFor({ state: 'visible', timeout: STEP });
  check(added[0] === 403, `the first try was refused for step-up (${added.join(', ')})`);
  log('<UserVerification/> asks for the password');
  await password.fill(PASSWORD);
  await page.locator('.cl-modalContent .cl-formButtonPrimary').click();

  // The retried call went through: the new address's code step.
  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
  check(added.length === 2 && added[1] === 200, `the retry added the address (${added.join(', ')})`);
  const fva = await page.evaluate(() => window.Clerk.session.factorVerificationAge);
  check(fva?.[0] === 0, `the session's first factor is fresh again (fva ${JSON.stringify(fva)})`);
  log(`retried and added ${SECOND}; fva ${JSON.stringify(fva)}`);
  await sent;
  await otp.fill('424242');
  await until('the second address verified', () =>
    page.evaluate(
      (second) =>
        window.Clerk.user.emailAddresses.some(
          (e) => e.emailAddress === second && e.verification?.status === 'verified',
        ),
      SECOND,
    ),
  );
  log(`verified ${SECOND}`);

  await pass();
} catch (e) {
  await fail(e);
}
