-- Verified domains, suggestions and requests to join, and organization
-- logos (issue 17).
--
-- A domain is claimed by one organization once (another may claim the same
-- name); `verified_at` set means users whose verified address is there are
-- enrolled as `enrollment_mode` says. `challenge` is the affiliation code's
-- state (hashed code, tries, expiry) as JSON; `version` orders the tries.
CREATE TABLE organization_domains (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enrollment_mode TEXT NOT NULL,
    verification_strategy TEXT,
    verified_at BIGINT,
    affiliation_email_address TEXT,
    challenge JSONB,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX organization_domains_org_name ON organization_domains (organization_id, name);
CREATE INDEX organization_domains_name ON organization_domains (name);

-- Invitations a domain in `automatic_invitation` mode made (no mail sent).
ALTER TABLE organization_invitations ADD COLUMN domain_id TEXT;
CREATE INDEX organization_invitations_domain ON organization_invitations (domain_id);

-- One suggestion per user and organization.
CREATE TABLE organization_suggestions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id TEXT REFERENCES organization_domains (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_suggestions_user ON organization_suggestions (user_id, organization_id);
CREATE INDEX organization_suggestions_domain ON organization_suggestions (domain_id);

-- At most one pending request per user and organization.
CREATE TABLE organization_membership_requests (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_membership_requests_pending
    ON organization_membership_requests (organization_id, user_id) WHERE status = 'pending';
CREATE INDEX organization_membership_requests_org
    ON organization_membership_requests (organization_id, created_at, id);

-- An organization's logo, served at /v1/images/{id} like profile images.
CREATE TABLE organization_logos (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX organization_logos_org ON organization_logos (organization_id);
