-- Invitations to organizations (issue 17), by email address.
--
-- The ticket the invitation's link carries is stored as its SHA-256 only.
-- One pending invitation per address and organization; a pending one past
-- `expires_at` is expired (it is marked so when the address is invited
-- again). `organizations.pending_invitations_count` is kept by the
-- transactions that create, revoke and accept, each of which takes the
-- organization row first.
CREATE TABLE organization_invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email_address TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    inviter_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    redirect_url TEXT,
    ticket_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_pending
    ON organization_invitations (organization_id, email_address) WHERE status = 'pending';
CREATE INDEX organization_invitations_org ON organization_invitations (organization_id, created_at, id);
CREATE INDEX organization_invitations_email ON organization_invitations (email_address, created_at, id);
