// Compatibility: Frontdesk's webhooks verified by the real `svix` npm package
// and by `verifyWebhook` from `@clerk/backend/webhooks` (both pinned in
// package.json), exactly as a Clerk customer's webhook handler would.
//
//   CLERK_API_URL=http://127.0.0.1:8080 CLERK_SECRET_KEY=sk_test_… \
//     node --test compat/webhooks.test.mjs
//
// The instance must deliver to loopback addresses (the default for a
// development instance). The Rust test `tests/api/svix_npm.rs` starts a
// server and runs this.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { createClerkClient } from '@clerk/backend';
import { verifyWebhook } from '@clerk/backend/webhooks';
import { Webhook } from 'svix';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
if (!apiUrl || !secretKey) {
  throw new Error(
    'compat/webhooks.test.mjs needs CLERK_API_URL (a Frontdesk base URL, e.g. http://127.0.0.1:8080) ' +
      'and CLERK_SECRET_KEY (an sk_… key of that instance) in the environment.',
  );
}

const clerk = createClerkClient({ apiUrl, secretKey });

const EVENT_TYPES = ['user.created', 'user.updated', 'user.deleted'];

/** How long to wait for all three deliveries. */
const DELIVERY_TIMEOUT_MS = 20_000;

/** Every request the receiver got: `{ rawBody, headers, rawHeaders, url }`. */
const received = [];
/** Event type → the resolver of the promise waiting for it. */
const waiters = new Map();
/** Event type → the first request that carried it. */
const byType = new Map();

/** Resolves with the first request carrying `type` (already received or not). */
function delivery(type) {
  if (byType.has(type)) {
    return Promise.resolve(byType.get(type));
  }
  return new Promise((resolve) => {
    const list = waiters.get(type) ?? [];
    list.push(resolve);
    waiters.set(type, list);
  });
}

/** Record a request; answer 204 once the whole body has arrived. */
function handle(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const request = {
      method: req.method,
      url: req.url,
      rawBody,
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
    };
    received.push(request);
    res.writeHead(204).end();
    let type;
    try {
      type = JSON.parse(rawBody).type;
    } catch {
      return;
    }
    if (typeof type === 'string' && !byType.has(type)) {
      byType.set(type, request);
      for (const resolve of waiters.get(type) ?? []) {
        resolve(request);
      }
      waiters.delete(type);
    }
  });
}

/** A WHATWG `Request` carrying the same headers as `request`, and `body`. */
function whatwgRequest(request, body = request.rawBody) {
  const headers = new Headers();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i].toLowerCase();
    // Headers the runtime computes itself.
    if (['content-length', 'host', 'connection', 'transfer-encoding'].includes(name)) {
      continue;
    }
    headers.append(request.rawHeaders[i], request.rawHeaders[i + 1]);
  }
  return new Request(new URL(request.url, receiverUrl), {
    method: request.method,
    headers,
    body,
  });
}

/** The svix headers of `request`, as the `svix` package takes them. */
function svixHeaders(request) {
  return {
    'svix-id': request.headers['svix-id'],
    'svix-timestamp': request.headers['svix-timestamp'],
    'svix-signature': request.headers['svix-signature'],
  };
}

/**
 * Verify `request` with both libraries; returns the event as
 * `verifyWebhook` returns it (the `svix` package's `verify` in 2.5.0
 * returns nothing: it only throws).
 */
async function verifyBoth(request) {
  assert.doesNotThrow(
    () => new Webhook(secret).verify(request.rawBody, svixHeaders(request)),
    'svix Webhook.verify accepts the delivery',
  );
  // Node's own header object too (lower-cased, every header present).
  assert.doesNotThrow(() => new Webhook(secret).verify(request.rawBody, request.headers));
  const evt = await verifyWebhook(whatwgRequest(request), { signingSecret: secret });
  assert.equal(evt.object, 'event');
  assert.deepEqual(evt, pick(JSON.parse(request.rawBody)));
  return evt;
}

/** The fields `verifyWebhook` returns. */
function pick(payload) {
  const { type, object, data, event_attributes, timestamp, instance_id } = payload;
  return { type, object, data, event_attributes, timestamp, instance_id };
}

/** A body that differs from `rawBody` in one place but still parses. */
function tamper(rawBody) {
  const payload = JSON.parse(rawBody);
  payload.data = { ...payload.data, id: `${payload.data.id}x` };
  const body = JSON.stringify(payload);
  assert.notEqual(body, rawBody);
  return body;
}

