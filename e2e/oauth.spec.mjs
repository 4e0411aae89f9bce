// Social sign-in with the real clerk-js and @clerk/ui, in Chromium, against
// a real OpenID Connect provider (npm oidc-provider, e2e/oidc-provider.mjs):
// the "Corp SSO" button on <SignUp/> makes an account, sign-out, the button
// on <SignIn/> signs the same person in again; a password account whose
// address the provider vouches for is joined to it; one whose address the
// provider does not vouch for is joined only after the emailed code.
//
// Run by crates/frontdesk-server/tests/api/oauth_browser.rs on the page of
// e2e/clerk-page.html, with
//   ISSUER          the provider (its login form: Email, Password, Sign in)
//   DANA_ID         a password user, dana@example.com (vouched for)
//   BOB_ID, BOB     a password user whose address the provider does not vouch
//                   for (a +clerk_test address: code 424242)
//   CAROL, CAROL_PASSWORD  a password user who connects the provider from
//                   <UserProfile/>
// and Acme's enterprise connection (the same provider) bound to corp.example.

import { check, clerkReady, env, log, openSpec, passwordSignIn, pathsAt } from './harness.mjs';

const PAGE = env('PAGE_URL');
const FRONTDESK = env('FRONTDESK_URL');
const ISSUER = env('ISSUER');
const DANA_ID = env('DANA_ID');
const BOB_ID = env('BOB_ID');
const BOB = env('BOB');
const CAROL = env('CAROL');
const CAROL_PASSWORD = env('CAROL_PASSWORD');
const PASSWORD = 'provider password';
const STEP = 20_000;

const { context, page, until, fail, pass } = await openSpec('oauth', { shown: pathsAt(FRONTDESK) });

/// Click the provider's button on the component at `path`.
async function button(path) {
  await page.goto(`${PAGE}${path}`);
  await clerkReady(page, until);
  const corp = page.locator('.cl-socialButtonsBlockButton, .cl-socialButtonsIconButton').first();
  await corp.waitFor({ state: 'visible', timeout: STEP });
  check((await corp.textContent()).includes('Corp SSO'), `the button names the provider (${await corp.textContent()})`);
  await corp.click();
}

