// The Account part of Frontdesk's hosted /user page, no clerk-js, in
// Chromium: add a second email address and verify it with its code, make it
// primary, remove the first one, upload a profile image and see it, remove
// it. The hosted counterpart of account.spec.mjs.
//
// Run by crates/frontdesk-server/tests/api/hosted_account.rs:
//   FRONTDESK_URL, ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS, EMAIL, PASSWORD
// The second address is a `+clerk_test` one: on a development instance its
// code is 424242 and no mail is sent.

import { check, env, log, openSpec } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const SECOND = EMAIL.replace('@', '+clerk_test@');
const STEP = 20_000;
/// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAen63NgAAAAASUVORK5CYII=',
  'base64',
);

const { page, until, fail, pass } = await openSpec('hosted-account', {
  shown: (url) => url.pathname,
  budgetMs: 60_000,
});

const at = (pathname) => until(`at ${pathname}`, () => new URL(page.url()).pathname === pathname);
const told = (text) => until(`"${text}"`, () => page.getByText(text).isVisible());

try {
  await page.goto(`${FRONTDESK}/sign-in`);
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await at('/user');
  log('signed in with the password, on /user');

  // 1. Add a second address; its code.
  await page.getByLabel('Add an email address').fill(SECOND);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await until('the code step', () => page.getByText(`We sent a code to ${SECOND}`).isVisible());
  await page.getByLabel('Verification code').fill('424242');
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await told('Your email address was verified.');
  log(`added and verified ${SECOND}`);

  // 2. Make it primary; remove the first.
  await page.getByRole('button', { name: `Make primary ${SECOND}` }).click();
  await told('That address is now your primary email address.');
  await page.getByRole('button', { name: `Remove ${EMAIL}` }).click();
  await told('The email address was removed.');
  check((await page.locator('.emails li').count()) === 1, 'one address left');
  check(
    (await page.locator('.emails li').first().textContent()).includes('Primary'),
    'and it is the primary one',
  );
  log(`${SECOND} is primary; ${EMAIL} removed`);

  // 3. Upload a profile image; it is shown (the page's CSP allows it).
  await page.getByLabel('Profile image').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await told('Your profile image was updated.');
  const width = await until('the image loaded', () =>
    page.locator('img.avatar').evaluate((img) => img.complete && img.naturalWidth),
  );
  check(width === 1, `the uploaded image is shown (${width} px)`);
  log(`uploaded a profile image: ${await page.locator('img.avatar').getAttribute('src')}`);

  // 4. Remove it.
  await page.getByRole('button', { name: 'Remove image' }).click();
  await told('Your profile image was removed.');
  check((await page.locator('img.avatar').count()) === 0, 'no image shown');
  log('removed the profile image');

  await pass();
} catch (e) {
  await fail(e);
}
