//! SQL shared by both adapters.
//!
//! Statements are written once, in the common subset of SQLite and PostgreSQL
//! (`RETURNING`, `ON CONFLICT … DO UPDATE`, `CASE` instead of
//! `MAX`/`GREATEST`), with PostgreSQL's `$n` placeholders; the SQLite adapter
//! passes them through [`sqlite`], which turns `$n` into SQLite's equivalent
//! `?n`. What differs between the dialects stays in the adapters (row locks
//! with `SKIP LOCKED`, column types in the migrations).
//!
//! Both adapters bind the same arguments in the same order, so a statement and
//! its arguments are read in one place.

use std::borrow::Cow;

use serde_json::Value;

use crate::UserPatch;

/// The columns of `users`, in the order of `UserRow`.
macro_rules! user_columns {
    () => {
        "id, external_id, username, first_name, last_name, image_url, \
         public_metadata, private_metadata, unsafe_metadata, password_digest, password_last_updated_at, \
         primary_email_address_id, banned, locked_at, failed_attempts, last_sign_in_at, last_active_at, \
         legal_accepted_at, delete_self_enabled, create_organization_enabled, created_at, updated_at, version, \
         totp_enabled, backup_code_enabled, mfa_enabled_at, mfa_disabled_at, passkeys, external_accounts"
    };
}

/// The columns of `sessions`, in the order of `SessionRow`.
macro_rules! session_columns {
    () => {
        "id, client_id, user_id, status, last_active_at, expire_at, abandon_at, \
         last_active_organization_id, actor, ip_address, user_agent, browser_name, browser_version, \
         device_type, is_mobile, city, country, created_at, updated_at, \
         first_factor_verified_at, second_factor_verified_at"
    };
}

/// The columns of `flows`, in the order of `FlowRow`.
macro_rules! flow_columns {
    () => {
        "id, client_id, kind, data, created_at, updated_at, version"
    };
}

/// The columns of `mail_outbox`, in the order of `QueuedMailRow`.
macro_rules! mail_columns {
    () => {
        "id, to_address, subject, text_body, html_body, created_at, give_up_at, next_attempt_at, attempts"
    };
}

pub const USER_COLUMNS: &str = user_columns!();
pub const SESSION_COLUMNS: &str = session_columns!();
pub const FLOW_COLUMNS: &str = flow_columns!();
pub const EMAIL_COLUMNS: &str = "id, user_id, email_address, verification_status, verification_strategy, \
    verification_attempts, verification_expire_at, created_at, updated_at";
pub const CLIENT_COLUMNS: &str = "id, token_hash, last_active_session_id, created_at, updated_at";

