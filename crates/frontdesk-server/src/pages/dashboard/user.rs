//! `/dashboard/users/{id}`: one user — addresses, connected accounts,
//! second factors, devices, metadata — and what an administrator can do:
//! revoke a device or all of them, ban, lock, reset two-step verification,
//! set a password, edit metadata, delete, make or unmake an administrator.
//! Each form posts to its own path
//! and comes back here with what happened.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::entities::{Session, User, VerificationStatus};
use frontdesk_store::admin::AuditQuery;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::super::layout::{Field, alert, csrf, notice};
use super::super::profile::{device, place};
use super::super::{CsrfToken, page, see_other};
use super::users::{badges, name};
use super::{Section, datetime, error_text, frame, head, maybe};
use crate::engine::admin::{self, Audit, Operator, UserAction};
use crate::engine::{account, impersonation, users};
use crate::error::ApiError;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
}

/// What a form left to show on the page: a message, or an error and the
/// text that was typed (metadata that did not parse is not thrown away).
#[derive(Default)]
struct Outcome {
    done: Option<&'static str>,
    error: Option<String>,
    metadata: Option<[String; 3]>,
    /// A just-made impersonation link (shown once).
    link: Option<String>,
}

fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "ban" => "The user is banned and signed out everywhere.",
        "unban" => "The user is no longer banned.",
        "lock" => "The user is locked and signed out everywhere.",
        "unlock" => "The user is unlocked.",
        "reset-mfa" => "Two-step verification was reset.",
        "sign-out" => "The user was signed out of every device.",
        "revoked" => "The device was signed out.",
        "password" => "The password was set; the user was signed out everywhere.",
        "metadata" => "Metadata saved.",
        "make-admin" => {
            "The user is an administrator now; the dashboard asks them for a second factor first."
        }
        "revoke-admin" => "The user is no longer an administrator.",
        _ => return None,
    })
}

async fn load(state: &AppState, fapi: &Browser, raw: &str) -> Result<(Operator, User), Response> {
    let here = format!("/dashboard/users/{raw}");
    let operator = super::require(state, fapi, &here).await?;
    match users::load_user(state, raw).await {
        Ok(user) => Ok((operator, user)),
        Err(e) => Err(super::super::failed(state, fapi, "User", e)),
    }
}

