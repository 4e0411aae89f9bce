// Organizations in the seed's Next.js app (examples/nextjs, `next start`),
// with the unmodified @clerk/nextjs and Clerk's prebuilt components, in
// Chromium, against Frontdesk: Ada creates an organization with
// <OrganizationSwitcher/> and invites Bob by email from the same dialog; Bob
// follows the emailed link (Frontdesk's /v1/tickets/accept, then the app's
// <SignUp/> with the ticket) and only sets a password; he switches to the
// organization; Ada changes his role in <OrganizationProfile/>, and the /org
// page's `auth().has({ permission: "org:invoices:read" })` opens and closes
// for him; he leaves.
//
// Run by crates/frontdesk-server/tests/api/nextjs.rs after nextjs.spec.mjs,
// on the same app and a development instance:
//   APP_URL, FRONTDESK_URL, SECRET_KEY, ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS
// Prints one line per step and `PASS`, or fails with the network log.

import path from 'node:path';

import { Recorder, backendApi, check, env, launch, log, retry } from './harness.mjs';

const APP = env('APP_URL');
const FRONTDESK = env('FRONTDESK_URL');
const SK = env('SECRET_KEY');
const ARTIFACTS = env('ARTIFACTS_DIR', '/tmp');
const DEADLINE = Date.now() + Number(env('DEADLINE_MS', '150000'));
const STEP = 30_000;

const tag = Math.random().toString(36).slice(2, 8);
const ADA = `org-ada-${tag}@example.com`;
const BOB = `org-bob-${tag}@example.com`;
const PASSWORD = `correct horse ${tag} battery`;
const ORG = `Acme ${tag}`;
const PERMISSION = 'org:invoices:read';

const bapi = backendApi(FRONTDESK, SK);

const until = (what, fn, timeout = STEP) => retry(what, fn, { timeout, deadline: DEADLINE });

const browser = await launch(env('CHROMIUM', '/usr/bin/chromium'));
const seen = new Recorder();
const ada = await browser.newContext();
const bob = await browser.newContext();
await seen.guard(ada);
await seen.guard(bob);
const a = await ada.newPage();
const b = await bob.newPage();
seen.watch(a);
seen.watch(b);
let current = a;
const overall = setTimeout(() => fail(new Error('deadline exceeded')), DEADLINE - Date.now());

let failing = false;
async function fail(e) {
  if (failing) return;
  failing = true;
  await seen.fail(e, current, path.join(ARTIFACTS, 'nextjs-org-failure.png'));
  await browser.close().catch(() => {});
  process.exit(1);
}

/// What /org says of the session: its organization, and whether the
/// invoices behind the permission are shown.
async function orgPage(page) {
  await page.goto(`${APP}/org`);
  const active = (await page.locator('[data-testid="active-org"]').innerText({ timeout: STEP })).trim();
  const invoices = await page.locator('[data-testid="invoices"]').isVisible();
  return { active, invoices };
}

