//! Fresh, isolated databases for tests.
//!
//! Each test gets its own schema in the database named by
//! `FRONTDESK_TEST_DATABASE_URL`, selected through the connection's
//! `search_path`, so tests run in parallel without seeing each other's rows and
//! without the cost of `CREATE DATABASE`.

use sqlx::Connection;

/// The variable that enables PostgreSQL tests.
pub const TEST_DATABASE_URL_VAR: &str = "FRONTDESK_TEST_DATABASE_URL";

/// A schema created for one test; [`TestSchema::drop_schema`] removes it.
pub struct TestSchema {
    base_url: String,
    name: String,
    /// Connection URL whose `search_path` is the new schema.
    pub url: String,
}

impl TestSchema {
    /// Create a schema in the database at `base_url`.
    pub async fn create(base_url: &str) -> Result<Self, sqlx::Error> {
        let name = format!(
            "fdt_{}",
            frontdesk_types::id::random_base62(10).to_lowercase()
        );
        let mut conn = sqlx::PgConnection::connect(base_url).await?;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let sep = if base_url.contains('?') { '&' } else { '?' };
        // The application name lets a test find (and cut) its server's
        // connections without touching other tests'.
        let url =
            format!("{base_url}{sep}options=-c%20search_path%3D{name}&application_name={name}");
        Ok(Self {
            base_url: base_url.to_owned(),
            name,
            url,
        })
    }

    /// The base URL from the environment, or `None` after printing why the
    /// caller's PostgreSQL test is skipped.
    pub fn base_url_or_skip(test: &str) -> Option<String> {
        frontdesk_testkit::postgres_url_or_skip(test)
    }

    /// Drop the schema and everything in it.
    ///
    /// An app still running on the schema (its webhook and mail workers)
    /// holds locks on its tables now and then, so the drop may be chosen
    /// as a deadlock victim (40P01); it is then tried again, a few times.
    pub async fn drop_schema(&self) -> Result<(), sqlx::Error> {
        let mut conn = sqlx::PgConnection::connect(&self.base_url).await?;
        let mut tries = 0;
        loop {
            let dropped = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
                .execute(&mut conn)
                .await;
            match dropped {
                Ok(_) => break,
                Err(e)
                    if tries < 5
                        && e.as_database_error()
                            .is_some_and(|d| d.code().as_deref() == Some("40P01")) =>
                {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e),
            }
        }
        conn.close().await
    }
}
