// "Continue with …" on Frontdesk's hosted pages in Chromium, no clerk-js,
// against a real OpenID Connect provider (npm oidc-provider): sign up with
// the provider's button, sign out, sign in again with it; a password
// account whose address the provider vouches for is joined at once; one it
// does not vouch for proves the address with the emailed code first.
//
// Run by crates/frontdesk-server/tests/api/oauth_browser.rs, with
//   FRONTDESK_URL   Frontdesk (cookie mode: the hosted pages' own)
//   ISSUER          the provider (login form: Email, Password, Sign in)
//   DANA            a password user the provider vouches for
//   BOB             a password user it does not vouch for (+clerk_test: 424242)
//   EVE, EVE_PASSWORD  a password user who connects the provider on /user

import { check, env, log, openSpec } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const ISSUER = env('ISSUER');
const DANA = env('DANA');
const BOB = env('BOB');
const EVE = env('EVE');
const EVE_PASSWORD = env('EVE_PASSWORD');
const STEP = 20_000;

const { context, page, fail, pass } = await openSpec('hosted-oauth', {
  shown: (url) => (url.origin === FRONTDESK ? url.pathname : url.href.split('?')[0]),
});

async function button(path) {
  await page.goto(`${FRONTDESK}${path}`);
  await page.getByRole('button', { name: 'Continue with Corp SSO' }).click();
}

async function providerLogin(email) {
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('provider password');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/// On the profile page as `email`.
async function onProfile(email) {
  await page.waitForURL(`${FRONTDESK}/user`, { timeout: STEP });
  await page.getByText(email).first().waitFor({ state: 'visible', timeout: STEP });
}

async function signOut({ provider = true } = {}) {
  await page.goto(`${FRONTDESK}/sign-out`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-out'), { timeout: STEP });
  if (provider) await context.clearCookies({ domain: new URL(ISSUER).hostname });
}

try {
  await button('/sign-up');
  await providerLogin('ada@example.com');
  await onProfile('ada@example.com');
  log('signed up with the provider, on the profile page');

  await signOut({ provider: false });
  await button('/sign-in');
  await onProfile('ada@example.com');
  log('signed out and in again with the button (the provider remembered)');

  await signOut();
  await button('/sign-in');
  await providerLogin(DANA);
  await onProfile(DANA);
  log('a vouched-for address joined the password account');

  await signOut();
  await button('/sign-in');
  await providerLogin(BOB);
  await page.waitForURL((u) => u.pathname === '/sign-in/code', { timeout: STEP });
  check(await page.getByText(BOB).first().isVisible(), 'the code page names the address');
  log('an address the provider did not vouch for: its code first');
  await page.getByLabel('Code').fill('424242');
  await page.getByRole('button', { name: 'Continue' }).click();
  await onProfile(BOB);
  log('joined after the code');

  // Enterprise SSO: a corp.example address goes to Acme's provider, no
  // password asked; the account is made on the way back.
  await signOut();
  await page.goto(`${FRONTDESK}/sign-in`);
  check(!(await page.getByRole('button', { name: 'Continue with Acme' }).count()), 'no button for an enterprise connection');
  await page.getByLabel('Email address').fill('alice@corp.example');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await providerLogin('alice@corp.example');
  await onProfile('alice@corp.example');
  log('enterprise SSO by email domain, account made on the way back');

  // Eve signs in with her password and connects the provider on /user,
  // then removes it (her password is still a way in).
  await signOut();
  await page.goto(`${FRONTDESK}/sign-in`);
  await page.getByLabel('Email address').fill(EVE);
  await page.getByLabel('Password', { exact: true }).fill(EVE_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await onProfile(EVE);
  await page.getByRole('button', { name: 'Connect Corp SSO' }).click();
  await providerLogin(EVE);
  await page.waitForURL((u) => u.pathname === '/user', { timeout: STEP });
  await page.getByText(`Corp SSO · ${EVE}`).waitFor({ state: 'visible', timeout: STEP });
  log('connected on /user');
  await page.getByRole('button', { name: 'Remove the Corp SSO account' }).click();
  await page.getByText('The connected account was removed.').waitFor({ state: 'visible', timeout: STEP });
  check(!(await page.getByText(`Corp SSO · ${EVE}`).count()), 'no longer listed');
  log('removed on /user');

  // Cancelled at the provider: the page says so and leads back.
  await signOut();
  await button('/sign-in');
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForURL((u) => u.pathname === '/sign-in/sso-callback', { timeout: STEP });
  await page.getByText('The sign-in was cancelled at the provider').waitFor({ state: 'visible', timeout: STEP });
  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/sign-in', { timeout: STEP });
  log('cancelled at the provider: said so, and back to sign in');

  await pass();
} catch (e) {
  await fail(e);
}
