//! The Frontend API: what the browser (clerk-js, or Frontdesk's hosted pages)
//! talks to.
//!
//! Conventions of this API, from observing clerk-js (clerk-protocol.md §1, §5):
//! only GET and POST are sent, other methods arrive as `?_method=PATCH|DELETE`;
//! bodies are form-encoded; mutating calls answer `{response, client}`; the
//! browser is identified by the dev browser token (`?__clerk_db_jwt=`) on
//! development instances or by the `__client` cookie; every response carries
//! CORS headers for the exact calling origin with credentials.

mod client;
mod environment;
mod handshake;
pub(crate) mod limits;
mod me;
mod me_accounts;
mod me_emails;
mod me_factors;
mod me_image;
mod me_organizations;
mod me_passkeys;
mod oauth;
mod org_domains;
mod org_invitations;
mod organizations;
mod render;
mod reverify;
mod sessions;
mod sign_ins;
mod sign_ups;
mod tickets;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use handshake::payload as handshake_payload;

use crate::error::ApiResult;
use crate::extract::Browser;
use crate::state::AppState;

/// `{response, client}` with the caller's client as it is now.
pub async fn envelope<T: serde::Serialize>(
    state: &AppState,
    fapi: &mut Browser,
    response: T,
) -> ApiResult<Response> {
    fapi.reload(state).await?;
    let client = match &fapi.client {
        Some(c) => Some(render::client(state, c, fapi.origin.as_deref()).await?),
        None => None,
    };
    Ok(fapi.respond(&serde_json::json!({"response": response, "client": client})))
}

