//! Frontdesk's store on SQLite: the zero-set-up default.
//!
//! The database is one file in the data directory, opened in WAL mode (readers
//! never block the writer) with foreign keys enforced and a busy timeout so
//! that concurrent writers queue instead of failing.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{BackupCodeSet, ImageRecord, TotpRecord, Verification};
use frontdesk_domain::entities::{
    Client, DevEmail, EmailAddressRecord, FlowRecord, Instance, SecretKeyRecord, Session,
    SessionActivity, SessionStatus, SigningKeyRecord, User,
};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_store::query::{Bind, Dialect, Window};
use frontdesk_store::rows::{
    ClientRow, DevEmailRow, EmailRow, FlowRow, InstanceRow, SecretKeyRow, SessionRow,
    SessionWithClientRow, SigningKeyRow, TotpRow, UserRow,
};
use frontdesk_store::sql::{CLIENT_COLUMNS, EMAIL_COLUMNS, SESSION_COLUMNS, USER_COLUMNS};
use frontdesk_store::{
    ClientStore, FactorStore, ImageStore, InstanceStore, KeyStore, SessionEvents, SessionQuery,
    SessionStore, StoreError, StoreResult, UserFilter, UserQuery, UserStore,
};

mod webhooks;
use frontdesk_types::{ClientId, EmailAddressId, SecretKeyId, SessionId, UserId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use sqlx::{Sqlite, SqlitePool};

/// Why the database file could not be opened; the message is shown to the
/// operator as is.
#[derive(Debug)]
pub enum OpenError {
    /// The file exists but is not an SQLite database; it was not modified.
    NotADatabase(String),
    Store(StoreError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotADatabase(p) => write!(
                f,
                "{p} exists but is not an SQLite database; it was left untouched"
            ),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for OpenError {}

impl From<StoreError> for OpenError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// What a committed transaction survives (SQLite's `synchronous` in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `NORMAL`: a commit survives the process being killed, and the database
    /// is never corrupted; on power loss or an OS crash, the last
    /// transactions before it (those not yet checkpointed, typically the
    /// last second or so) may be rolled back. Fast: no fsync per commit.
    #[default]
    Normal,
    /// `FULL`: every commit is fsynced to the WAL before it is acknowledged,
    /// so it survives power loss too, at the cost of one fsync per write.
    Full,
}

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Seals the secrets at rest ([`frontdesk_store::secrets`]); none: kept as given.
    cipher: Option<std::sync::Arc<dyn frontdesk_store::Cipher>>,
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

impl SqliteStore {
    /// Seal TOTP secrets, signing keys and webhook secrets with `cipher` from
    /// now on, and open those it sealed.
    pub fn with_cipher(mut self, cipher: std::sync::Arc<dyn frontdesk_store::Cipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// Open (creating if missing) the database at `path` and apply migrations.
    ///
    /// An existing file that does not start with SQLite's magic header is
    /// refused before SQLite touches it, so a wrong path never damages data.
    pub async fn open(path: &Path) -> Result<Self, OpenError> {
        Self::open_with(path, Durability::Normal).await
    }

    /// [`SqliteStore::open`] with a choice of what a commit survives.
    pub async fn open_with(path: &Path, durability: Durability) -> Result<Self, OpenError> {
        if let Ok(mut f) = std::fs::File::open(path) {
            use std::io::Read;
            let mut header = [0u8; 16];
            let n = f.read(&mut header).unwrap_or(0);
            if n > 0 && (n < 16 || header != SQLITE_MAGIC) {
                return Err(OpenError::NotADatabase(path.display().to_string()));
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                Durability::Normal => SqliteSynchronous::Normal,
                Durability::Full => SqliteSynchronous::Full,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // sqlx runs each SQLite connection on its own thread; on small
        // machines more of them only adds hand-offs (the tokens benchmark was
        // fastest at 4 on 2 cores, and reads still overlap with a write).
        Self::connect(options, 4).await.map_err(OpenError::from)
    }

    /// A private in-memory database, for unit tests.
    pub async fn in_memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(StoreError::from)?
            .foreign_keys(true);
        Self::connect(options, 1).await
    }

    async fn connect(options: SqliteConnectOptions, max: u32) -> StoreResult<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .min_connections(1)
            // The connection is a thread in this process: a ping before every
            // query only adds two thread hand-offs to each one.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let store = Self { pool, cipher: None };
        store.migrate().await?;
        Ok(store)
    }

    /// Apply pending migrations (idempotent).
    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        Ok(())
    }

    /// Close the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Dialect for SqliteStore {
    fn placeholder(n: usize) -> String {
        format!("?{n}")
    }

    /// Through the FTS5 `trigram` index of migration 0016, as a phrase
    /// (consecutive trigrams: the text itself, any case), plus the users
    /// changed since the index was last brought up to date, read through.
    /// With a window, only matches from the millisecond of the window's
    /// last one onwards (the last that also meets the filter's other
    /// conditions): the index's keys sort by creation time, so that is
    /// every user the page can hold, ties included, and the outer ORDER BY
    /// puts them in their exact order. Fewer than three
    /// characters have no trigram: every user is read through. The
    /// pending users are the outer loop (`CROSS JOIN`): left to itself the
    /// planner read every user's text and then looked for it among them
    /// (282 ms against 5.7 ms among 100,000 users).
    fn contains(
        text: &str,
        window: Option<Window>,
        others: &[String],
        binds: &mut Vec<Bind>,
    ) -> String {
        binds.push(Bind::Text(frontdesk_store::like_anywhere(text)));
        let like = Self::placeholder(binds.len());
        if text.chars().count() < 3 {
            return read_through("users", &like);
        }
        binds.push(Bind::Text(format!("\"{}\"", text.replace('"', "\"\""))));
        let phrase = Self::placeholder(binds.len());
        let from = match window {
            None => String::new(),
            Some(w) => {
                binds.push(Bind::Int(w.rows - 1));
                let nth = Self::placeholder(binds.len());
                let (dir, op, edge, none) = if w.descending {
                    ("DESC", ">=", "(n.key >> 20) << 20", "-1")
                } else {
                    ("ASC", "<", "((n.key >> 20) + 1) << 20", "(1 << 62)")
                };
                // The window's last match among the indexed users; with
                // other conditions, among those that meet them (`users`
                // here is the subquery's own, which they name).
                let matches = if others.is_empty() {
                    format!(
                        "SELECT s2.rowid AS key FROM user_search s2 WHERE s2.text MATCH {phrase} \
                         AND s2.rowid NOT IN (SELECT k2.key FROM user_search_pending p2 CROSS \
                         JOIN user_search_keys k2 ON k2.user_id = p2.user_id)"
                    )
                } else {
                    format!(
                        "SELECT s2.rowid AS key FROM user_search s2 CROSS JOIN user_search_keys k2 \
                         ON k2.key = s2.rowid CROSS JOIN users ON users.id = k2.user_id \
                         WHERE s2.text MATCH {phrase} AND k2.user_id NOT IN \
                         (SELECT user_id FROM user_search_pending) AND {}",
                        others.join(" AND ")
                    )
                };
                format!(
                    " AND s.rowid {op} COALESCE((SELECT {edge} FROM ({matches} \
                     ORDER BY s2.rowid {dir} LIMIT 1 OFFSET {nth}) n), {none})"
                )
            }
        };
        format!(
            "users.id IN (SELECT k.user_id FROM user_search s JOIN user_search_keys k ON k.key = s.rowid \
             WHERE s.text MATCH {phrase}{from} AND k.user_id NOT IN (SELECT user_id FROM user_search_pending) \
             UNION ALL SELECT u.id FROM user_search_pending p CROSS JOIN users u ON u.id = p.user_id WHERE {})",
            read_through("u", &like)
        )
    }
}

/// `users` (as `alias`) whose text (see [`search_text`]) holds the LIKE
/// pattern `like`: a read of each row.
fn read_through(alias: &str, like: &str) -> String {
    format!("LOWER({}) LIKE {like} ESCAPE '\\'", search_text(alias))
}

/// The text by which the user `alias` is found, as PostgreSQL's
/// `user_search_text`: id, username, first and last name side by side (so
/// "ada lovelace" finds her) and every address.
fn search_text(alias: &str) -> String {
    format!(
        "{alias}.id || ' ' || COALESCE({alias}.username, '') || ' ' || COALESCE({alias}.first_name, '') \
         || ' ' || COALESCE({alias}.last_name, '') || ' ' || COALESCE((SELECT group_concat(e.normalized, ' ') \
         FROM email_addresses e WHERE e.user_id = {alias}.id), '')"
    )
}

/// The operations written once for both databases (`frontdesk-store/sql/ops.rs`).
mod ops {
    use super::*;
    use async_trait::async_trait;

    type Db = Sqlite;
    type ThisStore = SqliteStore;
    /// SQLite's writers are serialised anyway: there is nothing to skip.
    const SKIP_LOCKED: bool = false;

    /// The position of a substring (`instr(haystack, needle)`), 0 when absent.
    const STRPOS: &str = "instr";
    /// Locks the rows a read returns until the transaction ends (SQLite
    /// has one writer: nothing to lock).
    const FOR_UPDATE: Option<&str> = None;
    /// The larger of two values (SQLite's two-argument `max`).
    const GREATEST: &str = "MAX";

    /// A write transaction, holding the write lock from its first
    /// statement (`BEGIN IMMEDIATE`). A deferred one that reads and then
    /// writes fails at once (SQLITE_BUSY_SNAPSHOT) when another writer
    /// committed in between; an immediate one waits its turn
    /// (`busy_timeout`) and then sees the latest commit.
    async fn begin(pool: &sqlx::Pool<Db>) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Index up to `batch` pending users (migration 0016) in one write
    /// transaction: their old rows out, a key each (`created_at << 20`
    /// plus their place among the users of that millisecond), their text
    /// in, their pending mark gone. Nothing else writes meanwhile, so the
    /// batch is the same set in every statement. A user deleted since is
    /// only taken out.
    async fn index_search(pool: &sqlx::Pool<Db>, batch: i64) -> Result<u64, sqlx::Error> {
        const BATCH: &str = "SELECT user_id FROM user_search_pending ORDER BY user_id LIMIT ?1";
        let statements = [
            format!(
                "DELETE FROM user_search WHERE rowid IN \
                 (SELECT key FROM user_search_keys WHERE user_id IN ({BATCH}))"
            ),
            format!("DELETE FROM user_search_keys WHERE user_id IN ({BATCH})"),
            // Creation times outside 0..2^42 ms (after the year 2109) are
            // clamped: such users are found, only not in the window order.
            format!(
                "INSERT INTO user_search_keys (key, user_id) \
                 SELECT (c.at << 20) + c.seq - 1 + COALESCE((SELECT MAX(k.key) + 1 - (c.at << 20) \
                 FROM user_search_keys k WHERE k.key >= (c.at << 20) AND k.key < ((c.at + 1) << 20)), 0), c.id \
                 FROM (SELECT b.id, b.at, row_number() OVER (PARTITION BY b.at ORDER BY b.id) AS seq \
                 FROM (SELECT u.id, MIN(MAX(u.created_at, 0), (1 << 42) - 1) AS at FROM users u \
                 WHERE u.id IN ({BATCH})) b) c"
            ),
            format!(
                "INSERT INTO user_search (rowid, text) SELECT k.key, LOWER({}) \
                 FROM users u JOIN user_search_keys k ON k.user_id = u.id WHERE u.id IN ({BATCH})",
                search_text("u")
            ),
        ];
        // Nothing pending (most of the time): no write lock taken.
        let pending: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM user_search_pending)")
            .fetch_one(pool)
            .await?;
        if !pending {
            return Ok(0);
        }
        let mut tx = begin(pool).await?;
        for sql in &statements {
            sqlx::query(sql).bind(batch).execute(&mut *tx).await?;
        }
        let done = sqlx::query(&format!(
            "DELETE FROM user_search_pending WHERE user_id IN ({BATCH})"
        ))
        .bind(batch)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done)
    }

    fn q(sql: &str) -> std::borrow::Cow<'_, str> {
        frontdesk_store::sql::sqlite(sql)
    }

    include!("../../frontdesk-store/sql/ops.rs");
    include!("../../frontdesk-store/sql/ops_instance.rs");
    include!("../../frontdesk-store/sql/ops_users.rs");
    include!("../../frontdesk-store/sql/ops_factors.rs");
    include!("../../frontdesk-store/sql/ops_passkeys.rs");
    include!("../../frontdesk-store/sql/ops_external.rs");
    include!("../../frontdesk-store/sql/ops_organizations.rs");
    include!("../../frontdesk-store/sql/ops_org_invitations.rs");
    include!("../../frontdesk-store/sql/ops_org_roles.rs");
    include!("../../frontdesk-store/sql/ops_org_domains.rs");
    include!("../../frontdesk-store/sql/ops_admin.rs");
    include!("../../frontdesk-store/sql/ops_secrets.rs");
    include!("../../frontdesk-store/sql/ops_images.rs");
    include!("../../frontdesk-store/sql/ops_webhooks.rs");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance_on_a_file_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("frontdesk.db"))
            .await
            .expect("open");
        frontdesk_store_tests::run_all(&store).await;
    }

    #[tokio::test]
    async fn conformance_in_memory() {
        let store = SqliteStore::in_memory().await.expect("open");
        frontdesk_store_tests::run_all(&store).await;
    }

    #[tokio::test]
    async fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("frontdesk.db");
        std::fs::write(&path, b"precious data that is not a database").expect("write");
        let err = SqliteStore::open(&path).await.err().expect("must fail");
        assert!(matches!(err, OpenError::NotADatabase(_)), "{err}");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            b"precious data that is not a database"
        );
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_migrations_are_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("frontdesk.db");
        let store = SqliteStore::open(&path).await.expect("open");
        let inst = frontdesk_store_tests::sample_instance();
        store.ensure_instance(&inst).await.expect("instance");
        store.close().await;
        let store = SqliteStore::open(&path).await.expect("reopen");
        store.migrate().await.expect("migrate again");
        assert_eq!(store.instance().await.expect("read"), Some(inst));
    }
}
