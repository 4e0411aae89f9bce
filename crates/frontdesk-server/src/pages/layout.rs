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
    let settings = state.settings();
    let brand = &settings.settings.branding;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · " (brand.application_name) }
                script { (PreEscaped(super::guard::PAGE_SCRIPT)) }
                link rel="stylesheet" href="/assets/frontdesk.css";
            }
            body {
                main class="card" {
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

/// `GET /assets/frontdesk.css`: the stylesheet with the configured colour.
/// The colour is a parsed `#rrggbb`, so it cannot break out of the rule.
pub async fn stylesheet(State(state): State<AppState>) -> impl IntoResponse {
    let css = STYLES.replace(
        "__PRIMARY__",
        &state.settings().settings.branding.primary_color.to_string(),
    );
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
}

const STYLES: &str = r#":root { --primary: __PRIMARY__; --text: #1f2328; --muted: #59636e; --danger: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: #f4f5f7; }
.card { width: 100%; max-width: 28rem; margin: 2rem 1rem; padding: 2rem; background: #fff;
  border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.card.wide { max-width: 44rem; }
@media (max-width: 480px) { .card { margin: 0; border-radius: 0; box-shadow: none; padding: 1.25rem; } }
header { margin-bottom: 1.25rem; }
.logo { max-height: 48px; max-width: 100%; display: block; margin-bottom: .5rem; }
.brand { margin: 0; color: var(--muted); font-size: .875rem; }
h1 { margin: .25rem 0 0; font-size: 1.5rem; }
h2 { font-size: 1.125rem; margin: 1.75rem 0 .75rem; }
.field { margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.optional, .hint { color: var(--muted); font-weight: 400; font-size: .875rem; }
.hint { margin: 0 0 .25rem; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .625rem .75rem;
  font: inherit; border: 1px solid #c4c9d0; border-radius: 8px; }
input[aria-invalid=true] { border-color: var(--danger); }
:focus-visible { outline: 3px solid var(--primary); outline-offset: 2px; }
.field-error, .alert { color: var(--danger); font-size: .875rem; margin: .25rem 0 0; }
.alert { padding: .75rem; border: 1px solid var(--danger); border-radius: 8px; margin-bottom: 1rem; }
.notice { padding: .75rem; border: 1px solid #1a7f37; color: #1a7f37; border-radius: 8px; }
button { font: inherit; font-weight: 600; padding: .625rem 1rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--primary); background: var(--primary); color: #fff; }
button.primary { width: 100%; }
button.secondary { background: #fff; color: var(--primary); }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button.reveal { margin-top: .25rem; padding: .125rem .5rem; font-size: .875rem; font-weight: 500;
  background: #fff; color: var(--primary); }
.actions { display: flex; flex-direction: column; gap: .5rem; margin-top: 1rem; }
a { color: var(--primary); }
.links { margin-top: 1.25rem; font-size: .875rem; }
.social form { margin: 0 0 .5rem; }
.social button { width: 100%; }
.social .divider { text-align: center; color: #666; font-size: .875rem; margin: .75rem 0; }
.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
table { width: 100%; border-collapse: collapse; font-size: .9375rem; }
th, td { text-align: left; padding: .5rem .25rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
.qr { margin: 0 0 1rem; } .qr svg { width: 200px; height: 200px; }
.codes { display: grid; grid-template-columns: repeat(2, 1fr); gap: .25rem 1rem; padding-left: 1.25rem; }
.badge { font-size: .75rem; padding: 0 .375rem; border-radius: 4px; background: #eef; color: var(--text); }
.badge-muted { background: #f1f2f4; color: var(--muted); }
.avatar-row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; margin-bottom: 1rem; }
.avatar { width: 64px; height: 64px; border-radius: 50%; object-fit: cover; background: #e5e7eb; display: block; }
.avatar-row form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; }
.avatar-row .field { margin: 0; }
.emails { list-style: none; padding: 0; margin: 0 0 1rem; }
.emails li { padding: .5rem 0; border-bottom: 1px solid #e5e7eb; }
.emails .actions { flex-direction: row; flex-wrap: wrap; margin-top: .375rem; }
.emails .actions button { padding: .25rem .625rem; font-size: .875rem; }
select { font: inherit; padding: .5rem; border: 1px solid #c4c9d0; border-radius: 8px; background: #fff; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
"#;
