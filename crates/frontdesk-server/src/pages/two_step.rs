//! `/user/two-step…`: add an authenticator app (QR code and secret, then a
//! code to confirm it), see the backup codes once, make new ones, remove
//! the app. The hosted counterpart of `<UserProfile/>`'s Security page, over
//! the same engine ([`crate::engine::mfa`]).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::entities::{Session, TotpRecord, User};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf};
use super::profile::require;
use super::{CsrfToken, FormError, page, see_other};
use crate::engine::mfa;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

/// The `otpauth://` URI as a QR code (SVG, drawn here: nothing is fetched).
fn qr(uri: &str) -> Markup {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => PreEscaped(
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build(),
        ),
        Err(_) => html! {},
    }
}

/// The setup page: scan (or type) the secret, then confirm with a code.
fn render_setup(
    state: &AppState,
    token: &CsrfToken,
    user: &User,
    pending: &TotpRecord,
    error: Option<&FormError>,
) -> String {
    let uri = mfa::uri(state, user, pending).unwrap_or_default();
    layout::shell(
        state,
        "Add an authenticator app",
        html! {
            p { "Scan this QR code with your authenticator app (Google Authenticator, 1Password, Aegis…), then enter the 6-digit code it shows." }
            figure class="qr" aria-label="QR code for your authenticator app" { (qr(&uri)) }
            p class="hint" { "Can't scan it? Enter this key in the app instead:" }
            p { code id="totp-secret" { (pending.secret) } }
            (alert(error.and_then(|e| e.general(&["code"]))))
            form method="post" action="/user/two-step/verify" novalidate {
                (csrf(token))
                (Field::new("code", "Code from the app", "text", "one-time-code")
                    .error(error.and_then(|e| e.on("code")))
                    .focus(true)
                    .render())
                div class="actions" { button class="primary" type="submit" { "Turn on two-step verification" } }
            }
            p class="links" { a href="/user" { "Cancel" } }
        },
    )
}

/// The backup codes, shown once.
fn render_codes(state: &AppState, title: &str, codes: &[String]) -> String {
    layout::shell(
        state,
        title,
        html! {
            p { "Save these backup codes somewhere safe. Each one signs you in once if you lose your authenticator app. They will not be shown again." }
            ul class="codes" id="backup-codes" {
                @for c in codes { li { code { (c) } } }
            }
            p class="links" { a href="/user?done=two-step" { "Done" } }
        },
    )
}

/// The section of `/user` about two-step verification.
pub fn section(state: &AppState, token: &CsrfToken, user: &User) -> Markup {
    let rules = state.settings().settings.mfa;
    html! {
        section aria-labelledby="h-two-step" {
            h2 id="h-two-step" { "Two-step verification" }
            @if user.mfa.totp_enabled {
                p { "Authenticator app " span class="badge" { "On" } }
                @if user.mfa.backup_code_enabled { p class="hint" { "You have unused backup codes." } }
                div class="actions" {
                    @if rules.backup_codes {
                        form method="post" action="/user/two-step/backup-codes" {
                            (csrf(token))
                            button class="secondary" type="submit" { "Make new backup codes" }
                        }
                    }
                    form method="post" action="/user/two-step/remove" {
                        (csrf(token))
                        button class="secondary" type="submit" { "Remove authenticator app" }
                    }
                }
            } @else if rules.totp {
                p class="hint" { "Ask for a code from an app on your phone each time you sign in." }
                form method="post" action="/user/two-step/start" {
                    (csrf(token))
                    button type="submit" { "Add an authenticator app" }
                }
            } @else {
                p class="hint" { "Not offered on this instance." }
            }
        }
    }
}

