//! The webhook claim on SQLite (the rest of the webhook store is
//! `frontdesk-store/sql/ops_webhooks.rs`, shared with PostgreSQL).
//!
//! SQLite has one writer at a time, so a claim needs no row locks: the
//! `UPDATE … RETURNING` that stamps the lease is itself exclusive.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::ClaimedDelivery;
use frontdesk_store::webhook_rows::{ClaimedRow, MessageRow};
use frontdesk_store::{StoreError, StoreResult};
use frontdesk_types::WebhookEndpointId;

use crate::SqliteStore;

impl SqliteStore {
    /// Claim up to `limit` due deliveries of `endpoint` under `lease`.
    pub(crate) async fn claim_due(
        &self,
        endpoint: &WebhookEndpointId,
        limit: i64,
        now: UnixMillis,
        lease_until: UnixMillis,
        lease: &str,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let claimed = sqlx::query_as::<_, ClaimedRow>(
            "UPDATE webhook_deliveries SET next_attempt_at = ?4, lease = ?5, updated_at = ?2 \
             WHERE endpoint_id = ?1 AND message_id IN (SELECT message_id FROM webhook_deliveries \
               WHERE endpoint_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 \
               ORDER BY next_attempt_at LIMIT ?3) \
             RETURNING message_id, attempts",
        )
        .bind(endpoint.as_str())
        .bind(now.0)
        .bind(limit)
        .bind(lease_until.0)
        .bind(lease)
        .fetch_all(&mut *tx)
        .await?;
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = claimed.iter().map(|c| c.message_id.as_str()).collect();
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let messages = sqlx::query_as::<_, MessageRow>(
            "SELECT id, event_type, payload FROM webhook_messages \
             WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(claimed.len());
        for m in messages {
            let attempts = claimed
                .iter()
                .find(|c| c.message_id == m.id)
                .map_or(0, |c| c.attempts);
            out.push(ClaimedDelivery {
                message_id: m
                    .id
                    .parse()
                    .map_err(|_| StoreError::Corrupt(m.id.clone()))?,
                endpoint_id: endpoint.clone(),
                event_type: m.event_type,
                payload: m.payload,
                attempts: attempts.max(0) as u32,
                lease: lease.to_owned(),
            });
        }
        Ok(out)
    }
}
