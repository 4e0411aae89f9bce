-- Hardening (findings of 2026-11-30): version columns for compare-and-swap,
-- one-time handshake nonces, per-key quotas, and the outgoing mail queue.

-- Every targeted change of a user bumps its version; a change computed from a
-- copy (a metadata merge) is written only if the version is still the one read.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- Sign-in and sign-up attempts are written back only over the version read,
-- so parallel code tries are each counted.
ALTER TABLE flows ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX flows_created ON flows (created_at);

-- Production handshakes: the directives behind a nonce, fetched (deleted) once.
CREATE TABLE handshake_nonces (
    id TEXT PRIMARY KEY,
    directives JSONB NOT NULL,
    expire_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX handshake_nonces_expire ON handshake_nonces (expire_at);

-- Fixed-window counters shared by every node (codes mailed per address, ...).
CREATE TABLE quotas (
    name TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX quotas_window ON quotas (window_start);

-- Mail waiting for SMTP: requests only queue it, so their answer and timing
-- never depend on the mail server. Rows are deleted once delivered or given up.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    give_up_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease TEXT,
    lease_until BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);

CREATE INDEX clients_updated ON clients (updated_at);