/// `GET /dashboard/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let (operator, user) = match load(&state, &fapi, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let outcome = Outcome {
        done: shown.done.as_deref().and_then(done_text),
        ..Outcome::default()
    };
    render(
        &state,
        &fapi,
        &token,
        &operator,
        &user,
        outcome,
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    fapi: &Browser,
    token: &CsrfToken,
    operator: &Operator,
    user: &User,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let sessions = account::live_sessions(state, user).await;
    let history = state
        .store
        .list_audit(&AuditQuery {
            target_id: Some(user.id.to_string()),
            before: None,
            limit: 10,
            ..AuditQuery::default()
        })
        .await;
    let is_admin = state.store.is_admin(&user.id).await;
    let (sessions, history, is_admin) = match (sessions, history, is_admin) {
        (Ok(s), Ok(h), Ok(a)) => (s, h, a),
        (Err(e), _, _) => return super::super::failed(state, fapi, "User", e),
        (_, Err(e), _) | (_, _, Err(e)) => {
            return super::super::failed(state, fapi, "User", e.into());
        }
    };
    let base = format!("/dashboard/users/{}", user.id);
    let metadata = outcome.metadata.clone().unwrap_or_else(|| {
        [
            &user.public_metadata,
            &user.private_metadata,
            &user.unsafe_metadata,
        ]
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".to_owned()))
    });
    let own = user.id == operator.user.id;
    let action = |value: &str, label: &str, class: &str| {
        html! {
            form class="inline" method="post" action=(format!("{base}/action")) {
                (csrf(token))
                input type="hidden" name="action" value=(value);
                button class=(class) type="submit" { (label) }
            }
        }
    };
    let body = html! {
        (head(&admin::label(user), Some(html! { (name(user)) " · " code { (user.id) } " " (badges(user)) }), None))
        (notice(outcome.done))
        (alert(outcome.error.as_deref()))
        div class="grid" {
            section class="panel" aria-labelledby="h-profile" {
                h2 id="h-profile" { "Profile" }
                dl class="facts" {
                    dt { "User ID" } dd { code { (user.id) } }
                    dt { "External ID" } dd { (user.external_id.as_deref().unwrap_or("—")) }
                    dt { "Username" } dd { (user.username.as_deref().unwrap_or("—")) }
                    dt { "Password" } dd { (if user.password_digest.is_some() { "Set" } else { "None" }) }
                    dt { "Created" } dd { (datetime(user.created_at)) }
                    dt { "Last sign-in" } dd { (maybe(user.last_sign_in_at)) }
                    dt { "Last active" } dd { (maybe(user.last_active_at)) }
                }
            }
            section class="panel" aria-labelledby="h-emails" {
                h2 id="h-emails" { "Email addresses" }
                ul class="emails" {
                    @for e in &user.email_addresses {
                        li {
                            (e.email_address) " "
                            @if Some(&e.id) == user.primary_email_address_id.as_ref() { span class="badge" { "Primary" } " " }
                            @if e.verification.as_ref().is_some_and(|v| v.status == VerificationStatus::Verified) {
                                span class="badge badge-success" { "Verified" }
                            } @else {
                                span class="badge badge-muted" { "Unverified" }
                            }
                        }
                    }
                }
                h3 { "Connected accounts" }
                @if user.external_accounts.is_empty() {
                    p class="muted" { "None." }
                } @else {
                    ul class="emails" {
                        @for a in &user.external_accounts {
                            li { (a.provider) " · " (a.email_address.as_deref().unwrap_or(&a.provider_user_id)) }
                        }
                    }
                }
            }
            section class="panel" aria-labelledby="h-mfa" {
                h2 id="h-mfa" { "Two-step verification" }
                dl class="facts" {
                    dt { "Authenticator app" } dd { (if user.mfa.totp_enabled { "On" } else { "Off" }) }
                    dt { "Backup codes" } dd { (if user.mfa.backup_code_enabled { "Some left" } else { "None" }) }
                    dt { "Passkeys" } dd { (user.passkeys.len()) }
                }
                @if (user.mfa.totp_enabled || user.mfa.backup_code_enabled) && !own {
                    div class="actions row" { (action("reset-mfa", "Reset two-step verification", "danger")) }
                }
            }
        }
        section class="panel" aria-labelledby="h-devices" {
            h2 id="h-devices" { "Devices" }
            (devices(token, &base, &sessions, own))
            @if !sessions.is_empty() && !own {
                div class="actions row" { (action("sign-out", "Sign out of all devices", "secondary")) }
            }
        }
        section class="panel" aria-labelledby="h-metadata" {
            h2 id="h-metadata" { "Metadata" }
            p class="muted" { "Each field is a JSON object and replaces what is stored. Public metadata is in the session token and readable by the user; private metadata only by your backend; unsafe metadata the user can change." }
            form method="post" action=(format!("{base}/metadata")) novalidate {
                (csrf(token))
                @for (i, (field, label)) in [("public_metadata", "Public metadata"), ("private_metadata", "Private metadata"), ("unsafe_metadata", "Unsafe metadata")].into_iter().enumerate() {
                    div class="field" {
                        label for=(format!("f-{field}")) { (label) }
                        textarea id=(format!("f-{field}")) name=(field) rows="6" spellcheck="false" { (metadata[i]) }
                    }
                }
                button type="submit" { "Save metadata" }
            }
        }
        div class="grid" {
            section class="panel" aria-labelledby="h-password" {
                h2 id="h-password" { "Set a password" }
                form method="post" action=(format!("{base}/password")) novalidate {
                    (csrf(token))
                    (Field::new("password", "New password", "password", "new-password")
                        .hint("The user is signed out everywhere.")
                        .render())
                    button type="submit" { "Set password" }
                }
            }
            section class="panel" aria-labelledby="h-impersonate" {
                h2 id="h-impersonate" { "Impersonate" }
                @if let Some(link) = &outcome.link {
                    p class="notice" role="status" { "Open this link in a private window or another browser. It signs that browser in as this user for 30 minutes, works once, and expires in an hour." }
                    p { a id="impersonation-link" href=(link) target="_blank" rel="noopener noreferrer" { "Sign in as " (admin::label(user)) } }
                } @else if own {
                    p class="muted" { "This is your account." }
                } @else {
                    p class="muted" { "See the app as this user does: a one-time link signs a browser in as them, with you recorded as the actor in the session and its tokens (act), and in the audit log." }
                    form method="post" action=(format!("{base}/impersonate")) {
                        (csrf(token))
                        button class="secondary" type="submit" { "Make an impersonation link" }
                    }
                }
            }
            section class="panel" aria-labelledby="h-access" {
                h2 id="h-access" { "Dashboard access" }
                @if is_admin {
                    p { span class="badge" { "Administrator" } " This user can open the dashboard (after a second factor)." }
                    @if !own { div class="actions row" { (action("revoke-admin", "Revoke administrator", "danger")) } }
                } @else {
                    p class="muted" { "Administrators open this dashboard, after checking a second factor. Every action they take is in the audit log." }
                    div class="actions row" { (action("make-admin", "Make administrator", "secondary")) }
                }
            }
            section class="panel danger-zone" aria-labelledby="h-danger" {
                h2 id="h-danger" { "Standing" }
                @if own {
                    p class="muted" { "This is your account: ban, lock and delete are not offered for it here." }
                } @else {
                    div class="actions row" {
                        @if user.banned { (action("unban", "Unban", "secondary")) } @else { (action("ban", "Ban", "danger")) }
                        @if user.locked_at.is_some() { (action("unlock", "Unlock", "secondary")) } @else { (action("lock", "Lock", "danger")) }
                        (action("delete", "Delete user", "danger"))
                    }
                }
            }
        }
        section class="panel" aria-labelledby="h-history" {
            h2 id="h-history" { "Recent administrator actions" }
            @if history.is_empty() {
                p class="muted" { "None." }
            } @else {
                (super::audit::table(&history))
            }
        }
    };
    let html = frame(state, operator, Section::Users, &admin::label(user), body);
    page(fapi, status, None, html)
}

