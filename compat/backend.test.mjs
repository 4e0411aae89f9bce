// Compatibility: the real `@clerk/backend` (pinned in package.json) against a
// running Frontdesk, configured with nothing but `apiUrl` and `secretKey`.
//
//   CLERK_API_URL=http://127.0.0.1:8080 CLERK_SECRET_KEY=sk_test_… \
//     node --test compat/backend.test.mjs
//
// The Rust test `tests/api/clerk_backend.rs` starts a server and runs this.
// Tests run in file order and share the users created in `before`.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import { createClerkClient, verifyToken } from '@clerk/backend';
import { ClerkAPIResponseError, isClerkAPIResponseError } from '@clerk/backend/errors';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
if (!apiUrl || !secretKey) {
  throw new Error(
    'compat/backend.test.mjs needs CLERK_API_URL (a Frontdesk base URL, e.g. http://127.0.0.1:8080) ' +
      'and CLERK_SECRET_KEY (an sk_… key of that instance) in the environment.',
  );
}

const clerk = createClerkClient({ apiUrl, secretKey });

const suffix = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
const emailA = `compat-a-${suffix}@example.com`;
const emailB = `compat-b-${suffix}@example.com`;
const emailExtra = `compat-extra-${suffix}@example.com`;
const externalIdB = `ext-${suffix}`;
const password = `Frontdesk-${randomBytes(9).toString('hex')}`;

/** The users every test works with (A: full profile and password; B: minimal). */
let userA;
let userB;
/** The session created for user A. */
let session;

/** An assertion predicate for `assert.rejects`: a Clerk API error with `status`. */
function apiError(status, code) {
  return (err) => {
    assert.ok(err instanceof ClerkAPIResponseError, `expected ClerkAPIResponseError, got ${err}`);
    assert.ok(isClerkAPIResponseError(err));
    assert.equal(err.status, status, `status of ${err}`);
    assert.ok(Array.isArray(err.errors) && err.errors.length > 0, 'errors[] is not empty');
    assert.equal(typeof err.errors[0].code, 'string');
    assert.ok(err.errors[0].code.length > 0, 'errors[0].code is set');
    assert.equal(typeof err.errors[0].message, 'string');
    if (code !== undefined) {
      assert.equal(err.errors[0].code, code);
    }
    return true;
  };
}

/** A Unix-millisecond timestamp close to now (not seconds, not a string). */
function assertRecentMillis(value, what) {
  assert.equal(typeof value, 'number', `${what} is a number`);
  assert.ok(Number.isInteger(value), `${what} is an integer`);
  const skew = Math.abs(Date.now() - value);
  assert.ok(skew < 10 * 60 * 1000, `${what}=${value} is within 10 minutes of now (ms, not s)`);
  assert.ok(!Number.isNaN(new Date(value).getTime()));
}

before(async () => {
  userA = await clerk.users.createUser({
    emailAddress: [emailA],
    password,
    firstName: 'Ada',
    lastName: 'Lovelace',
    publicMetadata: { tier: 'free' },
    privateMetadata: { secret: 'x', internal: { score: 1 } },
  });
  // B strictly after A, so created_at ordering is deterministic.
  await sleep(5);
  userB = await clerk.users.createUser({ emailAddress: [emailB], firstName: 'Bob', externalId: externalIdB });
});

after(async () => {
  // Best effort: leave nothing behind on a shared server.
  for (const u of [userA, userB]) {
    if (u) {
      await clerk.users.deleteUser(u.id).catch(() => {});
    }
  }
});

