//! Backend API: a user's accounts at other identity providers
//! (`/v1/users/{id}/oauth_access_tokens/{provider}`,
//! `/v1/users/{id}/external_accounts/{id}`), as `@clerk/backend`'s
//! `users.getUserOauthAccessToken` and `users.deleteUserExternalAccount`
//! call them (clerk-protocol-wave2.md §3.9).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use frontdesk_types::common::DeletedObject;
use serde_json::{Value, json};

use crate::engine::external;
use crate::engine::users::load_user;
use crate::error::{ApiJson, ApiResult};
use crate::extract::BackendCaller;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/users/{user_id}/oauth_access_tokens/{provider}",
            get(access_tokens),
        )
        .route(
            "/v1/users/{user_id}/external_accounts/{account_id}",
            delete(delete_account),
        )
}

/// The provider's tokens for the user, paginated as `@clerk/backend` asks
/// (`?paginated=true`: `{data, total_count}`), else a bare list.
async fn access_tokens(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, provider)): Path<(String, String)>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> ApiResult<ApiJson<Value>> {
    let user = load_user(&state, &id).await?;
    let provider = external::strategy(&provider)?;
    let list: Vec<Value> = external::access_tokens(&state, &user, &provider)
        .await?
        .into_iter()
        .map(|(account, tokens)| {
            json!({
                "object": "oauth_access_token",
                "external_account_id": account.id,
                "provider_user_id": account.provider_user_id,
                "token": tokens.access_token,
                "expires_at": tokens.expires_at.map(|t| t.0 / 1000),
                "provider": account.provider,
                "public_metadata": {},
                "label": null,
                "scopes": tokens.scopes.split_whitespace().collect::<Vec<_>>(),
            })
        })
        .collect();
    let paginated = query.as_deref().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "paginated" && v == "true")
    });
    Ok(ApiJson(if paginated {
        json!({ "total_count": list.len(), "data": list })
    } else {
        Value::Array(list)
    }))
}

/// `users.deleteUserExternalAccount`; `user.updated` follows.
async fn delete_account(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let user = load_user(&state, &id).await?;
    external::unlink(&state, &user, &account_id).await?;
    Ok(ApiJson(DeletedObject::new("external_account", account_id)))
}
