//! Passkeys on the hosted pages: listed, added and removed on `/user`;
//! "Sign in with a passkey" on `/sign-in`. The same engine as clerk-js's
//! calls ([`crate::engine::passkeys`]), with Frontdesk's own origin as the
//! page the ceremony runs in.
//!
//! WebAuthn is a browser API, so these two forms need the page script
//! ([`super::guard::PAGE_SCRIPT`]): a form marked `data-passkey` carries the
//! options in `data-options`; on submit the script runs
//! `navigator.credentials.create` or `.get`, puts the answer (JSON,
//! base64url, as clerk-js serialises it) in the hidden `credential` field
//! and submits. Without script the page says passkeys need it.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::entities::User;
use frontdesk_domain::flows::FirstFactor;
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, csrf, hidden};
use super::profile::require;
use super::two_step::recent;
use super::{CsrfToken, Next, after_first_factor, failed, page, see_other};
use crate::engine::{passkeys, sign_in};
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

/// The section of `/user` about passkeys.
pub fn section(state: &AppState, token: &CsrfToken, user: &User) -> Markup {
    if !state.settings().settings.sign_in.passkey {
        return html! {};
    }
    html! {
        section aria-labelledby="h-passkeys" {
            h2 id="h-passkeys" { "Passkeys" }
            p class="hint" { "Sign in with your fingerprint, face or screen lock instead of a password." }
            @if !user.passkeys.is_empty() {
                ul class="passkeys" {
                    @for p in &user.passkeys {
                        li {
                            span class="passkey-name" { (p.name) }
                            form method="post" action=(format!("/user/passkeys/{}/remove", p.id)) {
                                (csrf(token))
                                button class="secondary" type="submit"
                                    aria-label=(format!("Remove passkey {}", p.name)) { "Remove" }
                            }
                        }
                    }
                }
            }
            form method="post" action="/user/passkeys/start" {
                (csrf(token))
                button type="submit" { "Add a passkey" }
            }
        }
    }
}

/// A form the page script completes with a WebAuthn ceremony.
fn ceremony(
    token: &CsrfToken,
    action: &str,
    kind: &str,
    options: &str,
    fields: Markup,
    button: &str,
) -> Markup {
    html! {
        form method="post" action=(action) data-passkey=(kind) data-options=(options) {
            (csrf(token))
            (fields)
            input type="hidden" name="credential" value="";
            p class="alert passkey-error" role="alert" hidden {}
            noscript { p class="alert" { "Passkeys need JavaScript in this browser." } }
            div class="actions" { button class="primary" type="submit" { (button) } }
        }
    }
}

/// `POST /user/passkeys/start`: a pending passkey, and the page that
/// creates it on this device.
pub async fn start(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let name = passkeys::device_name(&fapi.activity);
    let pending = match passkeys::begin_registration(&state, &user, None, name).await {
        Ok(p) => p,
        Err(e) => return failed(&state, &fapi, "Add a passkey", e),
    };
    let options = passkeys::creation_options(&pending).unwrap_or_default();
    let body = layout::shell(
        &state,
        "Add a passkey",
        html! {
            p { "Your device will ask for your fingerprint, face or screen lock, and keep the passkey for this account." }
            (ceremony(&token, &format!("/user/passkeys/{}/verify", pending.id), "create", &options, html! {}, "Create passkey"))
            p class="links" { a href="/user" { "Cancel" } }
        },
    );
    page(&fapi, StatusCode::OK, None, body)
}

#[derive(Deserialize)]
pub struct CredentialForm {
    #[serde(default)]
    credential: String,
    #[serde(default)]
    attempt: String,
    #[serde(flatten)]
    next: Next,
}

/// `POST /user/passkeys/{id}/verify`: keep the passkey the device made.
pub async fn verify(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
    Form(form): Form<CredentialForm>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    match passkeys::finish_registration(&state, &user.id, &id, &form.credential).await {
        Ok(_) => see_other(&fapi, "/user?done=passkey"),
        Err(e) => failed(&state, &fapi, "Add a passkey", e),
    }
}

/// `POST /user/passkeys/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match passkeys::delete(&state, &user.id, &id).await {
        Ok(_) => see_other(&fapi, "/user?done=passkey-off"),
        Err(e) => failed(&state, &fapi, "Passkeys", e),
    }
}

/// The button under the sign-in form.
pub fn sign_in_button(state: &AppState, token: &CsrfToken, redirect_url: Option<&str>) -> Markup {
    if !state.settings().settings.sign_in.passkey {
        return html! {};
    }
    html! {
        form method="post" action="/sign-in/passkey/start" class="passkey" {
            (csrf(token))
            (hidden("redirect_url", redirect_url))
            button class="secondary" type="submit" { "Sign in with a passkey" }
        }
    }
}

/// `POST /sign-in/passkey/start`: a sign-in with a passkey challenge, and
/// the page that answers it.
pub async fn start_sign_in(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<CredentialForm>,
) -> Response {
    // The ceremony runs on this page, at Frontdesk's own origin (the
    // request says `Origin: null`: the pages send `no-referrer`).
    fapi.origin = None;
    let started = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => sign_in::start(&state, &mut fapi, None, None, true).await,
    };
    let attempt = match started {
        Ok((attempt, _)) => attempt,
        Err(e) => return failed(&state, &fapi, "Sign in with a passkey", e),
    };
    let options = attempt
        .passkey
        .as_ref()
        .map(|c| c.options.clone())
        .unwrap_or_default();
    let redirect = form.next.raw(&state);
    let body = layout::shell(
        &state,
        "Sign in with a passkey",
        html! {
            p { "Use the passkey this device keeps for your account. It may ask for your fingerprint, face or screen lock." }
            (ceremony(&token, "/sign-in/passkey", "get", &options, html! {
                (hidden("attempt", Some(attempt.id.as_str())))
                (hidden("redirect_url", redirect.as_deref()))
            }, "Use my passkey"))
            p class="links" { a href=(format!("/sign-in{}", form.next.query(&state))) { "Use another method" } }
        },
    );
    page(&fapi, StatusCode::OK, None, body)
}

/// `POST /sign-in/passkey`: the device's answer.
pub async fn submit_sign_in(
    State(state): State<AppState>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<CredentialForm>,
) -> Response {
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => {
            sign_in::attempt(
                &state,
                &mut fapi,
                &form.attempt,
                FirstFactor::Passkey,
                &form.credential,
            )
            .await
        }
    };
    match result {
        Ok((attempt, Ok(()))) => after_first_factor(&state, &fapi, &attempt, &form.next).await,
        Ok((_, Err(e))) | Err(e) => failed(&state, &fapi, "Sign in with a passkey", e),
    }
}