test('users.createUser returns a complete User', () => {
  const u = userA;
  assert.match(u.id, /^user_[A-Za-z0-9]+$/);
  assert.equal(u.emailAddresses.length, 1);
  assert.equal(u.emailAddresses[0].emailAddress, emailA);
  assert.match(u.emailAddresses[0].id, /^idn_/);
  assert.equal(u.emailAddresses[0].verification?.status, 'verified');
  assert.deepEqual(u.emailAddresses[0].linkedTo, []);
  assert.equal(u.primaryEmailAddressId, u.emailAddresses[0].id);
  assert.equal(u.primaryEmailAddress?.emailAddress, emailA);
  assert.equal(u.firstName, 'Ada');
  assert.equal(u.lastName, 'Lovelace');
  assert.equal(u.fullName, 'Ada Lovelace');
  assert.equal(u.username, null);
  assert.deepEqual(u.publicMetadata, { tier: 'free' });
  assert.deepEqual(u.privateMetadata, { secret: 'x', internal: { score: 1 } });
  assert.deepEqual(u.unsafeMetadata, {});
  assert.equal(u.passwordEnabled, true);
  assert.equal(u.twoFactorEnabled, false);
  assert.equal(u.banned, false);
  assert.equal(u.locked, false);
  assert.equal(u.lastSignInAt, null);
  assert.equal(typeof u.imageUrl, 'string');
  assertRecentMillis(u.createdAt, 'createdAt');
  assertRecentMillis(u.updatedAt, 'updatedAt');
  assert.ok(u.updatedAt >= u.createdAt);

  assert.match(userB.id, /^user_/);
  assert.notEqual(userB.id, userA.id);
  assert.equal(userB.passwordEnabled, false);
  assert.equal(userB.externalId, externalIdB);
  assert.deepEqual(userB.publicMetadata, {});
});

test('users.getUser returns the stored user', async () => {
  const u = await clerk.users.getUser(userA.id);
  assert.equal(u.id, userA.id);
  assert.equal(u.primaryEmailAddress?.emailAddress, emailA);
  assert.equal(u.firstName, 'Ada');
  assert.deepEqual(u.publicMetadata, { tier: 'free' });
  assert.deepEqual(u.privateMetadata, { secret: 'x', internal: { score: 1 } });
  assert.equal(u.createdAt, userA.createdAt);
});

test('users.getUserList filters by emailAddress', async () => {
  const page = await clerk.users.getUserList({ emailAddress: [emailA] });
  assert.equal(page.totalCount, 1);
  assert.equal(page.data.length, 1);
  assert.equal(page.data[0].id, userA.id);
  assert.equal(page.data[0].primaryEmailAddress?.emailAddress, emailA);

  const none = await clerk.users.getUserList({ emailAddress: [`nobody-${suffix}@example.com`] });
  assert.deepEqual(none, { data: [], totalCount: 0 });
});

test('users.getUserList filters by several userIds (repeated query keys)', async () => {
  const page = await clerk.users.getUserList({ userId: [userA.id, userB.id] });
  assert.equal(page.totalCount, 2);
  assert.deepEqual(page.data.map((u) => u.id).sort(), [userA.id, userB.id].sort());
});

test('users.getUserList filters by externalId', async () => {
  const page = await clerk.users.getUserList({ externalId: [externalIdB] });
  assert.equal(page.totalCount, 1);
  assert.deepEqual(page.data.map((u) => u.id), [userB.id]);
});

test('users.getUserList with query, limit, offset and orderBy', async () => {
  const first = await clerk.users.getUserList({ query: suffix, limit: 1, offset: 0, orderBy: '-created_at' });
  assert.equal(first.totalCount, 2, 'totalCount ignores limit/offset');
  assert.deepEqual(first.data.map((u) => u.id), [userB.id]);

  const second = await clerk.users.getUserList({ query: suffix, limit: 1, offset: 1, orderBy: '-created_at' });
  assert.equal(second.totalCount, 2);
  assert.deepEqual(second.data.map((u) => u.id), [userA.id]);

  const ascending = await clerk.users.getUserList({ query: suffix, limit: 10, orderBy: '+created_at' });
  assert.deepEqual(ascending.data.map((u) => u.id), [userA.id, userB.id]);
});

