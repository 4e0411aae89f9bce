//! `/sign-in` (email and password, or "email me a code") and `/sign-in/code`.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::extract::ApiBody as Form;
use maud::html;
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf, hidden};
use super::{
    CodeForm, CsrfToken, FormError, Next, after_first_factor, page, see_other, signed_in, status_of,
};
use crate::engine::sign_in;
use crate::extract::Browser;
use crate::state::AppState;
use frontdesk_domain::flows::FirstFactor;

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    password: String,
    /// `password` or `code`: which button was pressed.
    #[serde(default)]
    action: String,
    #[serde(flatten)]
    next: Next,
}

fn render(
    state: &AppState,
    token: &CsrfToken,
    form: &SignInForm,
    error: Option<&FormError>,
) -> String {
    let q = form.next.query(state);
    layout::shell(
        state,
        "Sign in",
        html! {
            (alert(error.and_then(|e| e.general(&["identifier", "password"]))))
            (super::social::buttons(state, token, "/sign-in/oauth", form.next.raw(state).as_deref()))
            form method="post" action="/sign-in" novalidate {
                (csrf(token))
                (hidden("redirect_url", form.next.raw(state).as_deref()))
                (Field::new("identifier", "Email address", "email", "username")
                    .value(Some(form.identifier.as_str()).filter(|s| !s.is_empty()))
                    .error(error.and_then(|e| e.on("identifier")))
                    .focus(form.identifier.is_empty())
                    .render())
                (Field::new("password", "Password", "password", "current-password")
                    .error(error.and_then(|e| e.on("password")))
                    .focus(!form.identifier.is_empty())
                    .render())
                div class="actions" {
                    button class="primary" type="submit" name="action" value="password" { "Sign in" }
                    @if state.settings().settings.sign_in.email_code {
                        button class="secondary" type="submit" name="action" value="code" {
                            "Email me a sign-in code instead"
                        }
                    }
                }
            }
            (super::passkeys::sign_in_button(state, token, form.next.raw(state).as_deref()))
            p class="links" {
                a href=(format!("/forgot-password{q}")) { "Forgot password?" }
                " · "
                a href=(format!("/sign-up{q}")) { "Create an account" }
            }
        },
    )
}

/// `GET /sign-in`: the form; a browser already signed in goes on at once.
/// With an invitation's ticket (`__clerk_ticket`), the invitation.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(next): Query<Next>,
    q: crate::extract::QueryParams,
) -> Response {
    if let Some(ticket) = q.text("__clerk_ticket") {
        return super::invitation::show(&state, &token, &fapi, &ticket, next).await;
    }
    if let Ok((session, _)) = crate::engine::account::signed_in(&state, &fapi, None).await {
        if session.status == frontdesk_domain::entities::SessionStatus::Pending {
            return see_other(&fapi, super::SETUP_MFA);
        }
        return signed_in(&state, &fapi, &next);
    }
    let form = SignInForm {
        next,
        ..SignInForm::default()
    };
    page(
        &fapi,
        StatusCode::OK,
        None,
        render(&state, &token, &form, None),
    )
}

/// `POST /sign-in`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<SignInForm>,
) -> Response {
    let identifier = Some(form.identifier.clone());
    // An address of an organization with its own provider goes there.
    if let Some(res) =
        super::social::enterprise(&state, &mut fapi, form.identifier.trim(), &form.next).await
    {
        return res;
    }
    let missing = if form.identifier.trim().is_empty() {
        Some(("identifier", "Enter your email address."))
    } else if form.action != "code" && form.password.is_empty() {
        Some((
            "password",
            "Enter your password, or choose to get a code by email.",
        ))
    } else {
        None
    };
    if let Some((field, text)) = missing {
        let e = FormError::from_api(crate::error::ApiError::bad_param(
            field,
            "form_param_missing",
            text,
        ));
        let body = render(&state, &token, &form, Some(&e));
        return page(&fapi, e.status, Some(&e), body);
    }
    let outcome = if let Err(e) = budget.check() {
        Err(e)
    } else if form.action == "code" {
        match sign_in::start(&state, &mut fapi, identifier, None, false).await {
            Ok((attempt, _)) => {
                sign_in::prepare(&state, &fapi, &attempt.id, FirstFactor::EmailCode)
                    .await
                    .map(|a| (a, true))
            }
            Err(e) => Err(e),
        }
    } else {
        match sign_in::start(
            &state,
            &mut fapi,
            identifier,
            Some(form.password.clone()),
            false,
        )
        .await
        {
            Ok((attempt, Ok(()))) => Ok((attempt, false)),
            Ok((_, Err(e))) | Err(e) => Err(e),
        }
    };
    match outcome {
        Ok((attempt, true)) => see_other(&fapi, &code_url(&state, &attempt.id, &form.next)),
        Ok((attempt, false)) => after_first_factor(&state, &fapi, &attempt, &form.next).await,
        Err(e) => {
            let e = FormError::from_api(e);
            let e = if form.action == "code" {
                e
            } else {
                e.neutral_credentials()
            };
            let body = render(&state, &token, &form, Some(&e));
            page(&fapi, e.status, Some(&e), body)
        }
    }
}

