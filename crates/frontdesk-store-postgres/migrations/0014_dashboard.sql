-- The dashboard (issue 18): who administers the instance, the one-time
-- links that make the first administrator, and the audit log of what
-- administrators did.

-- An instance administrator is a user with this row; it goes with the user.
CREATE TABLE instance_admins (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- Who granted it: an administrator's user id, `cli` or `setup_link`.
    granted_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One-time links printed on a start with no administrator; the hash of the
-- token, never the token. Redeemed once, by one conditional update.
CREATE TABLE admin_setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expire_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);

-- What an administrator did, to whom, when and from where. The actor's id
-- and address are copied, not referenced: the record outlives the user.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT,
    detail TEXT NOT NULL,
    ip_address TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_created ON audit_events (created_at, id);
CREATE INDEX audit_events_target ON audit_events (target_id, created_at);

-- Dashboard filters over many users.
CREATE INDEX users_last_sign_in_at ON users (last_sign_in_at);
CREATE INDEX users_banned ON users (banned) WHERE banned;
CREATE INDEX users_locked ON users (locked_at) WHERE locked_at IS NOT NULL;
CREATE INDEX users_totp ON users (totp_enabled) WHERE totp_enabled;

-- Actor tokens (impersonation): one-time links that sign a browser in as a
-- user with an actor in the session. The hash of the token, never the
-- token; accepted or revoked once, by a conditional update.
CREATE TABLE actor_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    session_max_secs BIGINT NOT NULL,
    expire_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
