//! The page an invitation's link leads to when the app has not named one
//! (`/v1/tickets/accept` sends the invitee to `/sign-in` or `/sign-up` with
//! `__clerk_ticket`): who invites them to what, then, on a button press (a
//! link opened by a mail scanner changes nothing), signing in with the
//! ticket as the first factor, or creating the account for the invited
//! address, and joining.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf, hidden};
use super::{CsrfToken, FormError, Next, after_first_factor, page, signed_in};
use crate::engine::org_invitations;
use crate::engine::sign_in;
use crate::engine::sign_up::{self, Fields};
use crate::error::ApiError;
use crate::extract::{ApiBody as Form, Browser};
use crate::state::AppState;
use frontdesk_store::org_invitations::InvitationView;

#[derive(Deserialize, Default)]
pub struct InvitationForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    next: Next,
}

const FIELDS: &[&str] = &["first_name", "last_name", "username", "password"];

/// The invitation, whether its address has an account, or why the ticket
/// no longer works.
async fn resolve(state: &AppState, ticket: &str) -> Result<(InvitationView, bool), ApiError> {
    let found = org_invitations::by_ticket(state, ticket).await?;
    let known = state
        .store
        .find_user_by_email(&found.invitation.email_address)
        .await?
        .is_some();
    Ok((found, known))
}

fn render(
    state: &AppState,
    token: &CsrfToken,
    form: &InvitationForm,
    found: Result<&(InvitationView, bool), &FormError>,
    error: Option<&FormError>,
) -> String {
    let (invitation, known) = match found {
        Ok((v, known)) => (v, *known),
        Err(e) => {
            return layout::shell(
                state,
                "Invitation",
                html! {
                    (alert(Some(&e.message)))
                    p class="links" { a href="/sign-in" { "Sign in" } }
                },
            );
        }
    };
    let settings = state.settings();
    let rules = &settings.settings.sign_up;
    let on = |f: &str| error.and_then(|e| e.on(f));
    let value = |v: &str| Some(v.to_owned()).filter(|s| !s.is_empty());
    let (first, last, user) = (
        value(&form.first_name),
        value(&form.last_name),
        value(&form.username),
    );
    let min = settings.settings.passwords.min_length;
    let hint = format!("At least {min} characters. A few unrelated words make a strong password.");
    let role = if invitation.role_name.is_empty() {
        invitation.invitation.role.to_string()
    } else {
        invitation.role_name.clone()
    };
    layout::shell(
        state,
        &format!("Join {}", invitation.organization.name),
        html! {
            (alert(error.and_then(|e| e.general(FIELDS))))
            p {
                "You are invited to join " strong { (invitation.organization.name) }
                " as " (role) ", with " strong { (invitation.invitation.email_address) } "."
            }
            form method="post" action="/invitation" novalidate {
                (csrf(token))
                (hidden("ticket", Some(&form.ticket)))
                (hidden("redirect_url", form.next.raw(state).as_deref()))
                @if known {
                    div class="actions" {
                        button class="primary" type="submit" { "Accept and sign in" }
                    }
                } @else {
                    @if rules.first_name.enabled {
                        (Field::new("first_name", "First name", "text", "given-name")
                            .required(rules.first_name.required).value(first.as_deref())
                            .error(on("first_name")).render())
                    }
                    @if rules.last_name.enabled {
                        (Field::new("last_name", "Last name", "text", "family-name")
                            .required(rules.last_name.required).value(last.as_deref())
                            .error(on("last_name")).render())
                    }
                    @if rules.username.enabled {
                        (Field::new("username", "Username", "text", "username")
                            .required(rules.username.required).value(user.as_deref())
                            .error(on("username")).render())
                    }
                    (Field::new("password", "Password", "password", "new-password")
                        .hint(&hint).error(on("password")).render())
                    div class="actions" {
                        button class="primary" type="submit" { "Create account and join" }
                    }
                }
            }
        },
    )
}

/// `GET /sign-in` or `/sign-up` with `__clerk_ticket`.
pub async fn show(
    state: &AppState,
    token: &CsrfToken,
    fapi: &Browser,
    ticket: &str,
    next: Next,
) -> Response {
    let form = InvitationForm {
        ticket: ticket.to_owned(),
        next,
        ..InvitationForm::default()
    };
    let found = resolve(state, ticket).await.map_err(FormError::from_api);
    let status = found.as_ref().map_or_else(|e| e.status, |_| StatusCode::OK);
    let body = render(state, token, &form, found.as_ref(), None);
    page(fapi, status, found.as_ref().err(), body)
}

/// `POST /invitation`: sign in with the ticket, or create the account.
pub async fn submit(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<InvitationForm>,
) -> Response {
    let found = match budget.check() {
        Ok(()) => resolve(&state, &form.ticket).await,
        Err(e) => Err(e),
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render(&state, &token, &form, Err(&e), None);
            return page(&fapi, e.status, Some(&e), body);
        }
    };
    let outcome = if found.1 {
        match sign_in::start_ticket(&state, &mut fapi, &form.ticket).await {
            Ok((attempt, Ok(()))) => {
                return after_first_factor(&state, &fapi, &attempt, &form.next).await;
            }
            Ok((_, Err(e))) | Err(e) => e,
        }
    } else {
        let text = |v: &str| Some(v.trim().to_owned()).filter(|s| !s.is_empty());
        let fields = Fields {
            password: Some(form.password.clone()),
            first_name: text(&form.first_name),
            last_name: text(&form.last_name),
            username: text(&form.username),
            ..Fields::default()
        };
        match sign_up::start_ticket(&state, &mut fapi, &form.ticket, fields).await {
            Ok(a) if a.status == frontdesk_domain::flows::SignUpStatus::Complete => {
                return signed_in(&state, &fapi, &form.next);
            }
            Ok(a) => {
                let field = a.missing_fields(&state.settings().settings.sign_up);
                let name = field.first().copied().unwrap_or("password");
                ApiError::bad_param(
                    name,
                    "form_param_missing",
                    format!("Enter your {}.", name.replace('_', " ")),
                )
            }
            Err(e) => e,
        }
    };
    let e = FormError::from_api(outcome);
    let body = render(&state, &token, &form, Ok(&found), Some(&e));
    page(&fapi, e.status, Some(&e), body)
}
