//! Frontdesk's own hosted pages: sign-in, sign-up, email verification,
//! password reset, the profile (`/user`) and sign-out; and the dashboard
//! (`/dashboard`) of the instance's administrators.
//!
//! Server-rendered HTML forms: each form posts back to its page, whose
//! handler is an adapter over the same engine steps as the Frontend API
//! ([`crate::engine`]), on the same client, found by the `__client` cookie
//! on Frontdesk's own host. Nothing here reaches into `routes`. After a sign-in the
//! browser goes to `redirect_url` (checked against the instance's
//! [`RedirectPolicy`](frontdesk_domain::RedirectPolicy)); an app on another
//! origin receives the session through the Frontend API handshake, as with
//! Clerk's Account Portal.
//!
//! Every POST passes [`guard::protect`]: fetch metadata and `Origin` must say
//! same-origin, and the form must carry the CSRF token of the browser's
//! `__Host-` cookie. Every page is sent with a strict CSP, `no-store`,
//! `no-referrer` and `frame-ancestors 'none'`. maud escapes every value.

mod account;
mod connected;
mod dashboard;
mod delete;
mod factor_two;
mod guard;
mod home;
mod invitation;
mod layout;
mod org_members;
mod organizations;
mod passkeys;
mod profile;
mod reset;
mod sign_in;
mod sign_up;
mod social;
mod theme;
mod two_step;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use frontdesk_domain::RedirectUrl;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::Browser;
use crate::state::AppState;

pub use guard::CsrfToken;

pub fn router(state: &AppState) -> Router<AppState> {
    let limited = |limiter: guard::Limit| {
        axum::middleware::from_fn_with_state((state.clone(), limiter), guard::rate_limit)
    };
    Router::new()
        .route("/", get(home::show))
        .route(
            "/sign-in",
            get(sign_in::show).merge(post(sign_in::submit).layer(limited(guard::Limit::Create))),
        )
        .route(
            "/sign-in/code",
            get(sign_in::show_code)
                .merge(post(sign_in::submit_code).layer(limited(guard::Limit::Attempt))),
        )
        .route(
            "/sign-in/factor-two",
            get(factor_two::show)
                .merge(post(factor_two::submit).layer(limited(guard::Limit::Attempt))),
        )
        .route(
            "/sign-up",
            get(sign_up::show).merge(post(sign_up::submit).layer(limited(guard::Limit::Create))),
        )
        .route(
            "/sign-in/oauth",
            post(social::start_sign_in).layer(limited(guard::Limit::Create)),
        )
        .route(
            "/sign-up/oauth",
            post(social::start_sign_up).layer(limited(guard::Limit::Create)),
        )
        .route("/sign-in/sso-callback", get(social::callback))
        .route(
            "/sign-up/verify",
            get(sign_up::show_verify)
                .merge(post(sign_up::submit_verify).layer(limited(guard::Limit::Attempt))),
        )
        .route(
            "/forgot-password",
            get(reset::show).merge(post(reset::submit).layer(limited(guard::Limit::Create))),
        )
        .route(
            "/forgot-password/reset",
            get(reset::show_reset)
                .merge(post(reset::submit_reset).layer(limited(guard::Limit::Attempt))),
        )
        .route("/user", get(profile::show))
        .route("/user/profile", post(profile::rename))
        .route(
            "/user/password",
            post(profile::password).layer(limited(guard::Limit::Attempt)),
        )
        .route("/user/sessions/{id}/revoke", post(profile::revoke))
        .route(
            "/user/organizations",
            get(organizations::show).post(organizations::create),
        )
        .route(
            "/user/organizations/activate",
            post(organizations::activate),
        )
        .route("/user/organizations/{org}", get(org_members::show))
        .route(
            "/user/organizations/{org}/invitations",
            post(org_members::invite),
        )
        .route(
            "/user/organizations/{org}/invitations/{inv}/revoke",
            post(org_members::revoke),
        )
        .route(
            "/user/organizations/{org}/members/{user_id}/role",
            post(org_members::change_role),
        )
        .route(
            "/user/organizations/{org}/members/{user_id}/remove",
            post(org_members::remove),
        )
        .route("/user/organizations/{org}/leave", post(org_members::leave))
        .route("/user/two-step/start", post(two_step::start))
        .route(
            "/user/two-step/verify",
            post(two_step::verify).layer(limited(guard::Limit::Attempt)),
        )
        .route("/user/two-step/backup-codes", post(two_step::backup_codes))
        .route("/user/two-step/remove", post(two_step::remove))
        .route("/user/delete", post(delete::delete))
        .route("/user/emails", post(account::add))
        .route(
            "/user/emails/verify",
            post(account::verify).layer(limited(guard::Limit::Attempt)),
        )
        .route("/user/emails/{id}/send-code", post(account::start_verify))
        .route("/user/emails/{id}/primary", post(account::make_primary))
        .route("/user/emails/{id}/remove", post(account::remove))
        .route(
            account::IMAGE_PATH,
            post(account::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::engine::images::MAX_IMAGE_BYTES + 64 * 1024,
            )),
        )
        .route("/user/image/remove", post(account::remove_image))
        .route("/user/accounts/connect", post(connected::connect))
        .route("/user/accounts/{id}/remove", post(connected::remove))
        .route("/user/passkeys/start", post(passkeys::start))
        .route("/user/passkeys/{id}/verify", post(passkeys::verify))
        .route("/user/passkeys/{id}/remove", post(passkeys::remove))
        .route(
            "/sign-in/passkey/start",
            post(passkeys::start_sign_in).layer(limited(guard::Limit::Create)),
        )
        .route(
            "/sign-in/passkey",
            post(passkeys::submit_sign_in).layer(limited(guard::Limit::Attempt)),
        )
        .route(
            "/user/verify",
            post(two_step::confirm).layer(limited(guard::Limit::Attempt)),
        )
        .route(
            "/invitation",
            post(invitation::submit).layer(limited(guard::Limit::Create)),
        )
        .route(
            "/sign-out",
            get(profile::show_sign_out).post(profile::sign_out),
        )
        .merge(dashboard::router(state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            adopt_dev_browser,
        ))
        .route("/assets/frontdesk.css", get(layout::stylesheet))
}