test('users.getCount returns a number', async () => {
  const all = await clerk.users.getCount();
  assert.equal(typeof all, 'number');
  assert.ok(all >= 2, `count ${all} includes both users`);
  assert.equal(await clerk.users.getCount({ emailAddress: [emailA, emailB] }), 2);
  assert.equal(await clerk.users.getCount({ query: suffix }), 2);
});

test('users.createUser with a taken email is a 422 naming the parameter', async () => {
  await assert.rejects(clerk.users.createUser({ emailAddress: [emailA] }), (err) => {
    apiError(422, 'form_identifier_exists')(err);
    assert.equal(err.errors[0].meta?.paramName, 'email_address');
    return true;
  });
});

test('users.createUser with a too short password is a 422', async () => {
  await assert.rejects(
    clerk.users.createUser({ emailAddress: [`short-${suffix}@example.com`], password: 'x' }),
    (err) => {
      apiError(422, 'form_password_length_too_short')(err);
      assert.equal(err.errors[0].meta?.paramName, 'password');
      return true;
    },
  );
  assert.equal(await clerk.users.getCount({ emailAddress: [`short-${suffix}@example.com`] }), 0);
});

test('users.getUser of an unknown id is a 404', async () => {
  await assert.rejects(clerk.users.getUser('user_2doesnotexist000000000000'), apiError(404, 'resource_not_found'));
});

test('users.updateUser changes only the given fields', async () => {
  const u = await clerk.users.updateUser(userA.id, { firstName: 'New' });
  assert.equal(u.id, userA.id);
  assert.equal(u.firstName, 'New');
  assert.equal(u.lastName, 'Lovelace');
  assert.equal(u.primaryEmailAddress?.emailAddress, emailA);
  assert.deepEqual(u.publicMetadata, { tier: 'free' });
  assert.ok(u.updatedAt >= userA.updatedAt);
  assert.equal((await clerk.users.getUser(userA.id)).firstName, 'New');
});

test('users.updateUserMetadata deep-merges and null deletes', async () => {
  let u = await clerk.users.updateUserMetadata(userA.id, {
    publicMetadata: { tier: 'pro', nested: { a: 1 } },
  });
  assert.deepEqual(u.publicMetadata, { tier: 'pro', nested: { a: 1 } });
  assert.deepEqual(u.privateMetadata, { secret: 'x', internal: { score: 1 } }, 'untouched');

  u = await clerk.users.updateUserMetadata(userA.id, {
    publicMetadata: { nested: { a: null, b: 2 } },
  });
  assert.deepEqual(u.publicMetadata, { tier: 'pro', nested: { b: 2 } });

  u = await clerk.users.updateUserMetadata(userA.id, {
    privateMetadata: { secret: null, internal: { score: 2 } },
  });
  assert.deepEqual(u.privateMetadata, { internal: { score: 2 } });
  assert.deepEqual(u.publicMetadata, { tier: 'pro', nested: { b: 2 } }, 'untouched');

  const stored = await clerk.users.getUser(userA.id);
  assert.deepEqual(stored.publicMetadata, { tier: 'pro', nested: { b: 2 } });
  assert.deepEqual(stored.privateMetadata, { internal: { score: 2 } });
});

test('users.replaceUserMetadata replaces provided fields and keeps omitted ones', async () => {
  // PUT /v1/users/{id}/metadata; the deprecated updateUser(id, { publicMetadata })
  // goes through the same endpoint.
  const u = await clerk.users.replaceUserMetadata(userB.id, {
    publicMetadata: { plan: 'team', seats: { max: 5 } },
    privateMetadata: { note: 'n' },
  });
  assert.deepEqual(u.publicMetadata, { plan: 'team', seats: { max: 5 } });
  assert.deepEqual(u.privateMetadata, { note: 'n' });

  const replaced = await clerk.users.replaceUserMetadata(userB.id, {
    publicMetadata: { seats: { used: 1 } },
  });
  assert.deepEqual(replaced.publicMetadata, { seats: { used: 1 } }, 'no merging at any level');
  assert.deepEqual(replaced.privateMetadata, { note: 'n' }, 'omitted field untouched');

  const cleared = await clerk.users.replaceUserMetadata(userB.id, { privateMetadata: {} });
  assert.deepEqual(cleared.privateMetadata, {});
  assert.deepEqual(cleared.publicMetadata, { seats: { used: 1 } });
  assert.deepEqual((await clerk.users.getUser(userB.id)).publicMetadata, { seats: { used: 1 } });
});