pub(super) fn code_url(state: &AppState, attempt: &str, next: &Next) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("attempt", attempt);
    if let Some(n) = next.raw(state) {
        q.append_pair("redirect_url", &n);
    }
    format!("/sign-in/code?{}", q.finish())
}

/// The address the sign-in's code went to (as typed), for the page to say so.
async fn address(state: &AppState, fapi: &Browser, attempt: &str) -> Option<String> {
    sign_in::get(state, fapi, attempt)
        .await
        .ok()
        .and_then(|a| a.identifier)
}

fn render_code(
    state: &AppState,
    token: &CsrfToken,
    form: &CodeForm,
    to: Option<&str>,
    error: Option<&FormError>,
    notice: Option<&str>,
) -> String {
    let intro = match to {
        Some(to) => format!(
            "If {to} has an account, we sent a 6-digit sign-in code there. It is valid for 10 minutes."
        ),
        None => "We sent a 6-digit sign-in code to your email address. It is valid for 10 minutes."
            .to_owned(),
    };
    layout::CodeStep {
        path: "/sign-in/code",
        title: "Check your email",
        intro: &intro,
        label: "Code",
        submit: "Continue",
        attempt: &form.attempt,
        redirect_url: form.next.raw(state),
        footer: html! {
            p class="links" { a href=(format!("/sign-in{}", form.next.query(state))) { "Use another method" } }
        },
        resend: true,
        carry: None,
        digits: true,
    }
    .render(state, token, error, notice)
}

/// `GET /sign-in/code?attempt=`.
pub async fn show_code(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(form): Query<CodeForm>,
) -> Response {
    page(
        &fapi,
        StatusCode::OK,
        None,
        render_code(
            &state,
            &token,
            &form,
            address(&state, &fapi, &form.attempt).await.as_deref(),
            None,
            None,
        ),
    )
}

/// `POST /sign-in/code`: check the code, or send a new one.
pub async fn submit_code(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<CodeForm>,
) -> Response {
    if form.action == "resend" {
        let result = match budget.check() {
            Err(e) => Err(e),
            Ok(()) => sign_in::prepare(&state, &fapi, &form.attempt, FirstFactor::EmailCode).await,
        };
        let (error, notice) = match result {
            Ok(_) => (None, Some("We sent a new code.")),
            Err(e) => (Some(FormError::from_api(e)), None),
        };
        let to = address(&state, &fapi, &form.attempt).await;
        let body = render_code(&state, &token, &form, to.as_deref(), error.as_ref(), notice);
        return page(&fapi, status_of(error.as_ref()), error.as_ref(), body);
    }
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => {
            sign_in::attempt(
                &state,
                &mut fapi,
                &form.attempt,
                FirstFactor::EmailCode,
                &form.code,
            )
            .await
        }
    };
    match result {
        Ok((attempt, Ok(()))) => after_first_factor(&state, &fapi, &attempt, &form.next).await,
        Ok((_, Err(e))) | Err(e) => {
            let e = FormError::from_api(e);
            let to = address(&state, &fapi, &form.attempt).await;
            let body = render_code(&state, &token, &form, to.as_deref(), Some(&e), None);
            page(&fapi, e.status, Some(&e), body)
        }
    }
}
