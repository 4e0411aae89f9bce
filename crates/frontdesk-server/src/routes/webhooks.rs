//! Backend API: webhook endpoints, their messages and attempts
//! (`/v1/webhooks/…`, documented in docs/webhooks.md).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::{
    DeliveryAttempt, DeliveryStatus, EVENT_TYPES, EndpointMessage, WebhookEndpoint,
};
use frontdesk_types::MessageId;
use frontdesk_types::common::DeletedObject;
use frontdesk_types::webhook as wire;
use serde::Deserialize;

use crate::error::{ApiError, ApiJson, ApiResult, json_response};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::state::AppState;
use crate::webhooks::endpoints::{self, EndpointChangeError, EndpointPatch, NewEndpoint};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks/event_types", get(event_types))
        .route("/v1/webhooks/endpoints", get(list).post(create))
        .route(
            "/v1/webhooks/endpoints/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/v1/webhooks/endpoints/{id}/secret", get(secret))
        .route("/v1/webhooks/endpoints/{id}/secret/rotate", post(rotate))
        .route("/v1/webhooks/endpoints/{id}/messages", get(messages))
        .route(
            "/v1/webhooks/endpoints/{id}/messages/{msg}/attempts",
            get(attempts),
        )
        .route(
            "/v1/webhooks/endpoints/{id}/messages/{msg}/resend",
            post(resend),
        )
        .route("/v1/webhooks/endpoints/{id}/recover", post(recover))
}

/// A `webhook_endpoint`, with its secret only when `with_secret`.
pub fn endpoint(e: &WebhookEndpoint, with_secret: bool) -> wire::WebhookEndpoint {
    wire::WebhookEndpoint {
        object: "webhook_endpoint".to_owned(),
        id: e.id.clone(),
        url: e.url.to_string(),
        description: e.description.clone(),
        filter_types: e.filter_types.clone(),
        disabled: e.disabled,
        failing_since: e.failing_since.map(|t| t.0),
        secret: with_secret.then(|| e.secret.expose()),
        created_at: e.created_at.0,
        updated_at: e.updated_at.0,
    }
}

pub fn message(m: &EndpointMessage) -> wire::WebhookMessage {
    wire::WebhookMessage {
        object: "webhook_message".to_owned(),
        id: m.message_id.clone(),
        event_type: m.event_type.clone(),
        payload: serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null),
        status: m.status.as_str().to_owned(),
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at.map(|t| t.0),
        created_at: m.created_at.0,
    }
}

pub fn attempt(a: &DeliveryAttempt) -> wire::WebhookAttempt {
    wire::WebhookAttempt {
        object: "webhook_attempt".to_owned(),
        id: a.id.clone(),
        message_id: a.message_id.clone(),
        endpoint_id: a.endpoint_id.clone(),
        timestamp: a.at.0,
        status: if a.succeeded { "success" } else { "fail" }.to_owned(),
        response_status_code: a.status_code,
        duration_ms: a.duration_ms,
        response: a.response.clone(),
    }
}

impl From<EndpointChangeError> for ApiError {
    fn from(e: EndpointChangeError) -> Self {
        match e {
            EndpointChangeError::Invalid { field, source } => {
                ApiError::bad_param(field, "form_param_value_invalid", source.to_string())
            }
            EndpointChangeError::Store(frontdesk_store::StoreError::NotFound) => {
                ApiError::not_found("webhook endpoint")
            }
            EndpointChangeError::Busy => ApiError::client(
                axum::http::StatusCode::CONFLICT,
                frontdesk_types::ClerkError::new(
                    "conflict",
                    "Changed meanwhile",
                    EndpointChangeError::Busy.to_string(),
                ),
            ),
            EndpointChangeError::Store(e) => e.into(),
        }
    }
}

async fn load(state: &AppState, raw: &str) -> ApiResult<WebhookEndpoint> {
    endpoints::find(state.store.as_ref(), raw).await
}

fn message_id(raw: &str) -> ApiResult<MessageId> {
    raw.parse()
        .map_err(|_| ApiError::not_found("webhook message"))
}