test('users.verifyPassword accepts the right password', async () => {
  const res = await clerk.users.verifyPassword({ userId: userA.id, password });
  assert.deepEqual(res, { verified: true });
});

test('users.verifyPassword rejects a wrong password with 422', async () => {
  await assert.rejects(
    clerk.users.verifyPassword({ userId: userA.id, password: `${password}-wrong` }),
    apiError(422),
  );
});

test('users: second-factor fields, and the MFA methods on a user without one', async () => {
  const user = await clerk.users.getUser(userB.id);
  assert.equal(user.twoFactorEnabled, false);
  assert.equal(user.totpEnabled, false);
  assert.equal(user.backupCodeEnabled, false);
  // Clearing nothing is fine (the Rust tests cover users with an app).
  await clerk.users.disableUserMFA(userB.id);
  await clerk.users.deleteUserTOTP(userB.id);
  await clerk.users.deleteUserBackupCodes(userB.id);
  await assert.rejects(clerk.users.verifyTOTP({ userId: userB.id, code: '123456' }), apiError(400));
  await assert.rejects(clerk.users.disableUserMFA('user_nobody'), apiError(404));
});

test('users: OAuth access tokens and external accounts of a user without any', async () => {
  // The Rust tests cover a user with an external account (none can be made
  // through the Backend API; they come from signing in with a provider).
  const tokens = await clerk.users.getUserOauthAccessToken(userB.id, 'google');
  assert.deepEqual(tokens.data, []);
  assert.equal(tokens.totalCount, 0);
  await assert.rejects(
    clerk.users.deleteUserExternalAccount({ userId: userB.id, externalAccountId: 'eac_nope' }),
    apiError(404),
  );
});

test('users.banUser / unbanUser toggle banned', async () => {
  const banned = await clerk.users.banUser(userB.id);
  assert.equal(banned.id, userB.id);
  assert.equal(banned.banned, true);
  assert.equal((await clerk.users.getUser(userB.id)).banned, true);
  const unbanned = await clerk.users.unbanUser(userB.id);
  assert.equal(unbanned.banned, false);
});

test('users.lockUser / unlockUser toggle locked', async () => {
  const locked = await clerk.users.lockUser(userB.id);
  assert.equal(locked.id, userB.id);
  assert.equal(locked.locked, true);
  assert.equal((await clerk.users.getUser(userB.id)).locked, true);
  const unlocked = await clerk.users.unlockUser(userB.id);
  assert.equal(unlocked.locked, false);
});

test('sessions.createSession creates an active session', async () => {
  session = await clerk.sessions.createSession({ userId: userA.id });
  assert.match(session.id, /^sess_/);
  assert.match(session.clientId, /^client_/);
  assert.equal(session.userId, userA.id);
  assert.equal(session.status, 'active');
  assertRecentMillis(session.createdAt, 'createdAt');
  assertRecentMillis(session.lastActiveAt, 'lastActiveAt');
  assert.ok(session.expireAt > Date.now(), 'expireAt is in the future (ms)');
  assert.ok(session.abandonAt >= session.expireAt);
});