pub fn router(state: &AppState) -> Router<AppState> {
    let creates = Router::new()
        .route("/v1/client/sign_ups", post(sign_ups::create))
        .route("/v1/client/sign_ins", post(sign_ins::create))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::creates,
        ));
    let attempts = Router::new()
        .route(
            "/v1/client/sign_ups/{id}/attempt_verification",
            post(sign_ups::attempt),
        )
        .route(
            "/v1/client/sign_ins/{id}/attempt_first_factor",
            post(sign_ins::attempt_first_factor),
        )
        .route(
            "/v1/client/sign_ins/{id}/reset_password",
            post(sign_ins::reset_password),
        )
        .route("/v1/me/change_password", post(me::change_password))
        .route(
            "/v1/client/sign_ins/{id}/attempt_second_factor",
            post(sign_ins::attempt_second_factor),
        )
        .route(
            "/v1/me/totp/attempt_verification",
            post(me_factors::verify_totp),
        )
        .route(
            "/v1/me/passkeys/{id}/attempt_verification",
            post(me_passkeys::attempt),
        )
        .route(
            "/v1/me/email_addresses/{id}/attempt_verification",
            post(me_emails::attempt),
        )
        .route(
            "/v1/client/sessions/{id}/verify/attempt_first_factor",
            post(reverify::attempt_first),
        )
        .route(
            "/v1/client/sessions/{id}/verify/attempt_second_factor",
            post(reverify::attempt_second),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::attempts,
        ));
    Router::new()
        .route(
            "/v1/environment",
            get(environment::get).patch(environment::get),
        )
        .route("/v1/dev_browser", post(client::create_dev_browser))
        .route("/v1/tickets/accept", get(tickets::accept))
        .route("/v1/client", get(client::get).delete(client::delete))
        .route("/v1/client/handshake", get(handshake::handshake))
        .route(
            "/v1/client/sign_ups/{id}",
            get(sign_ups::get).patch(sign_ups::update),
        )
        .route(
            "/v1/client/sign_ups/{id}/prepare_verification",
            post(sign_ups::prepare),
        )
        .route("/v1/client/sign_ins/{id}", get(sign_ins::get))
        .route(
            "/v1/client/sign_ins/{id}/prepare_first_factor",
            post(sign_ins::prepare_first_factor),
        )
        .route(
            "/v1/client/sessions",
            axum::routing::delete(sessions::sign_out_all),
        )
        .route("/v1/client/sessions/{id}/touch", post(sessions::touch))
        .route("/v1/client/sessions/{id}/verify", post(reverify::start))
        .route(
            "/v1/client/sessions/{id}/verify/prepare_first_factor",
            post(reverify::prepare_first),
        )
        .route("/v1/client/sessions/{id}/tokens", post(sessions::token))
        .route("/v1/client/sessions/{id}/end", post(sessions::end))
        .route("/v1/client/sessions/{id}/remove", post(sessions::remove))
        .route(
            "/v1/me",
            get(me::get).patch(me::update).delete(me_emails::delete_me),
        )
        .route(
            "/v1/me/profile_image",
            post(me_image::upload).delete(me_image::remove).layer(
                axum::extract::DefaultBodyLimit::max(
                    crate::engine::images::MAX_IMAGE_BYTES + 64 * 1024,
                ),
            ),
        )
        .route("/v1/images/{id}", get(me_image::serve))
        .route(
            "/v1/me/email_addresses",
            get(me_emails::list).post(me_emails::add),
        )
        .route(
            "/v1/me/email_addresses/{id}",
            get(me_emails::show).delete(me_emails::remove),
        )
        .route(
            "/v1/me/email_addresses/{id}/prepare_verification",
            post(me_emails::prepare),
        )
        .route("/v1/me/sessions/active", get(me::sessions))
        .route(
            "/v1/me/organization_memberships",
            get(me_organizations::list),
        )
        .route(
            "/v1/me/organization_memberships/{org}",
            axum::routing::delete(me_organizations::leave),
        )
        .route("/v1/me/external_accounts", post(me_accounts::create))
        .route(
            "/v1/me/enterprise_connections",
            get(me_accounts::enterprise_connections),
        )
        .route(
            "/v1/me/external_accounts/{id}",
            axum::routing::delete(me_accounts::delete),
        )
        .route("/v1/me/passkeys", post(me_passkeys::create))
        .route(
            "/v1/me/passkeys/{id}",
            axum::routing::patch(me_passkeys::rename).delete(me_passkeys::delete),
        )
        .route(
            "/v1/me/totp",
            post(me_factors::create_totp).delete(me_factors::delete_totp),
        )
        // clerk-js posts to `…/backup_codes/` (trailing slash).
        .route("/v1/me/backup_codes", post(me_factors::create_backup_codes))
        .route(
            "/v1/me/backup_codes/",
            post(me_factors::create_backup_codes),
        )
        .route(
            "/v1/client/sign_ins/{id}/prepare_second_factor",
            post(sign_ins::prepare_second_factor),
        )
        .route("/v1/me/sessions/{id}/revoke", post(me::revoke_session))
        .merge(organizations_router())
        .merge(creates)
        .merge(attempts)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trusted_origin,
        ))
        // The providers' way back, outside the origin check: Apple's form
        // post comes from Apple's page and only turns into a GET
        // (engine::oauth checks the state and the cookie).
        .route(
            "/v1/oauth_callback",
            get(oauth::callback).post(oauth::callback_post),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), cors))
}

