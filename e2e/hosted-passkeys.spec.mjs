// Passkeys on Frontdesk's hosted pages, no clerk-js, in Chromium with a
// virtual platform authenticator (DevTools WebAuthn): sign in with the
// password, add a passkey on /user, sign out, "Sign in with a passkey" on
// /sign-in with no identifier, remove the passkey, then delete the account.
//
// Run by crates/frontdesk-server/tests/api/passkeys_browser.rs:
//   FRONTDESK_URL (at localhost: browsers refuse IP-address relying
//   parties), ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS, EMAIL, PASSWORD

import { check, env, log, openSpec, virtualAuthenticator } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const STEP = 20_000;

const { page, until, fail, pass } = await openSpec('hosted-passkeys', {
  shown: (url) => url.pathname,
  budgetMs: 60_000,
});

const at = (pathname) => until(`at ${pathname}`, () => new URL(page.url()).pathname === pathname);

try {
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  // 1. Password sign-in lands on the profile.
  await page.goto(`${FRONTDESK}/sign-in`);
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await at('/user');
  log('signed in with the password, on /user');

  // 2. Add a passkey.
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await until('the passkey added', () => page.getByText('Your passkey was added').isVisible());
  const name = (await page.locator('.passkey-name').first().textContent()).trim();
  check(/Chrome on Linux/.test(name), `named after the device (got ${name})`);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, 'one discoverable credential');
  check(credentials[0].rpId === 'localhost', `bound to Frontdesk's host (got ${credentials[0].rpId})`);
  log(`/user lists the passkey "${name}"; rpId ${credentials[0].rpId}`);

  // 3. Sign out, then sign in with the passkey alone.
  await page.goto(`${FRONTDESK}/sign-out`);
  await page.getByRole('button', { name: /sign out/i }).first().click();
  await until('signed out', async () => {
    await page.goto(`${FRONTDESK}/user`);
    return new URL(page.url()).pathname === '/sign-in';
  });
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await at('/user');
  await until('the account shown', () => page.getByText(EMAIL).first().isVisible());
  log('signed in with the passkey alone, on /user');

  // 4. Remove it (the passkey counted as both factors just now: no step-up).
  await page.getByRole('button', { name: `Remove passkey ${name}` }).click();
  await until('the passkey removed', () => page.getByText('The passkey was removed').isVisible());
  check((await page.locator('.passkey-name').count()) === 0, 'no passkey listed');
  log('/user removed the passkey');

  // 5. Delete the account (the factors were checked just now: no step-up).
  await page.getByLabel('I understand that my account cannot be recovered').check();
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await until('the account deleted', () => page.getByText('Your account was deleted').isVisible());
  await page.goto(`${FRONTDESK}/user`);
  await at('/sign-in');
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await until('the password refused', () => page.locator('.alert, .field-error').first().isVisible());
  check(new URL(page.url()).pathname === '/sign-in', 'a deleted account does not sign in');
  log('/user deleted the account; its password no longer signs in');

  await pass();
} catch (e) {
  await fail(e);
}
