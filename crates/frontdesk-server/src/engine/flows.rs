//! Stored attempts: loaded for the caller's client only, changed by a
//! transition under compare-and-swap.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::FlowRecord;
use frontdesk_domain::flows::Attempt;
use frontdesk_store::StoreError;
use frontdesk_types::ClientId;

use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::state::AppState;

/// The attempt `id`, if it belongs to the caller's client (anyone else's is
/// "not found", as is one of the other kind).
pub async fn load<T: Attempt>(
    state: &AppState,
    browser: &Browser,
    id: &str,
) -> ApiResult<(FlowRecord, T)> {
    let kind = T::KIND.as_str();
    let not_found = || ApiError::not_found(kind);
    let client = browser.client.as_ref().ok_or_else(not_found)?;
    let flow = state
        .store
        .get_flow(id)
        .await?
        .filter(|f| f.client_id == client.id && f.kind == kind)
        .ok_or_else(not_found)?;
    let attempt = serde_json::from_value(flow.data.clone()).map_err(ApiError::internal)?;
    Ok((flow, attempt))
}

/// Run the transition `change` on the attempt as stored, and write the
/// result back only over the version it was read at; if another request
/// wrote first, `change` runs again on that write. `change` awaits nothing,
/// so what it decides (a code try counted, a code used up) is decided on the
/// stored state, and parallel tries are each counted (finding F7).
pub async fn change<T: Attempt, R>(
    state: &AppState,
    browser: &Browser,
    id: &str,
    mut change: impl FnMut(&mut T) -> R,
) -> ApiResult<(T, R)> {
    for _ in 0..200 {
        let (mut flow, mut attempt) = load::<T>(state, browser, id).await?;
        let result = change(&mut attempt);
        flow.data = serde_json::to_value(&attempt).map_err(ApiError::internal)?;
        flow.updated_at = UnixMillis::now();
        match state.store.update_flow(&flow).await {
            Ok(_) => return Ok((attempt, result)),
            Err(StoreError::Stale) => tokio::task::yield_now().await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Stale.into())
}

/// Store a new attempt for `client_id`.
pub async fn insert<T: Attempt>(
    state: &AppState,
    client_id: &ClientId,
    attempt: &T,
    now: UnixMillis,
) -> ApiResult<()> {
    let flow = FlowRecord {
        id: attempt.id().to_owned(),
        client_id: client_id.clone(),
        kind: T::KIND.as_str().to_owned(),
        data: serde_json::to_value(attempt).map_err(ApiError::internal)?,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    state.store.insert_flow(&flow).await?;
    Ok(())
}
