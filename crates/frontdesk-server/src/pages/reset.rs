//! `/forgot-password` (ask for a code) and `/forgot-password/reset` (the code
//! and a new password). A reset ends every session of the account and signs
//! in on this browser. The answer to "send me a code" is the same whether or
//! not the address has an account.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::extract::ApiBody as Form;
use frontdesk_domain::flows::{FirstFactor, SignInStatus};
use maud::html;
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf, hidden};
use super::{CsrfToken, FormError, Next, after_first_factor, page, see_other, signed_in};
use crate::engine::sign_in;
use crate::extract::Browser;
use crate::state::AppState;

const STRATEGY: FirstFactor = FirstFactor::ResetPasswordEmailCode;

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    identifier: String,
    #[serde(flatten)]
    next: Next,
}

fn render(
    state: &AppState,
    token: &CsrfToken,
    form: &ForgotForm,
    error: Option<&FormError>,
) -> String {
    let value = Some(form.identifier.as_str()).filter(|s| !s.is_empty());
    layout::shell(
        state,
        "Reset your password",
        html! {
            p { "Enter your email address and we will send you a code to choose a new password." }
            (alert(error.and_then(|e| e.general(&["identifier"]))))
            form method="post" action="/forgot-password" novalidate {
                (csrf(token))
                (hidden("redirect_url", form.next.raw(state).as_deref()))
                (Field::new("identifier", "Email address", "email", "username")
                    .value(value)
                    .error(error.and_then(|e| e.on("identifier")))
                    .focus(true)
                    .render())
                div class="actions" { button class="primary" type="submit" { "Send code" } }
            }
            p class="links" { a href=(format!("/sign-in{}", form.next.query(state))) { "Back to sign-in" } }
        },
    )
}

/// `GET /forgot-password`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(next): Query<Next>,
) -> Response {
    let form = ForgotForm {
        next,
        ..ForgotForm::default()
    };
    page(
        &fapi,
        StatusCode::OK,
        None,
        render(&state, &token, &form, None),
    )
}

/// `POST /forgot-password`: start a sign-in and mail a reset code.
pub async fn submit(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<ForgotForm>,
) -> Response {
    let started = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => {
            sign_in::start(
                &state,
                &mut fapi,
                Some(form.identifier.clone()),
                None,
                false,
            )
            .await
        }
    };
    let result = match started {
        Ok((attempt, _)) => sign_in::prepare(&state, &fapi, &attempt.id, STRATEGY).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(attempt) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("attempt", &attempt.id);
            if let Some(n) = form.next.raw(&state) {
                q.append_pair("redirect_url", &n);
            }
            see_other(&fapi, &format!("/forgot-password/reset?{}", q.finish()))
        }
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render(&state, &token, &form, Some(&e));
            page(&fapi, e.status, Some(&e), body)
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    attempt: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    next: Next,
}

fn render_reset(
    state: &AppState,
    token: &CsrfToken,
    form: &ResetForm,
    code_verified: bool,
    error: Option<&FormError>,
) -> String {
    let min = state.settings().settings.passwords.min_length;
    let hint = format!("At least {min} characters.");
    layout::shell(
        state,
        "Choose a new password",
        html! {
            @if !code_verified {
                p { "If an account uses that address, we sent it a 6-digit code. It is valid for 10 minutes." }
            }
            (alert(error.and_then(|e| e.general(&["code", "password"]))))
            form method="post" action="/forgot-password/reset" novalidate {
                (csrf(token))
                (hidden("attempt", Some(&form.attempt)))
                (hidden("redirect_url", form.next.raw(state).as_deref()))
                @if !code_verified {
                    (Field::new("code", "Code", "text", "one-time-code")
                        .error(error.and_then(|e| e.on("code")))
                        .focus(error.is_none())
                        .render())
                }
                (Field::new("password", "New password", "password", "new-password")
                    .hint(&hint)
                    .error(error.and_then(|e| e.on("password")))
                    .render())
                p class="hint" { "Every device signed in to your account will be signed out." }
                div class="actions" { button class="primary" type="submit" { "Reset password" } }
            }
        },
    )
}

/// Whether the attempt's code was already accepted (a new password was
/// refused after it): then only the password is asked again.
async fn code_verified(state: &AppState, fapi: &Browser, attempt: &str) -> bool {
    sign_in::get(state, fapi, attempt)
        .await
        .is_ok_and(|a| a.status == SignInStatus::NeedsNewPassword)
}

/// `GET /forgot-password/reset?attempt=`.
pub async fn show_reset(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(form): Query<ResetForm>,
) -> Response {
    let verified = code_verified(&state, &fapi, &form.attempt).await;
    let body = render_reset(&state, &token, &form, verified, None);
    page(&fapi, StatusCode::OK, None, body)
}

/// `POST /forgot-password/reset`: the code, then the new password.
pub async fn submit_reset(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<ResetForm>,
) -> Response {
    let mut verified = code_verified(&state, &fapi, &form.attempt).await;
    let mut result = budget.check();
    if result.is_err() {
        verified = false;
    } else if !verified {
        result =
            match sign_in::attempt(&state, &mut fapi, &form.attempt, STRATEGY, &form.code).await {
                Ok((_, r)) => r,
                Err(e) => Err(e),
            };
        verified = result.is_ok();
    }
    let mut done = None;
    if verified && result.is_ok() {
        result = sign_in::reset(&state, &mut fapi, &form.attempt, &form.password)
            .await
            .map(|a| done = Some(a));
    }
    match (result, done) {
        (Ok(()), Some(attempt)) => after_first_factor(&state, &fapi, &attempt, &form.next).await,
        (Ok(()), None) => signed_in(&state, &fapi, &form.next),
        (Err(e), _) => {
            let e = FormError::from_api(e);
            let body = render_reset(&state, &token, &form, verified, Some(&e));
            page(&fapi, e.status, Some(&e), body)
        }
    }
}
