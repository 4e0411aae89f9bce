// Compatibility: `@clerk/backend`'s organization methods (pinned in
// package.json) against a running Frontdesk, configured with nothing but
// `apiUrl` and `secretKey`. Run by `tests/api/clerk_backend.rs`; the tests
// run in file order and share what `before` creates.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { createClerkClient } from '@clerk/backend';
import { ClerkAPIResponseError } from '@clerk/backend/errors';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
if (!apiUrl || !secretKey) {
  throw new Error('compat/organizations.test.mjs needs CLERK_API_URL and CLERK_SECRET_KEY');
}
const clerk = createClerkClient({ apiUrl, secretKey });
const suffix = randomBytes(4).toString('hex');

let ada;
let bob;
let org;

function apiError(status, code) {
  return (err) => {
    assert.ok(err instanceof ClerkAPIResponseError, `expected ClerkAPIResponseError, got ${err}`);
    assert.equal(err.status, status, `status of ${err}`);
    assert.equal(err.errors[0].code, code);
    return true;
  };
}

before(async () => {
  ada = await clerk.users.createUser({
    emailAddress: [`org-ada-${suffix}@example.com`],
    firstName: 'Ada',
    skipPasswordRequirement: true,
  });
  bob = await clerk.users.createUser({
    emailAddress: [`org-bob-${suffix}@example.com`],
    firstName: 'Bob',
    skipPasswordRequirement: true,
  });
});

after(async () => {
  if (org) await clerk.organizations.deleteOrganization(org.id).catch(() => {});
  for (const u of [ada, bob]) if (u) await clerk.users.deleteUser(u.id).catch(() => {});
});

test('organizations.createOrganization returns an Organization, the creator its admin', async () => {
  org = await clerk.organizations.createOrganization({
    name: `Acme ${suffix}`,
    slug: `acme-${suffix}`,
    createdBy: ada.id,
    publicMetadata: { plan: 'free' },
    privateMetadata: { stripe: 'cus_1' },
  });
  assert.match(org.id, /^org_/);
  assert.equal(org.name, `Acme ${suffix}`);
  assert.equal(org.slug, `acme-${suffix}`);
  assert.equal(org.hasImage, false);
  assert.equal(org.membersCount, 1);
  assert.equal(org.createdBy, ada.id);
  assert.deepEqual(org.publicMetadata, { plan: 'free' });
  assert.deepEqual(org.privateMetadata, { stripe: 'cus_1' });
  assert.equal(typeof org.createdAt, 'number');
});

test('organizations.getOrganization by id and by slug', async () => {
  const byId = await clerk.organizations.getOrganization({ organizationId: org.id });
  assert.equal(byId.slug, org.slug);
  const bySlug = await clerk.organizations.getOrganization({ slug: org.slug });
  assert.equal(bySlug.id, org.id);
  await assert.rejects(
    clerk.organizations.getOrganization({ organizationId: 'org_doesnotexist' }),
    apiError(404, 'resource_not_found'),
  );
});

test('organizations.getOrganizationList filters by query and member', async () => {
  const { data, totalCount } = await clerk.organizations.getOrganizationList({ query: suffix });
  assert.equal(totalCount, 1);
  assert.equal(data[0].id, org.id);
  const mine = await clerk.organizations.getOrganizationList({ userId: [ada.id], limit: 5 });
  assert.deepEqual(
    mine.data.map((o) => o.id),
    [org.id],
  );
});

test('organizations.updateOrganization and the metadata methods', async () => {
  const renamed = await clerk.organizations.updateOrganization(org.id, { name: `Acme Corp ${suffix}` });
  assert.equal(renamed.name, `Acme Corp ${suffix}`);
  const merged = await clerk.organizations.updateOrganizationMetadata(org.id, {
    publicMetadata: { seats: 3, plan: null },
  });
  assert.deepEqual(merged.publicMetadata, { seats: 3 });
  assert.deepEqual(merged.privateMetadata, { stripe: 'cus_1' });
  if (typeof clerk.organizations.replaceOrganizationMetadata === 'function') {
    const replaced = await clerk.organizations.replaceOrganizationMetadata(org.id, {
      privateMetadata: { stripe: 'cus_2' },
    });
    assert.deepEqual(replaced.privateMetadata, { stripe: 'cus_2' });
    assert.deepEqual(replaced.publicMetadata, { seats: 3 });
  }
  await assert.rejects(
    clerk.organizations.createOrganization({ name: 'Twin', slug: org.slug }),
    apiError(422, 'form_identifier_exists'),
  );
});