fn devices(token: &CsrfToken, base: &str, sessions: &[Session], own: bool) -> Markup {
    html! {
        @if sessions.is_empty() {
            p class="muted" { "Not signed in anywhere." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    thead { tr { th scope="col" { "Device" } th scope="col" { "Where" } th scope="col" { "Last active" } th scope="col" { span class="sr-only" { "Actions" } } } }
                    tbody {
                        @for s in sessions {
                            tr {
                                td { (device(s)) @if s.actor.is_some() { " " span class="badge badge-warning" { "Impersonated" } } }
                                td { (place(s).unwrap_or_else(|| "—".to_owned())) }
                                td class="nowrap" { (datetime(s.last_active_at)) }
                                td {
                                    @if !own {
                                        form class="inline" method="post" action=(format!("{base}/sessions/{}/revoke", s.id)) {
                                            (csrf(token))
                                            button class="secondary small" type="submit" aria-label=(format!("Sign out {}", device(s))) { "Sign out" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The page again after a failed form, with its status and message.
async fn failed_form(
    state: &AppState,
    fapi: &Browser,
    token: &CsrfToken,
    operator: &Operator,
    user: &User,
    e: ApiError,
    metadata: Option<[String; 3]>,
) -> Response {
    let (status, message) = error_text(e);
    let outcome = Outcome {
        error: Some(message),
        metadata,
        ..Outcome::default()
    };
    render(state, fapi, token, operator, user, outcome, status).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
}

/// `POST /dashboard/users/{id}/action`: one of the buttons.
pub async fn act(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let (operator, user) = match load(&state, &fapi, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(action) = UserAction::parse(&form.action) else {
        let e = ApiError::bad_param("action", "form_param_value_invalid", "Unknown action.");
        return failed_form(&state, &fapi, &token, &operator, &user, e, None).await;
    };
    let by = Audit::of(&operator, &fapi);
    match admin::act_on_user(&state, &operator, &by, &user, action).await {
        Ok(()) if action == UserAction::Delete => see_other(&fapi, "/dashboard/users"),
        Ok(()) => see_other(
            &fapi,
            &format!("/dashboard/users/{}?done={}", user.id, form.action),
        ),
        Err(e) => failed_form(&state, &fapi, &token, &operator, &user, e, None).await,
    }
}

/// `POST /dashboard/users/{id}/sessions/{session}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path((id, session)): Path<(String, String)>,
) -> Response {
    let (operator, user) = match load(&state, &fapi, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    match admin::revoke_session(&state, &by, &user, &session).await {
        Ok(_) => see_other(&fapi, &format!("/dashboard/users/{}?done=revoked", user.id)),
        Err(e) => failed_form(&state, &fapi, &token, &operator, &user, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// `POST /dashboard/users/{id}/password`.
pub async fn password(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let (operator, user) = match load(&state, &fapi, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    match admin::set_password(&state, &by, &user, &form.password).await {
        Ok(()) => see_other(
            &fapi,
            &format!("/dashboard/users/{}?done=password", user.id),
        ),
        Err(e) => failed_form(&state, &fapi, &token, &operator, &user, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct MetadataForm {
    #[serde(default)]
    public_metadata: String,
    #[serde(default)]
    private_metadata: String,
    #[serde(default)]
    unsafe_metadata: String,
}

/// Each field as a JSON object (empty: `{}`), or an error naming it.
fn parse_metadata(form: &MetadataForm) -> Result<[Option<Map<String, Value>>; 3], ApiError> {
    let one = |param: &str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Some(Map::new()));
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(_) => Err(ApiError::bad_param(
                param,
                "form_param_format_invalid",
                format!("{param} must be a JSON object, like {{\"plan\": \"pro\"}}."),
            )),
            Err(e) => Err(ApiError::bad_param(
                param,
                "form_param_format_invalid",
                format!("{param} is not valid JSON: {e}."),
            )),
        }
    };
    Ok([
        one("public_metadata", &form.public_metadata)?,
        one("private_metadata", &form.private_metadata)?,
        one("unsafe_metadata", &form.unsafe_metadata)?,
    ])
}

/// `POST /dashboard/users/{id}/metadata`: all three fields, validated as
/// JSON objects before anything is written.
pub async fn metadata(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
    Form(form): Form<MetadataForm>,
) -> Response {
    let (operator, user) = match load(&state, &fapi, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let typed = [
        form.public_metadata.clone(),
        form.private_metadata.clone(),
        form.unsafe_metadata.clone(),
    ];
    let by = Audit::of(&operator, &fapi);
    let result = match parse_metadata(&form) {
        Ok(fields) => admin::replace_metadata(&state, &by, &user, fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(
            &fapi,
            &format!("/dashboard/users/{}?done=metadata", user.id),
        ),
        Err(e) => failed_form(&state, &fapi, &token, &operator, &user, e, Some(typed)).await,
    }
}

/// `POST /dashboard/users/{id}/impersonate`: an actor token, its link
/// shown on the page (once; not in a redirect's URL).
pub async fn impersonate(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (operator, user) = match load(&state, &fapi, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    match impersonation::impersonate(&state, &operator, &by, &user).await {
        Ok((_, link)) => {
            let outcome = Outcome {
                link: Some(link),
                ..Outcome::default()
            };
            render(
                &state,
                &fapi,
                &token,
                &operator,
                &user,
                outcome,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => failed_form(&state, &fapi, &token, &operator, &user, e, None).await,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(public: &str) -> MetadataForm {
        MetadataForm {
            public_metadata: public.to_owned(),
            private_metadata: String::new(),
            unsafe_metadata: "{}".to_owned(),
        }
    }

    #[test]
    fn metadata_must_be_json_objects() {
        assert!(parse_metadata(&form(r#"{"plan": "pro"}"#)).is_ok());
        assert!(
            parse_metadata(&form("")).unwrap()[1]
                .as_ref()
                .unwrap()
                .is_empty()
        );
        assert!(parse_metadata(&form("[1, 2]")).is_err());
        assert!(parse_metadata(&form("{plan: pro}")).is_err());
    }

    #[test]
    fn every_action_has_its_message() {
        for a in [
            "ban",
            "unban",
            "lock",
            "unlock",
            "reset-mfa",
            "sign-out",
            "make-admin",
            "revoke-admin",
        ] {
            assert!(UserAction::parse(a).is_some());
            assert!(done_text(a).is_some(), "{a}");
        }
    }
}