/// Development instances: clerk-js sends people to a sign-in page on
/// another origin with the app's dev browser in the query
/// (`?__clerk_db_jwt=`), as it does for Clerk's Account Portal, so that the
/// sign-in happens on the browser the app knows. The page adopts it as this
/// browser's client cookie and loads again without it (the fragment, where
/// clerk-js puts `redirect_url`, survives the redirect).
async fn adopt_dev_browser(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let development = state.instance.instance.mode == frontdesk_domain::InstanceMode::Development;
    let Some(query) = req
        .uri()
        .query()
        .filter(|_| development && req.method() == axum::http::Method::GET)
    else {
        return next.run(req).await;
    };
    let param = crate::extract::DEV_BROWSER_PARAM;
    let (token, rest): (Vec<String>, Vec<(String, String)>) = {
        let mut token = Vec::new();
        let mut rest = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if k == param {
                token.push(v.into_owned());
            } else {
                rest.push((k.into_owned(), v.into_owned()));
            }
        }
        (token, rest)
    };
    let Some(token) = token.into_iter().next() else {
        return next.run(req).await;
    };
    let mut location = req.uri().path().to_owned();
    if !rest.is_empty() {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &rest {
            q.append_pair(k, v);
        }
        location.push('?');
        location.push_str(&q.finish());
    }
    let mut res = (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response();
    let known = token.len() <= 256
        && state
            .store
            .find_client_by_token_hash(&frontdesk_crypto::sha256_hex(token.as_bytes()))
            .await
            .ok()
            .flatten()
            .is_some();
    if known {
        let secure = state.instance.public_url.url().scheme() == "https";
        let name = crate::extract::client_cookie(secure);
        let cookie = crate::extract::set_cookie_header(
            name,
            &token,
            cookie::SameSite::Lax,
            Some(31_536_000),
            true,
            secure,
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
    }
    res
}

/// `?redirect_url=` (or the hidden field of the same name), carried through
/// every step of a flow.
#[derive(Deserialize, Default)]
pub struct Next {
    redirect_url: Option<String>,
}

impl Next {
    /// The target if the policy allows it; a refused one is dropped (the
    /// default, `/user`, is used), never followed.
    fn target(&self, state: &AppState) -> Option<RedirectUrl> {
        let raw = self.redirect_url.as_deref()?;
        state.settings().redirects.parse(raw).ok()
    }

    /// `?redirect_url=…` for links between pages, or nothing.
    fn query(&self, state: &AppState) -> String {
        match self.target(state) {
            Some(t) => format!(
                "?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("redirect_url", t.as_str())
                    .finish()
            ),
            None => String::new(),
        }
    }

    fn raw(&self, state: &AppState) -> Option<String> {
        self.target(state).map(|t| t.as_str().to_owned())
    }
}

/// The form of a step that asks for an emailed code (sign-in, sign-up).
#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    attempt: String,
    #[serde(default)]
    code: String,
    /// `verify` or `resend`.
    #[serde(default)]
    action: String,
    #[serde(flatten)]
    next: Next,
}

/// `303 See Other` to `location`, with the cookies the flow set.
fn see_other(fapi: &Browser, location: &str) -> Response {
    let res = (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location.to_owned())],
    )
        .into_response();
    fapi.with_cookies(res)
}

/// Where a browser goes once signed in: the target on Frontdesk itself, or
/// through the handshake, which hands the session to the app on its origin.
/// After a right first factor: the second step when the sign-in asks for
/// one, else on to where the user was going.
async fn after_first_factor(
    state: &AppState,
    fapi: &Browser,
    attempt: &frontdesk_domain::flows::SignInAttempt,
    next: &Next,
) -> Response {
    if attempt.status == frontdesk_domain::flows::SignInStatus::NeedsSecondFactor {
        return see_other(fapi, &factor_two::url(state, &attempt.id, None, next));
    }
    let pending = match attempt.created_session_id.as_deref().map(str::parse) {
        Some(Ok(id)) => state
            .store
            .get_session(&id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s.status == frontdesk_domain::entities::SessionStatus::Pending),
        _ => false,
    };
    if pending {
        return see_other(fapi, SETUP_MFA);
    }
    signed_in(state, fapi, next)
}

