-- Sign-in through other identity providers (issue 16).

-- The user row lists its external accounts (no tokens), so that every read
-- of a user renders `external_accounts` without a join; only the
-- transactions that join or remove one write it.
ALTER TABLE users ADD COLUMN external_accounts JSONB NOT NULL DEFAULT '[]';

-- One provider identity belongs to one user (UNIQUE): two sign-ins racing
-- to join the same Google account to two users cannot both succeed. The
-- tokens are sealed by the store (`external_accounts.<column>:<id>`). A
-- change takes the user row's lock first, then rewrites its list from these
-- rows, so two accounts joined at once are both listed.
CREATE TABLE external_accounts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    -- The record the user row lists (`ExternalAccount`), rebuilt from here.
    account JSONB NOT NULL,
    access_token TEXT,
    refresh_token TEXT,
    token_expires_at BIGINT,
    scopes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider, provider_user_id)
);
CREATE INDEX external_accounts_user ON external_accounts (user_id);

-- Each provider's client secret, sealed by the store
-- (`oauth_client_secrets.secret:<strategy>`); the rest of a provider's
-- settings is in the instance settings document.
CREATE TABLE oauth_client_secrets (
    strategy TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
