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
use crate::engine::sign_up::{self, Fields};
use crate::extract::Browser;
use crate::state::AppState;
use frontdesk_domain::flows::SignUpStatus;
use frontdesk_domain::settings::{Attribute, SignUpSettings};

#[derive(Deserialize, Default)]
pub struct SignUpForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    next: Next,
}

const FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "username",
    "email_address",
    "password",
];

/// The fields the instance asks for on this form besides the address and
/// the password: `(name, label, autocomplete, setting)`.
fn named_fields(
    rules: &SignUpSettings,
) -> [(&'static str, &'static str, &'static str, Attribute); 3] {
    [
        ("first_name", "First name", "given-name", rules.first_name),
        ("last_name", "Last name", "family-name", rules.last_name),
        ("username", "Username", "username", rules.username),
    ]
}

impl SignUpForm {
    fn named(&self, name: &str) -> &str {
        match name {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            _ => &self.username,
        }
    }
}

fn render(
    state: &AppState,
    token: &CsrfToken,
    form: &SignUpForm,
    error: Option<&FormError>,
) -> String {
    let on = |f: &str| error.and_then(|e| e.on(f));
    let min = state.settings().settings.passwords.min_length;
    let hint = format!("At least {min} characters. A few unrelated words make a strong password.");
    let value = |v: &str| Some(v.to_owned()).filter(|s| !s.is_empty());
    let email = value(&form.email_address);
    let settings = state.settings();
    let named = named_fields(&settings.settings.sign_up);
    layout::shell(
        state,
        "Create your account",
        html! {
            (alert(error.and_then(|e| e.general(FIELDS))))
            (super::social::buttons(state, token, "/sign-up/oauth", form.next.raw(state).as_deref()))
            form method="post" action="/sign-up" novalidate {
                (csrf(token))
                (hidden("redirect_url", form.next.raw(state).as_deref()))
                @for (i, (name, label, autocomplete, attr)) in named.iter().filter(|f| f.3.enabled).enumerate() {
                    (Field::new(name, label, "text", autocomplete)
                        .required(attr.required).value(Some(form.named(name)).filter(|s| !s.is_empty()))
                        .error(on(name)).focus(error.is_none() && i == 0).render())
                }
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

/// `GET /sign-up`; with an invitation's ticket (`__clerk_ticket`), the
/// invitation.
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
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<SignUpForm>,
) -> Response {
    let rules = state.settings().settings.sign_up.clone();
    let given = |name: &str| {
        let attr = named_fields(&rules)
            .into_iter()
            .find(|f| f.0 == name)
            .map(|f| f.3)
            .unwrap_or_default();
        attr.enabled.then(|| form.named(name).trim().to_owned())
    };
    let fields = Fields {
        email_address: Some(form.email_address.clone()),
        password: Some(form.password.clone()),
        first_name: given("first_name"),
        last_name: given("last_name"),
        username: given("username").filter(|u| !u.is_empty()),
        ..Fields::default()
    };
    // The form asks for what the instance requires, so a sign-up started
    // here can complete with the code alone.
    let missing = named_fields(&rules)
        .into_iter()
        .find(|(name, _, _, attr)| attr.required && form.named(name).trim().is_empty());
    let started = match (budget.check(), missing) {
        (Err(e), _) => Err(e),
        (Ok(()), Some((name, label, _, _))) => Err(crate::error::ApiError::bad_param(
            name,
            "form_param_missing",
            format!("Enter your {}.", label.to_lowercase()),
        )),
        (Ok(()), None) => sign_up::start(&state, &mut fapi, fields, None).await,
    };
    let result = match started {
        Ok(attempt) => sign_up::send_code(&state, &fapi, &attempt.id).await,
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
async fn address(state: &AppState, fapi: &Browser, attempt: &str) -> Option<String> {
    sign_up::get(state, fapi, attempt)
        .await
        .ok()
        .and_then(|a| a.email_address)
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
        resend: true,
        carry: None,
        digits: true,
    }
    .render(state, token, error, notice)
}

/// `GET /sign-up/verify?attempt=`.
pub async fn show_verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
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
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<CodeForm>,
) -> Response {
    let result = if let Err(e) = budget.check() {
        Err(e)
    } else if form.action == "resend" {
        sign_up::send_code(&state, &fapi, &form.attempt).await
    } else {
        sign_up::verify(&state, &mut fapi, &form.attempt, &form.code).await
    };
    match result {
        Ok(a) if a.status == SignUpStatus::Complete => signed_in(&state, &fapi, &form.next),
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
