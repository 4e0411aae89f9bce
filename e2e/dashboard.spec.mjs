// The operator's day on the dashboard, in Chromium (issue 18): the first
// sign-in of an administrator, who is sent to add an authenticator app
// before any page opens; finding one user among many; signing out one of
// her devices and seeing her browser signed out; banning her and seeing her
// signed out (her app's page too, at its next token) and refused; impersonating another user in a separate
// browser, and in an app's page (clerk-js sees the actor, its token the
// `act` claim); turning email codes off and seeing the sign-in page and
// clerk-js on an app's page stop offering them; rotating the signing key;
// a webhook endpoint added, its signed deliveries received and one
// replayed; the actions in the audit log. Then every dashboard
// page and every hosted page at desktop and phone sizes: a screenshot of
// each into SCREENSHOTS_DIR, and axe-core on each, with no serious or
// critical violation of WCAG 2.2 A/AA.
//
// Run by crates/frontdesk-server/tests/api/dashboard_browser.rs:
//   FRONTDESK_URL, ARTIFACTS_DIR, CHROMIUM, DEADLINE_MS, ADMIN_EMAIL,
//   TARGET_EMAIL, OTHER_EMAIL, PASSWORD, SCREENSHOTS_DIR, and PAGE_URL
//   (e2e/clerk-page.html: an app's page with the real clerk-js), ORG_PAGE
//   (an organization's dashboard page)

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

import { check, clerkReady, env, log, openSpec, passwordSignIn, stepNow, totp } from './harness.mjs';

const FRONTDESK = env('FRONTDESK_URL');
const PAGE = env('PAGE_URL');
const ADMIN = env('ADMIN_EMAIL');
const TARGET = env('TARGET_EMAIL');
const PASSWORD = env('PASSWORD');
const SHOTS = env('SCREENSHOTS_DIR');
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
];

/// The app's webhook receiver: every delivery, with its Svix headers.
const deliveries = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    deliveries.push({ id: req.headers['svix-id'], timestamp: req.headers['svix-timestamp'], signature: req.headers['svix-signature'], body });
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const RECEIVER = `http://127.0.0.1:${receiver.address().port}/webhooks`;

/// Svix's scheme: base64 HMAC-SHA256 of `id.timestamp.body` under the
/// secret after `whsec_`, one of the space-separated `v1,` signatures.
function signedBy(secret, d) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = crypto.createHmac('sha256', key).update(`${d.id}.${d.timestamp}.${d.body}`).digest('base64');
  return d.signature.split(' ').includes(`v1,${mac}`);
}

const { browser, page, until, fail, pass } = await openSpec('dashboard', {
  shown: (url) => url.pathname,
  budgetMs: 300_000,
});

const at = (pathname) => until(`at ${pathname}`, () => new URL(page.url()).pathname === pathname);
const told = (p, text) => until(`"${text}"`, () => p.getByText(text).first().isVisible());

async function signIn(p, email) {
  await p.goto(`${FRONTDESK}/sign-in`);
  await p.getByLabel('Email address').fill(email);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/// axe-core on the page as it is: the serious and critical violations of
/// WCAG 2.2 A/AA (and a count of the rest, printed).
async function axe(p, name) {
  await p.evaluate(AXE);
  const result = await p.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    }),
  );
  const serious = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  const rest = result.violations.length - serious.length;
  for (const v of serious) {
    log(`axe ${name}: ${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  }
  return { serious: serious.length, rest, passes: result.passes.length };
}

/// A screenshot at each size and axe at each, of what `p` shows at `url`.
const audited = [];
async function record(p, name, url) {
  for (const [size, viewport] of SIZES) {
    await p.setViewportSize(viewport);
    await p.goto(url);
    const shot = path.join(SHOTS, `${name}-${size}.png`);
    await p.screenshot({ path: shot, fullPage: true });
    const found = await axe(p, `${name} (${size})`);
    audited.push({ name, size, ...found });
    // Nothing wider than the viewport at phone size but what scrolls
    // inside its own box (tables).
    if (size === 'phone') {
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `${name} fits a phone's width (overflows by ${overflow} px)`);
    }
  }
  await p.setViewportSize(SIZES[0][1]);
}

