//! `/user`: the signed-in person's names, email addresses, password and the
//! devices they are signed in on; and `/sign-out`.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::extract::ApiBody as Form;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionStatus, User};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf, hidden};
use super::{CsrfToken, FormError, Next, page, see_other, status_of};
use crate::engine::account;
use crate::extract::Browser;
use crate::state::AppState;

/// The signed-in session and user, or a redirect to sign in and come back.
pub(super) async fn require(state: &AppState, fapi: &Browser) -> Result<(Session, User), Response> {
    account::signed_in(state, fapi, None)
        .await
        .map_err(|_| see_other(fapi, "/sign-in?redirect_url=%2Fuser"))
}

#[derive(Deserialize, Default)]
pub struct Shown {
    /// What was just changed, for the status message.
    done: Option<String>,
}

/// Which form an error belongs to.
#[derive(PartialEq, Clone, Copy)]
pub(super) enum Section {
    Names,
    Image,
    Emails,
    Password,
    Devices,
}

fn when(t: UnixMillis) -> String {
    let secs = (UnixMillis::now().0 - t.0).max(0) / 1000;
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

pub(super) fn device(s: &Session) -> String {
    let a = &s.latest_activity;
    let browser = match (&a.browser_name, &a.browser_version) {
        (Some(n), Some(v)) if !v.is_empty() => format!("{n} {}", v.split('.').next().unwrap_or(v)),
        (Some(n), _) => n.clone(),
        _ => "Unknown browser".to_owned(),
    };
    match &a.device_type {
        Some(d) => format!("{browser} on {d}"),
        None => browser,
    }
}

/// Where a session was last seen: its address and, with a GeoIP database,
/// its city and country ("203.0.113.7 · Athens, GR").
pub(super) fn place(s: &Session) -> Option<String> {
    let a = &s.latest_activity;
    let town = [a.city.as_deref(), a.country.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let parts: Vec<&str> = [a.ip_address.as_deref(), Some(town.as_str())]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn render(
    state: &AppState,
    token: &CsrfToken,
    current: &Session,
    user: &User,
    sessions: &[Session],
    error: Option<(Section, &FormError)>,
    done: Option<&str>,
) -> String {
    let err = |s: Section| error.filter(|(at, _)| *at == s).map(|(_, e)| e);
    let names = err(Section::Names);
    let password = err(Section::Password);
    let min = state.settings().settings.passwords.min_length;
    let hint = format!("At least {min} characters.");
    let notice = match done {
        Some("profile") => Some("Your name was saved."),
        Some("password") => Some("Your password was changed."),
        Some("device") => Some("That device was signed out."),
        Some("two-step") => Some("Two-step verification is on."),
        Some("two-step-off") => Some("The authenticator app was removed."),
        Some("passkey") => Some("Your passkey was added. You can sign in with it now."),
        Some("passkey-off") => Some("The passkey was removed."),
        Some("account") => Some("Your accounts at other providers are listed below."),
        Some("account-off") => Some("The connected account was removed."),
        Some("email") => Some("Your email address was verified."),
        Some("primary") => Some("That address is now your primary email address."),
        Some("email-off") => Some("The email address was removed."),
        Some("image") => Some("Your profile image was updated."),
        Some("image-off") => Some("Your profile image was removed."),
        Some("verified") => Some("Thanks. You can make the change now."),
        Some("setup-mfa") => Some(
            "This application requires two-step verification: add an authenticator app to finish signing in.",
        ),
        _ => None,
    };
    let devices: Markup = html! {
        table {
            caption class="hint" { "Devices signed in to your account" }
            thead { tr { th scope="col" { "Device" } th scope="col" { "Last active" } th scope="col" { span class="optional" { "Action" } } } }
            tbody {
                @for s in sessions {
                    tr {
                        td {
                            (device(s))
                            @if s.id == current.id { " " span class="badge" { "This device" } }
                            @if let Some(at) = place(s) { br; span class="hint" { (at) } }
                        }
                        td { (when(s.last_active_at)) }
                        td {
                            form method="post" action=(format!("/user/sessions/{}/revoke", s.id)) {
                                (csrf(token))
                                button class="secondary" type="submit"
                                    aria-label=(format!("Sign out {}", device(s))) { "Sign out" }
                            }
                        }
                    }
                }
            }
        }
        (alert(err(Section::Devices).map(|e| e.message.as_str())))
    };
    layout::wide_shell(
        state,
        "Your account",
        html! {
            @if let Some(actor) = current.actor.as_ref() {
                p class="warning" role="status" {
                    "An administrator ("
                    (actor.get("sub").and_then(|s| s.as_str()).unwrap_or("unknown"))
                    ") is signed in as this user. This session ends by "
                    (super::dashboard::datetime(current.expire_at)) "; sign out to end it now."
                }
            }
            (layout::notice(notice))
            section aria-labelledby="h-profile" {
                h2 id="h-profile" { "Profile" }
                (super::account::image_section(token, user))
                (alert(err(Section::Image).map(|e| e.message.as_str())))
                (alert(names.and_then(|e| e.general(&["first_name", "last_name"]))))
                form method="post" action="/user/profile" novalidate {
                    (csrf(token))
                    (Field::new("first_name", "First name", "text", "given-name").optional()
                        .value(user.first_name.as_deref())
                        .error(names.and_then(|e| e.on("first_name"))).render())
                    (Field::new("last_name", "Last name", "text", "family-name").optional()
                        .value(user.last_name.as_deref())
                        .error(names.and_then(|e| e.on("last_name"))).render())
                    button type="submit" { "Save" }
                }
            }
            (super::account::emails_section(token, user, err(Section::Emails)))
            section aria-labelledby="h-password" {
                h2 id="h-password" { "Password" }
                (alert(password.and_then(|e| e.general(&["current_password", "new_password"]))))
                form method="post" action="/user/password" novalidate {
                    (csrf(token))
                    @if user.password_digest.is_some() {
                        (Field::new("current_password", "Current password", "password", "current-password")
                            .error(password.and_then(|e| e.on("current_password"))).render())
                    }
                    (Field::new("new_password", "New password", "password", "new-password")
                        .hint(&hint).error(password.and_then(|e| e.on("new_password"))).render())
                    div class="field" {
                        label class="check" {
                            input type="checkbox" name="sign_out_of_other_sessions" value="true" checked;
                            "Sign out of all other devices"
                        }
                    }
                    button type="submit" { "Change password" }
                }
            }
            (super::two_step::section(state, token, user))
            (super::passkeys::section(state, token, user))
            (super::connected::section(state, token, user))
            section aria-labelledby="h-devices" {
                h2 id="h-devices" { "Devices" }
                (devices)
            }
            (super::delete::section(token, user))
            p class="links" {
                @if state.settings().settings.organizations.enabled {
                    a href="/user/organizations" { "Organizations" } " · "
                }
                a href="/sign-out" { "Sign out" }
            }
        },
    )
}

async fn show_with(
    state: &AppState,
    token: &CsrfToken,
    fapi: &Browser,
    error: Option<(Section, FormError)>,
    done: Option<&str>,
) -> Response {
    let (session, user) = match require(state, fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let sessions = account::live_sessions(state, &user)
        .await
        .unwrap_or_default();
    let status = status_of(error.as_ref().map(|(_, e)| e));
    let body = render(
        state,
        token,
        &session,
        &user,
        &sessions,
        error.as_ref().map(|(s, e)| (*s, e)),
        done,
    );
    page(fapi, status, error.as_ref().map(|(_, e)| e), body)
}

/// `/user` again with `e` shown at `section`'s form.
pub(super) async fn show_error(
    state: &AppState,
    token: &CsrfToken,
    fapi: &Browser,
    section: Section,
    e: crate::error::ApiError,
) -> Response {
    let e = (section, FormError::from_api(e));
    show_with(state, token, fapi, Some(e), None).await
}

/// `GET /user`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(shown): Query<Shown>,
) -> Response {
    show_with(&state, &token, &fapi, None, shown.done.as_deref()).await
}

#[derive(Deserialize)]
pub struct NamesForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

/// `POST /user/profile`.
pub async fn rename(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<NamesForm>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    match account::rename(&state, &user, Some(form.first_name), Some(form.last_name)).await {
        Ok(_) => see_other(&fapi, "/user?done=profile"),
        Err(e) => {
            let e = (Section::Names, FormError::from_api(e));
            show_with(&state, &token, &fapi, Some(e), None).await
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    sign_out_of_other_sessions: Option<String>,
}

/// `POST /user/password`.
pub async fn password(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    budget: Budget,
    Form(form): Form<PasswordForm>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let others = form.sign_out_of_other_sessions.as_deref() == Some("true");
    let result = match budget.check() {
        Err(e) => Err(e),
        Ok(()) => {
            account::set_password(
                &state,
                &session,
                &user,
                &form.current_password,
                &form.new_password,
                others,
            )
            .await
        }
    };
    match result {
        Ok(_) => see_other(&fapi, "/user?done=password"),
        Err(e) => {
            let e = (Section::Password, FormError::from_api(e));
            show_with(&state, &token, &fapi, Some(e), None).await
        }
    }
}

/// `POST /user/sessions/{id}/revoke`: sign out one device (this one too).
pub async fn revoke(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    match account::revoke(&state, &user, &id).await {
        Ok(ended) if ended.id == session.id => {
            fapi.set_client_uat(&state, 0);
            see_other(&fapi, "/sign-in")
        }
        Ok(_) => see_other(&fapi, "/user?done=device"),
        Err(e) => {
            let e = (Section::Devices, FormError::from_api(e));
            show_with(&state, &token, &fapi, Some(e), None).await
        }
    }
}

/// `GET /sign-out`: a confirmation (a link must never sign anyone out).
pub async fn show_sign_out(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(next): Query<Next>,
) -> Response {
    let body = layout::shell(
        &state,
        "Sign out",
        html! {
            p { "Sign out of your account on this browser?" }
            form method="post" action="/sign-out" {
                (csrf(&token))
                (hidden("redirect_url", next.raw(&state).as_deref()))
                div class="actions" { button class="primary" type="submit" autofocus { "Sign out" } }
            }
            p class="links" { a href="/user" { "Cancel" } }
        },
    );
    page(&fapi, StatusCode::OK, None, body)
}

/// `POST /sign-out`: end every session on this browser.
pub async fn sign_out(
    State(state): State<AppState>,
    mut fapi: Browser,
    Form(next): Form<Next>,
) -> Response {
    if let Some(c) = fapi.client.clone()
        && let Err(e) = account::end_client_sessions(&state, &c.id, SessionStatus::Ended).await
    {
        return super::failed(&state, &fapi, "Sign out failed", e);
    }
    fapi.set_client_uat(&state, 0);
    let target = next
        .target(&state)
        .map_or_else(|| "/sign-in".to_owned(), |t| t.as_str().to_owned());
    see_other(&fapi, &target)
}
