//! The delivery worker: claims due deliveries, attempts them concurrently,
//! records the outcomes in batches.
//!
//! - **Fairness.** Each round visits every enabled endpoint (starting from a
//!   different one each time) and claims at most its free per-endpoint slots,
//!   so an endpoint with a backlog, or one that hangs until the timeout,
//!   cannot take the slots of the others.
//! - **Crash safety.** A claim stamps a lease on the delivery; if this process
//!   dies the lease runs out and any worker claims the delivery again, with
//!   the same `svix-id`. An outcome is recorded only under the lease it was
//!   claimed with.
//! - **Throughput.** Outcomes are written by one recorder task, many per
//!   transaction, so a fast receiver is not held back by one commit per
//!   delivery.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::{DeliveryOutcome, NextStep, WebhookEndpoint};
use frontdesk_types::WebhookEndpointId;
use tokio::sync::{mpsc, watch};

use super::deliver;
use crate::state::AppState;

/// How often endpoints are re-read (settings, secrets, new endpoints).
const ENDPOINTS_TTL: Duration = Duration::from_secs(1);
/// Outcomes written per transaction, at most.
const RECORD_BATCH: usize = 512;

/// Run until `stop` turns true, then let attempts in flight finish and
/// record them.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let webhooks = state.webhooks.clone();
    let config = &webhooks.config;
    let node = frontdesk_types::id::random_base62(12);
    let leases = AtomicU64::new(0);
    let (record_tx, record_rx) = mpsc::unbounded_channel::<DeliveryOutcome>();
    let (freed_tx, mut freed_rx) = mpsc::unbounded_channel::<WebhookEndpointId>();
    let recorder = tokio::spawn(record(state.clone(), record_rx));

    let mut endpoints: Vec<Arc<WebhookEndpoint>> = Vec::new();
    let mut endpoints_read: Option<Instant> = None;
    let mut in_flight: HashMap<WebhookEndpointId, usize> = HashMap::new();
    let mut total = 0usize;
    let mut start = 0usize;
    let mut last_maintenance = Instant::now();
    let maintenance_every =
        Duration::from_millis(config.poll_interval_ms * 10).min(Duration::from_secs(60));

    while !*stop.borrow() {
        while let Ok(id) = freed_rx.try_recv() {
            release(&mut in_flight, &mut total, &id);
        }
        if endpoints_read.is_none_or(|t| t.elapsed() >= ENDPOINTS_TTL) {
            match state.store.list_endpoints().await {
                Ok(list) => {
                    endpoints = list
                        .into_iter()
                        .filter(|e| !e.disabled)
                        .map(Arc::new)
                        .collect();
                    endpoints_read = Some(Instant::now());
                }
                Err(e) => tracing::warn!(error = %e, "webhooks: could not read endpoints"),
            }
        }
        if last_maintenance.elapsed() >= maintenance_every {
            maintain(&state).await;
            last_maintenance = Instant::now();
        }

        let mut claimed_any = false;
        let n = endpoints.len();
        for i in 0..n {
            let endpoint = &endpoints[(start + i) % n];
            let busy = in_flight.get(&endpoint.id).copied().unwrap_or(0);
            let free = config
                .per_endpoint_concurrency
                .saturating_sub(busy)
                .min(config.concurrency.saturating_sub(total));
            if free == 0 {
                continue;
            }
            let now = UnixMillis::now();
            let lease_until = UnixMillis(now.0 + config.lease().as_millis() as i64);
            let lease = format!("{node}-{}", leases.fetch_add(1, Ordering::Relaxed));
            let claimed = match state
                .store
                .claim_deliveries(&endpoint.id, free as i64, now, lease_until, &lease)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: could not claim deliveries");
                    continue;
                }
            };
            claimed_any |= !claimed.is_empty();
            if claimed.is_empty() {
                continue;
            }
            // Sign with the secrets as they are now, not as the list read up
            // to a second ago had them: a rotation must show in the next
            // delivery (both secrets sign during the overlap). A disabled or
            // deleted endpoint gets nothing; its leases lapse.
            let endpoint = match state.store.get_endpoint(&endpoint.id).await {
                Ok(Some(fresh)) if !fresh.disabled => Arc::new(fresh),
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: could not re-read an endpoint");
                    endpoint.clone()
                }
            };
            for delivery in claimed {
                *in_flight.entry(endpoint.id.clone()).or_default() += 1;
                total += 1;
                let endpoint = endpoint.clone();
                let (client, policy) = (webhooks.client.clone(), webhooks.policy);
                let schedule = webhooks.schedule.clone();
                let (record_tx, freed_tx) = (record_tx.clone(), freed_tx.clone());
                tokio::spawn(async move {
                    let attempt = deliver::attempt(&client, policy, &endpoint, &delivery).await;
                    let next = if attempt.succeeded {
                        NextStep::Done
                    } else {
                        schedule.next(delivery.attempts + 1, attempt.at, jitter())
                    };
                    let _ = freed_tx.send(endpoint.id.clone());
                    let _ = record_tx.send(DeliveryOutcome {
                        attempt,
                        lease: delivery.lease,
                        next,
                    });
                });
            }
        }
        start = start.wrapping_add(1);
        if claimed_any && total < config.concurrency {
            continue;
        }

        let idle = idle_wait(&state, config.poll_interval_ms).await;
        tokio::select! {
            _ = webhooks.wake.notified() => {}
            Some(id) = freed_rx.recv() => release(&mut in_flight, &mut total, &id),
            _ = tokio::time::sleep(idle) => {}
            _ = stop.changed() => {}
        }
    }

    // Stopping: no new claims; attempts in flight finish (each within the
    // timeout) and are recorded before the recorder sees the channel close.
    drop(record_tx);
    drop(freed_tx);
    let _ = recorder.await;
}