try {
  fs.mkdirSync(SHOTS, { recursive: true });

  // 1. The administrator's first sign-in: a second factor before anything.
  await signIn(page, ADMIN);
  await at('/user');
  await page.goto(`${FRONTDESK}/dashboard`);
  await at('/dashboard/verify');
  await told(page, 'Administrators need two-step verification');
  await record(page, 'dashboard-verify', `${FRONTDESK}/dashboard/verify`);
  await page.getByRole('link', { name: 'Set up two-step verification' }).click();
  await at('/user');
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.getByLabel('Code from the app').fill(totp(secret, stepNow()));
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await until('the backup codes', () => page.locator('#backup-codes li').first().isVisible());
  await page.goto(`${FRONTDESK}/dashboard`);
  await until('the overview', () => page.getByRole('heading', { name: 'Overview' }).isVisible());
  log('signed in as the administrator with an authenticator app; on the overview');

  // 1b. Add a webhook endpoint: the app's receiver, from now on.
  await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
  await at('/dashboard/webhooks');
  await page.getByLabel('URL').fill(RECEIVER);
  await page.getByLabel('Description').fill('CRM sync');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await told(page, 'Endpoint added.');
  const endpointPath = new URL(page.url()).pathname;
  await page.getByText('Show the secret your app verifies deliveries with').click();
  const hookSecret = (await page.locator('#endpoint-secret').textContent()).trim();
  log(`webhook endpoint ${endpointPath} added for ${RECEIVER}`);

  // 2. She is signed in on her own browser.
  const hers = await (await browser.newContext()).newPage();
  await signIn(hers, TARGET);
  await until('her /user', () => new URL(hers.url()).pathname === '/user');

  // 3. Find her among many.
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await at('/dashboard/users');
  check(await page.getByRole('link', { name: 'Next' }).isVisible(), 'more users than one page');
  await page.getByLabel('Search').fill(TARGET);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await until('one result', async () => (await page.locator('tbody tr').count()) === 1);
  await page.getByRole('link', { name: TARGET }).click();
  await until('her page', () => page.getByRole('heading', { name: TARGET }).isVisible());
  const detail = new URL(page.url()).pathname;
  log(`found ${TARGET} among many: ${detail}`);

  // 4. Sign out her device: her browser is signed out.
  await page.getByRole('button', { name: /^Sign out Chrome/ }).click();
  await told(page, 'The device was signed out.');
  await hers.goto(`${FRONTDESK}/user`);
  await until('her browser signed out', () => new URL(hers.url()).pathname === '/sign-in');
  log('signed out her device; her browser is at /sign-in');

  // 5. Ban her: signed out everywhere (the hosted pages, and an app's page
  // with clerk-js at its next token), and refused.
  await signIn(hers, TARGET);
  await until('her /user again', () => new URL(hers.url()).pathname === '/user');
  const herApp = await (await browser.newContext()).newPage();
  await passwordSignIn(herApp, until, PAGE, TARGET, PASSWORD, 20_000);
  await until('her app signed in', () => herApp.evaluate(() => !!window.Clerk?.user));
  await page.goto(`${FRONTDESK}${detail}`);
  await page.getByRole('button', { name: 'Ban', exact: true }).click();
  await told(page, 'The user is banned and signed out everywhere.');
  await hers.goto(`${FRONTDESK}/user`);
  await until('banned: signed out', () => new URL(hers.url()).pathname === '/sign-in');
  // The app asks for a session token, as before any request to its
  // backend: refused, and clerk-js shows her signed out, with no reload.
  const token = await herApp.evaluate(() => window.Clerk.session.getToken({ skipCache: true }).catch(() => null));
  check(token === null, 'no session token for a banned user');
  await until('her app signed out', () => herApp.evaluate(() => window.Clerk.user === null));
  await until('her app says so', async () => (await herApp.locator('#status').textContent()) === 'signed out');
  await signIn(hers, TARGET);
  const refusal = hers.locator('.field-error, [role=alert]').first();
  await until('banned: refused', () => refusal.isVisible());
  check(new URL(hers.url()).pathname === '/sign-in', 'a banned user stays on /sign-in');
  log(`banned: her app's page signed out at its next token; her sign-in is refused ("${(await refusal.textContent()).trim()}")`);

  // 6. Impersonate another user: the link signs a separate browser in as
  // him, and the page says who is acting.
  await page.goto(`${FRONTDESK}/dashboard/users?q=${encodeURIComponent(env('OTHER_EMAIL'))}`);
  await page.getByRole('link', { name: env('OTHER_EMAIL') }).click();
  await page.getByRole('button', { name: 'Make an impersonation link' }).click();
  const link = await page.locator('#impersonation-link').getAttribute('href');
  const acting = await (await browser.newContext()).newPage();
  await acting.goto(link);
  await until('signed in as him', () => new URL(acting.url()).pathname === '/user');
  await told(acting, 'is signed in as this user');
  check((await acting.getByText(env('OTHER_EMAIL')).count()) > 0, 'his account is shown');
  log('impersonated him in another browser: /user says an administrator is acting');

  // 6b. The app sees the actor: a second link's ticket spent by <SignIn/>
  // on the app's own page (`__clerk_ticket`); clerk-js's session has the
  // actor and its session token the `act` claim.
  // (The page is the answer to the first link's POST: open his page again.)
  await page.goto(`${FRONTDESK}${new URL(page.url()).pathname.replace(/\/impersonate$/, '')}`);
  await page.getByRole('button', { name: 'Make an impersonation link' }).click();
  const ticket = new URL(await page.locator('#impersonation-link').getAttribute('href')).searchParams.get('ticket');
  const inApp = await (await browser.newContext()).newPage();
  await inApp.goto(`${PAGE}/sign-in?__clerk_ticket=${encodeURIComponent(ticket)}&__clerk_status=sign_in`);
  await clerkReady(inApp, until);
  await until('the app signed in as him', () => inApp.evaluate(() => !!window.Clerk.session));
  const seen = await inApp.evaluate(async () => {
    const jwt = await window.Clerk.session.getToken();
    const claims = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return {
      email: window.Clerk.user.primaryEmailAddress?.emailAddress,
      actor: window.Clerk.session.actor,
      act: claims.act,
      sub: claims.sub,
    };
  });
  check(seen.email === env('OTHER_EMAIL'), `the app is signed in as him (${seen.email})`);
  check(seen.actor?.sub?.startsWith('user_') && seen.act?.sub === seen.actor.sub, `act in the app: ${JSON.stringify(seen)}`);
  log(`the app sees the impersonation: session.actor and act.sub = ${seen.act.sub}`);

  // 7. Turn email codes off: the sign-in page stops offering them. Rotate
  // the signing key.
  const offered = async () => {
    const p = await (await browser.newContext()).newPage();
    await p.goto(`${FRONTDESK}/sign-in`);
    const n = await p.getByText('Email me a sign-in code instead').count();
    await p.close();
    return n > 0;
  };
  // clerk-js and @clerk/ui on an app's own page: after his address, "Use
  // another method" lists what the instance offers him besides the
  // password.
  const offeredByClerkJs = async (when) => {
    const context = await browser.newContext();
    const p = await context.newPage();
    try {
      await p.goto(`${PAGE}/sign-in`);
      await clerkReady(p, until);
      await p.locator('input[name="identifier"]').fill(env('OTHER_EMAIL'));
      await p.locator('.cl-formButtonPrimary').click();
      await p.locator('input[name="password"]').waitFor({ state: 'visible', timeout: 20_000 });
      // With the password the only method, there is no other to choose
      // (the link comes with the password step: a few seconds' grace).
      const another = p.getByText('Use another method');
      const shown = await another
        .waitFor({ state: 'visible', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      if (!shown) return false;
      await another.click({ timeout: 10_000 });
      await until('the other methods', () => p.getByText('Get help').first().isVisible(), 20_000);
      // @clerk/ui masks the address ("Email code to al***@example.com").
      return (await p.getByText(/^Email code to /).count()) > 0;
    } catch (e) {
      await p.screenshot({ path: path.join(env('ARTIFACTS_DIR', '/tmp'), `clerk-js-${when}.png`) });
      throw e;
    } finally {
      await context.close();
    }
  };
  check(await offered(), 'email codes offered at first');
  check(await offeredByClerkJs('before'), 'clerk-js offers email codes at first');
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await at('/dashboard/settings');
  // The branding preview follows what is typed (script under the strict
  // CSP), button text black on gold as the server's contrast rule has it.
  await page.getByLabel('Application name').fill('Acme Rockets');
  await page.getByLabel('Primary colour').fill('#ffd700');
  const preview = await page.locator('[data-preview]').evaluate((p) => {
    const b = getComputedStyle(p.querySelector('[data-preview-button]'));
    const link = getComputedStyle(p.querySelector('.preview-link')).color;
    return { name: p.querySelector('[data-preview-name]').textContent, bg: b.backgroundColor, fg: b.color, link };
  });
  // Gold's link colour on white, darkened to 4.5:1 as theme.rs does it.
  check(
    preview.name === 'Acme Rockets' &&
      preview.bg === 'rgb(255, 215, 0)' &&
      preview.fg === 'rgb(0, 0, 0)' &&
      preview.link === 'rgb(136, 118, 12)',
    `the preview follows the form: ${JSON.stringify(preview)}`,
  );
  await page.goto(`${FRONTDESK}/dashboard/settings`);
  await page.getByLabel('Email code: a one-time code mailed to the address').uncheck();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await told(page, 'Settings saved.');
  check(!(await offered()), 'email codes no longer offered');
  check(!(await offeredByClerkJs('after')), 'clerk-js no longer offers email codes');
  await page.getByRole('link', { name: 'Keys', exact: true }).click();
  await at('/dashboard/keys');
  const kids = await page.locator('td code').allTextContents();
  await page.getByRole('button', { name: 'Rotate signing key' }).click();
  await told(page, 'A new signing key signs session tokens from now on.');
  check((await page.getByText('Retired').count()) >= 1, 'the old key is retired, still listed');
  log(`email codes turned off (the hosted page and clerk-js stopped offering them); signing key rotated (${kids.length} keys before)`);

  // 7b. The webhooks: the events of the day reached the app, signed;
  // one sent again from the endpoint's page arrives again.
  await until('deliveries', () => deliveries.some((d) => JSON.parse(d.body).type === 'user.updated'));
  check(deliveries.every((d) => signedBy(hookSecret, d)), 'every delivery signed with the endpoint secret');
  const banned = deliveries.find((d) => JSON.parse(d.body).type === 'user.updated');
  await page.goto(`${FRONTDESK}${endpointPath}`);
  await page.getByRole('button', { name: `Replay ${banned.id}` }).click();
  await told(page, 'The message is being sent again.');
  await until('the replay', () => deliveries.filter((d) => d.id === banned.id).length >= 2);
  const again = deliveries.filter((d) => d.id === banned.id).at(-1);
  check(again.body === banned.body && signedBy(hookSecret, again), 'the same message, signed again');
  log(`${deliveries.length} signed deliveries; ${banned.id} replayed from the dashboard`);

  // 8. The audit log says who did it and from where.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await at('/dashboard/audit');
  // (The filter's list names every action too: read the table's cells.)
  const logged = (action) =>
    until(`"${action}" in the log`, () => page.locator('tbody code').getByText(action, { exact: true }).first().isVisible());
  for (const action of [
    'user.banned',
    'session.revoked',
    'user.impersonated',
    'settings.changed',
    'key.signing_rotated',
    'webhook.endpoint_created',
    'webhook.message_replayed',
  ]) {
    await logged(action);
  }
  // Narrowed to one action.
  await page.getByLabel('Action').selectOption('user.banned');
  await page.getByRole('button', { name: 'Filter' }).click();
  await until('only bans', async () => {
    const actions = await page.locator('tbody td:nth-child(3) code').allTextContents();
    return actions.length > 0 && actions.every((a) => a === 'user.banned');
  });
  log('the audit log has every action of the day, and narrows to one');

  // 9. Every page, both sizes: screenshots and axe.
  const pages = [
    ['dashboard-overview', '/dashboard'],
    ['dashboard-users', '/dashboard/users'],
    ['dashboard-users-search', `/dashboard/users?q=${encodeURIComponent(TARGET)}&status=banned`],
    ['dashboard-user', detail],
    ['dashboard-organizations', '/dashboard/organizations'],
    ['dashboard-organization', env('ORG_PAGE')],
    ['dashboard-settings', '/dashboard/settings'],
    ['dashboard-keys', '/dashboard/keys'],
    ['dashboard-webhooks', '/dashboard/webhooks'],
    ['dashboard-webhook-endpoint', endpointPath],
    ['dashboard-audit', '/dashboard/audit'],
    ['profile', '/user'],
    ['organizations', '/user/organizations'],
  ];
  for (const [name, p] of pages) await record(page, name, `${FRONTDESK}${p}`);
  const anonymous = await (await browser.newContext()).newPage();
  for (const [name, p] of [
    ['sign-in', '/sign-in'],
    ['sign-up', '/sign-up'],
    ['forgot-password', '/forgot-password'],
  ]) {
    await record(anonymous, name, `${FRONTDESK}${p}`);
  }
  for (const a of audited) {
    log(`axe ${a.name} ${a.size}: ${a.serious} serious or critical, ${a.rest} minor or moderate, ${a.passes} rules passed`);
  }
  const serious = audited.filter((a) => a.serious > 0);
  check(serious.length === 0, `no serious axe violations (${serious.map((a) => `${a.name} ${a.size}`).join(', ')})`);
  log(`${audited.length} screenshots in ${SHOTS}`);

  receiver.close();
  await pass();
} catch (e) {
  receiver.close();
  await fail(e);
}
