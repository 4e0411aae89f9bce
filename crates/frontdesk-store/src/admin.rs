//! Instance administration (issue 18): the part of the storage port that
//! knows who administers the instance, redeems the one-time link that makes
//! the first administrator, and keeps the audit log.
//!
//! Redeeming a link is one transaction whose first statement is the
//! decision (an `UPDATE … WHERE used_at IS NULL AND NOT EXISTS (an
//! administrator)`): two browsers racing with the same link, or with two
//! links, make one administrator.

use async_trait::async_trait;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{Actor, AuditAction, AuditEvent};
use frontdesk_types::{AuditEventId, UserId};

use crate::rows::parse;
use crate::{StoreError, StoreResult};

/// Which audit entries to read: newest first, before a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries about this target (a user id, a session id).
    pub target_id: Option<String>,
    /// Only entries strictly older than this one (`created_at`, `id`).
    pub before: Option<(UnixMillis, AuditEventId)>,
    pub limit: i64,
}

/// An administrator and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub user_id: UserId,
    pub granted_by: String,
    pub created_at: UnixMillis,
}

#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Make `user` an administrator; `false` when they were one already.
    /// `NotFound` when the user is gone.
    async fn grant_admin(
        &self,
        user: &UserId,
        granted_by: &str,
        at: UnixMillis,
    ) -> StoreResult<bool>;

    async fn is_admin(&self, user: &UserId) -> StoreResult<bool>;

    /// Oldest first.
    async fn list_admins(&self) -> StoreResult<Vec<Admin>>;

    /// Store the hash of a new one-time setup link, dropping the unused
    /// ones before it (only the newest printed link works).
    async fn replace_setup_token(
        &self,
        token_hash: &str,
        at: UnixMillis,
        expire_at: UnixMillis,
    ) -> StoreResult<()>;

    /// Spend the link whose token hashes to `token_hash` and make `user`
    /// the first administrator, if the link is unused and unexpired and the
    /// instance has no administrator yet; `false` otherwise (nothing
    /// changes).
    async fn redeem_setup_token(
        &self,
        token_hash: &str,
        user: &UserId,
        at: UnixMillis,
    ) -> StoreResult<bool>;

    async fn record_audit(&self, event: &AuditEvent) -> StoreResult<()>;

    /// Newest first.
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;
}

pub const AUDIT_COLUMNS: &str =
    "id, actor_id, actor_label, action, target_id, detail, ip_address, user_agent, created_at";

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub actor_id: String,
    pub actor_label: String,
    pub action: String,
    pub target_id: Option<String>,
    pub detail: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("audit event id", &r.id)?,
            actor: Actor {
                id: r.actor_id,
                label: r.actor_label,
            },
            action: AuditAction::parse(&r.action)
                .ok_or_else(|| StoreError::Corrupt(format!("audit action `{}`", r.action)))?,
            target_id: r.target_id,
            detail: serde_json::from_str(&r.detail)
                .map_err(|e| StoreError::Corrupt(format!("audit detail: {e}")))?,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            created_at: UnixMillis(r.created_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct AdminRow {
    pub user_id: String,
    pub granted_by: String,
    pub created_at: i64,
}

impl TryFrom<AdminRow> for Admin {
    type Error = StoreError;

    fn try_from(r: AdminRow) -> Result<Self, StoreError> {
        Ok(Self {
            user_id: parse("user id", &r.user_id)?,
            granted_by: r.granted_by,
            created_at: UnixMillis(r.created_at),
        })
    }
}
