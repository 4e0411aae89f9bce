-- Second factors (issue 15): an authenticator app per user, backup codes,
-- and the factor ages of each session (the token's `fva` claim).

-- The user row summarises the factors, so that every read of a user renders
-- them without a join; only the transactions that change factors write these.
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN backup_code_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_enabled_at INTEGER;
ALTER TABLE users ADD COLUMN mfa_disabled_at INTEGER;

-- At most one secret per user: pending until a code confirms it. A code is
-- accepted only for a step after `last_used_step` (no replay), decided by
-- one conditional UPDATE.
CREATE TABLE totps (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    last_used_step INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Backup codes: argon2id hashes under one salt per set; spent by a
-- conditional UPDATE on `used_at`.
CREATE TABLE backup_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE sessions ADD COLUMN first_factor_verified_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN second_factor_verified_at INTEGER;
UPDATE sessions SET first_factor_verified_at = created_at;