test('organizations: memberships are created, listed, changed and deleted', async () => {
  const m = await clerk.organizations.createOrganizationMembership({
    organizationId: org.id,
    userId: bob.id,
    role: 'org:member',
  });
  assert.match(m.id, /^orgmem_/);
  assert.equal(m.role, 'org:member');
  // The SDK keeps `role_name` in the raw object only.
  assert.equal(m.raw.role_name, 'Member');
  assert.deepEqual(m.permissions, ['org:sys_memberships:read']);
  assert.equal(m.organization.id, org.id);
  assert.equal(m.publicUserData.userId, bob.id);
  assert.equal(m.publicUserData.identifier, `org-bob-${suffix}@example.com`);
  assert.equal(m.publicUserData.firstName, 'Bob');

  const { data, totalCount } = await clerk.organizations.getOrganizationMembershipList({
    organizationId: org.id,
    limit: 10,
  });
  assert.equal(totalCount, 2);
  assert.deepEqual(new Set(data.map((d) => d.publicUserData.userId)), new Set([ada.id, bob.id]));
  const admins = await clerk.organizations.getOrganizationMembershipList({
    organizationId: org.id,
    role: ['org:admin'],
  });
  assert.deepEqual(
    admins.data.map((d) => d.publicUserData.userId),
    [ada.id],
  );

  const promoted = await clerk.organizations.updateOrganizationMembership({
    organizationId: org.id,
    userId: bob.id,
    role: 'org:admin',
  });
  assert.equal(promoted.role, 'org:admin');

  const theirs = await clerk.users.getOrganizationMembershipList({ userId: bob.id });
  assert.equal(theirs.totalCount, 1);
  assert.equal(theirs.data[0].organization.id, org.id);

  const removed = await clerk.organizations.deleteOrganizationMembership({
    organizationId: org.id,
    userId: ada.id,
  });
  assert.equal(removed.publicUserData.userId, ada.id);
  await assert.rejects(
    clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: bob.id }),
    apiError(403, 'organization_minimum_permissions_needed'),
  );
});

