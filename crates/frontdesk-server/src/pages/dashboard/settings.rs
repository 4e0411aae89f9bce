//! `/dashboard/settings`: the instance settings a dashboard toggles — how
//! people sign in, two-step verification, passwords, sessions, allowed
//! origins, branding, the social and OpenID Connect providers with their
//! (write-only) secrets, the wording of the mail sent. One form, one JSON merge patch through the same
//! service as `PATCH /v1/instance/settings`, validated as a whole; in force
//! at once (clerk-js reads `/v1/environment` again), recorded by path. A
//! refused form comes back as typed (but for secrets), with the reason.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

use frontdesk_domain::email_templates::MessageKind;
use frontdesk_domain::oauth::{OAuthStrategy, Provider};

use super::super::layout::{alert, csrf, notice};
use super::super::{CsrfToken, page, see_other};
use super::settings_form::{
    Duration, Fields, INACTIVITY, LIFETIME, NEW_CUSTOM, strategies, template_field,
};
use super::{Section, error_text, frame, head};
use crate::engine::admin::{self, Audit, Operator};
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn check(f: &Fields, name: &str, label: &str) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label class="check" for=(id) {
                input id=(id) type="checkbox" name=(name) checked[f.on(name)];
                (label)
            }
        }
    }
}

fn input(f: &Fields, name: &str, label: &str, kind: &str, hint: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) { (label) }
            @if let Some(h) = hint { p class="hint" id=(format!("{id}-hint")) { (h) } }
            input id=(id) name=(name) type=(kind) value=(f.get(name))
                aria-describedby=[hint.map(|_| format!("{id}-hint"))];
        }
    }
}

/// A duration in whole units, its stored seconds carried beside it (see
/// `Fields::duration`), and said when the units round them.
fn duration(f: &Fields, field: Duration, label: &str) -> Markup {
    let hint = f
        .inexact(field)
        .map(|secs| format!("Now {secs} seconds, kept unless you change this number."));
    html! {
        (input(f, field.name, label, "number", hint.as_deref()))
        input type="hidden" name=(field.stored) value=(f.get(field.stored));
    }
}

fn choice(f: &Fields, name: &str, label: &str, options: &[(&str, &str)]) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                @for (value, text) in options {
                    option value=(value) selected[f.get(name) == *value] { (text) }
                }
            }
        }
    }
}

/// A client secret: never shown; typed to set or replace.
fn secret(prefix: &str, stored: bool, multiline: bool) -> Markup {
    let name = format!("{prefix}.client_secret");
    let id = format!("f-{name}");
    let hint = if stored {
        "A secret is stored (sealed). Type a new one to replace it; leave empty to keep it."
    } else {
        "None stored yet."
    };
    html! {
        div class="field" {
            label for=(id) { @if multiline { "Private key (.p8)" } @else { "Client secret" } }
            p class="hint" id=(format!("{id}-hint")) { (hint) }
            @if multiline {
                textarea id=(id) name=(name) rows="3" spellcheck="false" autocomplete="off"
                    aria-describedby=(format!("{id}-hint")) {}
            } @else {
                input id=(id) name=(name) type="password" autocomplete="new-password" value=""
                    aria-describedby=(format!("{id}-hint"));
            }
        }
    }
}

/// One message's subject and body, with its placeholders and the
/// built-in wording.
fn template(f: &Fields, kind: MessageKind) -> Markup {
    let subject = template_field(kind, "subject");
    let body = template_field(kind, "body");
    let hint = format!("{}-hint", template_field(kind, "places"));
    let built_in = kind.default_template();
    let places = kind
        .placeholders()
        .iter()
        .map(|p| format!("{{{{{p}}}}}"))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        fieldset class="provider" {
            legend { (kind.title()) }
            p class="hint" id=(hint) { "Placeholders: " code { (places) } }
            div class="field" {
                label for=(format!("f-{subject}")) { "Subject" }
                input id=(format!("f-{subject}")) name=(subject) type="text" value=(f.get(&subject)) aria-describedby=(hint);
            }
            div class="field" {
                label for=(format!("f-{body}")) { "Body" }
                textarea id=(format!("f-{body}")) name=(body) rows="6" aria-describedby=(hint) { (f.get(&body)) }
            }
            details {
                summary { "The built-in wording" }
                p { strong { (built_in.subject) } }
                pre class="mono" { (built_in.body) }
            }
        }
    }
}

