//! Creating sessions.

use frontdesk_crypto::sha256_hex;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Client, Session, SessionActivity, SessionStatus};
use frontdesk_types::{ClientId, SessionId, UserId};

use crate::error::ApiResult;
use crate::state::AppState;

/// End a live session as `status`, recording its `session.*` event in the
/// same transaction. `NotFound` if the session is no longer live.
pub async fn end(
    state: &AppState,
    session: &Session,
    status: SessionStatus,
    now: UnixMillis,
) -> frontdesk_store::StoreResult<Session> {
    let user = state.store.get_user(&session.user_id).await?;
    let events = state.events();
    state
        .store
        .end_session(&session.id, status, now, &|ended| {
            events.session_ended(ended, user.as_ref()?)
        })
        .await
}

/// A new active session for `user_id` on `client_id`, with the instance's
/// lifetime and inactivity settings.
pub fn new_session(
    state: &AppState,
    user_id: &UserId,
    client_id: &ClientId,
    activity: SessionActivity,
    now: UnixMillis,
) -> Session {
    let sessions = state.settings().settings.sessions.clone();
    let lifetime = i64::from(sessions.lifetime_secs);
    let idle = i64::from(sessions.inactivity_timeout_secs);
    let expire_at = now.plus_secs(lifetime);
    let abandon_at = if idle > 0 {
        now.plus_secs(idle).min(expire_at)
    } else {
        expire_at
    };
    Session {
        id: SessionId::generate(),
        client_id: client_id.clone(),
        user_id: user_id.clone(),
        status: SessionStatus::Active,
        last_active_at: now,
        expire_at,
        abandon_at,
        last_active_organization_id: None,
        actor: None,
        latest_activity: activity,
        first_factor_verified_at: now,
        second_factor_verified_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Store a new client identified by `token` (kept only as its hash).
pub async fn store_client(state: &AppState, token: &str, now: UnixMillis) -> ApiResult<Client> {
    let client = Client {
        id: ClientId::generate(),
        token_hash: sha256_hex(token.as_bytes()),
        last_active_session_id: None,
        created_at: now,
        updated_at: now,
    };
    state.store.create_client(&client).await?;
    Ok(client)
}

/// A client that no browser holds (`POST /v1/sessions`, for tests and
/// automation): its token is random and immediately forgotten.
pub async fn create_headless_client(state: &AppState, now: UnixMillis) -> ApiResult<Client> {
    store_client(state, &frontdesk_types::id::random_base62(32), now).await
}
