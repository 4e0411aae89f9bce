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
    /// A compare-and-swap lost: the row changed since it was read. Read it
    /// again and recompute.
    #[error("the row changed meanwhile")]
    Stale,
    /// A rule the store keeps refused the change (nothing was written).
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The database is unreachable, restarting or busy (pool timeout, lost
    /// connection, lock wait, deadlock): the request may succeed if retried.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
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

/// The rules a store decides in the transaction that would break them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The organization has `max_allowed_memberships` members already.
    #[error("the organization is full")]
    MembershipLimit,
    /// Nobody left in the organization could manage its members.
    #[error("the organization would keep nobody who can manage its members")]
    LastManager,
    /// The invitation is no longer pending (accepted, revoked or expired).
    #[error("the invitation is no longer pending")]
    InvitationClosed,
    /// Members (or pending invitations) hold the role.
    #[error("the role is held by members")]
    RoleInUse,
    /// System roles and permissions are fixed.
    #[error("system roles and permissions cannot change this way")]
    System,
    /// The request to join was accepted or rejected already.
    #[error("the request is no longer pending")]
    RequestClosed,
    /// No administrator of the instance could sign in any more.
    #[error("the instance would keep no administrator who can sign in")]
    LastAdmin,
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
            _ if is_transient(&e) => Self::Unavailable(e),
            _ => Self::Database(e),
        }
    }
}

/// Whether a driver error is about the database's availability rather than
/// the statement: worth a 503 and a retry, not a 500.
fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // PostgreSQL's SQLSTATE has five characters: connection
            // exceptions (08), operator intervention (57P01-57P05: shutdown,
            // crash, cannot connect now), too many connections (53300),
            // serialization failure (40001), deadlock (40P01), lock not
            // available (55P03).
            Some(code) if code.len() == 5 => {
                code.starts_with("08")
                    || code.starts_with("57P")
                    || matches!(code, "53300" | "40001" | "40P01" | "55P03")
            }
            // SQLite's (extended) result code, in decimal: SQLITE_BUSY,
            // SQLITE_LOCKED and their extended forms (the low byte is the
            // primary code).
            Some(code) => code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
            None => false,
        },
        _ => false,
    }
}
