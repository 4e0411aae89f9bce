//! The user search's index brought up to date off the request path. On
//! SQLite, writes only note which users changed (migration 0016) and this
//! task indexes them a batch per transaction, so a write never pays for
//! the index and a batch never holds the one write lock for long. Searches
//! read the users not indexed yet row by row: they are right at once, and
//! fast once this has caught up. PostgreSQL's index follows each write; its
//! store answers 0 without a query.

use std::time::Duration;

use frontdesk_store::StoreResult;

use crate::state::AppState;

/// Users indexed per transaction.
pub const BATCH: i64 = 1000;
/// How often the task looks for changed users.
pub const INTERVAL: Duration = Duration::from_millis(500);

/// Index every changed user, a batch at a time; how many.
pub async fn catch_up(state: &AppState) -> StoreResult<u64> {
    let mut total = 0;
    loop {
        let n = state.store.index_user_search(BATCH).await?;
        total += n;
        if n < BATCH as u64 {
            return Ok(total);
        }
        // Let the writers waiting for the lock in between batches.
        tokio::task::yield_now().await;
    }
}

/// Catch up every [`INTERVAL`], forever.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = catch_up(&state).await {
            tracing::warn!(error = %e, "indexing changed users for search failed");
        }
    }
}
