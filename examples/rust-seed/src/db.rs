//! The app's own `users` table, kept in sync by webhooks (the seed's
//! `db.user.upsert` / `db.user.delete`): SQLite by default, PostgreSQL when
//! `APP_DATABASE_URL` is a `postgres://` URL.

use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

/// The app's database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
}

const TABLE: &str = "CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT,
    first_name TEXT,
    updated_at BIGINT NOT NULL
)";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Db {
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options: PgConnectOptions = url.parse()?;
            Self::Postgres(PgPool::connect_with(options).await?)
        } else {
            let options: SqliteConnectOptions = url.parse()?;
            Self::Sqlite(SqlitePool::connect_with(options.create_if_missing(true)).await?)
        };
        match &db {
            Self::Sqlite(p) => sqlx::query(TABLE).execute(p).await.map(|_| ())?,
            Self::Postgres(p) => sqlx::query(TABLE).execute(p).await.map(|_| ())?,
        }
        Ok(db)
    }

    /// `db.user.upsert({where: {id}, update: {...}, create: {...}})`.
    pub async fn upsert_user(
        &self,
        id: &str,
        email: Option<&str>,
        first_name: Option<&str>,
    ) -> sqlx::Result<()> {
        const SQL: &str =
            "INSERT INTO users (id, email, first_name, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET email = excluded.email,
                 first_name = excluded.first_name, updated_at = excluded.updated_at";
        match self {
            Self::Sqlite(p) => {
                sqlx::query(SQL)
                    .bind(id)
                    .bind(email)
                    .bind(first_name)
                    .bind(now())
                    .execute(p)
                    .await?;
            }
            Self::Postgres(p) => {
                sqlx::query(SQL)
                    .bind(id)
                    .bind(email)
                    .bind(first_name)
                    .bind(now())
                    .execute(p)
                    .await?;
            }
        }
        Ok(())
    }

    /// `db.user.delete({where: {id}})`.
    pub async fn delete_user(&self, id: &str) -> sqlx::Result<()> {
        const SQL: &str = "DELETE FROM users WHERE id = $1";
        match self {
            Self::Sqlite(p) => sqlx::query(SQL).bind(id).execute(p).await.map(|_| ()),
            Self::Postgres(p) => sqlx::query(SQL).bind(id).execute(p).await.map(|_| ()),
        }
    }

    /// A user row, for tests and the curious.
    pub async fn user(&self, id: &str) -> sqlx::Result<Option<UserRow>> {
        const SQL: &str = "SELECT id, email, first_name FROM users WHERE id = $1";
        match self {
            Self::Sqlite(p) => sqlx::query_as(SQL).bind(id).fetch_optional(p).await,
            Self::Postgres(p) => sqlx::query_as(SQL).bind(id).fetch_optional(p).await,
        }
    }
}
