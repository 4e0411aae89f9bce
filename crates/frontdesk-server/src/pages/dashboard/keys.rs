//! `/dashboard/keys`: the publishable key and the env block an app needs,
//! secret keys (made, shown once, revoked) and signing keys (rotated; the
//! old ones stay published while tokens they signed may live).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::super::layout::{Field, alert, csrf, notice};
use super::super::{CsrfToken, page, see_other};
use super::{Section, datetime, error_text, frame, head, maybe};
use crate::engine::admin::{self, Audit, Operator};
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

#[derive(Default)]
struct Shown {
    done: Option<&'static str>,
    error: Option<String>,
    /// A key just made: its only showing.
    new_key: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    fapi: &Browser,
    token: &CsrfToken,
    operator: &Operator,
    shown: Shown,
    status: StatusCode,
) -> Response {
    let (secret_keys, signing_keys) = match (
        state.store.list_secret_keys().await,
        state.store.signing_keys().await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return super::super::failed(state, fapi, "Keys", e.into()),
    };
    let pk = state.instance.publishable_key.to_string();
    let origin = state.instance.public_url.origin();
    let env_block = format!(
        "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY={pk}\nCLERK_SECRET_KEY={}\nNEXT_PUBLIC_CLERK_SIGN_IN_URL={origin}/sign-in\nNEXT_PUBLIC_CLERK_SIGN_UP_URL={origin}/sign-up\n",
        shown
            .new_key
            .as_deref()
            .unwrap_or("sk_… (make one below; it is shown once)")
    );
    let body = html! {
        (head("Keys", Some(html! { "What apps use to reach this instance." }), None))
        (notice(shown.done))
        (alert(shown.error.as_deref()))
        section class="panel" aria-labelledby="h-app" {
            h2 id="h-app" { "For your app" }
            dl class="facts" {
                dt { "Publishable key" } dd { code { (pk) } }
                dt { "Frontend API" } dd { code { (origin) } }
                dt { "JWKS" } dd { code { (origin) "/.well-known/jwks.json" } }
            }
            h3 { "Next.js (.env.local)" }
            pre class="panel mono" tabindex="0" aria-label="Environment for a Next.js app" { (env_block) }
        }
        section class="panel" aria-labelledby="h-secret" {
            h2 id="h-secret" { "Secret keys" }
            @if let Some(k) = &shown.new_key {
                p class="notice" role="status" { "Your new secret key. Copy it now: it is not shown again." }
                p { code id="new-secret-key" { (k) } }
            }
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Key" } th scope="col" { "Created" } th scope="col" { "Status" } th scope="col" { span class="sr-only" { "Actions" } } } }
                    tbody {
                        @for k in &secret_keys {
                            tr {
                                td { (k.label) }
                                td { code { (k.hint) } }
                                td class="nowrap" { (datetime(k.created_at)) }
                                td { @if k.revoked_at.is_some() { span class="badge badge-muted" { "Revoked " (maybe(k.revoked_at)) } } @else { span class="badge badge-success" { "Active" } } }
                                td {
                                    @if k.revoked_at.is_none() {
                                        form class="inline" method="post" action=(format!("/dashboard/keys/secret/{}/revoke", k.id)) {
                                            (csrf(token))
                                            button class="danger small" type="submit" aria-label=(format!("Revoke {}", k.label)) { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form class="toolbar" method="post" action="/dashboard/keys/secret" novalidate {
                (csrf(token))
                (Field::new("label", "Name of a new key", "text", "off").hint("Where it will be used, e.g. \"production API\"").render())
                button type="submit" { "Create secret key" }
            }
        }
        section class="panel" aria-labelledby="h-signing" {
            h2 id="h-signing" { "Signing keys" }
            p class="muted" { "Session tokens are signed with the active key. After a rotation the old key stays in the JWKS, so tokens it signed still verify until they expire." }
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    thead { tr { th scope="col" { "Key ID" } th scope="col" { "Created" } th scope="col" { "Status" } } }
                    tbody {
                        @for k in &signing_keys {
                            tr {
                                td { code { (k.id) } }
                                td class="nowrap" { (datetime(k.created_at)) }
                                td { @if k.retired_at.is_none() { span class="badge badge-success" { "Signing" } } @else { span class="badge badge-muted" { "Retired " (maybe(k.retired_at)) } } }
                            }
                        }
                    }
                }
            }
            form method="post" action="/dashboard/keys/signing/rotate" {
                (csrf(token))
                div class="actions row" { button class="secondary" type="submit" { "Rotate signing key" } }
            }
        }
    };
    let html = frame(state, operator, Section::Keys, "Keys", body);
    page(fapi, status, None, html)
}

/// `GET /dashboard/keys`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/keys").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let done = match q.done.as_deref() {
        Some("revoked") => Some("The secret key was revoked."),
        Some("rotated") => Some("A new signing key signs session tokens from now on."),
        _ => None,
    };
    let shown = Shown {
        done,
        ..Shown::default()
    };
    render(&state, &fapi, &token, &operator, shown, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewKey {
    #[serde(default)]
    label: String,
}

/// `POST /dashboard/keys/secret`: the key on the page, once.
pub async fn create(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<NewKey>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/keys").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    let (shown, status) = match admin::create_secret_key(&state, &by, &form.label).await {
        Ok(key) => (
            Shown {
                new_key: Some(key.expose().to_owned()),
                ..Shown::default()
            },
            StatusCode::OK,
        ),
        Err(e) => {
            let (status, message) = error_text(e);
            (
                Shown {
                    error: Some(message),
                    ..Shown::default()
                },
                status,
            )
        }
    };
    render(&state, &fapi, &token, &operator, shown, status).await
}

/// `POST /dashboard/keys/secret/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/keys").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    match admin::revoke_secret_key(&state, &by, &id).await {
        Ok(()) => see_other(&fapi, "/dashboard/keys?done=revoked"),
        Err(e) => super::super::failed(&state, &fapi, "Keys", e),
    }
}

/// `POST /dashboard/keys/signing/rotate`.
pub async fn rotate(State(state): State<AppState>, fapi: Browser) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/keys").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    match admin::rotate_signing_key(&state, &by).await {
        Ok(()) => see_other(&fapi, "/dashboard/keys?done=rotated"),
        Err(e) => super::super::failed(&state, &fapi, "Keys", e),
    }
}