fn release(
    in_flight: &mut HashMap<WebhookEndpointId, usize>,
    total: &mut usize,
    id: &WebhookEndpointId,
) {
    if let Some(n) = in_flight.get_mut(id) {
        *n = n.saturating_sub(1);
    }
    *total = total.saturating_sub(1);
}

/// How long to sleep with nothing to do: until the next retry is due, at
/// most the poll interval (events written by other nodes or the CLI).
async fn idle_wait(state: &AppState, poll_ms: u64) -> Duration {
    let poll = Duration::from_millis(poll_ms);
    match state.store.next_due().await {
        // Due already but not claimed: its endpoint has no free slot, and a
        // finished attempt (or the poll) wakes the worker.
        Ok(Some(at)) if at.0 > UnixMillis::now().0 => {
            poll.min(Duration::from_millis((at.0 - UnixMillis::now().0) as u64))
        }
        _ => poll,
    }
}

/// A number in `[-1, 1]` for the retry jitter.
fn jitter() -> f64 {
    use rand::Rng;
    rand::rng().random_range(-1.0..=1.0)
}

/// Write outcomes as they come, batching whatever queued up meanwhile.
async fn record(state: AppState, mut rx: mpsc::UnboundedReceiver<DeliveryOutcome>) {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while rx.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        let mut tries = 0;
        loop {
            match state.store.complete_deliveries(&batch).await {
                Ok(()) => break,
                Err(e) if tries < 3 => {
                    tries += 1;
                    tracing::warn!(error = %e, "webhooks: could not record attempts; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * tries)).await;
                }
                Err(e) => {
                    // The leases run out and the deliveries are attempted
                    // again: delivered at least once, never marked delivered
                    // without a record.
                    tracing::error!(error = %e, attempts = batch.len(), "webhooks: attempts not recorded");
                    break;
                }
            }
        }
        state.metrics.webhook_attempts.inc_by(batch.len() as u64);
        state.webhooks.recorded.notify_waiters();
        batch.clear();
    }
}

/// Disable endpoints failing for too long; forget old messages.
async fn maintain(state: &AppState) {
    let config = &state.webhooks.config;
    let now = UnixMillis::now();
    let failing_since = UnixMillis(now.0 - (config.disable_after_secs as i64) * 1000);
    match state
        .store
        .disable_failing_endpoints(failing_since, now)
        .await
    {
        Ok(disabled) => {
            for e in disabled {
                tracing::warn!(
                    endpoint = %e.id,
                    url = %e.url,
                    failing_since = e.failing_since.map_or(0, |t| t.0),
                    "webhooks: endpoint disabled after failing every attempt for {} s",
                    config.disable_after_secs
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "webhooks: could not check failing endpoints"),
    }
    state.webhooks.recorded.notify_waiters();
    let before = UnixMillis(now.0 - (config.retention_secs as i64) * 1000);
    if let Err(e) = state.store.purge_messages(before).await {
        tracing::warn!(error = %e, "webhooks: could not purge old messages");
    }
}
