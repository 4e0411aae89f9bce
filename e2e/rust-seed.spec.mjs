// The seed's app in Rust (examples/rust-seed) with Frontdesk's hosted pages,
// in Chromium: a protected page sends the visitor to sign in; back on the
// app signed in; the profile JSON; past the token lifetime still signed in
// (handshake); the session revoked through the Backend API: signed out
// within one token lifetime; `tier: pro` in public metadata: /pro opens
// after the next refresh; /org: the active organization from the token,
// invoices only for a role with `org:invoices:read`, switched on Frontdesk's
// hosted /user/organizations and back through the handshake; an
// organization created, a second user invited by email who joins through
// the mailed link, his role changed and his leaving, all on the hosted pages.
//
// Run by examples/rust-seed/tests/e2e.rs, which sets FRONTDESK_URL, APP_URL,
// SECRET_KEY, EMAIL, PASSWORD, USER_ID, TOKEN_LIFETIME, ARTIFACTS_DIR,
// CHROMIUM and DEADLINE_MS. Prints one line per step and PASS.

import path from 'node:path';

import { Recorder, env, launch, log, sleep } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const APP = env('APP_URL');
const SK = env('SECRET_KEY');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const USER_ID = env('USER_ID');
const LIFETIME = Number(env('TOKEN_LIFETIME'));
const ARTIFACTS = env('ARTIFACTS_DIR');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS'));
// Verifiers accept a token up to 5 s past its exp (clock skew, as @clerk/backend).
const SKEW = 5;
const check = (c, what) => {
  if (!c) throw new Error(`check failed: ${what}`);
  if (Date.now() > DEADLINE) throw new Error(`over the deadline at: ${what}`);
};
const bapi = async (method, p, body) => {
  const res = await fetch(`${FRONTDESK}${p}`, {
    method,
    headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  check(res.ok, `${method} ${p} answered ${res.status}`);
  return res.json();
};

const browser = await launch(env('CHROMIUM'));
const context = await browser.newContext();
const seen = new Recorder();
await seen.guard(context);
const page = await context.newPage();
seen.watch(page);
let failed = null;

async function signIn() {
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

try {
  // 1. A protected page sends a signed-out visitor to the hosted sign-in.
  await page.goto(`${APP}/dashboard`);
  await page.waitForURL((u) => u.href.startsWith(`${FRONTDESK}/sign-in`));
  const back = new URL(page.url()).searchParams.get('redirect_url');
  check(back === `${APP}/dashboard`, `redirect_url back to the app (${back})`);
  log('protected page → hosted sign-in');

  // 2. Sign in; back on the app, signed in.
  await signIn();
  await page.waitForURL(`${APP}/dashboard`);
  check((await page.textContent('#user-id')) === USER_ID, 'the dashboard shows the user');
  log('signed in on the hosted page, back on the app');

  // 3. The profile JSON.
  const profile = await page.evaluate(async () => (await fetch('/api/user/profile')).json());
  check(profile.id === USER_ID && profile.email === EMAIL && profile.firstName === 'Ada',
    `profile ${JSON.stringify(profile)}`);
  log('profile JSON is right');

  // 4. Past the token lifetime: still signed in, through the handshake.
  const session = async () =>
    (await context.cookies(APP)).find((c) => c.name === '__session')?.value;
  const before = await session();
  await sleep((LIFETIME + SKEW + 1) * 1000);
  await page.goto(`${APP}/dashboard`);
  await page.waitForURL(`${APP}/dashboard`);
  check((await page.textContent('#user-id')) === USER_ID, 'still signed in after the token expired');
  const after = await session();
  check(before && after && before !== after, 'a new session token came through the handshake');
  log('token expired and refreshed through the handshake');

  // 5. Revoked through the Backend API: signed out within one lifetime.
  const sessions = await bapi('GET', `/v1/sessions?user_id=${USER_ID}&status=active`);
  for (const s of sessions) await bapi('POST', `/v1/sessions/${s.id}/revoke`);
  await sleep((LIFETIME + SKEW + 1) * 1000);
  await page.goto(`${APP}/dashboard`);
  await page.waitForURL((u) => u.href.startsWith(`${FRONTDESK}/sign-in`));
  log('revoked session: signed out within one token lifetime');

  // 6. Pro after `tier: pro`, from the next token on.
  await signIn();
  await page.waitForURL(`${APP}/dashboard`);
  let res = await page.goto(`${APP}/pro`);
  check(res.status() === 404, `not pro yet (${res.status()})`);
  await bapi('PATCH', `/v1/users/${USER_ID}/metadata`, { public_metadata: { tier: 'pro' } });
  await sleep((LIFETIME + SKEW + 1) * 1000);
  res = await page.goto(`${APP}/pro`);
  await page.waitForURL(`${APP}/pro`);
  check((await page.textContent('h1')) === 'Pro', 'the pro page opens after the next refresh');
  log('tier pro: /pro opens');

  // 7. Organizations: the admin role has org:invoices:read; Ada is admin
  // of Acme and a member of Beta. /org follows the switches made on the
  // hosted page, from the token the handshake brings back.
  await bapi('PATCH', '/v1/instance/organization_settings', { enabled: true });
  const perm = await bapi('POST', '/v1/organization_permissions', { name: 'Read invoices', key: 'org:invoices:read' });
  const admin = (await bapi('GET', '/v1/organization_roles')).data.find((r) => r.key === 'org:admin');
  await bapi('POST', `/v1/organization_roles/${admin.id}/permissions/${perm.id}`);
  await bapi('POST', '/v1/organizations', { name: 'Acme', created_by: USER_ID });
  const beta = await bapi('POST', '/v1/organizations', { name: 'Beta' });
  await bapi('POST', `/v1/organizations/${beta.id}/memberships`, { user_id: USER_ID, role: 'org:member' });
  const orgPage = async () => {
    await page.waitForURL(`${APP}/org`);
    return {
      active: (await page.textContent('#active-org')).trim(),
      invoices: await page.locator('#invoices').isVisible(),
    };
  };
  const switchTo = async (label) => {
    await page.click('#switch');
    await page.waitForURL((u) => u.href.startsWith(`${FRONTDESK}/user/organizations`));
    await page.getByRole('button', { name: `Switch to ${label}` }).click();
    return orgPage();
  };
  await page.goto(`${APP}/org`);
  let org = await orgPage();
  check(org.active === 'Personal account' && !org.invoices, `personal at first (${JSON.stringify(org)})`);
  org = await switchTo('Acme');
  check(org.active === 'acme as org:admin' && org.invoices, `Acme, as admin, with invoices (${JSON.stringify(org)})`);
  org = await switchTo('Beta');
  check(org.active === 'beta as org:member' && !org.invoices, `Beta, as member, no invoices (${JSON.stringify(org)})`);
  org = await switchTo('your personal account');
  check(org.active === 'Personal account', `personal again (${JSON.stringify(org)})`);
  log('/org follows the switches on the hosted page; invoices for the admin only');

  // 8. The whole story on the hosted pages: Ada creates Gamma (back on /org
  // as its admin) and invites Bob by email from its page; Bob accepts
  // through the mailed link (creating his account), switches to Gamma (a
  // member: no invoices); Ada makes him admin (invoices from his next
  // token) and member again (gone); Bob leaves (personal again).
  await page.goto(`${APP}/org`);
  await page.click('#switch');
  await page.waitForURL((u) => u.href.startsWith(`${FRONTDESK}/user/organizations`));
  await page.getByLabel('Name', { exact: true }).fill('Gamma');
  await page.getByRole('button', { name: 'Create organization' }).click();
  org = await orgPage();
  check(org.active === 'gamma as org:admin' && org.invoices, `Gamma created, Ada its admin (${JSON.stringify(org)})`);
  const gamma = (await bapi('GET', '/v1/organizations?query=gamma')).data[0];
  const members = `${FRONTDESK}/user/organizations/${gamma.id}`;
  const BOB = `bob-${Date.now()}@example.com`;
  await page.goto(members);
  await page.getByLabel('Invite by email address').fill(BOB);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await page.getByText('The invitation was sent.').waitFor();
  const mail = (await bapi('GET', '/v1/dev/emails')).data.find((m) => m.to_email_address === BOB);
  check(mail, `an invitation mailed to ${BOB}`);
  const link = mail.body_plain.match(/https?:\/\/\S+\/v1\/tickets\/accept\?ticket=\S+/)?.[0];
  check(link, 'the mail carries the accept link');
  log('Ada created Gamma on the hosted page and invited Bob from its member page');

  const bobContext = await browser.newContext();
  await seen.guard(bobContext);
  const bob = await bobContext.newPage();
  seen.watch(bob);
  await bob.goto(link);
  await bob.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await bob.getByRole('button', { name: 'Create account and join' }).click();
  await bob.waitForURL((u) => !u.pathname.startsWith('/sign-up') && !u.pathname.startsWith('/invitation'));
  const bobId = (await bapi('GET', `/v1/users?email_address=${encodeURIComponent(BOB)}`))[0].id;
  const bobOrg = async () => {
    await bob.goto(`${APP}/org`);
    await bob.waitForURL(`${APP}/org`);
    return {
      active: (await bob.textContent('#active-org')).trim(),
      invoices: await bob.locator('#invoices').isVisible(),
    };
  };
  let seenBob = await bobOrg();
  check(seenBob.active === 'Personal account', `Bob starts personal (${JSON.stringify(seenBob)})`);
  await bob.click('#switch');
  await bob.waitForURL((u) => u.href.startsWith(`${FRONTDESK}/user/organizations`));
  await bob.getByRole('button', { name: 'Switch to Gamma' }).click();
  await bob.waitForURL(`${APP}/org`);
  seenBob = await bobOrg();
  check(seenBob.active === 'gamma as org:member' && !seenBob.invoices, `Bob in Gamma, no invoices (${JSON.stringify(seenBob)})`);
  log('Bob joined through the mailed link and switched to Gamma: a member, no invoices');

  const roleOfBob = async (role) => {
    await page.goto(members);
    await page.getByLabel(`Role of ${BOB}`).selectOption(role);
    await page.locator(`form[action$="/members/${bobId}/role"] button`).click();
    await page.getByText('The role was changed.').waitFor();
    await sleep((LIFETIME + SKEW + 1) * 1000);
    return bobOrg();
  };
  seenBob = await roleOfBob('org:admin');
  check(seenBob.active === 'gamma as org:admin' && seenBob.invoices, `Bob made admin: invoices (${JSON.stringify(seenBob)})`);
  seenBob = await roleOfBob('org:member');
  check(seenBob.active === 'gamma as org:member' && !seenBob.invoices, `Bob a member again: no invoices (${JSON.stringify(seenBob)})`);
  log('the role changed on the hosted page opens and closes the invoices from the next token');

  await bob.goto(members);
  await bob.getByRole('button', { name: 'Leave Gamma' }).click();
  await bob.getByText('You left the organization.').waitFor();
  await sleep((LIFETIME + SKEW + 1) * 1000);
  seenBob = await bobOrg();
  check(seenBob.active === 'Personal account' && !seenBob.invoices, `Bob left: personal again (${JSON.stringify(seenBob)})`);
  log('Bob left Gamma on its page; the app shows his personal account');

  check(seen.blocked.length === 0, `nothing left loopback: ${seen.blocked.join(', ')}`);
  console.log('PASS');
} catch (e) {
  failed = e;
  await page.screenshot({ path: path.join(ARTIFACTS, 'rust-seed-failure.png'), fullPage: true }).catch(() => {});
  console.log(`FAIL: ${e.message}\nat ${page.url()}\n${await page.content().catch(() => '')}\n--- network\n${seen.network.slice(-25).join("\n")}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