test('organizations: invitations are created, listed, read and revoked', async () => {
  const inv = await clerk.organizations.createOrganizationInvitation({
    organizationId: org.id,
    emailAddress: `org-carol-${suffix}@example.com`,
    role: 'org:member',
    inviterUserId: bob.id,
    publicMetadata: { team: 'red' },
    privateMetadata: { crm: 7 },
    expiresInDays: 3,
    notify: false,
  });
  assert.match(inv.id, /^orginv_/);
  assert.equal(inv.emailAddress, `org-carol-${suffix}@example.com`);
  assert.equal(inv.role, 'org:member');
  assert.equal(inv.roleName, 'Member');
  assert.equal(inv.organizationId, org.id);
  assert.equal(inv.status, 'pending');
  assert.deepEqual(inv.publicMetadata, { team: 'red' });
  assert.deepEqual(inv.privateMetadata, { crm: 7 });
  // The accept link, shown in this answer only.
  assert.match(inv.url, /\/v1\/tickets\/accept\?ticket=[A-Za-z0-9]{43}$/);
  assert.equal(Math.round((inv.expiresAt - inv.createdAt) / 86_400_000), 3);

  const bulk = await clerk.organizations.createOrganizationInvitationBulk(org.id, [
    { emailAddress: `org-dave-${suffix}@example.com`, role: 'org:member', notify: false },
    { emailAddress: `org-erin-${suffix}@example.com`, role: 'org:admin', notify: false },
  ]);
  assert.equal(bulk.totalCount, 2);
  assert.deepEqual(bulk.data.map((i) => i.role), ['org:member', 'org:admin']);
  await assert.rejects(
    clerk.organizations.createOrganizationInvitation({
      organizationId: org.id,
      emailAddress: `org-carol-${suffix}@example.com`,
      role: 'org:member',
    }),
    apiError(422, 'duplicate_record'),
  );

  const { data, totalCount } = await clerk.organizations.getOrganizationInvitationList({
    organizationId: org.id,
    status: ['pending'],
  });
  assert.equal(totalCount, 3);
  assert.equal(data.length, 3);
  const got = await clerk.organizations.getOrganizationInvitation({
    organizationId: org.id,
    invitationId: inv.id,
  });
  assert.equal(got.id, inv.id);
  assert.equal(got.url, null);

  const revoked = await clerk.organizations.revokeOrganizationInvitation({
    organizationId: org.id,
    invitationId: inv.id,
    requestingUserId: bob.id,
  });
  assert.equal(revoked.status, 'revoked');
  await assert.rejects(
    clerk.organizations.revokeOrganizationInvitation({ organizationId: org.id, invitationId: inv.id }),
    apiError(422, 'organization_invitation_not_pending'),
  );
  const pending = await clerk.organizations.getOrganizationInvitationList({
    organizationId: org.id,
    status: ['pending'],
  });
  assert.equal(pending.totalCount, 2);
  const fresh = await clerk.organizations.getOrganization({ organizationId: org.id });
  assert.equal(fresh.raw.pending_invitations_count, 2);
  // Bob's own invitations: none (his address was not invited).
  const bobs = await clerk.users.getOrganizationInvitationList({ userId: bob.id });
  assert.equal(bobs.totalCount, 0);
});

test('organizationPermissions and organizationRoles: custom ones, given to members', async () => {
  const perm = await clerk.organizationPermissions.createOrganizationPermission({
    name: 'Read invoices',
    key: `org:invoices${suffix}:read`,
    description: 'See the bills',
  });
  assert.match(perm.id, /^perm_/);
  assert.equal(perm.key, `org:invoices${suffix}:read`);
  const listed = await clerk.organizationPermissions.getOrganizationPermissionList({ query: suffix });
  assert.equal(listed.totalCount, 1);
  assert.equal((await clerk.organizationPermissions.getOrganizationPermission(perm.id)).name, 'Read invoices');
  const renamed = await clerk.organizationPermissions.updateOrganizationPermission({
    permissionId: perm.id,
    name: 'View invoices',
  });
  assert.equal(renamed.name, 'View invoices');

  const role = await clerk.organizationRoles.createOrganizationRole({
    name: 'Billing',
    key: `org:billing${suffix}`,
    permissions: [perm.id],
  });
  assert.match(role.id, /^role_/);
  assert.deepEqual(role.permissions.map((p) => p.key), [`org:invoices${suffix}:read`]);
  assert.equal(role.isCreatorEligible, false);
  const roles = await clerk.organizationRoles.getOrganizationRoleList({ query: suffix });
  assert.deepEqual(roles.data.map((r) => r.id), [role.id]);
  const taken = await clerk.organizationRoles.removePermissionFromOrganizationRole({
    organizationRoleId: role.id,
    permissionId: perm.id,
  });
  assert.deepEqual(taken.permissions, []);
  const given = await clerk.organizationRoles.assignPermissionToOrganizationRole({
    organizationRoleId: role.id,
    permissionId: perm.id,
  });
  assert.equal(given.permissions.length, 1);
  const updated = await clerk.organizationRoles.updateOrganizationRole({
    organizationRoleId: role.id,
    description: 'Pays the bills',
  });
  assert.equal(updated.description, 'Pays the bills');
  assert.equal((await clerk.organizationRoles.getOrganizationRole(role.id)).name, 'Billing');

  const m = await clerk.organizations.createOrganizationMembership({
    organizationId: org.id,
    userId: ada.id,
    role: role.key,
  });
  assert.deepEqual(m.permissions, [`org:invoices${suffix}:read`]);
  await assert.rejects(
    clerk.organizationRoles.deleteOrganizationRole(role.id),
    apiError(422, 'role_in_use'),
  );
  await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: ada.id });
  const gone = await clerk.organizationRoles.deleteOrganizationRole(role.id);
  assert.equal(gone.id, role.id);
  const deleted = await clerk.organizationPermissions.deleteOrganizationPermission(perm.id);
  assert.equal(deleted.id, perm.id);
});

