-- Activity per day (issue 18): a row the first time a user is active on a
-- UTC day (a sign-in, a session touched), for the dashboard's active users
-- per day; `users.last_active_at` moves with it. The rows go with the user.
CREATE TABLE user_activity (
    day BIGINT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (day, user_id)
);
CREATE INDEX user_activity_user ON user_activity (user_id);

-- Sign-ins per day, and the dashboard's "last active" filter.
CREATE INDEX sessions_created_at ON sessions (created_at);
CREATE INDEX users_last_active_at ON users (last_active_at);
