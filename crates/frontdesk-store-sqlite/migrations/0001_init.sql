-- Frontdesk schema v1 (SQLite). Times are integer milliseconds since the Unix
-- epoch, as Clerk sends them. Metadata is JSON text.

CREATE TABLE instance (
    -- Exactly one row: the CHECK makes a second instance impossible.
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL CHECK (mode IN ('development', 'production')),
    created_at INTEGER NOT NULL
);

CREATE TABLE secret_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    private_pkcs8 BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
-- At most one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    external_id TEXT UNIQUE,
    username TEXT,
    username_normalized TEXT UNIQUE,
    first_name TEXT,
    last_name TEXT,
    image_url TEXT,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    unsafe_metadata TEXT NOT NULL DEFAULT '{}',
    password_digest TEXT,
    password_last_updated_at INTEGER,
    primary_email_address_id TEXT,
    banned INTEGER NOT NULL DEFAULT 0,
    locked_at INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_sign_in_at INTEGER,
    last_active_at INTEGER,
    legal_accepted_at INTEGER,
    delete_self_enabled INTEGER NOT NULL DEFAULT 1,
    create_organization_enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_created_at ON users (created_at);

-- Identifications. Phone numbers, web3 wallets and external accounts get
-- sibling tables with the same verification columns.
CREATE TABLE email_addresses (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_address TEXT NOT NULL,
    normalized TEXT NOT NULL UNIQUE,
    verification_status TEXT,
    verification_strategy TEXT,
    verification_attempts INTEGER,
    verification_expire_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX email_addresses_user ON email_addresses (user_id);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    last_active_session_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    last_active_at INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    abandon_at INTEGER NOT NULL,
    last_active_organization_id TEXT,
    actor TEXT,
    ip_address TEXT,
    user_agent TEXT,
    browser_name TEXT,
    browser_version TEXT,
    device_type TEXT,
    is_mobile INTEGER NOT NULL DEFAULT 0,
    city TEXT,
    country TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_client ON sessions (client_id);
