// Instance administrators, one-time setup links and the audit log: written
// once for both databases (see `ops.rs` for how an adapter includes this
// file).

use frontdesk_domain::admin::{ActorToken, AuditEvent};
use frontdesk_store::admin::{
    ACTOR_TOKEN_COLUMNS, AUDIT_COLUMNS, ActorTokenRow, Admin, AdminRow, AdminStore, AuditQuery,
    AuditRow, DayActivity, Revoked,
};
use frontdesk_types::ActorTokenId;

/// Write one audit entry.
async fn insert_audit<'e>(
    ex: impl sqlx::Executor<'e, Database = Db>,
    e: &AuditEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(&q(&format!(
        "INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )))
    .bind(e.id.as_str())
    .bind(&e.actor.id)
    .bind(&e.actor.label)
    .bind(e.action.as_str())
    .bind(e.target_id.as_deref())
    .bind(e.detail.to_string())
    .bind(e.ip_address.as_deref())
    .bind(e.user_agent.as_deref())
    .bind(e.created_at.0)
    .execute(ex)
    .await?;
    Ok(())
}

/// PostgreSQL: every administrator's row locked, in one order, so that
/// the changes that decide on the administrators left take turns and each
/// counts what the one before left (SQLite's one writer takes turns
/// already).
async fn lock_admins(tx: &mut Tx<'_>) -> Result<(), sqlx::Error> {
    if let Some(lock) = FOR_UPDATE {
        sqlx::query(&q(&format!(
            "SELECT user_id FROM instance_admins ORDER BY user_id{lock}"
        )))
        .fetch_all(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Administrators (other than `$1`) who can sign in: not banned. A lock
/// lapses by itself, so a locked administrator still counts.
const OTHER_ADMINS_WHO_CAN_SIGN_IN: &str = "SELECT COUNT(*) FROM instance_admins a \
     JOIN users u ON u.id = a.user_id WHERE a.user_id <> $1 AND NOT u.banned";

/// Whether a change that may have shut `user` out leaves the instance an
/// administrator who can sign in: always when `user` is not one.
pub(crate) async fn an_admin_can_sign_in(
    tx: &mut Tx<'_>,
    user: &UserId,
) -> Result<bool, sqlx::Error> {
    let (is_admin, can): (i64, i64) = sqlx::query_as(&q(
        "SELECT (SELECT COUNT(*) FROM instance_admins WHERE user_id = $1), \
         (SELECT COUNT(*) FROM instance_admins a JOIN users u ON u.id = a.user_id \
          WHERE NOT u.banned)",
    ))
    .bind(user.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(is_admin == 0 || can > 0)
}

/// Commit a change together with the administrator's audit entry pending
/// in this task, if any (see `frontdesk_store::audit`): both or neither.
/// Only for transactions that changed something.
pub(crate) async fn commit_audited(mut tx: Tx<'_>) -> Result<(), sqlx::Error> {
    let entry = frontdesk_store::audit::pending();
    if let Some(e) = &entry {
        insert_audit(&mut *tx, e).await?;
    }
    tx.commit().await?;
    if entry.is_some() {
        frontdesk_store::audit::written();
    }
    Ok(())
}

#[async_trait]
impl AdminStore for ThisStore {
    async fn grant_admin(
        &self,
        user: &UserId,
        granted_by: &str,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q(
            "INSERT INTO instance_admins (user_id, granted_by, created_at) \
             SELECT id, $2, $3 FROM users WHERE id = $1 \
             ON CONFLICT (user_id) DO NOTHING",
        ))
        .bind(user.as_str())
        .bind(granted_by)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            commit_audited(tx).await?;
            return Ok(true);
        }
        drop(tx);
        if self.is_admin(user).await? {
            Ok(false)
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn is_admin(&self, user: &UserId) -> StoreResult<bool> {
        Ok(sqlx::query_as::<_, (String,)>(&q(
            "SELECT user_id FROM instance_admins WHERE user_id = $1",
        ))
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    async fn revoke_admin(&self, user: &UserId) -> StoreResult<Revoked> {
        let mut tx = begin(&self.pool).await?;
        lock_admins(&mut tx).await?;
        let done = sqlx::query(&q(&format!(
            "DELETE FROM instance_admins WHERE user_id = $1 \
             AND ({OTHER_ADMINS_WHO_CAN_SIGN_IN}) > 0"
        )))
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
        let outcome = if done.rows_affected() == 1 {
            Revoked::Done
        } else {
            let is = sqlx::query_as::<_, (String,)>(&q(
                "SELECT user_id FROM instance_admins WHERE user_id = $1",
            ))
            .bind(user.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if is.is_some() {
                Revoked::LastAdmin
            } else {
                Revoked::NotAnAdmin
            }
        };
        if outcome == Revoked::Done {
            commit_audited(tx).await?;
        } else {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    async fn list_admins(&self) -> StoreResult<Vec<Admin>> {
        sqlx::query_as::<_, AdminRow>(&q(
            "SELECT user_id, granted_by, created_at FROM instance_admins \
             ORDER BY created_at, user_id",
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Admin::try_from)
        .collect()
    }

    async fn replace_setup_token(
        &self,
        token_hash: &str,
        at: UnixMillis,
        expire_at: UnixMillis,
    ) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q("DELETE FROM admin_setup_tokens WHERE used_at IS NULL"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&q(
            "INSERT INTO admin_setup_tokens (token_hash, created_at, expire_at) VALUES ($1, $2, $3)",
        ))
        .bind(token_hash)
        .bind(at.0)
        .bind(expire_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_setup_token(
        &self,
        token_hash: &str,
        user: &UserId,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        let mut tx = begin(&self.pool).await?;
        let spent = sqlx::query(&q(
            "UPDATE admin_setup_tokens SET used_at = $3, used_by = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expire_at > $3 \
             AND NOT EXISTS (SELECT 1 FROM instance_admins)",
        ))
        .bind(token_hash)
        .bind(user.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        let granted = sqlx::query(&q(
            "INSERT INTO instance_admins (user_id, granted_by, created_at) \
             SELECT id, 'setup_link', $2 FROM users WHERE id = $1",
        ))
        .bind(user.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if granted.rows_affected() != 1 {
            // The user went away meanwhile: the link stays unspent.
            return Ok(false);
        }
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&self.pool, e).await?;
        Ok(())
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE 1 = 1");
        if query.target_id.is_some() {
            sql.push_str(" AND target_id = $1");
        } else {
            sql.push_str(" AND ($1 IS NULL OR target_id = $1)");
        }
        sql.push_str(
            " AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3)) \
             AND ($5 IS NULL OR action = $5) AND ($6 IS NULL OR actor_id = $6) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
        );
        let (before_at, before_id) = match &query.before {
            Some((at, id)) => (Some(at.0), Some(id.as_str().to_owned())),
            None => (None, None),
        };
        sqlx::query_as::<_, AuditRow>(&q(&sql))
            .bind(query.target_id.as_deref())
            .bind(before_at)
            .bind(before_id)
            .bind(query.limit)
            .bind(query.action.as_deref())
            .bind(query.actor_id.as_deref())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AuditEvent::try_from)
            .collect()
    }

    async fn daily_activity(&self, from: UnixMillis) -> StoreResult<Vec<DayActivity>> {
        let day = format!("(created_at / {d}) * {d}", d = frontdesk_store::DAY_MS);
        let counts = [
            format!("SELECT {day}, COUNT(*) FROM users WHERE created_at >= $1 GROUP BY 1"),
            format!(
                "SELECT {day}, COUNT(*) FROM sessions WHERE created_at >= $1 AND actor IS NULL \
                 GROUP BY 1"
            ),
            "SELECT day, COUNT(*) FROM user_activity WHERE day >= $1 GROUP BY day".to_owned(),
        ];
        let mut days: std::collections::BTreeMap<i64, DayActivity> = Default::default();
        for (which, sql) in counts.iter().enumerate() {
            let rows: Vec<(i64, i64)> = sqlx::query_as(&q(sql))
                .bind(from.0)
                .fetch_all(&self.pool)
                .await?;
            for (at, n) in rows {
                let d = days
                    .entry(at)
                    .or_insert_with(|| DayActivity::quiet(UnixMillis(at)));
                match which {
                    0 => d.sign_ups = n,
                    1 => d.sign_ins = n,
                    _ => d.active_users = n,
                }
            }
        }
        Ok(days.into_values().collect())
    }

    async fn insert_actor_token(&self, t: &ActorToken, token_hash: &str) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q(
            "INSERT INTO actor_tokens (id, user_id, actor, token_hash, status, session_max_secs, \
             expire_at, created_at, updated_at) \
             SELECT $1, id, $3, $4, $5, $6, $7, $8, $9 FROM users WHERE id = $2",
        ))
        .bind(t.id.as_str())
        .bind(t.user_id.as_str())
        .bind(t.actor.to_string())
        .bind(token_hash)
        .bind(t.status.as_str())
        .bind(t.session_max_secs)
        .bind(t.expire_at.0)
        .bind(t.created_at.0)
        .bind(t.updated_at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx).await?;
        Ok(())
    }

    async fn actor_token(&self, id: &ActorTokenId) -> StoreResult<Option<ActorToken>> {
        sqlx::query_as::<_, ActorTokenRow>(&q(&format!(
            "SELECT {ACTOR_TOKEN_COLUMNS} FROM actor_tokens WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(ActorToken::try_from)
        .transpose()
    }

    async fn accept_actor_token(
        &self,
        token_hash: &str,
        at: UnixMillis,
    ) -> StoreResult<Option<ActorToken>> {
        sqlx::query_as::<_, ActorTokenRow>(&q(&format!(
            "UPDATE actor_tokens SET status = 'accepted', updated_at = $2 \
             WHERE token_hash = $1 AND status = 'pending' AND expire_at > $2 \
             RETURNING {ACTOR_TOKEN_COLUMNS}"
        )))
        .bind(token_hash)
        .bind(at.0)
        .fetch_optional(&self.pool)
        .await?
        .map(ActorToken::try_from)
        .transpose()
    }

    async fn revoke_actor_token(
        &self,
        id: &ActorTokenId,
        at: UnixMillis,
    ) -> StoreResult<Option<ActorToken>> {
        sqlx::query_as::<_, ActorTokenRow>(&q(&format!(
            "UPDATE actor_tokens SET status = 'revoked', updated_at = $2 \
             WHERE id = $1 AND status = 'pending' RETURNING {ACTOR_TOKEN_COLUMNS}"
        )))
        .bind(id.as_str())
        .bind(at.0)
        .fetch_optional(&self.pool)
        .await?
        .map(ActorToken::try_from)
        .transpose()
    }
}