/// One provider's fieldset.
fn provider(f: &Fields, strategy: &OAuthStrategy, stored: bool) -> Markup {
    let kind = strategy.provider();
    let k = |field: &str| format!("{strategy}.{field}");
    let name = match kind {
        Provider::Custom => Some(f.get(&k("name")))
            .filter(|n| !n.is_empty())
            .unwrap_or(strategy.as_str())
            .to_owned(),
        _ => kind.display_name().to_owned(),
    };
    html! {
        fieldset class="provider" {
            legend { (name) }
            @if f.on(&k("stored")) { input type="hidden" name=(k("stored")) value="on"; }
            (check(f, &k("enabled"), &format!("Offer sign-in with {name}")))
            (input(f, &k("client_id"), "Client ID", "text", None))
            (secret(strategy.as_str(), stored, kind == Provider::Apple))
            @match kind {
                Provider::Apple => {
                    (input(f, &k("team_id"), "Team ID", "text", None))
                    (input(f, &k("key_id"), "Key ID", "text", None))
                }
                Provider::Microsoft => {
                    (input(f, &k("issuer"), "Tenant issuer (optional)", "url", Some("Empty: any Microsoft account (the common endpoint).")))
                }
                Provider::Custom => {
                    (input(f, &k("name"), "Button name", "text", None))
                    (input(f, &k("issuer"), "Issuer", "url", None))
                }
                Provider::Google | Provider::GitHub => {}
            }
        }
    }
}

async fn render(
    state: &AppState,
    fapi: &Browser,
    token: &CsrfToken,
    operator: &Operator,
    view: View<'_>,
) -> Response {
    let snapshot = state.settings();
    let s = &snapshot.settings;
    let fields = view.fields;
    let mut stored = BTreeSet::new();
    for strategy in strategies(s) {
        // A secret that cannot be opened (its key gone) is still there,
        // and the form is how to replace it: never a reason to fail.
        if !matches!(state.store.client_secret(strategy.as_str()).await, Ok(None)) {
            stored.insert(strategy);
        }
    }
    let attribute = [
        ("off", "Off"),
        ("optional", "Optional"),
        ("required", "Required"),
    ];
    let callback = crate::engine::oauth::callback_url(state);
    let body = html! {
        (head("Settings", Some(html! { "How people sign in to your apps. Changes apply at once." }), None))
        (notice(view.done))
        (alert(view.error))
        form method="post" action="/dashboard/settings" novalidate {
            (csrf(token))
            div class="grid" {
                section class="panel" aria-labelledby="h-sign-in" {
                    h2 id="h-sign-in" { "Sign-in methods" }
                    p class="muted" { "Passwords are always offered to users who have one." }
                    (check(fields, "email_code", "Email code: a one-time code mailed to the address"))
                    (check(fields, "passkey", "Passkeys"))
                }
                section class="panel" aria-labelledby="h-sign-up" {
                    h2 id="h-sign-up" { "Sign-up" }
                    (choice(fields, "sign_up_mode", "Who may sign up", &[("public", "Anyone"), ("restricted", "No one: accounts are made through the Backend API")]))
                    (choice(fields, "first_name", "First name", &attribute))
                    (choice(fields, "last_name", "Last name", &attribute))
                    (choice(fields, "username", "Username", &attribute))
                }
                section class="panel" aria-labelledby="h-mfa" {
                    h2 id="h-mfa" { "Two-step verification" }
                    (check(fields, "mfa_totp", "Authenticator apps"))
                    (check(fields, "mfa_backup_codes", "Backup codes"))
                    (check(fields, "mfa_required", "Required for everyone"))
                }
                section class="panel" aria-labelledby="h-policy" {
                    h2 id="h-policy" { "Passwords and sessions" }
                    (input(fields, "min_length", "Minimum password length", "number", Some("NIST 800-63B: at least 8; 15 without a second factor.")))
                    (duration(fields, LIFETIME, "Session lifetime (hours)"))
                    (duration(fields, INACTIVITY, "Sign out after inactivity (minutes, 0 for never)"))
                }
            }
            section class="panel" aria-labelledby="h-social" {
                h2 id="h-social" { "Social and OpenID Connect sign-in" }
                p class="muted" {
                    "Register this redirect URI with each provider: " code { (callback) }
                }
                div class="grid" {
                    @for strategy in strategies(s) {
                        (provider(fields, &strategy, stored.contains(&strategy)))
                    }
                }
                details open[!fields.get("new_custom.slug").is_empty()] {
                    summary { "Add an OpenID Connect provider" }
                    fieldset class="provider" {
                        legend { "New provider" }
                        (input(fields, "new_custom.slug", "Short name", "text", Some("Lowercase letters, digits and _: the strategy becomes oauth_custom_<short name>.")))
                        (input(fields, "new_custom.name", "Button name", "text", None))
                        (input(fields, "new_custom.issuer", "Issuer", "url", Some("Its discovery document is read from <issuer>/.well-known/openid-configuration.")))
                        (input(fields, "new_custom.client_id", "Client ID", "text", None))
                        (secret(NEW_CUSTOM, false, false))
                    }
                }
            }
            div class="grid" {
                section class="panel" aria-labelledby="h-brand" {
                    h2 id="h-brand" { "Branding" }
                    (input(fields, "application_name", "Application name", "text", None))
                    (input(fields, "primary_color", "Primary colour", "color", Some("Text on it and links drawn from it are kept readable (WCAG AA) whatever the colour.")))
                }
                section class="panel" aria-labelledby="h-preview" {
                    h2 id="h-preview" { "Preview" }
                    p class="muted" { "The sign-in page with these colours; it follows what you type." }
                    div class="preview" data-preview {
                        p class="brand" data-preview-name { (fields.get("application_name")) }
                        p class="preview-title" { "Sign in" }
                        span class="preview-input" { "you@example.com" }
                        span class="button preview-button" data-preview-button { "Continue" }
                        span class="preview-link" { "Forgot password?" }
                    }
                }
            }
            section class="panel" aria-labelledby="h-emails" {
                h2 id="h-emails" { "Email templates" }
                p class="muted" { "Your own wording for the mail Frontdesk sends, as plain text; values go where the placeholders are. Leave both fields empty for the built-in wording." }
                div class="grid" {
                    @for kind in MessageKind::ALL {
                        (template(fields, kind))
                    }
                }
            }
            section class="panel" aria-labelledby="h-origins" {
                h2 id="h-origins" { "Allowed origins and redirects" }
                div class="field" {
                    label for="f-allowed_origins" { "Origins of your apps, one per line" }
                    p class="hint" id="f-allowed_origins-hint" {
                        "Sessions are handed to these origins, and after signing in or out people are sent back only to a URL on one of them (or on Frontdesk itself)."
                    }
                    textarea id="f-allowed_origins" name="allowed_origins" rows="4" spellcheck="false"
                        aria-describedby="f-allowed_origins-hint" { (fields.get("allowed_origins")) }
                }
            }
            button type="submit" { "Save settings" }
        }
    };
    let html = frame(state, operator, Section::Settings, "Settings", body);
    page(fapi, view.status, None, html)
}

