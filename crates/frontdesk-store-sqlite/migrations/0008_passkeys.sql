-- Passkeys (issue 15): WebAuthn credentials, pending while the browser's
-- registration ceremony runs, then verified with their public key.

-- The user row lists the verified passkeys (id, name, last use), so that
-- every read of a user renders `passkeys` without a join; only the
-- transactions that change passkeys write it.
ALTER TABLE users ADD COLUMN passkeys TEXT NOT NULL DEFAULT '[]';

-- A credential id belongs to one passkey (UNIQUE): the same authenticator
-- credential cannot be registered twice, by one user or two. A use updates
-- `credential` (the signature counter) only over the `version` it was
-- checked against.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    credential_id TEXT UNIQUE,
    credential TEXT,
    registration TEXT,
    rp_id TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    expire_at INTEGER NOT NULL,
    last_used_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys (user_id);
