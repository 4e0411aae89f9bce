-- Sign-in and sign-up attempts (JSON documents owned by a client), and the
-- development mailbox.

CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX flows_client ON flows (client_id, kind, created_at);

CREATE TABLE dev_emails (
    id TEXT PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dev_emails_created ON dev_emails (created_at);
