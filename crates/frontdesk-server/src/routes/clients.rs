//! Backend API: clients (`/v1/clients…`).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use frontdesk_crypto::sha256_hex;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::Client;
use frontdesk_store::SessionQuery;
use frontdesk_types::ClientId;
use frontdesk_types::session::Client as WireClient;
use serde::Deserialize;
use serde_json::json;

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

/// `GET /v1/clients`: an array, or with `paginated=true` (which
/// `@clerk/backend`'s `clients.getClientList()` always sends)
/// `{"data": [...], "total_count": N}`.
async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<Response> {
    let (limit, offset) = q.page()?;
    let paginated = q.parse::<bool>("paginated")?.unwrap_or(false);
    let mut out = Vec::new();
    for c in state.store.list_clients(limit, offset).await? {
        out.push(with_sessions(&state, &c).await?);
    }
    if !paginated {
        return Ok(ApiJson(out).into_response());
    }
    // The store has no client count: count page by page, holding one page.
    const PAGE: i64 = 500;
    let mut total: i64 = 0;
    loop {
        let n = state.store.list_clients(PAGE, total).await?.len() as i64;
        total += n;
        if n < PAGE {
            break;
        }
    }
    Ok(ApiJson(json!({"data": out, "total_count": total})).into_response())
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
