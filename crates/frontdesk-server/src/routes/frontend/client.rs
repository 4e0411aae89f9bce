//! `/v1/client` and `/v1/dev_browser`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use frontdesk_domain::entities::SessionStatus;
use serde_json::json;

use super::render;
use crate::error::ApiResult;
use crate::extract::{Browser, new_client};
use crate::state::AppState;

/// `POST /v1/dev_browser`: a new browser identity for a development instance.
pub async fn create_dev_browser(
    State(state): State<AppState>,
    fapi: Browser,
) -> ApiResult<Response> {
    if state.instance.instance.mode != frontdesk_domain::InstanceMode::Development {
        return Err(crate::error::ApiError::not_found("dev browser"));
    }
    let (_, token) = new_client(&state, "dvb_", fapi.ip).await?;
    let mut res = crate::error::json_response(
        StatusCode::OK,
        &json!({"object": "dev_browser", "id": token}),
    );
    if let Ok(v) = HeaderValue::from_str(&token) {
        res.headers_mut().insert("clerk-db-jwt", v);
    }
    Ok(res)
}

/// `GET /v1/client`: `{response: Client|null, client: null}`.
pub async fn get(State(state): State<AppState>, fapi: Browser) -> ApiResult<Response> {
    let response = match &fapi.client {
        Some(c) => Some(render::client(&state, c, fapi.origin.as_deref()).await?),
        None => None,
    };
    Ok(fapi.respond(&json!({"response": response, "client": null})))
}

/// `DELETE /v1/client`: sign out of every session on this browser.
pub async fn delete(State(state): State<AppState>, mut fapi: Browser) -> ApiResult<Response> {
    let Some(client) = fapi.client.clone() else {
        return Ok(fapi
            .respond(&json!({"response": null, "client": null}))
            .into_response());
    };
    crate::engine::account::end_client_sessions(&state, &client.id, SessionStatus::Ended).await?;
    fapi.reload(&state).await?;
    fapi.set_client_uat(&state, 0);
    let c = render::client(
        &state,
        fapi.client.as_ref().unwrap_or(&client),
        fapi.origin.as_deref(),
    )
    .await?;
    Ok(fapi.respond(&json!({"response": c, "client": null})))
}