/// "Confirm it's you": the password and (for a user with an app) a code,
/// before a sensitive change (security.md C8).
fn render_verify(
    state: &AppState,
    token: &CsrfToken,
    user: &User,
    error: Option<&FormError>,
) -> String {
    let app = !mfa::second_factors(state, user).is_empty();
    layout::shell(
        state,
        "Confirm it's you",
        html! {
            p { "To change how you sign in, confirm it's you. Then try again." }
            (alert(error.and_then(|e| e.general(&["current_password", "code"]))))
            form method="post" action="/user/verify" novalidate {
                (csrf(token))
                @if user.password_digest.is_some() {
                    (Field::new("current_password", "Password", "password", "current-password")
                        .error(error.and_then(|e| e.on("current_password")))
                        .focus(true)
                        .render())
                }
                @if app {
                    (Field::new("code", "Code from your authenticator app (or a backup code)", "text", "off")
                        .error(error.and_then(|e| e.on("code")))
                        .render())
                }
                div class="actions" { button class="primary" type="submit" { "Confirm" } }
            }
            p class="links" { a href="/user" { "Cancel" } }
        },
    )
}

/// The signed-in user, when their session checked a factor recently enough
/// for a sensitive change; else the "confirm it's you" page.
pub(super) async fn recent(
    state: &AppState,
    token: &CsrfToken,
    fapi: &Browser,
) -> Result<(Session, User), Response> {
    let (session, user) = require(state, fapi).await?;
    match crate::engine::reverify::require_recent(state, &session, &user) {
        Ok(()) => Ok((session, user)),
        Err(_) => Err(page(
            fapi,
            StatusCode::FORBIDDEN,
            None,
            render_verify(state, token, &user, None),
        )),
    }
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    code: String,
}

/// `POST /user/verify`: prove the factors again, then back to the profile.
pub async fn confirm(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    budget: Budget,
    Form(form): Form<VerifyForm>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => {
            crate::engine::reverify::confirm(
                &state,
                &session,
                &user,
                &form.current_password,
                &form.code,
            )
            .await
        }
    };
    match result {
        Ok(()) => see_other(&fapi, "/user?done=verified"),
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render_verify(&state, &token, &user, Some(&e));
            page(&fapi, e.status, Some(&e), body)
        }
    }
}

fn failed(state: &AppState, fapi: &Browser, e: crate::error::ApiError) -> Response {
    super::failed(state, fapi, "Two-step verification", e)
}

/// `POST /user/two-step/start`: a new pending secret, and its setup page.
pub async fn start(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match mfa::create_totp(&state, &user).await {
        Ok(pending) => page(
            &fapi,
            StatusCode::OK,
            None,
            render_setup(&state, &token, &user, &pending, None),
        ),
        Err(e) => failed(&state, &fapi, e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /user/two-step/verify`: confirm with a code; show the backup codes.
pub async fn verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    budget: Budget,
    Form(form): Form<CodeForm>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => mfa::verify_totp(&state, &user, &form.code).await,
    };
    let result = match result {
        Ok(done) => crate::engine::reverify::proven(
            &state,
            &session,
            frontdesk_domain::flows::reverify::Proven::Second,
        )
        .await
        .map(|_| done),
        Err(e) => Err(e),
    };
    match result {
        Ok((_, codes, _)) => {
            let body = render_codes(
                &state,
                "Two-step verification is on",
                codes.as_deref().unwrap_or_default(),
            );
            page(&fapi, StatusCode::OK, None, body)
        }
        Err(e) => match state.store.totp(&user.id).await {
            Ok(Some(pending)) if !pending.verified => {
                let e = FormError::from_api(e);
                let body = render_setup(&state, &token, &user, &pending, Some(&e));
                page(&fapi, e.status, Some(&e), body)
            }
            _ => failed(&state, &fapi, e),
        },
    }
}

/// `POST /user/two-step/backup-codes`: a new set, shown once.
pub async fn backup_codes(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match mfa::regenerate_backup_codes(&state, &user).await {
        Ok((codes, _)) => {
            let body = render_codes(&state, "New backup codes", &codes);
            page(&fapi, StatusCode::OK, None, body)
        }
        Err(e) => failed(&state, &fapi, e),
    }
}

/// `POST /user/two-step/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match mfa::delete_totp(&state, &user.id).await {
        Ok(_) => see_other(&fapi, "/user?done=two-step-off"),
        Err(e) => failed(&state, &fapi, e),
    }
}
