//! Store errors: what callers branch on, and everything else.

/// A store failure. Adapters map driver errors into these variants so that
/// callers never see `sqlx` types.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was violated; the payload names the constraint.
    #[error("conflict on {0}")]
    Conflict(String),
    /// Stored data could not be read back into the domain (corruption or a
    /// newer schema).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database could not be reached or failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(
                db.constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned()),
            ),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Self::Corrupt(e.to_string())
            }
            _ => Self::Database(e),
        }
    }
}
