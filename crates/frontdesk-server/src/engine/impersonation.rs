//! Impersonation (issue 18): Clerk's actor tokens. A token is made for a
//! user with an actor (`{"sub": …}`), stored by the hash of its text, and
//! spent once by the browser that opens its URL, which is signed in as the
//! user with the actor in its session and the `act` claim of its tokens,
//! for no longer than the token allows. The dashboard makes them with the
//! administrator as actor, and records it.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{ActorToken, ActorTokenStatus, AuditAction};
use frontdesk_domain::entities::User;
use frontdesk_store::{StoreError, audit};
use frontdesk_types::ActorTokenId;
use serde_json::{Value, json};

use super::admin::{Audit, Operator};
use super::users;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long an actor token works, and the longest session it starts, by
/// default (Clerk's).
pub const ACTOR_TOKEN_TTL_SECS: i64 = 3600;
pub const ACTOR_SESSION_MAX_SECS: i64 = 1800;

/// A new actor token for `user_id`, acted by `actor` (`{"sub": …}` at
/// least), and its text: the only copy, in the URL that spends it.
pub async fn create_actor_token(
    state: &AppState,
    user_id: &str,
    actor: Value,
    expires_in_secs: Option<i64>,
    session_max_secs: Option<i64>,
) -> ApiResult<(ActorToken, String)> {
    let user = users::load_user(state, user_id).await?;
    let sub = actor.get("sub").and_then(Value::as_str).unwrap_or("");
    if !actor.is_object() || sub.is_empty() {
        return Err(ApiError::bad_param(
            "actor",
            "form_param_missing",
            "`actor` must be an object with a `sub`: the id of who acts.",
        ));
    }
    let positive = |v: Option<i64>, default: i64, param: &str| match v {
        None => Ok(default),
        Some(n) if (1..=30 * 86_400).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_param(
            param,
            "form_param_value_invalid",
            format!("`{param}` must be between 1 and 2592000 seconds"),
        )),
    };
    let ttl = positive(expires_in_secs, ACTOR_TOKEN_TTL_SECS, "expires_in_seconds")?;
    let max = positive(
        session_max_secs,
        ACTOR_SESSION_MAX_SECS,
        "session_max_duration_in_seconds",
    )?;
    let now = UnixMillis::now();
    let text = frontdesk_types::id::random_base62(32);
    let token = ActorToken {
        id: ActorTokenId::generate(),
        user_id: user.id,
        actor,
        status: ActorTokenStatus::Pending,
        session_max_secs: max,
        expire_at: now.plus_secs(ttl),
        created_at: now,
        updated_at: now,
    };
    // What an administrator's entry says of the token (nothing outside one).
    audit::note("actor_token_id", token.id.as_str());
    audit::note("session_max_secs", token.session_max_secs);
    state
        .store
        .insert_actor_token(&token, &frontdesk_crypto::sha256_hex(text.as_bytes()))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("user"),
            other => other.into(),
        })?;
    Ok((token, text))
}

/// The URL that spends an actor token: Frontdesk's ticket endpoint, which
/// signs the browser that opens it in as the user.
pub fn actor_token_url(state: &AppState, text: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("ticket", text)
        .finish();
    format!(
        "{}/v1/tickets/accept?{q}",
        state.instance.public_url.origin()
    )
}

/// Revoke a pending actor token; one that is not pending is returned as it
/// is (Clerk answers with the token).
pub async fn revoke_actor_token(state: &AppState, raw_id: &str) -> ApiResult<ActorToken> {
    let id: ActorTokenId = raw_id
        .parse()
        .map_err(|_| ApiError::not_found("actor token"))?;
    if let Some(t) = state
        .store
        .revoke_actor_token(&id, UnixMillis::now())
        .await?
    {
        return Ok(t);
    }
    state
        .store
        .actor_token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("actor token"))
}

/// Spend an actor token's text, if it is one that works.
pub async fn accept_actor_token(state: &AppState, text: &str) -> ApiResult<Option<ActorToken>> {
    if text.is_empty() || text.len() > 128 {
        return Ok(None);
    }
    Ok(state
        .store
        .accept_actor_token(
            &frontdesk_crypto::sha256_hex(text.as_bytes()),
            UnixMillis::now(),
        )
        .await?)
}

/// The dashboard's "impersonate": an actor token for `target` acted by the
/// administrator, recorded; its URL.
pub async fn impersonate(
    state: &AppState,
    operator: &Operator,
    by: &Audit,
    target: &User,
) -> ApiResult<(ActorToken, String)> {
    if target.id == operator.user.id {
        return Err(ApiError::bad_param(
            "user_id",
            "form_param_value_invalid",
            "You are signed in as yourself already.",
        ));
    }
    let actor = json!({"sub": operator.user.id.as_str()});
    // The token's id and session limit are noted by `create_actor_token`.
    let (token, text) = by
        .around(
            state.store.as_ref(),
            AuditAction::UserImpersonated,
            Some(target.id.as_str()),
            json!({}),
            create_actor_token(state, target.id.as_str(), actor, None, None),
        )
        .await?;
    Ok((token, actor_token_url(state, &text)))
}
