// <UserProfile/>'s Account page with the real clerk-js and @clerk/ui, in
// Chromium: add a second email address and verify it with its code, upload a
// profile image, then delete the account (tests/api/account.rs covers making
// an address primary and removing one over the same endpoints).
//
// Run by crates/frontdesk-server/tests/api/account_browser.rs on the page of
// e2e/clerk-page.html (the settings of clerk-js.spec.mjs), with
//   EMAIL, PASSWORD  a user the test made with the Backend API
// The second address is a `+clerk_test` one: on a test-mode instance its
// code is 424242 and no mail is sent.

import { check, clerkReady, codeSent, env, log, openSpec, passwordSignIn, pathsAt } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const PAGE = env('PAGE_URL');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const SECOND = EMAIL.replace('@', '+clerk_test@');
const STEP = 20_000;
/// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAen63NgAAAAASUVORK5CYII=',
  'base64',
);

const { page, until, fail, pass } = await openSpec('account', { shown: pathsAt(FRONTDESK) });

const user = () => page.evaluate(() => window.Clerk?.user ?? null);

try {
  // Signed in with the password.
  await passwordSignIn(page, until, PAGE, EMAIL, PASSWORD, STEP);
  const userId = await until('signed in', () => page.evaluate(() => window.Clerk?.user?.id));
  log(`signed in as ${userId}`);

  // 1. Add a second address and verify it with its code.
  await page.goto(`${PAGE}/user`);
  await clerkReady(page, until);
  const sent = codeSent(page, STEP * 2);
  await page.getByRole('button', { name: 'Add email address' }).click();
  await page.locator('input[name="emailAddress"]').fill(SECOND);
  await page.locator('.cl-formButtonPrimary', { hasText: 'Add' }).click();
  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
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
  log(`added and verified ${SECOND}`);

  // 2. Upload a profile image.
  await page.getByRole('button', { name: 'Update profile' }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Upload' }).click();
  await (await chooser).setFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
  await until('the image on the user', () => page.evaluate(() => window.Clerk.user.hasImage));
  const imageUrl = await page.evaluate(() => window.Clerk.user.imageUrl);
  check(imageUrl.startsWith(`${FRONTDESK}/v1/images/`), `the image is served by Frontdesk (${imageUrl})`);
  const served = await page.evaluate((u) => fetch(u).then((r) => r.status), imageUrl);
  check(served === 200, `the image loads cross-origin (${served})`);
  log(`uploaded a profile image: ${imageUrl}`);

  // 3. Delete the account (on the Security page).
  await page.goto(`${PAGE}/user/security`);
  await clerkReady(page, until);
  await page.getByRole('button', { name: 'Delete account' }).click();
  await page.locator('input[name="deleteConfirmation"]').fill('Delete account');
  await page.locator('.cl-formButtonPrimary', { hasText: 'Delete account' }).click();
  await until('signed out after deleting', async () => !(await user()));
  const res = await fetch(`${FRONTDESK}/v1/users/${userId}`, {
    headers: { authorization: `Bearer ${env('SECRET_KEY')}` },
  });
  check(res.status === 404, `the user is gone (${res.status})`);
  log('deleted the account; signed out');

  await pass();
} catch (e) {
  await fail(e);
}
