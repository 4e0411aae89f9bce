//! The frame every hosted page shares, form fields that tie errors to their
//! inputs, and the themed stylesheet.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::guard::{CSRF_FIELD, CsrfToken};
use crate::state::AppState;

/// A whole page: `title` in the tab and the heading, `body` below it.
pub fn shell(state: &AppState, title: &str, body: Markup) -> String {
    frame(state, title, "card", body)
}

/// A page with room for tables (the profile, organizations).
pub fn wide_shell(state: &AppState, title: &str, body: Markup) -> String {
    frame(state, title, "card wide", body)
}

/// The `<head>` of every page, the dashboard's too: the tab's title, the
/// one script (allowed by its hash) and the design system's stylesheet.
pub fn head(tab_title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="robots" content="noindex";
            title { (tab_title) }
            script { (PreEscaped(super::guard::PAGE_SCRIPT)) }
            link rel="stylesheet" href="/assets/frontdesk.css";
        }
    }
}

fn frame(state: &AppState, title: &str, class: &str, body: Markup) -> String {
    let settings = state.settings();
    let brand = &settings.settings.branding;
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} · {}", brand.application_name)))
            body class="hosted" {
                main class=(class) {
                    header {
                        @if let Some(logo) = &brand.logo_url {
                            img class="logo" src=(logo.as_str()) alt=(format!("{} logo", brand.application_name));
                        }
                        p class="brand" { (brand.application_name) }
                        h1 { (title) }
                    }
                    (body)
                }
            }
        }
    }
    .into_string()
}

/// A page with one message and a way back.
pub fn message(state: &AppState, title: &str, text: &str) -> String {
    shell(
        state,
        title,
        html! {
            p role="alert" { (text) }
            p { a href="/sign-in" { "Go to sign-in" } }
        },
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf(token: &CsrfToken) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token.0); }
}

/// A hidden field, when there is a value.
pub fn hidden(name: &str, value: Option<&str>) -> Markup {
    html! {
        @if let Some(v) = value {
            input type="hidden" name=(name) value=(v);
        }
    }
}

/// An error about the whole form, announced to screen readers.
pub fn alert(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p class="alert" role="alert" { (m) }
        }
    }
}

/// A status message after a change ("Password changed").
pub fn notice(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p class="notice" role="status" { (m) }
        }
    }
}

/// The step of a flow that asks for an emailed code, with a button to send
/// a new one (`action=verify` or `action=resend`).
pub struct CodeStep<'a> {
    /// Where the form posts.
    pub path: &'a str,
    pub title: &'a str,
    pub intro: &'a str,
    pub label: &'a str,
    pub submit: &'a str,
    pub attempt: &'a str,
    pub redirect_url: Option<String>,
    /// Links under the form.
    pub footer: Markup,
    /// Offer "Send a new code" (mailed codes; not an app's or a backup code).
    pub resend: bool,
    /// One more hidden field the step posts (name, value).
    pub carry: Option<(&'a str, &'a str)>,
    /// The code is six digits (mailed and app codes), not a backup code:
    /// numeric keyboard and one-time-code autofill.
    pub digits: bool,
}

impl CodeStep<'_> {
    pub fn render(
        &self,
        state: &AppState,
        token: &CsrfToken,
        error: Option<&super::FormError>,
        done: Option<&str>,
    ) -> String {
        shell(
            state,
            self.title,
            html! {
                p { (self.intro) }
                (notice(done))
                (alert(error.and_then(|e| e.general(&["code"]))))
                form method="post" action=(self.path) novalidate {
                    (csrf(token))
                    (hidden("attempt", Some(self.attempt)))
                    @if let Some((name, value)) = self.carry {
                        (hidden(name, Some(value)))
                    }
                    (hidden("redirect_url", self.redirect_url.as_deref()))
                    (Field::new("code", self.label, "text", if self.digits { "one-time-code" } else { "off" })
                        .error(error.and_then(|e| e.on("code")))
                        .focus(true)
                        .render())
                    div class="actions" {
                        button class="primary" type="submit" name="action" value="verify" { (self.submit) }
                        @if self.resend {
                            button class="secondary" type="submit" name="action" value="resend" { "Send a new code" }
                        }
                    }
                }
                (self.footer)
            },
        )
    }
}

/// One labelled input.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub autocomplete: &'a str,
    pub value: Option<&'a str>,
    pub required: bool,
    pub error: Option<&'a str>,
    pub hint: Option<&'a str>,
    pub autofocus: bool,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str, kind: &'a str, autocomplete: &'a str) -> Self {
        Self {
            name,
            label,
            kind,
            autocomplete,
            value: None,
            required: true,
            error: None,
            hint: None,
            autofocus: false,
        }
    }

    pub fn value(mut self, v: Option<&'a str>) -> Self {
        self.value = v;
        self
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn required(mut self, yes: bool) -> Self {
        self.required = yes;
        self
    }

    pub fn error(mut self, e: Option<&'a str>) -> Self {
        self.error = e;
        self
    }

    pub fn hint(mut self, h: &'a str) -> Self {
        self.hint = Some(h);
        self
    }

    pub fn focus(mut self, yes: bool) -> Self {
        self.autofocus = yes;
        self
    }

    /// The label, the input (invalid and described by its error and hint),
    /// and the error text under it. A field in error takes the focus.
    pub fn render(&self) -> Markup {
        let id = format!("f-{}", self.name);
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described: Vec<&str> = [
            self.error.map(|_| error_id.as_str()),
            self.hint.map(|_| hint_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let code = self.autocomplete == "one-time-code";
        html! {
            div class="field" {
                label for=(id) {
                    (self.label)
                    @if !self.required { span class="optional" { " (optional)" } }
                }
                @if let Some(h) = self.hint { p class="hint" id=(hint_id) { (h) } }
                input id=(id) name=(self.name) type=(self.kind) autocomplete=(self.autocomplete)
                    value=[self.value]
                    required[self.required]
                    autofocus[self.autofocus || self.error.is_some()]
                    inputmode=[code.then_some("numeric")]
                    pattern=[code.then_some("[0-9]{6}")]
                    maxlength=[code.then_some("6")]
                    aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
                @if let Some(e) = self.error { p class="field-error" id=(error_id) { (e) } }
            }
        }
    }
}

/// `GET /assets/frontdesk.css`: the design system themed by the
/// configured colour ([`super::theme`]). The colour is a parsed `#rrggbb`,
/// so it cannot break out of its rule.
pub async fn stylesheet(State(state): State<AppState>) -> impl IntoResponse {
    let css = super::theme::stylesheet(&state.settings().settings.branding.primary_color);
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
}
