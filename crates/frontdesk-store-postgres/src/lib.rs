//! Frontdesk's store on PostgreSQL: for when one machine is not enough.
//!
//! Several stateless Frontdesk nodes can share one database: migrations take
//! PostgreSQL's advisory lock, first-start races (instance row, first signing
//! key) are settled by constraints, and every multi-row change is one
//! transaction. The schema mirrors the SQLite adapter's column for column, so
//! both decode into the row types of `frontdesk-store`.

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
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{Connection, PgConnection, PgPool, Postgres};

pub mod testing;

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Seals the secrets at rest ([`frontdesk_store::secrets`]); none: kept as given.
    cipher: Option<std::sync::Arc<dyn frontdesk_store::Cipher>>,
}

impl PostgresStore {
    /// Seal TOTP secrets, signing keys and webhook secrets with `cipher` from
    /// now on, and open those it sealed.
    pub fn with_cipher(mut self, cipher: std::sync::Arc<dyn frontdesk_store::Cipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// Connect to `url` (`postgres://…`) and apply migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options: PgConnectOptions = url.parse()?;
        // One direct connection first: a pool hides the reason a server is
        // unreachable ("connection refused", "database does not exist") behind
        // a generic time-out.
        let probe =
            tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&options))
                .await
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))??;
        probe.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            // A ping before every query doubles the round trips of each one.
            // A connection the server dropped fails its next query once and is
            // replaced; idle ones are recycled before firewalls forget them.
            .test_before_acquire(false)
            .idle_timeout(Duration::from_secs(120))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        let store = Self { pool, cipher: None };
        store.migrate().await?;
        Ok(store)
    }

    /// Apply pending migrations (idempotent; concurrent nodes serialise on an
    /// advisory lock).
    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        Ok(())
    }

    /// Close the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Dialect for PostgresStore {
    fn placeholder(n: usize) -> String {
        format!("${n}")
    }

    /// `user_search` (kept by triggers, migration 0017) through its
    /// `pg_trgm` GIN index;
    /// LIKE's escape character is a backslash by default. The planner
    /// chooses between the index and the creation-time index by itself:
    /// the window is not needed.
    fn contains(
        text: &str,
        _window: Option<Window>,
        _others: &[String],
        binds: &mut Vec<Bind>,
    ) -> String {
        binds.push(Bind::Text(frontdesk_store::like_anywhere(text)));
        format!(
            "users.id IN (SELECT s.user_id FROM user_search s WHERE s.text LIKE {})",
            Self::placeholder(binds.len())
        )
    }
}

/// The operations written once for both databases (`frontdesk-store/sql/ops.rs`).
mod ops {
    use super::*;
    use async_trait::async_trait;

    type Db = Postgres;
    type ThisStore = PostgresStore;
    /// Nodes claiming mail at once take different rows instead of waiting.
    const SKIP_LOCKED: bool = true;

    /// The position of a substring (`strpos(haystack, needle)`), 0 when absent.
    const STRPOS: &str = "strpos";
    /// Locks the rows a read returns until the transaction ends (SQLite
    /// has one writer: nothing to lock).
    const FOR_UPDATE: Option<&str> = Some(" FOR UPDATE");
    /// The larger of two values.
    const GREATEST: &str = "GREATEST";

    /// A transaction (each decision in it is one conditional statement or
    /// takes its row locks first).
    async fn begin(pool: &sqlx::Pool<Db>) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin().await
    }

    /// `user_search` follows each write (its triggers): nothing waits.
    async fn index_search(_pool: &sqlx::Pool<Db>, _batch: i64) -> Result<u64, sqlx::Error> {
        Ok(0)
    }

    fn q(sql: &str) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(sql)
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
    use crate::testing::TestSchema;

    #[tokio::test]
    async fn conformance() {
        let Some(base) = TestSchema::base_url_or_skip("postgres conformance") else {
            return;
        };
        let schema = TestSchema::create(&base).await.expect("schema");
        let store = PostgresStore::connect(&schema.url).await.expect("connect");
        frontdesk_store_tests::run_all(&store).await;
        store.close().await;
        schema.drop_schema().await.expect("drop");
    }

    #[tokio::test]
    async fn concurrent_first_starts_agree_on_one_instance() {
        let Some(base) = TestSchema::base_url_or_skip("postgres first-start race") else {
            return;
        };
        let schema = TestSchema::create(&base).await.expect("schema");
        let (a, b) = tokio::join!(
            PostgresStore::connect(&schema.url),
            PostgresStore::connect(&schema.url)
        );
        let (a, b) = (a.expect("node a"), b.expect("node b"));
        let (ca, cb) = (
            frontdesk_store_tests::sample_instance(),
            frontdesk_store_tests::sample_instance(),
        );
        let (ia, ib) = tokio::join!(a.ensure_instance(&ca), b.ensure_instance(&cb));
        assert_eq!(ia.expect("a"), ib.expect("b"));
        a.close().await;
        b.close().await;
        schema.drop_schema().await.expect("drop");
    }
}
