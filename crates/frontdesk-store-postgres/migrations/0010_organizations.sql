-- Organizations (issue 17): tenants, their members and the instance's roles.

-- `members_count` is kept by the transactions that add and remove members,
-- each of which takes this row first (`version` moves on): changes to one
-- organization's members run one after the other, and decide the limit
-- and "someone can still manage the members" on what the last one left.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    image_url TEXT,
    public_metadata JSONB NOT NULL DEFAULT '{}',
    private_metadata JSONB NOT NULL DEFAULT '{}',
    max_allowed_memberships BIGINT NOT NULL DEFAULT 0,
    admin_delete_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    members_count BIGINT NOT NULL DEFAULT 0,
    pending_invitations_count BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX organizations_created ON organizations (created_at, id);

-- The system roles (stored at first start) and custom ones; `permissions`
-- is the list of permission keys, system and custom.
CREATE TABLE organization_roles (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    permissions JSONB NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One membership per user and organization. Both indexes serve pages in
-- creation order: an organization's members, a user's organizations.
CREATE TABLE organization_memberships (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    public_metadata JSONB NOT NULL DEFAULT '{}',
    private_metadata JSONB NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_memberships_org ON organization_memberships (organization_id, created_at, id);
CREATE INDEX organization_memberships_user ON organization_memberships (user_id, created_at, id);
