-- Finding users by part of a name, address, username or id (the
-- dashboard's search and `GET /v1/users?query=`) without reading every
-- user: `users.search`, one lowercase text per user — id, username, first
-- and last name (side by side, so "ada lovelace" finds her) and every
-- address — kept by the triggers below whatever statement changes them,
-- under a `pg_trgm` GIN index, which answers `LIKE '%…%'`.

ALTER TABLE users ADD COLUMN search TEXT NOT NULL DEFAULT '';

CREATE FUNCTION user_search_text(uid TEXT, uname TEXT, first TEXT, last TEXT) RETURNS TEXT
LANGUAGE sql STABLE AS $$
    SELECT lower(concat_ws(' ', uid, COALESCE(uname, ''), COALESCE(first, ''), COALESCE(last, ''),
        COALESCE((SELECT string_agg(e.normalized, ' ' ORDER BY e.created_at, e.id)
                  FROM email_addresses e WHERE e.user_id = uid), '')))
$$;

UPDATE users SET search = user_search_text(id, username, first_name, last_name);

CREATE FUNCTION users_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := user_search_text(NEW.id, NEW.username, NEW.first_name, NEW.last_name);
    RETURN NEW;
END
$$;

CREATE TRIGGER users_search BEFORE INSERT OR UPDATE OF username, first_name, last_name ON users
FOR EACH ROW EXECUTE FUNCTION users_search_row();

-- An address added, moved or removed: its user's text again (nothing when
-- the user is gone: the address went with them).
CREATE FUNCTION email_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE users SET search = user_search_text(id, username, first_name, last_name)
        WHERE id = OLD.user_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
        UPDATE users SET search = user_search_text(id, username, first_name, last_name)
        WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER email_search AFTER INSERT OR DELETE OR UPDATE OF normalized, user_id ON email_addresses
FOR EACH ROW EXECUTE FUNCTION email_search_row();

-- pg_trgm ships with PostgreSQL and is a trusted extension (a database
-- owner may create it). Installed in `public`, so that it outlives any one
-- schema; where it cannot be had, search still works, reading every user.
DO $$
DECLARE
    home TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'pg_trgm could not be created (%): searching users by part of a name will read every user', SQLERRM;
    END;
    SELECT n.nspname INTO home
    FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
    WHERE x.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        EXECUTE format('CREATE INDEX users_search ON users USING gin (search %I.gin_trgm_ops)', home);
    END IF;
END
$$;
