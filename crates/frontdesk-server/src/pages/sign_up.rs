//! `/sign-up` (names, email, password) and `/sign-up/verify` (the emailed
//! code, after which the account exists and the browser is signed in).

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::extract::ApiBody as Form;
use maud::html;
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf, hidden};
use super::{CodeForm, CsrfToken, FormError, Next, page, see_other, signed_in};
use crate::routes::frontend::Fapi;
use crate::routes::frontend::sign_ups::{self, Fields};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct SignUpForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    next: Next,
}

const FIELDS: &[&str] = &["first_name", "last_name", "email_address", "password"];

fn render(
    state: &AppState,
    token: &CsrfToken,
    form: &SignUpForm,
    error: Option<&FormError>,
) -> String {
    let on = |f: &str| error.and_then(|e| e.on(f));
    let min = state.config.min_password_length;
    let hint = format!("At least {min} characters. A few unrelated words make a strong password.");
    let value = |v: &str| Some(v.to_owned()).filter(|s| !s.is_empty());
    let (first, last, email) = (
        value(&form.first_name),
        value(&form.last_name),
        value(&form.email_address),
    );
    layout::shell(
        state,
        "Create your account",
        html! {
            (alert(error.and_then(|e| e.general(FIELDS))))
            form method="post" action="/sign-up" novalidate {
                (csrf(token))
                (hidden("redirect_url", form.next.raw(state).as_deref()))
                (Field::new("first_name", "First name", "text", "given-name")
                    .optional().value(first.as_deref()).error(on("first_name"))
                    .focus(error.is_none()).render())
                (Field::new("last_name", "Last name", "text", "family-name")
                    .optional().value(last.as_deref()).error(on("last_name")).render())
                (Field::new("email_address", "Email address", "email", "email")
                    .value(email.as_deref()).error(on("email_address")).render())
                (Field::new("password", "Password", "password", "new-password")
                    .hint(&hint).error(on("password")).render())
                div class="actions" {
                    button class="primary" type="submit" { "Continue" }
                }
            }
            p class="links" {
                "Have an account? "
                a href=(format!("/sign-in{}", form.next.query(state))) { "Sign in" }
            }
        },
    )
}

/// `GET /sign-up`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Fapi,
    Query(next): Query<Next>,
) -> Response {
    let form = SignUpForm {
        next,
        ..SignUpForm::default()
    };
    page(
        &fapi,
        StatusCode::OK,
        None,
        render(&state, &token, &form, None),
    )
}

/// `POST /sign-up`: start the sign-up and mail the code.
pub async fn submit(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Fapi,
    budget: Budget,
    Form(form): Form<SignUpForm>,
) -> Response {
    let fields = Fields {
        email_address: Some(form.email_address.clone()),
        password: Some(form.password.clone()),
        first_name: Some(form.first_name.trim().to_owned()),
        last_name: Some(form.last_name.trim().to_owned()),
        ..Fields::default()
    };
    let started = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => sign_ups::start(&state, &mut fapi, fields).await,
    };
    let result = match started {
        Ok(attempt) => sign_ups::send_code(&state, &fapi, &attempt.id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(attempt) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("attempt", &attempt.id);
            if let Some(n) = form.next.raw(&state) {
                q.append_pair("redirect_url", &n);
            }
            see_other(&fapi, &format!("/sign-up/verify?{}", q.finish()))
        }
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render(&state, &token, &form, Some(&e));
            page(&fapi, e.status, Some(&e), body)
        }
    }
}

/// The address the sign-up's code went to, for the page to say so.
async fn address(state: &AppState, fapi: &Fapi, attempt: &str) -> Option<String> {
    sign_ups::load_flow::<frontdesk_domain::flows::SignUpAttempt>(state, fapi, attempt, "sign_up")
        .await
        .ok()
        .and_then(|(_, a)| a.email_address)
}

fn render_verify(
    state: &AppState,
    token: &CsrfToken,
    form: &CodeForm,
    to: Option<&str>,
    error: Option<&FormError>,
    notice: Option<&str>,
) -> String {
    let intro = match to {
        Some(to) => format!("We sent a 6-digit code to {to}. It is valid for 10 minutes."),
        None => {
            "We sent a 6-digit code to your email address. It is valid for 10 minutes.".to_owned()
        }
    };
    layout::CodeStep {
        path: "/sign-up/verify",
        title: "Verify your email",
        intro: &intro,
        label: "Verification code",
        submit: "Verify",
        attempt: &form.attempt,
        redirect_url: form.next.raw(state),
        footer: html! {},
    }
    .render(state, token, error, notice)
}

/// `GET /sign-up/verify?attempt=`.
pub async fn show_verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Fapi,
    Query(form): Query<CodeForm>,
) -> Response {
    page(
        &fapi,
        StatusCode::OK,
        None,
        render_verify(
            &state,
            &token,
            &form,
            address(&state, &fapi, &form.attempt).await.as_deref(),
            None,
            None,
        ),
    )
}

/// `POST /sign-up/verify`: check the code (or send a new one); with it
/// right, the account is created and the browser signed in.
pub async fn submit_verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Fapi,
    budget: Budget,
    Form(form): Form<CodeForm>,
) -> Response {
    let result = if let Err(e) = budget.check() {
        Err(e)
    } else if form.action == "resend" {
        sign_ups::send_code(&state, &fapi, &form.attempt).await
    } else {
        sign_ups::verify(&state, &mut fapi, &form.attempt, &form.code).await
    };
    match result {
        Ok(a) if a.status == "complete" => signed_in(&state, &fapi, &form.next),
        Ok(_) => {
            let to = address(&state, &fapi, &form.attempt).await;
            let body = render_verify(
                &state,
                &token,
                &form,
                to.as_deref(),
                None,
                Some("We sent a new code."),
            );
            page(&fapi, StatusCode::OK, None, body)
        }
        Err(e) => {
            let e = FormError::from_api(e);
            let to = address(&state, &fapi, &form.attempt).await;
            let body = render_verify(&state, &token, &form, to.as_deref(), Some(&e), None);
            page(&fapi, e.status, Some(&e), body)
        }
    }
}
