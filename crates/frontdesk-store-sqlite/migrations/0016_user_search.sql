-- Finding users by part of a name, address, username or id (the dashboard's
-- search and `GET /v1/users?query=`) without reading every user: an FTS5
-- `trigram` index of one lowercase text per user (id, username, first and
-- last name side by side, every address), as PostgreSQL's `users.search`.
--
-- Kept in batches, off the request path: indexing in triggers made every
-- write that touches a user about a millisecond dearer under SQLite's one
-- write lock. Triggers only note the user in `user_search_pending`;
-- `index_user_search` (a background task) brings a batch of them up to
-- date in one transaction. Until then a search reads a pending user's row
-- itself, so an answer never depends on the index being current.
--
-- `user_search_keys` names each indexed user's row in the index. The key
-- is `created_at << 20` plus a sequence within the millisecond: the
-- index's own order is the newest-first order of the list, so a page of a
-- word every user has is read from the index's end, not sorted out of a
-- million matches.
CREATE TABLE user_search_pending (
    user_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE user_search_keys (
    key INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE user_search USING fts5 (text, tokenize = 'trigram');

CREATE TRIGGER users_search_inserted AFTER INSERT ON users BEGIN
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (NEW.id);
END;

CREATE TRIGGER users_search_renamed AFTER UPDATE OF username, first_name, last_name ON users BEGIN
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (NEW.id);
END;

CREATE TRIGGER users_search_deleted AFTER DELETE ON users BEGIN
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (OLD.id);
END;

CREATE TRIGGER email_search_inserted AFTER INSERT ON email_addresses BEGIN
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (NEW.user_id);
END;

CREATE TRIGGER email_search_changed AFTER UPDATE OF normalized, user_id ON email_addresses BEGIN
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (OLD.user_id);
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (NEW.user_id);
END;

CREATE TRIGGER email_search_deleted AFTER DELETE ON email_addresses BEGIN
    INSERT OR IGNORE INTO user_search_pending (user_id) VALUES (OLD.user_id);
END;

-- Users already here are indexed by the background task, a batch at a time.
INSERT INTO user_search_pending (user_id) SELECT id FROM users;