/** Both libraries refuse `request` with `body` instead of what was signed. */
async function assertBothReject(request, body, what) {
  assert.throws(
    () => new Webhook(secret).verify(body, svixHeaders(request)),
    (err) => err instanceof Error,
    `svix accepted ${what}`,
  );
  await assert.rejects(
    verifyWebhook(whatwgRequest(request, body), { signingSecret: secret }),
    (err) => err instanceof Error && /verify/i.test(err.message),
    `verifyWebhook accepted ${what}`,
  );
}

let server;
let receiverUrl;
let endpoint;
let secret;

before(async () => {
  server = createServer(handle);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  receiverUrl = `http://127.0.0.1:${server.address().port}`;

  const res = await fetch(new URL('/v1/webhooks/endpoints', apiUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${receiverUrl}/clerk`, filter_types: EVENT_TYPES }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `creating the endpoint: ${text}`);
  endpoint = JSON.parse(text);
  assert.equal(endpoint.object, 'webhook_endpoint');
  assert.match(endpoint.id, /^ep_/);
  assert.match(endpoint.secret, /^whsec_/);
  secret = endpoint.secret;
});

after(async () => {
  if (endpoint) {
    await fetch(new URL(`/v1/webhooks/endpoints/${endpoint.id}`, apiUrl), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${secretKey}` },
    }).catch(() => {});
  }
  server?.closeAllConnections?.();
  await new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

test(
  'user.created, user.updated and user.deleted verify with svix and @clerk/backend/webhooks',
  { timeout: DELIVERY_TIMEOUT_MS },
  async () => {
    const email = `webhooks-${Date.now().toString(36)}${randomBytes(4).toString('hex')}@example.com`;
    const user = await clerk.users.createUser({
      emailAddress: [email],
      firstName: 'Ada',
      skipPasswordRequirement: true,
    });
    assert.match(user.id, /^user_/);
    const updated = await clerk.users.updateUser(user.id, { firstName: 'Grace' });
    assert.equal(updated.firstName, 'Grace');
    const deleted = await clerk.users.deleteUser(user.id);
    assert.equal(deleted.id, user.id);

    const [createdReq, updatedReq, deletedReq] = await Promise.all(EVENT_TYPES.map(delivery));

    for (const request of [createdReq, updatedReq, deletedReq]) {
      assert.equal(request.method, 'POST');
      assert.equal(request.url, '/clerk');
      assert.match(request.headers['content-type'] ?? '', /^application\/json/);
    }

    const created = await verifyBoth(createdReq);
    assert.equal(created.type, 'user.created');
    assert.equal(created.data.id, user.id);
    assert.equal(created.data.object, 'user');
    assert.equal(created.data.first_name, 'Ada');
    assert.equal(created.data.email_addresses[0].email_address, email);
    assert.match(created.instance_id, /^ins_/);
    assert.equal(typeof created.timestamp, 'number');

    const changed = await verifyBoth(updatedReq);
    assert.equal(changed.type, 'user.updated');
    assert.equal(changed.data.id, user.id);
    assert.equal(changed.data.first_name, 'Grace');

    const gone = await verifyBoth(deletedReq);
    assert.equal(gone.type, 'user.deleted');
    assert.equal(gone.data.id, user.id);
    assert.equal(gone.data.deleted, true);

    const ids = [createdReq, updatedReq, deletedReq].map((r) => r.headers['svix-id']);
    for (const id of ids) {
      assert.match(id, /^msg_/);
    }
    assert.equal(new Set(ids).size, 3, `svix-id headers are distinct: ${ids.join(', ')}`);

    for (const request of [createdReq, updatedReq, deletedReq]) {
      await assertBothReject(request, tamper(request.rawBody), 'a tampered data.id');
      await assertBothReject(request, `${request.rawBody} `, 'a trailing space');
    }
  },
);

test('a delivery does not verify with another endpoint secret', { timeout: DELIVERY_TIMEOUT_MS }, async () => {
  // The first test has already received it (or failed).
  const request = await delivery('user.created');
  const other = `whsec_${randomBytes(24).toString('base64')}`;
  assert.throws(() => new Webhook(other).verify(request.rawBody, svixHeaders(request)));
  await assert.rejects(verifyWebhook(whatwgRequest(request), { signingSecret: other }));
});
