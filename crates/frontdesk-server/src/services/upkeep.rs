//! Clean-up on a schedule: what unauthenticated callers can create is deleted
//! once it has outlived its use (finding F11). Sign-in and sign-up attempts
//! live a day; clients that never had a session (development browsers,
//! cookies handed out before a sign-in) are deleted a day after their last
//! change; expired handshake nonces and quota windows as they lapse. Every
//! node runs this; the statements are idempotent and delete in small
//! batches, so nodes never hold the database for long.

use std::time::Duration;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::flows::ATTEMPT_TTL_SECS;
use frontdesk_store::sql::PURGE_BATCH;
use frontdesk_store::{PurgeCounts, PurgePolicy, StoreResult};

use crate::state::AppState;

/// How long a client that never signed in is kept after its last change.
pub const ANONYMOUS_CLIENT_TTL_SECS: i64 = 86_400;
/// How often the clean-up runs.
pub const INTERVAL: Duration = Duration::from_secs(300);

/// What to delete at `now`.
pub fn policy(now: UnixMillis) -> PurgePolicy {
    PurgePolicy {
        now,
        flows_created_before: now.plus_secs(-ATTEMPT_TTL_SECS),
        anonymous_clients_before: now.plus_secs(-ANONYMOUS_CLIENT_TTL_SECS),
        // The longest quota window is an hour.
        quotas_before: now.plus_secs(-7200),
    }
}

/// Delete everything `policy` covers, batch after batch.
pub async fn purge_all(state: &AppState, policy: &PurgePolicy) -> StoreResult<PurgeCounts> {
    let mut total = PurgeCounts::default();
    for _ in 0..1000 {
        let c = state.store.purge(policy).await?;
        total.flows += c.flows;
        total.clients += c.clients;
        total.nonces += c.nonces;
        total.quotas += c.quotas;
        total.mail += c.mail;
        let full = [c.flows, c.clients, c.nonces, c.quotas, c.mail]
            .iter()
            .any(|n| *n >= PURGE_BATCH as u64);
        if !full {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// Mark every lapsed invitation expired, a hundred organizations at a time,
/// so organizations stop counting them as pending.
pub async fn expire_invitations(state: &AppState, now: UnixMillis) -> StoreResult<u64> {
    let mut total = 0;
    for _ in 0..1000 {
        let n = state.store.expire_invitations(now, 100).await?;
        total += n;
        if n == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// Run the clean-up every [`INTERVAL`], forever.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match purge_all(&state, &policy(UnixMillis::now())).await {
            Ok(c) if c != PurgeCounts::default() => tracing::info!(
                flows = c.flows,
                clients = c.clients,
                nonces = c.nonces,
                quotas = c.quotas,
                mail = c.mail,
                "purged expired rows"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "clean-up failed"),
        }
        match expire_invitations(&state, UnixMillis::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(invitations = n, "expired lapsed invitations"),
            Err(e) => tracing::warn!(error = %e, "expiring invitations failed"),
        }
    }
}