test('sessions.getSessionList returns { data, totalCount }', async () => {
  const page = await clerk.sessions.getSessionList({ userId: userA.id });
  assert.equal(page.totalCount, 1);
  assert.equal(page.data.length, 1);
  assert.equal(page.data[0].id, session.id);
  assert.equal(page.data[0].userId, userA.id);

  const active = await clerk.sessions.getSessionList({ userId: userA.id, status: 'active' });
  assert.deepEqual(active.data.map((s) => s.id), [session.id]);
  const byClient = await clerk.sessions.getSessionList({ clientId: session.clientId });
  assert.deepEqual(byClient.data.map((s) => s.id), [session.id]);
  const revoked = await clerk.sessions.getSessionList({ userId: userA.id, status: 'revoked' });
  assert.deepEqual(revoked, { data: [], totalCount: 0 });
});

test('sessions.getSession returns the session', async () => {
  const s = await clerk.sessions.getSession(session.id);
  assert.equal(s.id, session.id);
  assert.equal(s.userId, userA.id);
  assert.equal(s.clientId, session.clientId);
  assert.equal(s.status, 'active');
});

test('clients.getClient returns the session client', async () => {
  const c = await clerk.clients.getClient(session.clientId);
  assert.equal(c.id, session.clientId);
  assert.deepEqual(c.sessionIds, [session.id]);
  assert.equal(c.sessions.length, 1);
  assert.equal(c.sessions[0].id, session.id);
  assert.equal(c.sessions[0].userId, userA.id);
  assertRecentMillis(c.createdAt, 'createdAt');
});

test('clients.getClientList returns { data, totalCount }', async () => {
  // Deprecated in the SDK, but still sends `paginated=true` and expects the envelope.
  const page = await clerk.clients.getClientList({ limit: 500 });
  assert.ok(Array.isArray(page.data), 'data is an array');
  assert.equal(typeof page.totalCount, 'number');
  assert.ok(page.totalCount >= 1 && page.totalCount >= page.data.length);
  for (const c of page.data) {
    assert.match(c.id, /^client_/);
  }
  if (page.totalCount <= 500) {
    assert.ok(page.data.some((c) => c.id === session.clientId));
  }
});

test('sessions.getToken mints a JWT that verifyToken accepts via {apiUrl}/v1/jwks', async () => {
  const token = await clerk.sessions.getToken(session.id);
  assert.equal(typeof token.jwt, 'string');
  assert.equal(token.jwt.split('.').length, 3);

  const payload = await verifyToken(token.jwt, { secretKey, apiUrl });
  assert.equal(payload.sub, userA.id);
  assert.equal(payload.sid, session.id);
  assert.equal(typeof payload.iss, 'string');
  assert.equal(typeof payload.iat, 'number');
  assert.ok(payload.exp > payload.iat);
  assert.ok(payload.exp * 1000 > Date.now(), 'exp is in seconds and in the future');
});

test('sessions.getToken honours expiresInSeconds', async () => {
  const token = await clerk.sessions.getToken(session.id, undefined, 120);
  const payload = await verifyToken(token.jwt, { secretKey, apiUrl });
  assert.equal(payload.exp - payload.iat, 120);
  assert.equal(payload.sid, session.id);
});

test('jwks.getJwks serves the key that signs session tokens', async () => {
  const jwks = await clerk.jwks.getJwks();
  assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0);
  const { jwt } = await clerk.sessions.getToken(session.id);
  const header = JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
  assert.equal(header.alg, 'RS256');
  const key = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(key, `kid ${header.kid} is published`);
  assert.equal(key.kty, 'RSA');
  assert.equal(key.alg, 'RS256');
  assert.equal(key.use, 'sig');
});

test('verifyToken rejects a token with a tampered payload', async () => {
  const { jwt } = await clerk.sessions.getToken(session.id);
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.sub = userB.id;
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  await assert.rejects(verifyToken(forged, { secretKey, apiUrl }), (err) => {
    assert.match(String(err.reason ?? err.message), /signature/i);
    return true;
  });
});

