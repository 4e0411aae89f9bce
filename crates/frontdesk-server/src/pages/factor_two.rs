//! `/sign-in/factor-two`: the code from the user's authenticator app, or one
//! of their backup codes, after a right password or emailed code.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::flows::SecondFactor;
use maud::html;
use serde::Deserialize;

use super::guard::Budget;
use super::{CsrfToken, FormError, Next, layout, page, signed_in};
use crate::engine::sign_in;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct FactorForm {
    #[serde(default)]
    attempt: String,
    #[serde(default)]
    code: String,
    /// `totp` (default) or `backup_code`.
    #[serde(default)]
    method: String,
    #[serde(flatten)]
    next: Next,
}

impl FactorForm {
    fn factor(&self) -> SecondFactor {
        self.method.parse().unwrap_or(SecondFactor::Totp)
    }
}

/// The page for `attempt`, asking for `factor` (the app's code by default).
pub fn url(state: &AppState, attempt: &str, factor: Option<SecondFactor>, next: &Next) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("attempt", attempt);
    if let Some(f) = factor {
        q.append_pair("method", f.as_str());
    }
    if let Some(n) = next.raw(state) {
        q.append_pair("redirect_url", &n);
    }
    format!("/sign-in/factor-two?{}", q.finish())
}

fn render(
    state: &AppState,
    token: &CsrfToken,
    form: &FactorForm,
    error: Option<&FormError>,
) -> String {
    let factor = form.factor();
    let (title, intro, label, other, other_text) = match factor {
        SecondFactor::Totp => (
            "Two-step verification",
            "Enter the 6-digit code from your authenticator app.",
            "Authenticator code",
            SecondFactor::BackupCode,
            "Use a backup code instead",
        ),
        SecondFactor::BackupCode => (
            "Use a backup code",
            "Enter one of the backup codes you saved when you set up two-step verification. Each works once.",
            "Backup code",
            SecondFactor::Totp,
            "Use your authenticator app instead",
        ),
    };
    let footer = html! {
        p class="links" {
            a href=(url(state, &form.attempt, Some(other), &form.next)) { (other_text) }
            " · "
            a href=(format!("/sign-in{}", form.next.query(state))) { "Start over" }
        }
    };
    layout::CodeStep {
        path: "/sign-in/factor-two",
        title,
        intro,
        label,
        submit: "Continue",
        attempt: &form.attempt,
        redirect_url: form.next.raw(state),
        footer,
        resend: false,
        carry: Some(("method", factor.as_str())),
        digits: factor == SecondFactor::Totp,
    }
    .render(state, token, error, None)
}

/// `GET /sign-in/factor-two?attempt=`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(form): Query<FactorForm>,
) -> Response {
    page(
        &fapi,
        StatusCode::OK,
        None,
        render(&state, &token, &form, None),
    )
}

/// `POST /sign-in/factor-two`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<FactorForm>,
) -> Response {
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => {
            match sign_in::attempt_second(
                &state,
                &mut fapi,
                &form.attempt,
                form.factor(),
                &form.code,
            )
            .await
            {
                Ok((_, r)) => r,
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => signed_in(&state, &fapi, &form.next),
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render(&state, &token, &form, Some(&e));
            page(&fapi, e.status, Some(&e), body)
        }
    }
}
