-- The search text of migration 0015 moved out of `users` into a narrow
-- table of its own. A new user is written, then each of their addresses,
-- and the address trigger wrote the user's text again: on `users`, that
-- was a second version of the wide row and a new entry in every one of its
-- indexes (making 100,000 users took 202 s against 43 s without the text,
-- `frontdesk-bench users`). Here it rewrites a row of two columns.

DROP TRIGGER users_search ON users;
DROP TRIGGER email_search ON email_addresses;
DROP FUNCTION users_search_row();
DROP FUNCTION email_search_row();
DROP INDEX IF EXISTS users_search;

CREATE TABLE user_search (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    text TEXT NOT NULL
);
INSERT INTO user_search (user_id, text) SELECT id, search FROM users;
ALTER TABLE users DROP COLUMN search;

-- The text of user `uid` as it is now (nothing when the user is gone).
CREATE FUNCTION user_search_put(uid TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO user_search (user_id, text)
    SELECT u.id, user_search_text(u.id, u.username, u.first_name, u.last_name)
    FROM users u WHERE u.id = uid
    ON CONFLICT (user_id) DO UPDATE SET text = EXCLUDED.text
$$;

CREATE FUNCTION users_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM user_search_put(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_search AFTER INSERT OR UPDATE OF username, first_name, last_name ON users
FOR EACH ROW EXECUTE FUNCTION users_search_row();

CREATE FUNCTION email_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM user_search_put(OLD.user_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
        PERFORM user_search_put(NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER email_search AFTER INSERT OR DELETE OR UPDATE OF normalized, user_id ON email_addresses
FOR EACH ROW EXECUTE FUNCTION email_search_row();

DO $$
DECLARE
    home TEXT;
BEGIN
    SELECT n.nspname INTO home
    FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
    WHERE x.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        EXECUTE format('CREATE INDEX user_search_text ON user_search USING gin (text %I.gin_trgm_ops)', home);
    END IF;
END
$$;
