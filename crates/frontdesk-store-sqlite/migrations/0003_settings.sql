-- Instance settings that can change while the server runs (the session
-- token template, ...): one JSON document per name.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
