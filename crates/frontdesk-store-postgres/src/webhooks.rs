//! The webhook claim on PostgreSQL (the rest of the webhook store is
//! `frontdesk-store/sql/ops_webhooks.rs`, shared with SQLite).
//!
//! Several nodes run workers on one database: a claim locks its rows with
//! `FOR UPDATE SKIP LOCKED`, so concurrent claims take disjoint deliveries
//! without waiting on each other, and stamps a lease that hides them until
//! the attempt is recorded or the lease runs out (the worker died).

use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::ClaimedDelivery;
use frontdesk_store::webhook_rows::ClaimRow;
use frontdesk_store::{StoreError, StoreResult};
use frontdesk_types::WebhookEndpointId;

use crate::PostgresStore;

impl PostgresStore {
    /// Claim up to `limit` due deliveries of `endpoint` under `lease`.
    pub(crate) async fn claim_due(
        &self,
        endpoint: &WebhookEndpointId,
        limit: i64,
        now: UnixMillis,
        lease_until: UnixMillis,
        lease: &str,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let rows = sqlx::query_as::<_, ClaimRow>(
            "WITH due AS (SELECT endpoint_id, message_id FROM webhook_deliveries \
               WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at <= $2 \
               ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED), \
             claimed AS (UPDATE webhook_deliveries d SET next_attempt_at = $4, lease = $5, \
               updated_at = $2 FROM due WHERE d.endpoint_id = due.endpoint_id \
               AND d.message_id = due.message_id RETURNING d.message_id, d.attempts) \
             SELECT c.message_id, c.attempts, m.event_type, m.payload \
             FROM claimed c JOIN webhook_messages m ON m.id = c.message_id",
        )
        .bind(endpoint.as_str())
        .bind(now.0)
        .bind(limit)
        .bind(lease_until.0)
        .bind(lease)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ClaimedDelivery {
                    message_id: r
                        .message_id
                        .parse()
                        .map_err(|_| StoreError::Corrupt(r.message_id.clone()))?,
                    endpoint_id: endpoint.clone(),
                    event_type: r.event_type,
                    payload: r.payload,
                    attempts: r.attempts.max(0) as u32,
                    lease: lease.to_owned(),
                })
            })
            .collect()
    }
}
