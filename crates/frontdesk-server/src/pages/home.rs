//! `/`: what this server is and where to go, instead of a JSON 404 for the
//! first thing a person opens.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use frontdesk_domain::InstanceMode;
use maud::html;

use super::layout;
use crate::state::AppState;

/// `GET /`.
pub async fn show(State(state): State<AppState>) -> Response {
    let info = &state.instance;
    let origin = info.public_url.origin();
    let development = info.instance.mode == InstanceMode::Development;
    let body = layout::shell(
        &state,
        "Frontdesk",
        html! {
            p { "Sign-in, sign-up and user management for your apps, speaking Clerk's protocols." }
            ul class="links" {
                li { a href="/sign-in" { "Sign in" } }
                li { a href="/sign-up" { "Create an account" } }
                li { a href="/user" { "Your account" } }
            }
            h2 { "For developers" }
            dl {
                dt { "Instance" }
                dd { (info.instance.id) " (" (info.instance.mode) ")" }
                dt { "Frontend and Backend API" }
                dd { code { (origin) } }
                dt { "Publishable key" }
                dd { code { (info.publishable_key) } }
                dt { "JWKS" }
                dd { a href="/.well-known/jwks.json" { code { (origin) "/.well-known/jwks.json" } } }
                @if development {
                    dt { "Verification codes" }
                    dd {
                        "Kept in the development mailbox: run "
                        code { "frontdesk mail" }
                        " where the server runs, or "
                        code { "GET " (origin) "/v1/dev/emails" }
                        " with the secret key. Addresses containing "
                        code { "+clerk_test" }
                        " take the code "
                        code { "424242" }
                        "."
                    }
                }
                dt { "A Next.js app" }
                dd { code { "frontdesk keys show --format nextjs --new-secret-key > .env.local" } }
            }
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
