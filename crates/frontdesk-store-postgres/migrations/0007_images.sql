-- Profile images uploaded by users (issue 15): kept in the database, so that
-- every node serves them and a backup holds them; one per user.
CREATE TABLE images (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX images_user ON images (user_id);
