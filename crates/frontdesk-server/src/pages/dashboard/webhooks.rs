//! `/dashboard/webhooks`: endpoints (made here, with the URL checked as the
//! Backend API checks it) and, per endpoint, its signing secret (rotated
//! here), its latest messages with their delivery attempts, and a button
//! that sends one again.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::webhooks::{DeliveryAttempt, EndpointMessage, WebhookEndpoint};
use frontdesk_types::MessageId;
use maud::html;
use serde::Deserialize;

use super::super::layout::{Field, alert, csrf, notice};
use super::super::{CsrfToken, page, see_other};
use super::{Section, datetime, error_text, frame, head};
use crate::engine::admin::{self, Audit};
use crate::error::ApiError;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

/// Messages shown per endpoint.
const MESSAGES: i64 = 20;

#[derive(Deserialize, Default)]
pub struct NewEndpoint {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// `GET /dashboard/webhooks`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
) -> Response {
    list(&state, &fapi, &token, None, StatusCode::OK).await
}

async fn list(
    state: &AppState,
    fapi: &Browser,
    token: &CsrfToken,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let operator = match super::require(state, fapi, "/dashboard/webhooks").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let endpoints = match state.store.list_endpoints().await {
        Ok(e) => e,
        Err(e) => return super::super::failed(state, fapi, "Webhooks", e.into()),
    };
    let body = html! {
        (head("Webhooks", Some(html! { "Signed (Svix) deliveries of every event to your endpoints, retried on Svix's schedule." }), None))
        (alert(error))
        @if endpoints.is_empty() {
            div class="panel" { p { "No endpoint yet." } }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    thead { tr { th scope="col" { "Endpoint" } th scope="col" { "Events" } th scope="col" { "State" } th scope="col" { "Created" } } }
                    tbody {
                        @for e in &endpoints {
                            tr {
                                td { a href=(format!("/dashboard/webhooks/{}", e.id)) { (e.url.as_str()) } @if !e.description.is_empty() { br; span class="muted" { (e.description) } } }
                                td { @if e.filter_types.is_empty() { "All" } @else { (e.filter_types.join(", ")) } }
                                td {
                                    @if e.disabled { span class="badge badge-muted" { "Disabled" } }
                                    @else if e.failing_since.is_some() { span class="badge badge-danger" { "Failing" } }
                                    @else { span class="badge badge-success" { "Healthy" } }
                                }
                                td class="nowrap" { (datetime(e.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        section class="panel" aria-labelledby="h-new" {
            h2 id="h-new" { "Add an endpoint" }
            form method="post" action="/dashboard/webhooks" novalidate {
                (csrf(token))
                (Field::new("url", "URL", "url", "off").hint("HTTPS; http on loopback for a development instance").render())
                (Field::new("description", "Description", "text", "off").optional().render())
                button type="submit" { "Add endpoint" }
            }
        }
    };
    let html = frame(state, &operator, Section::Webhooks, "Webhooks", body);
    page(fapi, status, None, html)
}

/// `POST /dashboard/webhooks`.
pub async fn create(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<NewEndpoint>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/webhooks").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    match admin::create_endpoint(&state, &by, &form.url, &form.description).await {
        Ok(e) => see_other(&fapi, &format!("/dashboard/webhooks/{}?done=created", e.id)),
        Err(e) => {
            let (status, message) = error_text(e);
            list(&state, &fapi, &token, Some(&message), status).await
        }
    }
}

async fn load(state: &AppState, raw: &str) -> Result<WebhookEndpoint, ApiError> {
    crate::webhooks::endpoints::find(state.store.as_ref(), raw).await
}

/// `GET /dashboard/webhooks/{id}`.
pub async fn endpoint(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Response {
    let operator = match super::require(&state, &fapi, &format!("/dashboard/webhooks/{id}")).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let found = async {
        let e = load(&state, &id).await?;
        let messages = state
            .store
            .list_endpoint_messages(&e.id, None, None, MESSAGES)
            .await?;
        let ids: Vec<_> = messages.iter().map(|m| m.message_id.clone()).collect();
        let mut attempts = state.store.list_attempts(&e.id, &ids).await?;
        let with_attempts: Vec<(EndpointMessage, Vec<DeliveryAttempt>)> = messages
            .into_iter()
            .map(|m| {
                let (own, rest) = attempts
                    .drain(..)
                    .partition(|a: &DeliveryAttempt| a.message_id == m.message_id);
                attempts = rest;
                (m, own)
            })
            .collect();
        Ok::<_, ApiError>((e, with_attempts))
    }
    .await;
    let (e, messages) = match found {
        Ok(v) => v,
        Err(err) => return super::super::failed(&state, &fapi, "Webhook endpoint", err),
    };
    let done = match q.done.as_deref() {
        Some("created") => Some("Endpoint added. Events are delivered to it from now on."),
        Some("rotated") => {
            Some("New signing secret. The previous one also signs for the next 24 hours.")
        }
        Some("replayed") => Some("The message is being sent again."),
        _ => None,
    };
    let base = format!("/dashboard/webhooks/{}", e.id);
    let body = html! {
        (head(e.url.as_str(), Some(html! { code { (e.id) } }), None))
        (notice(done))
        section class="panel" aria-labelledby="h-secret" {
            h2 id="h-secret" { "Signing secret" }
            details {
                summary { "Show the secret your app verifies deliveries with" }
                p { code id="endpoint-secret" { (e.secret.expose()) } }
            }
            form method="post" action=(format!("{base}/rotate")) {
                (csrf(&token))
                div class="actions row" { button class="secondary" type="submit" { "Rotate secret" } }
            }
        }
        section class="panel" aria-labelledby="h-messages" {
            h2 id="h-messages" { "Latest messages" }
            @if messages.is_empty() {
                p class="muted" { "No message yet." }
            } @else {
                div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                    table {
                        thead { tr { th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Created" } th scope="col" { span class="sr-only" { "Actions" } } } }
                        tbody {
                            @for (m, attempts) in &messages {
                                tr {
                                    td { code { (m.event_type) } br; span class="muted mono" { (m.message_id) } }
                                    td { span class="badge" { (m.status.as_str()) } }
                                    td {
                                        @for a in attempts {
                                            span class=(if a.succeeded { "badge badge-success" } else { "badge badge-danger" }) {
                                                (a.status_code.map_or_else(|| "no answer".to_owned(), |c| c.to_string()))
                                                " · " (a.duration_ms) " ms"
                                            } " "
                                        }
                                    }
                                    td class="nowrap" { (datetime(m.created_at)) }
                                    td {
                                        form class="inline" method="post" action=(format!("{base}/messages/{}/replay", m.message_id)) {
                                            (csrf(&token))
                                            button class="secondary small" type="submit" aria-label=(format!("Replay {}", m.message_id)) { "Replay" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let html = frame(&state, &operator, Section::Webhooks, e.url.as_str(), body);
    page(&fapi, StatusCode::OK, None, html)
}

/// `POST /dashboard/webhooks/{id}/rotate`.
pub async fn rotate(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/webhooks").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    let result = match load(&state, &id).await {
        Ok(e) => admin::rotate_endpoint_secret(&state, &by, e).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&fapi, &format!("/dashboard/webhooks/{id}?done=rotated")),
        Err(e) => super::super::failed(&state, &fapi, "Webhook endpoint", e),
    }
}

/// `POST /dashboard/webhooks/{id}/messages/{msg}/replay`.
pub async fn replay(
    State(state): State<AppState>,
    fapi: Browser,
    Path((id, msg)): Path<(String, String)>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/webhooks").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    let result = async {
        let e = load(&state, &id).await?;
        let msg: MessageId = msg
            .parse()
            .map_err(|_| ApiError::not_found("webhook message"))?;
        admin::replay_message(&state, &by, &e.id, &msg).await
    }
    .await;
    match result {
        Ok(()) => see_other(&fapi, &format!("/dashboard/webhooks/{id}?done=replayed")),
        Err(e) => super::super::failed(&state, &fapi, "Webhook endpoint", e),
    }
}
