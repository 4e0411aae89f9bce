// Webhook endpoints and the outbox: written once for both databases (see
// `ops.rs` for how an adapter includes this file). Each adapter keeps the
// one statement that differs, the claim (`claim_due`), and names its
// substring-position function (`STRPOS`).

use frontdesk_domain::webhooks::{
    ClaimedDelivery, DeliveryAttempt, DeliveryOutcome, DeliveryStatus, EndpointMessage, NextStep,
    WebhookEndpoint,
};
use frontdesk_store::webhook_rows::{
    ATTEMPT_COLUMNS, AttemptRow, ENDPOINT_COLUMNS, EndpointMessageRow, EndpointRow, counts,
    filter_column, last_outcome_per_endpoint,
};
use frontdesk_store::{DeliveryCounts, WebhookStore};
use frontdesk_types::{MessageId, WebhookEndpointId};

/// Write `events` and fan each out to the enabled endpoints that want it.
pub(crate) async fn insert_events(tx: &mut Tx<'_>, events: &[OutboxEvent]) -> StoreResult<()> {
    for e in events {
        sqlx::query(&q(
            "INSERT INTO webhook_messages (id, event_type, payload, created_at) \
             VALUES ($1, $2, $3, $4)",
        ))
        .bind(e.id.as_str())
        .bind(&e.event_type)
        .bind(&e.payload)
        .bind(e.created_at.0)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            &q(&format!("INSERT INTO webhook_deliveries \
             (endpoint_id, message_id, status, attempts, next_attempt_at, created_at, updated_at) \
             SELECT id, $1, 'pending', 0, $3, $3, $3 FROM webhook_endpoints \
             WHERE NOT disabled AND (filter_types = '' OR {STRPOS}(filter_types, ',' || $2 || ',') > 0)")),
        )
        .bind(e.id.as_str())
        .bind(&e.event_type)
        .bind(e.created_at.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn status_of(next: NextStep) -> (&'static str, Option<i64>) {
    match next {
        NextStep::Done => ("success", None),
        NextStep::RetryAt(at) => ("pending", Some(at.0)),
        NextStep::GiveUp => ("fail", None),
    }
}

#[async_trait]
impl WebhookStore for ThisStore {
    async fn create_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(&format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(e.id.as_str())
        .bind(e.url.as_str())
        .bind(&e.description)
        .bind(filter_column(&e.filter_types))
        .bind(e.disabled)
        .bind(self.seal_text(
            &e.secret.expose(),
            &webhook_context("secret", e.id.as_str()),
        ))
        .bind(e.previous_secret.as_ref().map(|p| {
            self.seal_text(
                &p.secret.expose(),
                &webhook_context("previous_secret", e.id.as_str()),
            )
        }))
        .bind(e.previous_secret.as_ref().map(|p| p.until.0))
        .bind(e.failing_since.map(|t| t.0))
        .bind(e.created_at.0)
        .bind(e.updated_at.0)
        .execute(&mut *tx)
        .await?;
        commit_audited(tx).await?;
        Ok(())
    }

    async fn get_endpoint(&self, id: &WebhookEndpointId) -> StoreResult<Option<WebhookEndpoint>> {
        sqlx::query_as::<_, EndpointRow>(&q(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| self.open_endpoint(r))
        .transpose()
    }

    async fn list_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        sqlx::query_as::<_, EndpointRow>(&q(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        )))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| self.open_endpoint(r))
        .collect()
    }

    async fn update_endpoint(&self, e: &WebhookEndpoint, read_at: UnixMillis) -> StoreResult<bool> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q(
            "UPDATE webhook_endpoints SET url = $2, description = $3, filter_types = $4, \
             disabled = $5, secret = $6, previous_secret = $7, previous_secret_until = $8, \
             failing_since = CASE WHEN disabled AND NOT $5 THEN NULL ELSE failing_since END, \
             updated_at = $9 WHERE id = $1 AND updated_at = $10",
        ))
        .bind(e.id.as_str())
        .bind(e.url.as_str())
        .bind(&e.description)
        .bind(filter_column(&e.filter_types))
        .bind(e.disabled)
        .bind(self.seal_text(
            &e.secret.expose(),
            &webhook_context("secret", e.id.as_str()),
        ))
        .bind(e.previous_secret.as_ref().map(|p| {
            self.seal_text(
                &p.secret.expose(),
                &webhook_context("previous_secret", e.id.as_str()),
            )
        }))
        .bind(e.previous_secret.as_ref().map(|p| p.until.0))
        .bind(e.updated_at.0)
        .bind(read_at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            commit_audited(tx).await?;
            return Ok(true);
        }
        drop(tx);
        match self.get_endpoint(&e.id).await? {
            Some(_) => Ok(false),
            None => Err(StoreError::NotFound),
        }
    }

    async fn delete_endpoint(&self, id: &WebhookEndpointId) -> StoreResult<()> {
        let done = sqlx::query(&q("DELETE FROM webhook_endpoints WHERE id = $1"))
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn enqueue(&self, events: &[OutboxEvent]) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        endpoint: &WebhookEndpointId,
        limit: i64,
        now: UnixMillis,
        lease_until: UnixMillis,
        lease: &str,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // The one statement that differs: row locks that skip on PostgreSQL,
        // SQLite's single writer (see each adapter's `webhooks.rs`).
        self.claim_due(endpoint, limit, now, lease_until, lease)
            .await
    }

    async fn complete_deliveries(&self, outcomes: &[DeliveryOutcome]) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        for o in outcomes {
            let a = &o.attempt;
            sqlx::query(&q(&format!(
                "INSERT INTO webhook_attempts ({ATTEMPT_COLUMNS}) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM webhook_deliveries \
                 WHERE endpoint_id = $2 AND message_id = $3)"
            )))
            .bind(a.id.as_str())
            .bind(a.endpoint_id.as_str())
            .bind(a.message_id.as_str())
            .bind(a.at.0)
            .bind(a.status_code.map(i32::from))
            .bind(a.duration_ms)
            .bind(&a.response)
            .bind(a.succeeded)
            .execute(&mut *tx)
            .await?;
            let (status, next) = status_of(o.next);
            sqlx::query(&q(
                "UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5, lease = NULL, \
                 attempts = attempts + 1, updated_at = $6 \
                 WHERE endpoint_id = $1 AND message_id = $2 AND lease = $3",
            ))
            .bind(a.endpoint_id.as_str())
            .bind(a.message_id.as_str())
            .bind(&o.lease)
            .bind(status)
            .bind(next)
            .bind(a.at.0)
            .execute(&mut *tx)
            .await?;
        }
        for (endpoint, last) in last_outcome_per_endpoint(outcomes) {
            let sql = if last.succeeded {
                "UPDATE webhook_endpoints SET failing_since = NULL \
                 WHERE id = $1 AND failing_since IS NOT NULL"
            } else {
                "UPDATE webhook_endpoints SET failing_since = $2 \
                 WHERE id = $1 AND failing_since IS NULL"
            };
            sqlx::query(&q(sql))
                .bind(endpoint.as_str())
                .bind(last.at.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn disable_failing_endpoints(
        &self,
        before: UnixMillis,
        at: UnixMillis,
    ) -> StoreResult<Vec<WebhookEndpoint>> {
        sqlx::query_as::<_, EndpointRow>(&q(&format!(
            "UPDATE webhook_endpoints SET disabled = TRUE, updated_at = $2 \
             WHERE NOT disabled AND failing_since < $1 RETURNING {ENDPOINT_COLUMNS}"
        )))
        .bind(before.0)
        .bind(at.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| self.open_endpoint(r))
        .collect()
    }

    async fn list_endpoint_messages(
        &self,
        endpoint: &WebhookEndpointId,
        status: Option<DeliveryStatus>,
        before: Option<&MessageId>,
        limit: i64,
    ) -> StoreResult<Vec<EndpointMessage>> {
        sqlx::query_as::<_, EndpointMessageRow>(
            &q("SELECT d.message_id, m.event_type, m.payload, m.created_at, d.status, d.attempts, \
             d.next_attempt_at FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id \
             WHERE d.endpoint_id = $1 AND ($2 IS NULL OR d.status = $2) \
             AND ($3 IS NULL OR d.message_id < $3) ORDER BY d.message_id DESC LIMIT $4"),
        )
        .bind(endpoint.as_str())
        .bind(status.map(DeliveryStatus::as_str))
        .bind(before.map(MessageId::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(EndpointMessage::try_from)
        .collect()
    }

    async fn list_attempts(
        &self,
        endpoint: &WebhookEndpointId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let list = (2..messages.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM webhook_attempts WHERE endpoint_id = $1 \
             AND message_id IN ({list}) ORDER BY at DESC, id DESC"
        );
        let sql = q(&sql);
        let mut select = sqlx::query_as::<_, AttemptRow>(&sql).bind(endpoint.as_str());
        for m in messages {
            select = select.bind(m.as_str());
        }
        select
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeliveryAttempt::try_from)
            .collect()
    }

    async fn resend(
        &self,
        endpoint: &WebhookEndpointId,
        message: &MessageId,
        now: UnixMillis,
    ) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, lease = NULL, \
             updated_at = $3 WHERE endpoint_id = $1 AND message_id = $2",
        ))
        .bind(endpoint.as_str())
        .bind(message.as_str())
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx).await?;
        Ok(())
    }

    async fn recover(
        &self,
        endpoint: &WebhookEndpointId,
        since: UnixMillis,
        now: UnixMillis,
    ) -> StoreResult<u64> {
        let done = sqlx::query(&q(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, lease = NULL, \
             updated_at = $3 WHERE endpoint_id = $1 AND status = 'fail' AND created_at >= $2",
        ))
        .bind(endpoint.as_str())
        .bind(since.0)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn delivery_counts(&self) -> StoreResult<DeliveryCounts> {
        let rows = sqlx::query_as::<_, (String, i64)>(&q(
            "SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status",
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(counts(rows))
    }

    async fn next_due(&self) -> StoreResult<Option<UnixMillis>> {
        let (at,) = sqlx::query_as::<_, (Option<i64>,)>(
            "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status = 'pending' AND NOT e.disabled",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(at.map(UnixMillis))
    }

    async fn purge_messages(&self, before: UnixMillis) -> StoreResult<u64> {
        let done = sqlx::query(&q(
            "DELETE FROM webhook_messages WHERE created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = webhook_messages.id \
              AND d.status = 'pending')",
        ))
        .bind(before.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