async fn event_types(_: BackendCaller) -> ApiJson<wire::List<String>> {
    ApiJson(wire::List {
        data: EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        total_count: EVENT_TYPES.len() as i64,
    })
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<wire::List<wire::WebhookEndpoint>>> {
    let all = state.store.list_endpoints().await?;
    Ok(ApiJson(wire::List {
        total_count: all.len() as i64,
        data: all.iter().map(|e| endpoint(e, false)).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    url: String,
    description: Option<String>,
    #[serde(default)]
    filter_types: Vec<String>,
    #[serde(default)]
    disabled: bool,
    secret: Option<String>,
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<ApiJson<wire::WebhookEndpoint>> {
    let created = endpoints::create(
        state.store.as_ref(),
        state.webhooks.policy,
        NewEndpoint {
            url: body.url,
            description: body.description,
            filter_types: body.filter_types,
            disabled: body.disabled,
            secret: body.secret,
        },
    )
    .await?;
    Ok(ApiJson(endpoint(&created, true)))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<wire::WebhookEndpoint>> {
    Ok(ApiJson(endpoint(&load(&state, &id).await?, false)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    url: Option<String>,
    description: Option<String>,
    filter_types: Option<Vec<String>>,
    disabled: Option<bool>,
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Update>,
) -> ApiResult<ApiJson<wire::WebhookEndpoint>> {
    let current = load(&state, &id).await?;
    let patch = EndpointPatch {
        url: body.url,
        description: body.description,
        filter_types: body.filter_types,
        disabled: body.disabled,
    };
    let updated =
        endpoints::update(state.store.as_ref(), state.webhooks.policy, current, patch).await?;
    Ok(ApiJson(endpoint(&updated, false)))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let e = load(&state, &id).await?;
    state
        .store
        .delete_endpoint(&e.id)
        .await
        .map_err(EndpointChangeError::from)?;
    Ok(ApiJson(DeletedObject::new(
        "webhook_endpoint",
        e.id.as_str(),
    )))
}

fn secret_of(e: &WebhookEndpoint) -> wire::WebhookSecret {
    wire::WebhookSecret {
        object: "webhook_endpoint_secret".to_owned(),
        key: e.secret.expose(),
    }
}

async fn secret(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<wire::WebhookSecret>> {
    Ok(ApiJson(secret_of(&load(&state, &id).await?)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rotate {
    key: Option<String>,
}

async fn rotate(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Rotate>,
) -> ApiResult<ApiJson<wire::WebhookSecret>> {
    let current = load(&state, &id).await?;
    let rotated =
        endpoints::rotate_secret(state.store.as_ref(), current, body.key.as_deref()).await?;
    Ok(ApiJson(secret_of(&rotated)))
}

async fn messages(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: QueryParams,
) -> ApiResult<ApiJson<wire::List<wire::WebhookMessage>>> {
    let e = load(&state, &id).await?;
    let status = match q.text("status") {
        None => None,
        Some(s) => Some(s.parse::<DeliveryStatus>().map_err(|()| {
            ApiError::bad_param(
                "status",
                "form_param_value_invalid",
                "`status` is one of pending, success, fail",
            )
        })?),
    };
    let before = q.text("before").map(|b| message_id(&b)).transpose()?;
    let limit = q.parse::<i64>("limit")?.unwrap_or(50).clamp(1, 500);
    let found = state
        .store
        .list_endpoint_messages(&e.id, status, before.as_ref(), limit)
        .await?;
    Ok(ApiJson(wire::List {
        total_count: found.len() as i64,
        data: found.iter().map(message).collect(),
    }))
}

async fn attempts(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, msg)): Path<(String, String)>,
) -> ApiResult<ApiJson<wire::List<wire::WebhookAttempt>>> {
    let e = load(&state, &id).await?;
    let found = state
        .store
        .list_attempts(&e.id, &[message_id(&msg)?])
        .await?;
    Ok(ApiJson(wire::List {
        total_count: found.len() as i64,
        data: found.iter().map(attempt).collect(),
    }))
}

async fn resend(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, msg)): Path<(String, String)>,
) -> ApiResult<Response> {
    let e = load(&state, &id).await?;
    let msg = message_id(&msg)?;
    state
        .store
        .resend(&e.id, &msg, UnixMillis::now())
        .await
        .map_err(|err| match err {
            frontdesk_store::StoreError::NotFound => ApiError::not_found("webhook message"),
            other => other.into(),
        })?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &wire::Recovery {
            object: "webhook_recovery".to_owned(),
            count: 1,
        },
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Recover {
    /// Milliseconds since the epoch: failed messages created since then.
    since: i64,
}

async fn recover(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Recover>,
) -> ApiResult<Response> {
    let e = load(&state, &id).await?;
    let count = state
        .store
        .recover(&e.id, UnixMillis(body.since), UnixMillis::now())
        .await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &wire::Recovery {
            object: "webhook_recovery".to_owned(),
            count,
        },
    ))
}
