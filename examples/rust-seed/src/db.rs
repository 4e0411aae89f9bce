//! The app's own `users` table, kept in sync by webhooks (the seed's
//! `db.user.upsert` / `db.user.delete`).

use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;

pub async fn open(url: &str) -> anyhow::Result<SqlitePool> {
    let options: SqliteConnectOptions = url.parse()?;
    let pool = SqlitePool::connect_with(options.create_if_missing(true)).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            email TEXT,
            first_name TEXT,
            updated_at INTEGER NOT NULL DEFAULT (unixepoch())
        )",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

/// `db.user.upsert({where: {id}, update: {...}, create: {...}})`.
pub async fn upsert_user(
    pool: &SqlitePool,
    id: &str,
    email: Option<&str>,
    first_name: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, email, first_name) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET email = excluded.email,
             first_name = excluded.first_name, updated_at = unixepoch()",
    )
    .bind(id)
    .bind(email)
    .bind(first_name)
    .execute(pool)
    .await?;
    Ok(())
}

/// `db.user.delete({where: {id}})`.
pub async fn delete_user(pool: &SqlitePool, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM users WHERE id = ?1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
