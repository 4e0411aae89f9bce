-- Finding users by part of a name, address, username or id (the
-- dashboard's search and `GET /v1/users?query=`) without reading every
-- user: an FTS5 table with the `trigram` tokenizer, whose phrase queries
-- find substrings of three characters or more through its index.
--
-- One document per user: id, username, first and last name (side by side,
-- so "ada lovelace" finds her) and every address, kept by the triggers
-- below whatever statement changes them.
--
-- Documents are keyed by `users.search_key`, a column of its own (a table
-- without an INTEGER PRIMARY KEY may have its rowids renumbered by VACUUM,
-- which would point the index at other users): `created_at` times 2^20,
-- plus how many users already hold a key in that millisecond. The index
-- reads its documents in key order, so it gives matches newest first as it
-- finds them, and a page of a word every user has stops after the page.

ALTER TABLE users ADD COLUMN search_key INTEGER;
UPDATE users SET search_key = created_at * 1048576 + (
    SELECT COUNT(*) FROM users o WHERE o.created_at = users.created_at AND o.rowid < users.rowid
);
CREATE UNIQUE INDEX users_search_key ON users (search_key);

CREATE VIEW user_search_text AS
SELECT
    u.id,
    u.search_key,
    lower(
        u.id || ' ' || COALESCE(u.username, '') || ' '
        || COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, '') || ' '
        || COALESCE(
            (SELECT group_concat(e.normalized, ' ') FROM email_addresses e WHERE e.user_id = u.id),
            ''
        )
    ) AS search
FROM users u;

CREATE VIRTUAL TABLE user_search USING fts5 (search, tokenize = 'trigram');
INSERT INTO user_search (rowid, search) SELECT search_key, search FROM user_search_text;

CREATE TRIGGER users_search_insert AFTER INSERT ON users
BEGIN
    UPDATE users SET search_key = COALESCE(
        (SELECT MAX(search_key) + 1 FROM users
         WHERE search_key >= NEW.created_at * 1048576 AND search_key < (NEW.created_at + 1) * 1048576),
        NEW.created_at * 1048576
    )
    WHERE id = NEW.id;
    INSERT INTO user_search (rowid, search)
    SELECT search_key, search FROM user_search_text WHERE id = NEW.id;
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF username, first_name, last_name ON users
WHEN OLD.username IS NOT NEW.username
    OR OLD.first_name IS NOT NEW.first_name
    OR OLD.last_name IS NOT NEW.last_name
BEGIN
    DELETE FROM user_search WHERE rowid = NEW.search_key;
    INSERT INTO user_search (rowid, search)
    SELECT search_key, search FROM user_search_text WHERE id = NEW.id;
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users
BEGIN
    DELETE FROM user_search WHERE rowid = OLD.search_key;
END;

-- An address added, changed or removed: its user's document again (none
-- when the user is gone: their delete removed it).
CREATE TRIGGER email_search_insert AFTER INSERT ON email_addresses
BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT search_key FROM users WHERE id = NEW.user_id);
    INSERT INTO user_search (rowid, search)
    SELECT search_key, search FROM user_search_text WHERE id = NEW.user_id;
END;

CREATE TRIGGER email_search_update AFTER UPDATE OF normalized, user_id ON email_addresses
WHEN OLD.normalized IS NOT NEW.normalized OR OLD.user_id IS NOT NEW.user_id
BEGIN
    DELETE FROM user_search WHERE rowid IN (
        SELECT search_key FROM users WHERE id IN (OLD.user_id, NEW.user_id)
    );
    INSERT INTO user_search (rowid, search)
    SELECT search_key, search FROM user_search_text WHERE id IN (OLD.user_id, NEW.user_id);
END;

CREATE TRIGGER email_search_delete AFTER DELETE ON email_addresses
BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT search_key FROM users WHERE id = OLD.user_id);
    INSERT INTO user_search (rowid, search)
    SELECT search_key, search FROM user_search_text WHERE id = OLD.user_id;
END;
