-- Webhooks: endpoints, the outbox of messages, one delivery row per message
-- and endpoint (its status and lease), and the log of attempts.

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- `,user.created,user.deleted,`, or '' for every event type.
    filter_types TEXT NOT NULL DEFAULT '',
    disabled INTEGER NOT NULL DEFAULT 0,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until INTEGER,
    failing_since INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX webhook_messages_created ON webhook_messages (created_at);

CREATE TABLE webhook_deliveries (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'success', 'fail')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- While pending: when the next attempt is due, or when the current
    -- attempt's lease runs out.
    next_attempt_at INTEGER,
    lease TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);

CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    response TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    FOREIGN KEY (endpoint_id, message_id)
        REFERENCES webhook_deliveries (endpoint_id, message_id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (endpoint_id, message_id, at);
