//! The seed's app on axum with the Frontdesk SDK:
//!
//! - public: `/`, `/articles/*`, `/about`; every other page needs a
//!   signed-in user (signed-out visitors go to the sign-in page and back);
//! - `GET /api/user/profile`: `{id, email, firstName}`, 401 JSON when signed
//!   out;
//! - `POST /api/webhooks/clerk`: Svix-signed `user.created|updated|deleted`
//!   events kept in the app's own `users` table;
//! - `/pro`: only when the session token says `metadata.tier == "pro"`;
//! - `/org`: the session's active organization, invoices for a role that
//!   grants `org:invoices:read`, and a link to switch organizations on
//!   Frontdesk's hosted page (which comes back here through the handshake).
//!
//! Configuration: the SDK's environment (`FRONTDESK_PUBLISHABLE_KEY`,
//! `FRONTDESK_SECRET_KEY`, `FRONTDESK_API_URL`, `FRONTDESK_PROXY_URL`, or
//! their `CLERK_*` names), `FRONTDESK_WEBHOOK_SECRET` (or
//! `CLERK_WEBHOOK_SIGNING_SECRET`), `APP_PORT` (3000) and
//! `APP_DATABASE_URL` (`sqlite://seed-app.db`).

pub mod db;

use std::sync::{Arc, LazyLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use frontdesk::webhook::{Headers, Webhook};
use frontdesk::{Auth, Condition, FrontdeskLayer, RouteMatcher};
use serde_json::{Value, json};

static PUBLIC: LazyLock<RouteMatcher> = LazyLock::new(|| {
    RouteMatcher::new(["/", "/articles(.*)", "/about", "/api(.*)"])
        .unwrap_or_else(|e| panic!("public routes: {e}"))
});

/// What handlers share.
#[derive(Clone)]
pub struct App {
    pub db: db::Db,
    pub webhook: Option<Arc<Webhook>>,
}

/// The first of `names` set in the environment.
pub fn env(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| std::env::var(n).ok())
}

/// The app: routes, the seed's middleware, the SDK's layer.
pub fn app(settings: frontdesk::Settings, state: App) -> Router {
    Router::new()
        .route(
            "/",
            get(|| page("Home", "Welcome. <a href=\"/dashboard\">Dashboard</a>")),
        )
        .route("/about", get(|| page("About", "A public page.")))
        .route(
            "/articles/{*rest}",
            get(|| page("Articles", "Public articles.")),
        )
        .route("/dashboard", get(dashboard))
        .route("/pro", get(pro))
        .route("/org", get(org))
        .route("/api/user/profile", get(profile))
        .route("/api/webhooks/clerk", post(webhook))
        .layer(axum::middleware::from_fn(protect_pages))
        .layer(FrontdeskLayer::new(settings))
        .with_state(state)
}

async fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    ))
}

/// The seed's middleware: `if (!isPublicRoute(req)) await auth.protect()`.
async fn protect_pages(auth: Auth, req: Request, next: Next) -> Response {
    if PUBLIC.matches(req.uri().path()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    if let Err(res) = auth.protect::<Body>(&parts, &[]) {
        return res;
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn dashboard(auth: Auth) -> Response {
    match auth.current_user().await {
        Ok(Some(user)) => page(
            "Dashboard",
            &format!(
                "Signed in as <span id=\"user-id\">{}</span> (<span id=\"first-name\">{}</span>).",
                user.id,
                user.first_name.as_deref().unwrap_or("")
            ),
        )
        .await
        .into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn pro(auth: Auth, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    match auth.protect::<Body>(&parts, &[Condition::claim("metadata.tier", "pro")]) {
        Ok(()) => page("Pro", "Pro content.").await.into_response(),
        // Signed in without the tier: a page that says so, with the 404
        // `protect()` chose.
        Err(res) if res.status() == StatusCode::NOT_FOUND => (
            StatusCode::NOT_FOUND,
            page("Not found", "This page is for pro members.").await,
        )
            .into_response(),
        Err(res) => res,
    }
}

/// The active organization, from the session token alone, and invoices
/// only for a role that grants `org:invoices:read`.
async fn org(auth: Auth, req: Request) -> Html<String> {
    let slug = auth.claims().and_then(|c| c.org_slug().map(str::to_owned));
    let active = match (slug, auth.org_role()) {
        (Some(slug), Some(role)) => format!("{slug} as {role}"),
        _ => "Personal account".to_owned(),
    };
    let invoices = if auth.has(&Condition::permission("org:invoices:read")) {
        "<section id=\"invoices\"><h2>Invoices</h2><p>Invoice #1001: 42.00 EUR, paid.</p></section>"
    } else {
        "<p id=\"no-invoices\">Invoices need the org:invoices:read permission.</p>"
    };
    // Frontdesk's hosted page, coming back here when a switch is made.
    let hosted = auth
        .settings()
        .sign_in_url
        .trim_end_matches("/sign-in")
        .to_owned();
    let (parts, _) = req.into_parts();
    let back = encode(&frontdesk::request::request_url(&parts));
    page(
        "Organization",
        &format!(
            "<span id=\"active-org\">{active}</span></p>{invoices}<p><a id=\"switch\" href=\"{hosted}/user/organizations?redirect_url={back}\">Switch organization</a>"
        ),
    )
    .await
}

/// `s` as a query value (RFC 3986 unreserved characters kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `{id, email, firstName}` of the signed-in user; 401 JSON when signed out.
async fn profile(auth: Auth) -> Response {
    match auth.current_user().await {
        Ok(Some(user)) => {
            let email = user
                .primary_email_address_id
                .as_ref()
                .and_then(|id| user.email_addresses.iter().find(|e| &e.id == id))
                .map(|e| e.email_address.clone());
            Json(json!({"id": user.id, "email": email, "firstName": user.first_name}))
                .into_response()
        }
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Unauthorized"})),
        )
            .into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

/// Svix-signed `user.*` events into the `users` table.
async fn webhook(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(wh) = &app.webhook else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "no webhook secret configured",
        )
            .into_response();
    };
    let h = Headers::from_fn(|name| headers.get(name).and_then(|v| v.to_str().ok()));
    let verified = h.and_then(|h| wh.verify(&h, &body));
    let Ok(text) = verified else {
        return (StatusCode::BAD_REQUEST, "invalid signature").into_response();
    };
    let Ok(event) = serde_json::from_str::<Value>(text) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let data = &event["data"];
    let Some(id) = data["id"].as_str() else {
        return (StatusCode::BAD_REQUEST, "no data.id").into_response();
    };
    let result = match event["type"].as_str() {
        Some("user.created" | "user.updated") => {
            let primary = data["primary_email_address_id"].as_str();
            let email = data["email_addresses"]
                .as_array()
                .and_then(|a| a.iter().find(|e| e["id"].as_str() == primary))
                .and_then(|e| e["email_address"].as_str());
            app.db
                .upsert_user(id, email, data["first_name"].as_str())
                .await
        }
        Some("user.deleted") => app.db.delete_user(id).await,
        _ => Ok(()),
    };
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