/// The organizations of the signed-in user (issue 17).
fn organizations_router() -> Router<AppState> {
    use axum::routing::patch;
    use organizations as o;
    Router::new()
        .route("/v1/organizations", post(o::create))
        .route(
            "/v1/organizations/{org}",
            get(o::get).patch(o::update).delete(o::delete),
        )
        .route(
            "/v1/organizations/{org}/memberships",
            get(o::members).post(o::add_member),
        )
        .route(
            "/v1/organizations/{org}/memberships/{user_id}",
            patch(o::change_role).delete(o::remove_member),
        )
        .route("/v1/organizations/{org}/roles", get(o::roles))
        .route(
            "/v1/organizations/{org}/domains",
            get(org_domains::list).post(org_domains::create),
        )
        .route(
            "/v1/organizations/{org}/domains/{id}",
            get(org_domains::get).delete(org_domains::delete),
        )
        .route(
            "/v1/organizations/{org}/domains/{id}/update_enrollment_mode",
            post(org_domains::update_mode),
        )
        .route(
            "/v1/organizations/{org}/domains/{id}/prepare_affiliation_verification",
            post(org_domains::prepare),
        )
        .route(
            "/v1/organizations/{org}/domains/{id}/attempt_affiliation_verification",
            post(org_domains::attempt),
        )
        .route(
            "/v1/organizations/{org}/membership_requests",
            get(org_domains::requests),
        )
        .route(
            "/v1/organizations/{org}/membership_requests/{id}/accept",
            post(org_domains::accept_request),
        )
        .route(
            "/v1/organizations/{org}/membership_requests/{id}/reject",
            post(org_domains::reject_request),
        )
        .route(
            "/v1/me/organization_suggestions",
            get(org_domains::suggestions),
        )
        .route(
            "/v1/me/organization_suggestions/{id}/accept",
            post(org_domains::accept_suggestion),
        )
        .route(
            "/v1/organizations/{org}/logo",
            axum::routing::put(org_domains::set_logo)
                .post(org_domains::set_logo)
                .delete(org_domains::remove_logo)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::engine::images::MAX_IMAGE_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/v1/organizations/{org}/invitations",
            get(org_invitations::list).post(org_invitations::create),
        )
        .route(
            "/v1/organizations/{org}/invitations/bulk",
            post(org_invitations::bulk),
        )
        .route(
            "/v1/organizations/{org}/invitations/pending",
            get(org_invitations::pending),
        )
        .route(
            "/v1/organizations/{org}/invitations/{inv}/revoke",
            post(org_invitations::revoke),
        )
        .route(
            "/v1/me/organization_invitations",
            get(org_invitations::mine),
        )
        .route(
            "/v1/me/organization_invitations/{inv}/accept",
            post(org_invitations::accept),
        )
}

/// State-changing calls from a browser must come from a page Frontdesk
/// trusts: its own, a configured app origin, or (development) a loopback
/// app (security.md D11). Cookies alone (SameSite=Lax) would let any page on
/// the same site act; the dev browser token travels in the URL. Requests
/// without `Origin` are not from a browser's cross-origin fetch.
async fn trusted_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("null"));
    if changes && let Some(origin) = origin {
        // The policy trusts Frontdesk's own origin too.
        if !state.settings().redirects.trusts_origin(origin) {
            return crate::error::ApiError::client(
                StatusCode::FORBIDDEN,
                frontdesk_types::ClerkError::new(
                    "origin_invalid",
                    "Origin not allowed",
                    format!("Requests from `{origin}` are not allowed; add it to allowed_origins."),
                ),
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// `/v1/me/email_addresses/` is `/v1/me/email_addresses`: clerk-js adds a
/// trailing slash to some collection paths (`createEmailAddress`,
/// `createBackupCode`), which Clerk's API accepts. Runs before routing.
pub async fn trim_trailing_slash(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 4 && path.starts_with("/v1/") && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = rebuilt.parse() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

/// Turn `POST …?_method=PATCH` into `PATCH …` before routing: clerk-js never
/// sends other methods, to avoid CORS preflights.
pub async fn method_override(mut req: Request, next: Next) -> Response {
    if req.method() == Method::POST
        && let Some(query) = req.uri().query()
    {
        let wanted = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "_method")
            .map(|(_, v)| v.to_ascii_uppercase());
        match wanted.as_deref() {
            Some("PATCH") => *req.method_mut() = Method::PATCH,
            Some("DELETE") => *req.method_mut() = Method::DELETE,
            Some("PUT") => *req.method_mut() = Method::PUT,
            _ => {}
        }
    }
    next.run(req).await
}

/// CORS for credentialed requests from the origins Frontdesk trusts (its
/// own, `allowed_origins`, and loopback apps on development instances), and
/// answers to their preflights (which clerk-js avoids, but other clients may
/// send). Any other origin gets no CORS headers, so a page there — a sibling
/// subdomain on the same site, whose requests carry the `SameSite=Lax`
/// cookie — cannot read the client or its session tokens (finding F4).
///
/// Every response is `Cache-Control: no-store`: clients and `/v1/me` carry
/// session tokens and personal data, which no cache should keep (F19).
async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| {
            o.to_str()
                .is_ok_and(|o| state.settings().redirects.trusts_origin(o))
        })
        .cloned();
    let preflight = req.method() == Method::OPTIONS;
    let mut res = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Clerk-Db-Jwt"),
        );
        if preflight {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, PATCH, PUT, DELETE"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, authorization"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