/// At the provider's login form, as `email`.
async function providerLogin(email) {
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/// Back on the app, signed in: the user's id.
async function signedIn(what) {
  await page.waitForURL((u) => u.href.startsWith(PAGE), { timeout: STEP });
  return until(what, () => page.evaluate(() => window.Clerk?.user?.id));
}

async function accounts() {
  return page.evaluate(() =>
    window.Clerk.user.externalAccounts.map((a) => `${a.provider}:${a.verification?.status}:${a.emailAddress}`),
  );
}

/// Sign out, and out of the provider (its session cookie), so that the next
/// person types their own name.
async function signOut() {
  await page.evaluate(() => window.Clerk.signOut());
  await until('signed out', () => page.evaluate(() => !window.Clerk.user));
  await context.clearCookies({ domain: new URL(ISSUER).hostname });
}

try {
  // 1. <SignUp/>'s button: a new account, straight in.
  await button('/sign-up');
  await providerLogin('ada@example.com');
  const ada = await signedIn('signed up through the provider');
  const email = await page.evaluate(() => window.Clerk.user.primaryEmailAddress.emailAddress);
  check(email === 'ada@example.com', `the provider's address (${email})`);
  const linked = await accounts();
  check(linked.join() === 'custom_corp:verified:ada@example.com', `one connected account (${linked})`);
  log(`signed up as ${ada} through Corp SSO`);

  // 2. Out, and in again with <SignIn/>'s button (the provider remembers Ada).
  await page.evaluate(() => window.Clerk.signOut());
  await until('signed out', () => page.evaluate(() => !window.Clerk.user));
  await button('/sign-in');
  const again = await signedIn('signed in again');
  check(again === ada, `the same account (${again} vs ${ada})`);
  log('signed out and in again with the button');

  // 3. Dana has a password account; the provider vouches for her address.
  await signOut();
  await button('/sign-in');
  await providerLogin('dana@example.com');
  const dana = await signedIn('Dana signed in');
  check(dana === DANA_ID, `joined to Dana's own account (${dana} vs ${DANA_ID})`);
  check((await accounts()).length === 1, 'her account is connected');
  log('a vouched-for address joined the existing account');

  // 4. Bob's address is not vouched for: the code sent to it first.
  await signOut();
  await button('/sign-in');
  await providerLogin(BOB);
  const otp = page.locator('input[data-input-otp]');
  await otp.waitFor({ state: 'visible', timeout: STEP });
  check(await page.evaluate(() => !window.Clerk.user), 'not signed in before the code');
  log('an address the provider did not vouch for is proven with its code');
  await otp.fill('424242');
  const bob = await signedIn('Bob signed in with the code');
  check(bob === BOB_ID, `Bob's own account (${bob} vs ${BOB_ID})`);
  const bobs = await accounts();
  check(bobs.length === 1 && bobs[0].startsWith('custom_corp:verified'), `connected once proven (${bobs})`);
  log('joined after the code');

  // 5. Carol signs in with her password and connects the provider from
  // <UserProfile/>.
  await signOut();
  await passwordSignIn(page, until, PAGE, CAROL, CAROL_PASSWORD, STEP);
  await until('Carol signed in', () => page.evaluate(() => window.Clerk?.user?.id));
  await page.goto(`${PAGE}/user`);
  await clerkReady(page, until);
  await page.getByRole('button', { name: /Connect account/ }).click();
  await page.getByRole('menuitem', { name: /Corp SSO/ }).click();
  await providerLogin('carol@example.com');
  await page.waitForURL((u) => u.href.startsWith(`${PAGE}/user`), { timeout: STEP });
  await clerkReady(page, until);
  const carols = await until('the connected account listed', async () => {
    const list = await accounts();
    return list.length === 1 ? list : null;
  });
  check(carols[0].startsWith('custom_corp:verified:carol@example.com'), `connected (${carols})`);
  await page.getByText('carol@example.com').first().waitFor({ state: 'visible', timeout: STEP });
  log('connected from <UserProfile/>');

  // 6. Enterprise SSO: Alice types her work address; Acme's connection
  // answers for corp.example, so she is sent there and her account is made
  // on the way back.
  await signOut();
  await page.goto(`${PAGE}/sign-in`);
  await clerkReady(page, until);
  const social = page.locator('.cl-socialButtonsBlockButton, .cl-socialButtonsIconButton');
  await social.first().waitFor({ state: 'visible', timeout: STEP });
  const buttons = await social.count();
  check(buttons === 1, `an enterprise connection has no button (${buttons} buttons)`);
  await page.locator('input[name="identifier"]').fill('alice@corp.example');
  await page.locator('.cl-formButtonPrimary').click();
  await providerLogin('alice@corp.example');
  const alice = await signedIn('Alice signed in through her company');
  const aliceAccounts = await accounts();
  check(aliceAccounts.join() === 'custom_acme:verified:alice@corp.example', `just-in-time, connected (${aliceAccounts}, ${alice})`);
  log('enterprise SSO by email domain, account made on the way back');

  // 7. Cancelled at the provider: back on <SignIn/>, which says so.
  await signOut();
  await page.goto(`${PAGE}/sign-in`);
  await clerkReady(page, until);
  await page.locator('.cl-socialButtonsBlockButton, .cl-socialButtonsIconButton').first().click();
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForURL((u) => u.href.startsWith(`${PAGE}/sign-in`), { timeout: STEP });
  await clerkReady(page, until);
  // @clerk/ui words `oauth_access_denied` its own way.
  await page.getByText('You did not grant access to your account.').first().waitFor({ state: 'visible', timeout: STEP });
  check(await page.evaluate(() => !window.Clerk.user), 'not signed in');
  log('cancelled at the provider: <SignIn/> says so');

  await pass();
} catch (e) {
  await fail(e);
}