test('sessions.revokeSession revokes; no token can be minted afterwards', async () => {
  const revoked = await clerk.sessions.revokeSession(session.id);
  assert.equal(revoked.id, session.id);
  assert.equal(revoked.status, 'revoked');
  assert.equal((await clerk.sessions.getSession(session.id)).status, 'revoked');
  await assert.rejects(clerk.sessions.getToken(session.id), apiError(404));
});

test('emailAddresses: create, get, delete', async () => {
  const e = await clerk.emailAddresses.createEmailAddress({
    userId: userA.id,
    emailAddress: emailExtra,
    verified: true,
  });
  assert.match(e.id, /^idn_/);
  assert.equal(e.emailAddress, emailExtra);
  assert.equal(e.verification?.status, 'verified');

  const got = await clerk.emailAddresses.getEmailAddress(e.id);
  assert.equal(got.id, e.id);
  assert.equal(got.emailAddress, emailExtra);

  let u = await clerk.users.getUser(userA.id);
  assert.deepEqual(u.emailAddresses.map((x) => x.emailAddress).sort(), [emailA, emailExtra].sort());
  assert.equal(u.primaryEmailAddress?.emailAddress, emailA, 'primary unchanged');

  const primary = await clerk.emailAddresses.updateEmailAddress(e.id, { primary: true });
  assert.equal(primary.id, e.id);
  u = await clerk.users.getUser(userA.id);
  assert.equal(u.primaryEmailAddressId, e.id);
  await clerk.emailAddresses.updateEmailAddress(userA.primaryEmailAddressId, { primary: true });
  u = await clerk.users.getUser(userA.id);
  assert.equal(u.primaryEmailAddress?.emailAddress, emailA);

  const deleted = await clerk.emailAddresses.deleteEmailAddress(e.id);
  assert.equal(deleted.object, 'email_address');
  assert.equal(deleted.id, e.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(clerk.emailAddresses.getEmailAddress(e.id), apiError(404));
});

test('instance.get returns the instance', async () => {
  const instance = await clerk.instance.get();
  assert.match(instance.id, /^ins_/);
  assert.match(instance.environmentType, /^(development|production)$/);
});

test('one path, two APIs: /v1/organizations is routed by credential', async () => {
  // With the secret key: the Backend API's list (no organizations exist).
  const list = await clerk.organizations.getOrganizationList();
  assert.equal(list.totalCount, 0);
  assert.deepEqual(list.data, []);
  // The same path as clerk-js calls it (a form POST from a dev browser): the
  // Frontend API's "create an organization", refused as Clerk refuses it on
  // an instance without organizations.
  const dvb = await (await fetch(`${apiUrl}/v1/dev_browser`, { method: 'POST' })).json();
  const created = await fetch(`${apiUrl}/v1/organizations?__clerk_db_jwt=${dvb.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=Acme',
  });
  assert.equal(created.status, 403);
  assert.equal((await created.json()).errors[0].code, 'organization_not_enabled_in_instance');
  // The Backend API's path without its key: the Backend API's 401.
  const keyless = await fetch(`${apiUrl}/v1/organizations`);
  assert.equal(keyless.status, 401);
  // A secret key on a browser-only path: the Backend API has no such route.
  const client = await fetch(`${apiUrl}/v1/client`, { headers: { authorization: `Bearer ${secretKey}` } });
  assert.equal(client.status, 404);
});

test('a wrong secret key is rejected with 401', async () => {
  const wrong = createClerkClient({ apiUrl, secretKey: `sk_test_${randomBytes(24).toString('hex')}` });
  await assert.rejects(wrong.users.getUser(userA.id), apiError(401));
});

test('users.deleteUser returns a DeletedObject; the user is gone', async () => {
  const deleted = await clerk.users.deleteUser(userA.id);
  assert.equal(deleted.object, 'user');
  assert.equal(deleted.id, userA.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(clerk.users.getUser(userA.id), apiError(404));
  await assert.rejects(clerk.users.deleteUser(userA.id), apiError(404));
  userA = undefined;
});