test('organizations: domains are created proven, listed, updated and deleted', async () => {
  const domain = await clerk.organizations.createOrganizationDomain({
    organizationId: org.id,
    name: `acme-${suffix}.test`,
    enrollmentMode: 'automatic_invitation',
  });
  // `@clerk/backend` has no OrganizationDomain class: the object as sent.
  assert.equal(domain.object, 'organization_domain');
  assert.match(domain.id, /^orgdmn_/);
  assert.equal(domain.organization_id, org.id);
  assert.equal(domain.ownership_verification.status, 'verified', 'the SDK sends verified: true');
  const { data, totalCount } = await clerk.organizations.getOrganizationDomainList({
    organizationId: org.id,
  });
  assert.equal(totalCount, 1);
  assert.equal(data[0].name, `acme-${suffix}.test`);
  const updated = await clerk.organizations.updateOrganizationDomain({
    organizationId: org.id,
    domainId: domain.id,
    enrollmentMode: 'automatic_suggestion',
  });
  assert.equal(updated.enrollment_mode, 'automatic_suggestion');
  await assert.rejects(
    clerk.organizations.createOrganizationDomain({ organizationId: org.id, name: 'gmail.com' }),
    apiError(422, 'form_param_format_invalid'),
  );
  const deleted = await clerk.organizations.deleteOrganizationDomain({
    organizationId: org.id,
    domainId: domain.id,
  });
  assert.equal(deleted.deleted, true);
});

test('organizations: membership metadata merges and the instance lists every membership', async () => {
  await clerk.organizations.createOrganizationMembership({
    organizationId: org.id,
    userId: ada.id,
    role: 'org:member',
  });
  await clerk.organizations.updateOrganizationMembershipMetadata({
    organizationId: org.id,
    userId: ada.id,
    publicMetadata: { team: 'red', seat: 1 },
    privateMetadata: { notes: 'x' },
  });
  const m = await clerk.organizations.updateOrganizationMembershipMetadata({
    organizationId: org.id,
    userId: ada.id,
    publicMetadata: { seat: null },
  });
  assert.deepEqual(m.publicMetadata, { team: 'red' });
  assert.deepEqual(m.privateMetadata, { notes: 'x' });
  const every = await clerk.organizations.getInstanceOrganizationMembershipList({ limit: 100 });
  assert.ok(every.totalCount >= 2);
  assert.ok(every.data.some((x) => x.publicUserData.userId === ada.id && x.organization.id === org.id));
});

test('organizations.updateOrganizationLogo and deleteOrganizationLogo', async () => {
  // A 1x1 PNG.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAeL63NgAAAAASUVORK5CYII=',
    'base64',
  );
  const withLogo = await clerk.organizations.updateOrganizationLogo(org.id, {
    file: new Blob([png], { type: 'image/png' }),
    uploaderUserId: ada.id,
  });
  assert.equal(withLogo.hasImage, true);
  const served = await fetch(withLogo.imageUrl);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'image/png');
  const without = await clerk.organizations.deleteOrganizationLogo(org.id);
  assert.equal(without.hasImage, false);
});

test('organizations.deleteOrganization deletes it with its memberships', async () => {
  const deleted = await clerk.organizations.deleteOrganization(org.id);
  assert.equal(deleted.id, org.id);
  assert.equal(deleted.deleted, true);
  const theirs = await clerk.users.getOrganizationMembershipList({ userId: bob.id });
  assert.equal(theirs.totalCount, 0);
  org = undefined;
});
