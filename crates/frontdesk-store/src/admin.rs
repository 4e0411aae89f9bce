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
use frontdesk_domain::admin::{Actor, ActorToken, ActorTokenStatus, AuditAction, AuditEvent};
use frontdesk_types::{ActorTokenId, AuditEventId, UserId};

use crate::rows::parse;
use crate::{StoreError, StoreResult};

/// Which audit entries to read: newest first, before a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries about this target (a user id, a session id).
    pub target_id: Option<String>,
    /// Only entries of this action (`user.banned`).
    pub action: Option<String>,
    /// Only entries by this actor (a user id, `cli`).
    pub actor_id: Option<String>,
    /// Only entries strictly older than this one (`created_at`, `id`).
    pub before: Option<(UnixMillis, AuditEventId)>,
    pub limit: i64,
}

/// One UTC day's activity, for the dashboard's charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayActivity {
    /// The day's first millisecond.
    pub day: UnixMillis,
    /// Users created that day.
    pub sign_ups: i64,
    /// Sessions started that day, but for impersonations.
    pub sign_ins: i64,
    /// Users active that day (signed in, or a session touched).
    pub active_users: i64,
}

impl DayActivity {
    /// A day with nothing in it.
    pub fn quiet(day: UnixMillis) -> Self {
        Self {
            day,
            sign_ups: 0,
            sign_ins: 0,
            active_users: 0,
        }
    }
}

/// Whether an administrator was made a user again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Done,
    NotAnAdmin,
    /// Refused: an instance keeps at least one administrator who can sign
    /// in (is not banned).
    LastAdmin,
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

    /// Make an administrator a user again, unless they are the last one
    /// (decided in the statement that deletes, so two administrators
    /// revoking each other at once leave one).
    async fn revoke_admin(&self, user: &UserId) -> StoreResult<Revoked>;

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

    /// Sign-ups, sign-ins and active users per UTC day, oldest first, for
    /// the days from `from` (a day's start) that had any.
    async fn daily_activity(&self, from: UnixMillis) -> StoreResult<Vec<DayActivity>>;

    /// Store a new actor token under the hash of its text. `NotFound` when
    /// the user is gone.
    async fn insert_actor_token(&self, token: &ActorToken, token_hash: &str) -> StoreResult<()>;

    async fn actor_token(&self, id: &ActorTokenId) -> StoreResult<Option<ActorToken>>;

    /// Spend the pending, unexpired token whose text hashes to `token_hash`:
    /// the token as accepted, or `None` (spent, revoked, expired, unknown).
    async fn accept_actor_token(
        &self,
        token_hash: &str,
        at: UnixMillis,
    ) -> StoreResult<Option<ActorToken>>;

    /// Revoke a pending token: the token as revoked, or `None` when it is
    /// not pending (or not there).
    async fn revoke_actor_token(
        &self,
        id: &ActorTokenId,
        at: UnixMillis,
    ) -> StoreResult<Option<ActorToken>>;
}

pub const ACTOR_TOKEN_COLUMNS: &str =
    "id, user_id, actor, status, session_max_secs, expire_at, created_at, updated_at";

#[derive(Debug, sqlx::FromRow)]
pub struct ActorTokenRow {
    pub id: String,
    pub user_id: String,
    pub actor: String,
    pub status: String,
    pub session_max_secs: i64,
    pub expire_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<ActorTokenRow> for ActorToken {
    type Error = StoreError;

    fn try_from(r: ActorTokenRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("actor token id", &r.id)?,
            user_id: parse("user id", &r.user_id)?,
            actor: serde_json::from_str(&r.actor)
                .map_err(|e| StoreError::Corrupt(format!("actor: {e}")))?,
            status: ActorTokenStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("actor token status `{}`", r.status)))?,
            session_max_secs: r.session_max_secs,
            expire_at: UnixMillis(r.expire_at),
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
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