/// `$n` placeholders as SQLite's `?n` (same numbering, same meaning).
pub fn sqlite(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Count a failure: `$1` user id, `$2` now, `$3` locks set at or before this
/// have lapsed (a lapsed lock starts a fresh count), `$4` failures that lock.
pub const RECORD_FAILED_ATTEMPT: &str = "UPDATE users SET \
    failed_attempts = CASE WHEN locked_at IS NOT NULL AND locked_at <= $3 THEN 1 ELSE failed_attempts + 1 END, \
    locked_at = CASE \
      WHEN locked_at IS NOT NULL AND locked_at > $3 THEN locked_at \
      WHEN (CASE WHEN locked_at IS NOT NULL AND locked_at <= $3 THEN 1 ELSE failed_attempts + 1 END) >= $4 THEN $2 \
      ELSE NULL END \
    WHERE id = $1 RETURNING failed_attempts, locked_at, banned";

/// The sign-in decision: `$1` user id, `$2` now, `$3` lock lapse cutoff.
pub const SIGN_IN_USER: &str = concat!(
    "UPDATE users SET failed_attempts = 0, locked_at = NULL, last_sign_in_at = $2, updated_at = $2 \
     WHERE id = $1 AND NOT banned AND (locked_at IS NULL OR locked_at <= $3) RETURNING ",
    user_columns!()
);

/// Why a sign-in was refused: `$1` user id.
pub const USER_BLOCKS: &str = "SELECT banned, locked_at FROM users WHERE id = $1";

/// End a client's live sessions: `$1` client id, `$2` now.
pub const END_CLIENT_SESSIONS: &str = concat!(
    "UPDATE sessions SET status = 'ended', updated_at = $2 \
     WHERE client_id = $1 AND status IN ('active', 'pending') RETURNING ",
    session_columns!()
);

/// End a user's live sessions: `$1` user id, `$2` status, `$3` now, `$4` a
/// session to keep (or NULL).
pub const END_USER_SESSIONS: &str = concat!(
    "UPDATE sessions SET status = $2, updated_at = $3 \
     WHERE user_id = $1 AND status IN ('active', 'pending') \
     AND (CAST($4 AS TEXT) IS NULL OR id <> $4) RETURNING ",
    session_columns!()
);

pub const INSERT_SESSION: &str = concat!(
    "INSERT INTO sessions (",
    session_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
);

/// A client changed: `$1` id, `$2` now (`updated_at` only moves forward: it
/// is the `__client_uat` that tokens must not predate), `$3` its active session
/// (or NULL: unchanged), `$4` a new token hash (or NULL: unchanged).
pub const TOUCH_CLIENT: &str = "UPDATE clients SET \
    updated_at = CASE WHEN updated_at > $2 THEN updated_at ELSE $2 END, \
    last_active_session_id = COALESCE($3, last_active_session_id), \
    token_hash = COALESCE($4, token_hash) WHERE id = $1";

/// `$1` user id, `$2` the digest read, `$3` its replacement.
pub const UPGRADE_PASSWORD_DIGEST: &str =
    "UPDATE users SET password_digest = $3 WHERE id = $1 AND password_digest = $2";

pub const SELECT_USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

pub const SELECT_EMAILS_OF_USER: &str = "SELECT id, user_id, email_address, verification_status, \
    verification_strategy, verification_attempts, verification_expire_at, created_at, updated_at \
    FROM email_addresses WHERE user_id = $1 ORDER BY created_at, id";

pub const INSERT_FLOW: &str = concat!(
    "INSERT INTO flows (",
    flow_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
);

/// `$1` id, `$2` data, `$3` now, `$4` the version read.
pub const UPDATE_FLOW: &str = concat!(
    "UPDATE flows SET data = $2, updated_at = $3, version = version + 1 \
     WHERE id = $1 AND version = $4 RETURNING ",
    flow_columns!()
);

pub const SELECT_FLOW: &str = concat!("SELECT ", flow_columns!(), " FROM flows WHERE id = $1");

/// The attempt the browser last started *or acted on*, not the last one
/// made: clerk-js's `<SignIn/>` starts a passkey-autofill sign-in each time
/// it mounts, which can land just after the one a provider button started;
/// the provider's answer then updates the button's attempt, which must be
/// the one the browser is shown when it comes back.
pub const LATEST_FLOW: &str = concat!(
    "SELECT ",
    flow_columns!(),
    " FROM flows WHERE client_id = $1 AND kind = $2 \
     ORDER BY updated_at DESC, created_at DESC, id DESC LIMIT 1"
);

pub const INSERT_HANDSHAKE_NONCE: &str = "INSERT INTO handshake_nonces \
    (id, directives, expire_at, created_at) VALUES ($1, $2, $3, $4)";

/// Read a nonce once: `$1` id, `$2` now.
pub const TAKE_HANDSHAKE_NONCE: &str =
    "DELETE FROM handshake_nonces WHERE id = $1 AND expire_at > $2 RETURNING directives";

/// `$1` name, `$2` now, `$3` windows that began at or before this are over.
pub const HIT_QUOTA: &str = "INSERT INTO quotas (name, window_start, hits) VALUES ($1, $2, 1) \
    ON CONFLICT (name) DO UPDATE SET \
    hits = CASE WHEN quotas.window_start <= $3 THEN 1 ELSE quotas.hits + 1 END, \
    window_start = CASE WHEN quotas.window_start <= $3 THEN $2 ELSE quotas.window_start END \
    RETURNING hits, window_start";

pub const INSERT_MAIL: &str = concat!(
    "INSERT INTO mail_outbox (",
    mail_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

pub const INSERT_DEV_EMAIL: &str = "INSERT INTO dev_emails \
    (id, to_address, subject, text_body, html_body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Claim due mail: `$1` now, `$2` how many, `$3` lease, `$4` lease end.
/// PostgreSQL adds `FOR UPDATE SKIP LOCKED` to the inner select, so that
/// nodes claiming at once take different rows instead of waiting.
pub fn claim_mail(skip_locked: bool) -> String {
    format!(
        "UPDATE mail_outbox SET lease = $3, lease_until = $4, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= $1 \
         AND give_up_at > $1 AND (lease_until IS NULL OR lease_until <= $1) \
         ORDER BY next_attempt_at LIMIT $2{}) RETURNING {}",
        if skip_locked {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        },
        mail_columns!()
    )
}

/// `$1` id, `$2` lease.
pub const DELETE_MAIL: &str = "DELETE FROM mail_outbox WHERE id = $1 AND lease = $2";

/// `$1` id, `$2` lease, `$3` next attempt.
pub const RETRY_MAIL: &str = "UPDATE mail_outbox SET next_attempt_at = $3, lease = NULL, \
    lease_until = NULL WHERE id = $1 AND lease = $2";

/// Clean-up statements, each deleting at most `$2` rows older than `$1`, so
/// that no single statement holds the database for long.
pub const PURGE_FLOWS: &str = "DELETE FROM flows WHERE id IN \
    (SELECT id FROM flows WHERE created_at < $1 LIMIT $2)";
pub const PURGE_CLIENTS: &str = "DELETE FROM clients WHERE id IN \
    (SELECT c.id FROM clients c WHERE c.updated_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = c.id) \
     AND NOT EXISTS (SELECT 1 FROM flows f WHERE f.client_id = c.id) LIMIT $2)";
pub const PURGE_NONCES: &str = "DELETE FROM handshake_nonces WHERE id IN \
    (SELECT id FROM handshake_nonces WHERE expire_at <= $1 LIMIT $2)";
pub const PURGE_QUOTAS: &str = "DELETE FROM quotas WHERE name IN \
    (SELECT name FROM quotas WHERE window_start < $1 LIMIT $2)";
pub const PURGE_MAIL: &str = "DELETE FROM mail_outbox WHERE id IN \
    (SELECT id FROM mail_outbox WHERE give_up_at <= $1 \
     AND (lease_until IS NULL OR lease_until <= $1) LIMIT $2)";

/// How many rows one purge statement deletes at most.
pub const PURGE_BATCH: i64 = 1000;

/// An argument of a statement built at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Json(Value),
}

/// `UPDATE users SET … WHERE id = $1 [AND version = $n] RETURNING …` for a
/// patch, with its arguments (`$1` is the id, `$2` the time of the change).
pub fn patch_user(id: &str, patch: &UserPatch, at: i64) -> (String, Vec<Arg>) {
    /// `SET` assignments and the arguments they bind, numbered as they come.
    struct Sets {
        sets: Vec<String>,
        args: Vec<Arg>,
    }
    impl Sets {
        fn bind(&mut self, column: &str, arg: Arg) {
            self.args.push(arg);
            self.sets.push(format!("{column} = ${}", self.args.len()));
        }
        fn text(&mut self, column: &str, v: &Option<String>) {
            self.bind(column, Arg::Text(v.clone()));
        }
        fn raw(&mut self, assignment: &str) {
            self.sets.push(assignment.to_owned());
        }
    }
    let mut s = Sets {
        sets: Vec::new(),
        args: vec![Arg::Text(Some(id.to_owned())), Arg::Int(Some(at))],
    };
    if let Some(v) = &patch.external_id {
        s.text("external_id", v);
    }
    if let Some(v) = &patch.username {
        s.text("username", v);
        s.text("username_normalized", &v.as_ref().map(|u| u.to_lowercase()));
    }
    if let Some(v) = &patch.first_name {
        s.text("first_name", v);
    }
    if let Some(v) = &patch.last_name {
        s.text("last_name", v);
    }
    if let Some(v) = &patch.image_url {
        s.text("image_url", v);
    }
    for (column, value) in [
        ("public_metadata", &patch.public_metadata),
        ("private_metadata", &patch.private_metadata),
        ("unsafe_metadata", &patch.unsafe_metadata),
    ] {
        if let Some(v) = value {
            s.bind(column, Arg::Json(v.clone()));
        }
    }
    if let Some(v) = &patch.password_digest {
        s.text("password_digest", v);
        s.raw(match v {
            Some(_) => "password_last_updated_at = $2",
            None => "password_last_updated_at = NULL",
        });
    }
    if let Some(v) = &patch.primary_email_address_id {
        s.text("primary_email_address_id", &Some(v.as_str().to_owned()));
    }
    if let Some(v) = patch.banned {
        s.bind("banned", Arg::Bool(v));
    }
    match patch.locked {
        Some(true) => s.raw("locked_at = $2"),
        Some(false) => s.raw("locked_at = NULL, failed_attempts = 0"),
        None => {}
    }
    if let Some(v) = patch.delete_self_enabled {
        s.bind("delete_self_enabled", Arg::Bool(v));
    }
    if let Some(v) = patch.create_organization_enabled {
        s.bind("create_organization_enabled", Arg::Bool(v));
    }
    s.raw("updated_at = $2");
    s.raw("version = version + 1");
    let mut sql = format!("UPDATE users SET {} WHERE id = $1", s.sets.join(", "));
    if let Some(v) = patch.if_version {
        s.args.push(Arg::Int(Some(v)));
        sql.push_str(&format!(" AND version = ${}", s.args.len()));
    }
    sql.push_str(concat!(" RETURNING ", user_columns!()));
    (sql, s.args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_sqlite_ones() {
        assert_eq!(
            sqlite("SELECT $1, $12 FROM t WHERE a = '$x'"),
            "SELECT ?1, ?12 FROM t WHERE a = '$x'"
        );
        assert!(matches!(sqlite("SELECT 1"), Cow::Borrowed(_)));
    }

    #[test]
    fn patches_set_only_what_they_name() {
        let patch = UserPatch {
            banned: Some(true),
            if_version: Some(7),
            ..UserPatch::default()
        };
        let (sql, args) = patch_user("user_1", &patch, 99);
        assert!(
            sql.starts_with(
                "UPDATE users SET banned = $3, updated_at = $2, version = version + 1 \
                 WHERE id = $1 AND version = $4 RETURNING id,"
            ),
            "{sql}"
        );
        assert_eq!(
            args,
            vec![
                Arg::Text(Some("user_1".into())),
                Arg::Int(Some(99)),
                Arg::Bool(true),
                Arg::Int(Some(7)),
            ]
        );
    }
}
