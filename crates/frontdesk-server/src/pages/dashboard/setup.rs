//! The way in: the one-time link that makes the first administrator
//! (`/dashboard/setup?token=…`, printed on a start with none), and the
//! second factor an administrator's session must check (`/dashboard/verify`).

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::super::guard::Budget;
use super::super::layout::{self, Field, alert, csrf};
use super::super::{CsrfToken, FormError, page, see_other, status_of};
use crate::engine::account;
use crate::engine::admin::{self, Access, Audit, Operator};
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// `GET /dashboard/setup?token=…`: sign up (or in) first, then confirm.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(q): Query<SetupQuery>,
) -> Response {
    let here = format!(
        "{}?{}",
        admin::SETUP_PATH,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("token", &q.token)
            .finish()
    );
    let Ok((_, user)) = account::signed_in(&state, &fapi, None).await else {
        let next = form_urlencoded::Serializer::new(String::new())
            .append_pair("redirect_url", &here)
            .finish();
        return see_other(&fapi, &format!("/sign-up?{next}"));
    };
    let body = layout::shell(
        &state,
        "Set up the dashboard",
        html! {
            p { "You are signed in as " strong { (admin::label(&user)) } "." }
            p { "Make this account the administrator of this instance? Administrators manage every user \
                 and setting, and need two-step verification to use the dashboard." }
            form method="post" action=(admin::SETUP_PATH) {
                (csrf(&token))
                input type="hidden" name="token" value=(q.token);
                div class="actions" { button class="primary" type="submit" { "Become the administrator" } }
            }
            p class="links" { "Not you? " a href="/sign-out" { "Sign out" } }
        },
    );
    page(&fapi, StatusCode::OK, None, body)
}

/// `POST /dashboard/setup`: spend the link.
pub async fn redeem(
    State(state): State<AppState>,
    fapi: Browser,
    Form(form): Form<SetupQuery>,
) -> Response {
    let Ok((session, user)) = account::signed_in(&state, &fapi, None).await else {
        return see_other(&fapi, "/sign-in");
    };
    let operator = Operator { session, user };
    let by = Audit::of(&operator, &fapi);
    match admin::redeem(&state, &form.token, &operator.user, &by).await {
        Ok(true) => see_other(&fapi, "/dashboard"),
        Ok(false) => page(
            &fapi,
            StatusCode::GONE,
            None,
            layout::message(
                &state,
                "This link no longer works",
                "It was used, has expired, was replaced by a newer one, or this instance has an \
                 administrator already. On the server, `frontdesk admin create --email …` makes \
                 an existing user an administrator.",
            ),
        ),
        Err(e) => super::super::failed(&state, &fapi, "Set up the dashboard", e),
    }
}

#[derive(Deserialize, Default)]
pub struct VerifyForm {
    #[serde(default)]
    code: String,
}

fn render_verify(
    state: &AppState,
    token: &CsrfToken,
    has_factor: bool,
    error: Option<&FormError>,
) -> String {
    layout::shell(
        state,
        "Two-step verification",
        html! {
            @if has_factor {
                p { "The dashboard needs a second factor. Enter the code from your authenticator app, \
                     or one of your backup codes." }
                (alert(error.and_then(|e| e.general(&["code"]))))
                form method="post" action="/dashboard/verify" novalidate {
                    (csrf(token))
                    (Field::new("code", "Code", "text", "one-time-code")
                        .hint("Six digits from the app, or a backup code")
                        .error(error.and_then(|e| e.on("code")))
                        .focus(true)
                        .render())
                    div class="actions" { button class="primary" type="submit" { "Continue" } }
                }
            } @else {
                p class="warning" role="status" {
                    "Administrators need two-step verification. Add an authenticator app to your \
                     account, then come back."
                }
                p { a class="button" href="/user" { "Set up two-step verification" } }
            }
            p class="links" { a href="/user" { "Your account" } " · " a href="/sign-out" { "Sign out" } }
        },
    )
}

/// `GET /dashboard/verify`.
pub async fn show_verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
) -> Response {
    match admin::access(&state, &fapi).await {
        Ok(Access::NeedsSecondFactor { has_factor, .. }) => page(
            &fapi,
            StatusCode::OK,
            None,
            render_verify(&state, &token, has_factor, None),
        ),
        Ok(_) => see_other(&fapi, "/dashboard"),
        Err(e) => super::super::failed(&state, &fapi, "Two-step verification", e),
    }
}

/// `POST /dashboard/verify`: check the code, then on to the dashboard.
pub async fn verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    budget: Budget,
    Form(form): Form<VerifyForm>,
) -> Response {
    // Only an administrator who still needs the step takes it; anyone
    // else goes where the dashboard sends them.
    let (session, user) = match admin::access(&state, &fapi).await {
        Ok(Access::NeedsSecondFactor { session, user, .. }) => (session, user),
        Ok(_) => return see_other(&fapi, "/dashboard"),
        Err(e) => return super::super::failed(&state, &fapi, "Two-step verification", e),
    };
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => admin::step_up(&state, &session, &user, &form.code).await,
    };
    match result {
        Ok(()) => see_other(&fapi, "/dashboard"),
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render_verify(&state, &token, user.mfa.totp_enabled, Some(&e));
            page(&fapi, status_of(Some(&e)), Some(&e), body)
        }
    }
}
