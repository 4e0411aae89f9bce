//! Backend API: clients (`/v1/clients…`).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use frontdesk_crypto::sha256_hex;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::Client;
use frontdesk_store::SessionQuery;
use frontdesk_types::ClientId;
use frontdesk_types::session::Client as WireClient;
use serde::Deserialize;

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/clients", get(list))
        .route("/v1/clients/verify", post(verify))
        .route("/v1/clients/{client_id}", get(show))
}

/// A client with its sessions, as the Backend API shows it.
pub async fn with_sessions(state: &AppState, client: &Client) -> ApiResult<WireClient> {
    let sessions = state
        .store
        .list_sessions(&SessionQuery {
            user_id: None,
            client_id: Some(client.id.clone()),
            status: None,
            limit: 500,
            offset: 0,
        })
        .await?;
    Ok(render::client(client, &sessions, UnixMillis::now()))
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Vec<WireClient>>> {
    let (limit, offset) = q.page()?;
    let mut out = Vec::new();
    for c in state.store.list_clients(limit, offset).await? {
        out.push(with_sessions(&state, &c).await?);
    }
    Ok(ApiJson(out))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WireClient>> {
    let id: ClientId = id.parse().map_err(|_| ApiError::not_found("client"))?;
    let client = state
        .store
        .get_client(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("client"))?;
    Ok(ApiJson(with_sessions(&state, &client).await?))
}

#[derive(Deserialize)]
struct Verify {
    token: String,
}

async fn verify(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<Verify>,
) -> ApiResult<ApiJson<WireClient>> {
    if body.token.len() > 4096 {
        return Err(ApiError::bad_param(
            "token",
            "form_param_format_invalid",
            "`token` is too long",
        ));
    }
    let client = state
        .store
        .find_client_by_token_hash(&sha256_hex(body.token.as_bytes()))
        .await?
        .ok_or_else(|| ApiError::not_found("client"))?;
    Ok(ApiJson(with_sessions(&state, &client).await?))
}
