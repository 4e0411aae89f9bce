//! Backend API: actor tokens (`/v1/actor_tokens…`), Clerk's impersonation.
//! A token's URL signs the browser that opens it in as the user, once, with
//! the actor in the session and in the `act` claim of its tokens
//! ([`crate::routes::frontend::tickets`]).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use frontdesk_domain::admin::ActorToken;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::impersonation;
use crate::error::{ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/actor_tokens", post(create))
        .route("/v1/actor_tokens/{actor_token_id}/revoke", post(revoke))
}

/// Clerk's `ActorToken`; the text and its URL only when just made.
fn render(t: &ActorToken, text: Option<(&str, String)>) -> Value {
    let mut out = json!({
        "object": "actor_token",
        "id": t.id.as_str(),
        "status": t.status.as_str(),
        "user_id": t.user_id.as_str(),
        "actor": t.actor,
        "created_at": t.created_at.0,
        "updated_at": t.updated_at.0,
    });
    if let Some((token, url)) = text {
        out["token"] = json!(token);
        out["url"] = json!(url);
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    user_id: String,
    actor: Value,
    expires_in_seconds: Option<i64>,
    session_max_duration_in_seconds: Option<i64>,
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<ApiJson<Value>> {
    let (token, text) = impersonation::create_actor_token(
        &state,
        &body.user_id,
        body.actor,
        body.expires_in_seconds,
        body.session_max_duration_in_seconds,
    )
    .await?;
    let url = impersonation::actor_token_url(&state, &text);
    Ok(ApiJson(render(&token, Some((&text, url)))))
}

async fn revoke(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let token = impersonation::revoke_actor_token(&state, &id).await?;
    Ok(ApiJson(render(&token, None)))
}
