//! `GET /v1/dev/emails`: the development mailbox (Backend API, secret key).

use axum::extract::State;
use frontdesk_domain::InstanceMode;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{BackendCaller, QueryParams};
use crate::state::AppState;

/// Emails kept on a development instance, newest first.
pub async fn emails(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Value>> {
    if state.instance.instance.mode != InstanceMode::Development {
        return Err(ApiError::not_found("dev mailbox"));
    }
    let (limit, _) = q.page()?;
    let emails = state.store.list_dev_emails(limit).await?;
    let data: Vec<Value> = emails
        .into_iter()
        .map(|e| {
            json!({
                "object": "dev_email", "id": e.id, "to_email_address": e.to_address,
                "subject": e.subject, "body_plain": e.text_body, "body": e.html_body, "created_at": e.created_at.0,
            })
        })
        .collect();
    Ok(ApiJson(json!({"data": data, "total_count": data.len()})))
}