/// Where a browser whose session waits on its `setup-mfa` task goes: the
/// profile, to add an authenticator app (its app would see it signed out).
const SETUP_MFA: &str = "/user?done=setup-mfa";

fn signed_in(state: &AppState, fapi: &Browser, next: &Next) -> Response {
    match next.target(state).map(|t| same_site_loopback(state, t)) {
        Some(t) if t.origin() != state.instance.public_url.origin() => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("redirect_url", t.as_str())
                .finish();
            see_other(fapi, &format!("/v1/client/handshake?{q}"))
        }
        Some(t) => see_other(fapi, t.as_str()),
        None => see_other(fapi, "/user"),
    }
}

/// Development instances: an app opened at `127.0.0.1` while Frontdesk is
/// at `localhost` (or the other way round) is another site to the browser,
/// which keeps Frontdesk's cookie from the app's clerk-js there. The way
/// back goes to the same page at Frontdesk's spelling of loopback, where
/// the sign-in just made is seen by both.
fn same_site_loopback(state: &AppState, target: RedirectUrl) -> RedirectUrl {
    let development = state.instance.instance.mode == frontdesk_domain::InstanceMode::Development;
    let ours = state.instance.public_url.url();
    let (Some(theirs), Some(our_host)) = (target.as_url().host_str(), ours.host_str()) else {
        return target;
    };
    if !development || !crate::extract::other_loopback_spelling(theirs, our_host) {
        return target;
    }
    let mut moved = target.as_url().clone();
    if moved.set_host(Some(our_host)).is_err() {
        return target;
    }
    state
        .settings()
        .redirects
        .parse(moved.as_str())
        .unwrap_or(target)
}

/// The message and the field an error is about, for the form to show.
struct FormError {
    status: StatusCode,
    /// Clerk's error code (`form_password_incorrect`, …).
    code: String,
    field: Option<String>,
    message: String,
    retry_after: Option<u64>,
}

impl FormError {
    /// What to tell the person; 5xx causes go to the log (with the trace id
    /// of the request), never to the page.
    fn from_api(e: ApiError) -> Self {
        match e {
            ApiError::Client {
                status,
                error,
                retry_after,
            } => {
                let message = match retry_after {
                    Some(wait) if status == StatusCode::TOO_MANY_REQUESTS => format!(
                        "Too many attempts from your network. Wait {wait} seconds, then try again."
                    ),
                    _ => error.long_message.clone(),
                };
                Self {
                    status,
                    code: error.code.clone(),
                    field: error
                        .meta
                        .get("param_name")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    message,
                    retry_after,
                }
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "hosted page failed");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal_clerk_error".to_owned(),
                    field: None,
                    message: "Something went wrong on our side. Please try again.".to_owned(),
                    retry_after: None,
                }
            }
        }
    }

    /// A wrong password and an unknown address read the same on the
    /// sign-in form (OWASP ASVS 2.2 / V3: no account enumeration through
    /// wording), under the form rather than under one field.
    fn neutral_credentials(self) -> Self {
        if matches!(
            self.code.as_str(),
            "form_password_incorrect" | "form_identifier_not_found"
        ) {
            return Self {
                field: None,
                message: "The email address or password is incorrect.".to_owned(),
                ..self
            };
        }
        self
    }

    /// The message if it is about `field`.
    fn on(&self, field: &str) -> Option<&str> {
        (self.field.as_deref() == Some(field)).then_some(self.message.as_str())
    }

    /// The message if it is about none of `fields` (shown above the form).
    fn general(&self, fields: &[&str]) -> Option<&str> {
        match &self.field {
            Some(f) if fields.contains(&f.as_str()) => None,
            _ => Some(&self.message),
        }
    }
}

/// An HTML page with the flow's cookies (and `Retry-After` on a 429).
fn page(fapi: &Browser, status: StatusCode, error: Option<&FormError>, body: String) -> Response {
    let mut res = (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    if let Some(secs) = error.and_then(|e| e.retry_after)
        && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    fapi.with_cookies(res)
}

/// A page that only says what went wrong with `title`'s step (the error's
/// status, its message; a 5xx cause to the log, never to the page).
fn failed(state: &AppState, fapi: &Browser, title: &str, e: ApiError) -> Response {
    let e = FormError::from_api(e);
    let body = layout::message(state, title, &e.message);
    page(fapi, e.status, Some(&e), body)
}

/// The status a form page is sent with: 200, or the error's.
fn status_of(error: Option<&FormError>) -> StatusCode {
    error.map_or(StatusCode::OK, |e| e.status)
}