/// A fresh session token in `page` (clerk-js sets the app's cookie with it),
/// decoded: what the next server render of the app will see.
async function freshClaims(page) {
  const jwt = await page.evaluate(() => window.Clerk.session.getToken({ skipCache: true }));
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function roleOfBob(role) {
  current = a;
  await a.goto(`${APP}/org/manage`);
  await a.locator('.cl-navbarButton__members').click();
  const row = a.locator('.cl-tableRow', { hasText: BOB });
  await row.locator('.cl-selectButton__role').click();
  await a.locator('.cl-selectOption__role', { hasText: role }).click();
  await until(`Bob shown as ${role}`, async () => (await row.innerText()).includes(role));
}

try {
  // 0. The instance: organizations on, a custom permission the admin role
  // has, the app's own sign-in and sign-up pages, and Ada.
  await bapi('PATCH', '/v1/instance/organization_settings', { enabled: true });
  const perm = await bapi('POST', '/v1/organization_permissions', {
    name: 'Read invoices',
    key: PERMISSION,
  }).catch(async () => (await bapi('GET', '/v1/organization_permissions?query=invoices')).data[0]);
  const roles = await bapi('GET', '/v1/organization_roles');
  const admin = roles.data.find((r) => r.key === 'org:admin');
  if (!admin.permissions.some((p) => p.key === PERMISSION)) {
    await bapi('POST', `/v1/organization_roles/${admin.id}/permissions/${perm.id}`);
  }
  await bapi('PATCH', '/v1/instance/settings', {
    paths: { sign_in_url: `${APP}/sign-in`, sign_up_url: `${APP}/sign-up` },
  });
  await bapi('POST', '/v1/users', { email_address: [ADA], password: PASSWORD, first_name: 'Ada' });

  // 1. Ada signs in: her personal account, no invoices.
  await a.goto(`${APP}/sign-in`);
  await a.locator('input[name="identifier"]').fill(ADA);
  const pw = a.locator('input[name="password"]');
  if (!(await pw.isVisible())) {
    await a.locator('.cl-formButtonPrimary').click();
    await pw.waitFor({ state: 'visible', timeout: STEP });
  }
  await pw.fill(PASSWORD);
  await a.locator('.cl-formButtonPrimary').click();
  await a.waitForURL((u) => !u.pathname.startsWith('/sign-in'), { timeout: STEP });
  let seenA = await orgPage(a);
  check(seenA.active === 'Personal account' && !seenA.invoices, `Ada starts personal (${JSON.stringify(seenA)})`);
  log('Ada signed in: personal account, no invoices');

  // 2. She creates the organization with <OrganizationSwitcher/>; the
  // server render that follows already has it, and her admin role opens
  // the invoices.
  await a.locator('.cl-organizationSwitcherTrigger').click();
  await a.locator('.cl-organizationSwitcherPopoverActionButton__createOrganization').click();
  await a.locator('input[name="name"]').fill(ORG);
  await a.locator('.cl-formButtonPrimary', { hasText: 'Create organization' }).click();
  const invite = a.locator('.cl-tagInputContainer input');
  await invite.waitFor({ state: 'visible', timeout: STEP });
  const orgs = await bapi('GET', `/v1/organizations?query=${tag}`);
  check(orgs.total_count === 1, `one organization named ${ORG}`);
  const org = orgs.data[0];
  // The render that follows the switch lands when the router refresh does.
  const activeOrg = async () => (await a.locator('[data-testid="active-org"]').innerText()).trim();
  await until('the new organization shows', async () => (await activeOrg()) === `${org.slug} as org:admin`);
  const shown = await activeOrg();
  check(shown === `${org.slug} as org:admin`, `the new organization is active (${shown})`);
  check(await a.locator('[data-testid="invoices"]').isVisible(), 'an admin sees the invoices');
  log(`Ada created ${org.slug} and is its admin; the invoices show`);

  // 3. The same dialog invites Bob by email.
  await invite.fill(BOB);
  await a.keyboard.press('Enter');
  await a.locator('.cl-formButtonPrimary', { hasText: 'Send invitations' }).click();
  await a.getByText('Invitations successfully sent').waitFor({ timeout: STEP });
  const link = await until('the invitation mailed to Bob', async () => {
    const mails = await bapi('GET', '/v1/dev/emails');
    const mail = mails.data.find((m) => m.to_email_address === BOB);
    return mail?.body_plain.match(/(http\S+\/v1\/tickets\/accept\?ticket=\w+)/)?.[1];
  });
  log(`invited ${BOB}; the email links to ${new URL(link).pathname}`);

  // 4. Bob follows the link: the app's <SignUp/> takes the ticket, knows his
  // address, and asks only for a password; he is signed in, a member.
  current = b;
  await b.goto(link);
  await b.waitForURL((u) => u.href.startsWith(APP) && u.searchParams.has('__clerk_ticket'), { timeout: STEP });
  const bobPassword = b.locator('input[name="password"]');
  await bobPassword.waitFor({ state: 'visible', timeout: STEP });
  check(!(await b.locator('input[name="emailAddress"]').isVisible()), 'no address asked: the ticket proved it');
  await bobPassword.fill(PASSWORD);
  await b.locator('.cl-formButtonPrimary').click();
  await b.waitForURL((u) => !u.pathname.startsWith('/sign-up'), { timeout: STEP });
  const bobUser = (await bapi('GET', `/v1/users?email_address=${encodeURIComponent(BOB)}`))[0];
  const bobMemberships = await bapi('GET', `/v1/users/${bobUser.id}/organization_memberships`);
  check(bobMemberships.data[0]?.organization.id === org.id, 'Bob is a member');
  check(bobMemberships.data[0].role === 'org:member', 'as a member');
  log(`Bob signed up through the link (${b.url().replace(APP, '')}) and joined as org:member`);

  // 5. He switches to it: a member does not see the invoices.
  let seenB = await orgPage(b);
  check(seenB.active === 'Personal account', `Bob starts personal (${seenB.active})`);
  await b.locator('.cl-organizationSwitcherTrigger').click();
  await b.locator('.cl-organizationSwitcherPreviewButton__organization', { hasText: ORG }).click();
  await until('the switch', async () => (await b.locator('[data-testid="active-org"]').innerText()).includes(org.slug));
  seenB = await orgPage(b);
  check(seenB.active === `${org.slug} as org:member` && !seenB.invoices, `Bob as a member (${JSON.stringify(seenB)})`);
  log('Bob switched to it: member, invoices closed');

  // 6. Ada makes him an admin in <OrganizationProfile/>: his next token
  // carries the role and the permission, and the gate opens.
  await roleOfBob('Admin');
  current = b;
  let claims = await freshClaims(b);
  check(claims.o?.rol === 'admin' && claims.o?.per?.split(',').includes('read'), `admin claims ${JSON.stringify(claims.o)}`);
  seenB = await orgPage(b);
  check(seenB.active === `${org.slug} as org:admin` && seenB.invoices, `the gate opened (${JSON.stringify(seenB)})`);
  log(`Ada made Bob an admin: fea=${claims.fea} o=${JSON.stringify(claims.o)}; the invoices opened`);

  // 7. And a member again: the gate closes.
  await roleOfBob('Member');
  current = b;
  claims = await freshClaims(b);
  check(claims.o?.rol === 'member' && !claims.fea, `member claims ${JSON.stringify(claims)}`);
  seenB = await orgPage(b);
  check(seenB.active === `${org.slug} as org:member` && !seenB.invoices, `the gate closed (${JSON.stringify(seenB)})`);
  log('back to member: the invoices closed');

  // 8. Bob leaves from <OrganizationProfile/>, confirming with its name.
  await b.goto(`${APP}/org/manage`);
  await b.locator('.cl-profileSectionPrimaryButton__organizationDanger', { hasText: 'Leave organization' }).click();
  await b.locator('input[name="deleteOrganizationConfirmation"]').fill(ORG);
  await b.locator('.cl-formButtonPrimary', { hasText: 'Leave organization' }).click();
  await b.waitForURL((u) => u.pathname === '/org', { timeout: STEP });
  seenB = await orgPage(b);
  check(seenB.active === 'Personal account' && !seenB.invoices, `Bob left (${JSON.stringify(seenB)})`);
  const left = await bapi('GET', `/v1/users/${bobUser.id}/organization_memberships`);
  check(left.total_count === 0, 'no membership left');
  log('Bob left the organization');

  check(seen.blocked.length === 0, `no request left loopback (blocked: ${seen.blocked.join(', ')})`);
  clearTimeout(overall);
  await browser.close();
  console.log('PASS');
} catch (e) {
  await fail(e);
}
