// What the browser specs share: settings from the environment, Debian's
// Chromium with the flags this machine needs, a guard that fails any request
// leaving loopback, and a log of the network and the console for failures.

import crypto from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';

import { chromium } from 'playwright-core';

/// A required setting (or its fallback).
export const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Retry `fn` (a truthy result means done) every 200 ms until `timeout` ms
// have passed or the spec's `deadline` (epoch ms) comes.
export async function retry(what, fn, { timeout, deadline = Infinity }) {
  const end = Math.min(Date.now() + timeout, deadline);
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

/// A Backend API client for `frontdesk` with the secret key `sk`: JSON in
/// and out, a thrown error naming the call when the answer is not 2xx.
export function backendApi(frontdesk, sk) {
  return async (method, p, body) => {
    const res = await fetch(`${frontdesk}${p}`, {
      method,
      headers: { authorization: `Bearer ${sk}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const started = Date.now();
/// One line per step, stamped with the seconds since the spec started.
export const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/// Chromium from `path` (never downloaded), headless, quiet.
export function launch(path) {
  return chromium.launch({
    executablePath: path,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/// What a spec saw: every response and failed request, the console, and
/// any request that tried to leave loopback (aborted).
export class Recorder {
  network = [];
  console = [];
  blocked = [];

  /// Abort and record every request of `context` to a non-loopback host.
  async guard(context) {
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && !LOOPBACK.has(url.hostname)) {
        this.blocked.push(`${route.request().method()} ${url.href}`);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    // A fetch that the network log shows answered but the page's code saw
    // fail (a body that would not parse, a response the browser withheld)
    // leaves a line in the console log.
    await context.addInitScript(() => {
      const shown = (u) => String(u?.url ?? u).split('?')[0];
      const fetch = window.fetch;
      window.fetch = async function (...args) {
        try {
          return await fetch.apply(this, args);
        } catch (e) {
          console.error(`[fetch rejected] ${shown(args[0])}: ${e?.name}: ${e?.message}`);
          throw e;
        }
      };
      const json = Response.prototype.json;
      Response.prototype.json = async function () {
        try {
          return await json.call(this);
        } catch (e) {
          console.error(`[json failed] ${shown(this.url)} ${this.status}: ${e?.name}: ${e?.message}`);
          throw e;
        }
      };
    });
  }

  /// Record `page`'s traffic; `shown(url)` decides how a URL is printed.
  watch(page, shown = (url) => `${url.origin}${url.pathname}`) {
    page.on('console', (m) => this.console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.console.push(`pageerror: ${e.stack || e}`));
    // How long each request took, so that a slow answer shows in a failure's log.
    const started = new WeakMap();
    const took = (r) => (started.has(r) ? ` ${Date.now() - started.get(r)} ms` : '');
    page.on('request', (r) => started.set(r, Date.now()));
    page.on('requestfailed', (r) =>
      this.network.push(`FAILED ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}${took(r)}`),
    );
    page.on('response', (r) => {
      const url = new URL(r.url());
      const method = url.searchParams.get('_method') ?? r.request().method();
      this.network.push(`${r.status()} ${method} ${shown(url)}${took(r.request())}`);
    });
  }

  /// Print everything recorded, the page's state and a screenshot, then exit 1.
  async fail(e, page, screenshot) {
    console.error(`FAIL: ${e.stack || e}`);
    try {
      await page.screenshot({ path: screenshot, fullPage: true, timeout: 5000 });
      console.error(`screenshot: ${screenshot}`);
    } catch (err) {
      console.error(`no screenshot: ${err.message}`);
    }
    try {
      console.error(`page URL: ${page.url()}`);
      console.error(`page text: ${(await page.innerText('body', { timeout: 2000 })).slice(0, 2000)}`);
    } catch {}
    try {
      // What clerk-js thinks, where the page has it.
      const clerk = await page.evaluate(() => {
        const c = window.Clerk;
        if (!c) return null;
        return {
          loaded: c.loaded,
          status: c.status,
          user: c.user?.id ?? null,
          session: c.session ? { id: c.session.id, status: c.session.status } : null,
          sessions: c.client?.sessions?.map((s) => `${s.id}:${s.status}`) ?? null,
          signUp: c.client?.signUp?.status ?? null,
          // What the components rendered from (a fallback environment after
          // a failed fetch turns optional fields off).
          environment: c.__internal_environment
            ? {
                id: c.__internal_environment.id ?? null,
                firstNameEnabled:
                  c.__internal_environment.userSettings?.attributes?.first_name?.enabled ?? null,
              }
            : null,
        };
      });
      if (clerk) console.error(`window.Clerk: ${JSON.stringify(clerk)}`);
    } catch {}
    console.error(`--- network (${this.network.length})\n${this.network.slice(-300).join('\n')}`);
    console.error(`--- console (${this.console.length})\n${this.console.slice(-100).join('\n')}`);
    console.error(`--- blocked (${this.blocked.length})\n${this.blocked.join('\n')}`);
  }
}

// An authenticator app, for the two-step verification specs.

/// RFC 4648 base32 without padding.
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/// The 6-digit TOTP of `secret` for time step `step` (RFC 6238, SHA-1).
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}
export const stepNow = () => Math.floor(Date.now() / 30_000);

/// How a spec on a page of another origin prints URLs: Frontdesk's by path,
/// the page's without its query.
export const pathsAt = (frontdesk) => (url) =>
  url.origin === frontdesk ? url.pathname : url.href.split('?')[0];

/// What every spec starts with: Debian's Chromium (`CHROMIUM`), one context
/// and page with the loopback guard and the recorder, the whole run's
/// deadline (`DEADLINE_MS`), `until` bounded by it, `fail` (the report, a
/// screenshot in `ARTIFACTS_DIR/<name>-failure.png`, exit 1) and `pass`
/// (nothing left loopback; the network log; `PASS`).
/// `prepare(context)` runs before the page opens (init scripts).
export async function openSpec(name, { shown, budgetMs = 90_000, step = 20_000, prepare } = {}) {
  const deadline = Date.now() + Number(env('DEADLINE_MS', String(budgetMs)));
  const artifacts = env('ARTIFACTS_DIR', '/tmp');
  const browser = await launch(env('CHROMIUM', '/usr/bin/chromium'));
  const context = await browser.newContext();
  if (prepare) await prepare(context);
  const page = await context.newPage();
  const seen = new Recorder();
  await seen.guard(context);
  seen.watch(page, shown);
  let failing = false;
  const fail = async (e) => {
    if (failing) return;
    failing = true;
    await seen.fail(e, page, path.join(artifacts, `${name}-failure.png`));
    await browser.close().catch(() => {});
    process.exit(1);
  };
  const overall = setTimeout(() => fail(new Error('deadline exceeded')), deadline - Date.now());
  const until = (what, fn, timeout = step) => retry(what, fn, { timeout, deadline });
  const pass = async () => {
    check(seen.blocked.length === 0, `no request left loopback (blocked: ${seen.blocked.join(', ')})`);
    clearTimeout(overall);
    await browser.close();
    console.log(`--- network (${seen.network.length})\n${seen.network.join('\n')}`);
    console.log('PASS');
  };
  return { browser, context, page, seen, until, fail, pass };
}

/// Ask the Rust test that runs this spec to do what the browser cannot
/// (`age-session <id>`: the session's factor checks become eleven minutes
/// old, as a real clock would leave them): prints `ASK <request>` and waits
/// for the test's `done` on stdin.
export async function askTest(request) {
  const rl = readline.createInterface({ input: process.stdin });
  try {
    const lines = rl[Symbol.asyncIterator]();
    console.log(`ASK ${request}`);
    const { value, done } = await lines.next();
    if (done || value !== 'done') throw new Error(`the test did not do "${request}" (${value})`);
  } finally {
    rl.close();
  }
}

/// The clerk-page.html page has run `Clerk.load()` (it sets
/// `body[data-loaded]`); a failed load is an error with the page's status.
export async function clerkReady(page, until) {
  const state = await until('Clerk.load()', () => page.evaluate(() => document.body?.dataset.loaded));
  if (state !== 'true') throw new Error(`Clerk.load failed: ${await page.textContent('#status')}`);
}

/// <SignIn/> with `email` and `password`: the password on the identifier's
/// screen or on the next one.
export async function passwordSignIn(page, until, pageUrl, email, password, timeout) {
  await page.goto(`${pageUrl}/sign-in`);
  await clerkReady(page, until);
  const identifier = page.locator('input[name="identifier"]');
  await identifier.waitFor({ state: 'visible', timeout });
  await identifier.fill(email);
  const field = page.locator('input[name="password"]');
  if (!(await field.isVisible())) {
    await page.locator('.cl-formButtonPrimary').click();
    await field.waitFor({ state: 'visible', timeout });
  }
  await field.fill(password);
  await page.locator('.cl-formButtonPrimary').click();
}

/// A platform authenticator in Chromium (DevTools `WebAuthn` domain): it
/// keeps resident credentials, verifies the user (as a fingerprint would)
/// and answers without a prompt. Returns the CDP session and its id.
export async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/// The answer to the next `POST …/prepare_verification` of an address the
/// page asks for: a person types the code only once it was sent, so a spec
/// waits for this before it fills the code (on a loaded machine @clerk/ui
/// shows the code field well before the request returns).
export function codeSent(page, timeout) {
  return page.waitForResponse(
    (r) => r.request().method() === 'POST' && /\/prepare_verification$/.test(new URL(r.url()).pathname),
    { timeout },
  );
}