/// What the page shows: the fields, and the outcome of a save.
struct View<'a> {
    fields: &'a Fields,
    done: Option<&'a str>,
    error: Option<&'a str>,
    status: StatusCode,
}

/// Whether the "add a provider" fields name one set up meanwhile (by the
/// Backend API, or another administrator since this page was loaded).
fn adds_a_taken_provider(state: &AppState, fields: &Fields) -> bool {
    let slug = fields.get(&format!("{NEW_CUSTOM}.slug")).trim();
    !slug.is_empty()
        && state
            .settings()
            .settings
            .social
            .keys()
            .any(|s| s.as_str() == format!("oauth_custom_{slug}"))
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
    let fields = Fields::from_settings(&state.settings().settings);
    let view = View {
        fields: &fields,
        done,
        error: None,
        status: StatusCode::OK,
    };
    render(&state, &fapi, &token, &operator, view).await
}

/// `POST /dashboard/settings`.
pub async fn save(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(posted): Form<BTreeMap<String, String>>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/settings").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    let fields = Fields(posted);
    let result = match fields.patch() {
        Ok(_) if adds_a_taken_provider(&state, &fields) => Err(crate::error::ApiError::bad_param(
            "new_custom.slug",
            "form_param_value_invalid",
            "A provider with this short name is set up already: change it in its own fields.",
        )),
        Ok(patch) => admin::change_settings(&state, &by, patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&fapi, "/dashboard/settings?done=saved"),
        Err(e) => {
            let (status, message) = error_text(e);
            let view = View {
                fields: &fields,
                done: None,
                error: Some(&message),
                status,
            };
            render(&state, &fapi, &token, &operator, view).await
        }
    }
}
