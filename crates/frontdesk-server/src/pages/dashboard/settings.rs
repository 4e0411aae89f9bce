//! `/dashboard/settings`: the instance settings a dashboard toggles — how
//! people sign in, two-step verification, passwords, sessions, allowed
//! origins, branding. One form, one JSON merge patch through the same
//! service as `PATCH /v1/instance/settings`, validated as a whole; in force
//! at once (clerk-js reads `/v1/environment` again), recorded by path.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::layout::{alert, csrf, notice};
use super::super::{CsrfToken, page, see_other};
use super::{Section, error_text, frame, head};
use crate::engine::admin::{self, Audit, Operator};
use crate::error::ApiError;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// The form as posted: a checkbox is there when ticked.
#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    application_name: String,
    #[serde(default)]
    primary_color: String,
    email_code: Option<String>,
    passkey: Option<String>,
    mfa_totp: Option<String>,
    mfa_backup_codes: Option<String>,
    mfa_required: Option<String>,
    #[serde(default)]
    min_length: String,
    #[serde(default)]
    lifetime_hours: String,
    #[serde(default)]
    inactivity_minutes: String,
    #[serde(default)]
    allowed_origins: String,
}

fn number(param: &str, text: &str, label: &str) -> Result<u64, ApiError> {
    text.trim().parse::<u64>().map_err(|_| {
        ApiError::bad_param(
            param,
            "form_param_format_invalid",
            format!("{label} must be a whole number."),
        )
    })
}

impl SettingsForm {
    /// The merge patch this form makes.
    fn patch(&self) -> Result<Value, ApiError> {
        let on = |v: &Option<String>| v.is_some();
        let origins: Vec<&str> = self
            .allowed_origins
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        Ok(json!({
            "branding": {
                "application_name": self.application_name.trim(),
                "primary_color": self.primary_color.trim(),
            },
            "sign_in": {"email_code": on(&self.email_code), "passkey": on(&self.passkey)},
            "mfa": {
                "totp": on(&self.mfa_totp),
                "backup_codes": on(&self.mfa_backup_codes),
                "required": on(&self.mfa_required),
            },
            "passwords": {"min_length": number("passwords.min_length", &self.min_length, "Minimum length")?},
            "sessions": {
                "lifetime_secs": number("sessions.lifetime_secs", &self.lifetime_hours, "Session lifetime")? * 3600,
                "inactivity_timeout_secs": number("sessions.inactivity_timeout_secs", &self.inactivity_minutes, "Inactivity timeout")? * 60,
            },
            "allowed_origins": origins,
        }))
    }
}

fn check(name: &str, label: &str, on: bool) -> Markup {
    html! {
        div class="field" {
            label class="check" {
                input type="checkbox" name=(name) checked[on];
                (label)
            }
        }
    }
}

fn input(name: &str, label: &str, kind: &str, value: &str, hint: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) { (label) }
            @if let Some(h) = hint { p class="hint" id=(format!("{id}-hint")) { (h) } }
            input id=(id) name=(name) type=(kind) value=(value)
                aria-describedby=[hint.map(|_| format!("{id}-hint"))];
        }
    }
}

async fn render(
    state: &AppState,
    fapi: &Browser,
    token: &CsrfToken,
    operator: &Operator,
    done: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let snapshot = state.settings();
    let s = &snapshot.settings;
    let body = html! {
        (head("Settings", Some(html! { "How people sign in to your apps. Changes apply at once." }), None))
        (notice(done))
        (alert(error))
        form method="post" action="/dashboard/settings" novalidate {
            (csrf(token))
            div class="grid" {
                section class="panel" aria-labelledby="h-sign-in" {
                    h2 id="h-sign-in" { "Sign-in methods" }
                    p class="muted" { "Passwords are always offered to users who have one." }
                    (check("email_code", "Email code: a one-time code mailed to the address", s.sign_in.email_code))
                    (check("passkey", "Passkeys", s.sign_in.passkey))
                }
                section class="panel" aria-labelledby="h-mfa" {
                    h2 id="h-mfa" { "Two-step verification" }
                    (check("mfa_totp", "Authenticator apps", s.mfa.totp))
                    (check("mfa_backup_codes", "Backup codes", s.mfa.backup_codes))
                    (check("mfa_required", "Required for everyone", s.mfa.required))
                }
                section class="panel" aria-labelledby="h-policy" {
                    h2 id="h-policy" { "Passwords and sessions" }
                    (input("min_length", "Minimum password length", "number", &s.passwords.min_length.to_string(), Some("NIST 800-63B: at least 8; 15 without a second factor.")))
                    (input("lifetime_hours", "Session lifetime (hours)", "number", &(s.sessions.lifetime_secs / 3600).to_string(), None))
                    (input("inactivity_minutes", "Sign out after inactivity (minutes, 0 for never)", "number", &(s.sessions.inactivity_timeout_secs / 60).to_string(), None))
                }
                section class="panel" aria-labelledby="h-brand" {
                    h2 id="h-brand" { "Branding" }
                    (input("application_name", "Application name", "text", &s.branding.application_name, None))
                    (input("primary_color", "Primary colour", "color", &s.branding.primary_color.to_string(), Some("Text on it and links drawn from it are kept readable (WCAG AA) whatever the colour.")))
                }
            }
            section class="panel" aria-labelledby="h-origins" {
                h2 id="h-origins" { "Allowed origins" }
                div class="field" {
                    label for="f-allowed_origins" { "Origins of your apps, one per line" }
                    textarea id="f-allowed_origins" name="allowed_origins" rows="4" spellcheck="false" { (s.allowed_origins.join("\n")) }
                }
            }
            button type="submit" { "Save settings" }
        }
    };
    let html = frame(state, operator, Section::Settings, "Settings", body);
    page(fapi, status, None, html)
}

/// `GET /dashboard/settings`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(q): Query<Done>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/settings").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let done = (q.done.as_deref() == Some("saved")).then_some("Settings saved.");
    render(&state, &fapi, &token, &operator, done, None, StatusCode::OK).await
}

/// `POST /dashboard/settings`.
pub async fn save(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<SettingsForm>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/settings").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    let result = match form.patch() {
        Ok(patch) => admin::change_settings(&state, &by, patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&fapi, "/dashboard/settings?done=saved"),
        Err(e) => {
            let (status, message) = error_text(e);
            render(
                &state,
                &fapi,
                &token,
                &operator,
                None,
                Some(&message),
                status,
            )
            .await
        }
    }
}
