//! The dashboard (issue 18): where an instance's administrators find users,
//! act on them and read what other administrators did.
//!
//! Server-rendered like the hosted pages, behind the same guard (CSRF
//! token, same-origin posts, strict CSP, `no-store`), with the same design
//! system ([`super::theme`]). Every page first asks [`admin::access`]: a
//! signed-out browser is sent to sign in, a user who is not an
//! administrator is refused, and an administrator whose session has not
//! checked a second factor is asked for one. Every change goes through the
//! engine's services ([`crate::engine::admin`]), the ones the Backend API
//! calls, and leaves an audit entry; nothing here touches the store but to
//! read.

mod audit;
mod keys;
mod organizations;
mod overview;
mod settings;
mod settings_form;
mod setup;
mod user;
mod users;
mod webhooks;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use frontdesk_domain::UnixMillis;
use maud::{DOCTYPE, Markup, html};

use super::{FormError, guard, page, see_other};
use crate::engine::admin::{self, Access, Operator};
use crate::extract::Browser;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let attempts = axum::middleware::from_fn_with_state(
        (state.clone(), guard::Limit::Attempt),
        guard::rate_limit,
    );
    Router::new()
        .route("/dashboard", get(overview::show))
        .route(admin::SETUP_PATH, get(setup::show).post(setup::redeem))
        .route(
            "/dashboard/verify",
            get(setup::show_verify).merge(post(setup::verify).layer(attempts)),
        )
        .route("/dashboard/users", get(users::show))
        .route("/dashboard/users/{id}", get(user::show))
        .route("/dashboard/users/{id}/action", post(user::act))
        .route("/dashboard/users/{id}/password", post(user::password))
        .route("/dashboard/users/{id}/metadata", post(user::metadata))
        .route("/dashboard/users/{id}/impersonate", post(user::impersonate))
        .route(
            "/dashboard/users/{id}/sessions/{session}/revoke",
            post(user::revoke),
        )
        .route("/dashboard/organizations", get(organizations::show))
        .route("/dashboard/organizations/{id}", get(organizations::detail))
        .route(
            "/dashboard/organizations/{id}/members/{user}/role",
            post(organizations::change_role),
        )
        .route(
            "/dashboard/settings",
            get(settings::show).post(settings::save),
        )
        .route("/dashboard/keys", get(keys::show))
        .route("/dashboard/keys/secret", post(keys::create))
        .route("/dashboard/keys/secret/{id}/revoke", post(keys::revoke))
        .route("/dashboard/keys/signing/rotate", post(keys::rotate))
        .route(
            "/dashboard/webhooks",
            get(webhooks::show).post(webhooks::create),
        )
        .route("/dashboard/webhooks/{id}", get(webhooks::endpoint))
        .route("/dashboard/webhooks/{id}/rotate", post(webhooks::rotate))
        .route(
            "/dashboard/webhooks/{id}/messages/{msg}/replay",
            post(webhooks::replay),
        )
        .route("/dashboard/audit", get(audit::show))
        .route("/dashboard/audit.csv", get(audit::export))
}

/// The signed-in administrator, or the response that stands in for the
/// page: sign in, refused, or check a second factor.
pub(super) async fn require(
    state: &AppState,
    fapi: &Browser,
    here: &str,
) -> Result<Operator, Response> {
    match admin::access(state, fapi).await {
        Ok(Access::Granted(operator)) => Ok(operator),
        Ok(Access::SignedOut) => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("redirect_url", here)
                .finish();
            Err(see_other(fapi, &format!("/sign-in?{q}")))
        }
        Ok(Access::Refused(_)) => Err(page(
            fapi,
            StatusCode::FORBIDDEN,
            None,
            super::layout::message(
                state,
                "Administrators only",
                "This account cannot use the dashboard. Ask an administrator of this instance \
                 to make you one.",
            ),
        )),
        Ok(Access::NeedsSecondFactor { .. }) => Err(see_other(fapi, "/dashboard/verify")),
        Err(e) => Err(super::failed(state, fapi, "Dashboard", e)),
    }
}

/// Which section of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Overview,
    Users,
    Organizations,
    Settings,
    Keys,
    Webhooks,
    Audit,
}

const SECTIONS: [(Section, &str, &str); 7] = [
    (Section::Overview, "/dashboard", "Overview"),
    (Section::Users, "/dashboard/users", "Users"),
    (
        Section::Organizations,
        "/dashboard/organizations",
        "Organizations",
    ),
    (Section::Settings, "/dashboard/settings", "Settings"),
    (Section::Keys, "/dashboard/keys", "Keys"),
    (Section::Webhooks, "/dashboard/webhooks", "Webhooks"),
    (Section::Audit, "/dashboard/audit", "Audit log"),
];

/// A dashboard page: the navigation beside (on a phone, above) the content.
pub(super) fn frame(
    state: &AppState,
    operator: &Operator,
    section: Section,
    title: &str,
    body: Markup,
) -> String {
    let settings = state.settings();
    let brand = &settings.settings.branding;
    html! {
        (DOCTYPE)
        html lang="en" {
            (super::layout::head(&format!("{title} · Dashboard · {}", brand.application_name)))
            body {
                a class="skip" href="#content" { "Skip to content" }
                div class="app" {
                    nav class="side" aria-label="Dashboard" {
                        p class="brand" { (brand.application_name) " · Dashboard" }
                        ul {
                            @for (s, href, label) in SECTIONS {
                                li {
                                    a href=(href) aria-current=[(s == section).then_some("page")] { (label) }
                                }
                            }
                        }
                        p class="who" {
                            "Signed in as " (admin::label(&operator.user)) br;
                            a href="/user" { "Your account" } " · " a href="/sign-out" { "Sign out" }
                        }
                    }
                    main id="content" class="content" {
                        (body)
                    }
                }
            }
        }
    }
    .into_string()
}

/// The page's heading, with what it shows under it.
pub(super) fn head(title: &str, intro: Option<Markup>, actions: Option<Markup>) -> Markup {
    html! {
        div class="page-head" {
            div {
                h1 { (title) }
                @if let Some(i) = intro { p { (i) } }
            }
            @if let Some(a) = actions { div class="actions row" { (a) } }
        }
    }
}

/// `2026-12-01 21:40 UTC`.
pub(super) fn datetime(t: UnixMillis) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t.as_secs()) {
        Ok(d) => format!(
            "{}-{:02}-{:02} {:02}:{:02} UTC",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute()
        ),
        Err(_) => t.0.to_string(),
    }
}

/// `datetime`, or a dash for never.
pub(super) fn maybe(t: Option<UnixMillis>) -> String {
    t.map_or_else(|| "—".to_owned(), datetime)
}

/// A dashboard form's failure, shown as the page the form was on.
pub(super) fn error_text(e: crate::error::ApiError) -> (StatusCode, String) {
    let e = FormError::from_api(e);
    (e.status, e.message)
}
