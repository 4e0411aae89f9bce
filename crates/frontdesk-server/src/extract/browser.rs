//! Who is calling the Frontend API: the browser's client, found by its dev
//! browser token or `__client` cookie, plus what the response must set.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, ORIGIN, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use frontdesk_crypto::{cookie_suffix, sha256_hex};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Client, Session, SessionActivity, User};
use frontdesk_store::{NewSignIn, SignInOutcome};
use frontdesk_types::{ClerkError, UserId};
use serde::Serialize;

use crate::error::{ApiError, ApiResult, json_response};
use crate::services::credentials::Denied;
use crate::state::AppState;

/// The query parameter carrying the dev browser token.
pub const DEV_BROWSER_PARAM: &str = "__clerk_db_jwt";

/// The cookie carrying the client token on the Frontend API's host:
/// `__Host-client` where the browser enforces what the prefix means (https:
/// Secure, Path=/, no Domain), so that a sibling subdomain cannot plant a
/// token for the victim to sign in on (finding F3); `__client` on http.
/// Only Frontdesk reads it (it is HttpOnly on Frontdesk's host), so its name
/// is Frontdesk's to choose.
pub fn client_cookie(secure: bool) -> &'static str {
    if secure { "__Host-client" } else { "__client" }
}

/// A Frontend API request's caller.
pub struct Browser {
    pub client: Option<Client>,
    /// Identified by a dev browser token (no cookies involved).
    pub dev_browser: bool,
    /// The client was created by this request: its token never left the
    /// server before this response.
    client_is_new: bool,
    /// The calling page's origin: the token's `azp`.
    pub origin: Option<String>,
    pub activity: SessionActivity,
    /// The caller's address (for per-address limits).
    pub ip: Option<std::net::IpAddr>,
    cookies: Vec<String>,
    secure_cookies: bool,
}

/// A cookie of the request, by name (the first, if the browser sent several).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &'a str) -> Option<&'a str> {
    cookies(headers, name).next()
}

/// Every cookie of the request with this name, in the order sent: a browser
/// sends several when cookies with different `Path` or `Domain` share it.
pub fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(move |c| c.name() == name)
        .filter_map(|c| c.value_raw())
}

/// A `Set-Cookie` value for one of Frontdesk's cookies on its own host
/// (`Path=/`, no `Domain`; `Secure` on https).
pub fn set_cookie_header(
    name: &str,
    value: &str,
    same_site: SameSite,
    max_age_secs: Option<i64>,
    http_only: bool,
    secure: bool,
) -> String {
    let mut c = Cookie::build((name, value))
        .path("/")
        .same_site(same_site)
        .http_only(http_only)
        .secure(secure);
    if let Some(secs) = max_age_secs {
        c = c.max_age(cookie::time::Duration::seconds(secs));
    }
    c.build().to_string()
}

fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let q = parts.uri.query()?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// The browser and device, from the user agent, and the caller's address.
fn activity(parts: &Parts, ip: Option<std::net::IpAddr>) -> SessionActivity {
    let ua = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect::<String>());
    let device = ua
        .as_deref()
        .map(frontdesk_domain::device::Device::from_user_agent)
        .unwrap_or_default();
    SessionActivity {
        ip_address: ip.map(|ip| ip.to_canonical().to_string()),
        browser_name: device.browser_name,
        browser_version: device.browser_version,
        device_type: device.device_type,
        is_mobile: device.is_mobile,
        user_agent: ua,
        city: None,
        country: None,
    }
}

impl Browser {
    /// A caller not yet identified.
    fn blank(parts: &Parts, state: &AppState) -> Self {
        let ip = super::peer::peer_ip(state, parts);
        let origin = parts
            .headers
            .get(ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Browser {
            client: None,
            dev_browser: false,
            client_is_new: false,
            origin,
            activity: activity(parts, ip),
            ip,
            cookies: Vec::new(),
            secure_cookies: state.instance.public_url.url().scheme() == "https",
        }
    }

    /// The client the browser's cookie names. Of several cookies by that
    /// name (one planted with a wider `Domain` or a longer `Path`), the first
    /// that names a client; a planted one names at most the planter's own
    /// client, whose token is replaced when anyone signs in on it.
    async fn by_cookie(parts: &Parts, state: &AppState, secure: bool) -> ApiResult<Option<Client>> {
        for token in cookies(&parts.headers, client_cookie(secure)).take(4) {
            if let Some(client) = find(state, token).await? {
                return Ok(Some(client));
            }
        }
        Ok(None)
    }
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut fapi = Browser::blank(parts, state);
        if let Some(token) = query_param(parts, DEV_BROWSER_PARAM) {
            fapi.dev_browser = true;
            let client = find(state, &token)
                .await?
                .ok_or_else(dev_browser_unauthenticated)?;
            fapi.client = Some(client);
        } else {
            fapi.client = Browser::by_cookie(parts, state, fapi.secure_cookies).await?;
        }
        Ok(fapi)
    }
}

/// The caller of the handshake, which a browser reaches by a top-level
/// navigation from an app: both identities it may present (the app's dev
/// browser in the query, Frontdesk's cookie), neither refused when unknown.
pub struct HandshakeCaller {
    /// Cookies to set; `client` is left for the handshake to choose.
    pub fapi: Browser,
    pub by_dev_browser: Option<(Client, String)>,
    pub by_cookie: Option<Client>,
}

impl FromRequestParts<AppState> for HandshakeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let fapi = Browser::blank(parts, state);
        let by_dev_browser = match query_param(parts, DEV_BROWSER_PARAM) {
            Some(token) => find(state, &token).await?.map(|c| (c, token)),
            None => None,
        };
        let by_cookie = Browser::by_cookie(parts, state, fapi.secure_cookies).await?;
        Ok(Self {
            fapi,
            by_dev_browser,
            by_cookie,
        })
    }
}

async fn find(state: &AppState, token: &str) -> ApiResult<Option<Client>> {
    if token.len() > 256 {
        return Ok(None);
    }
    Ok(state
        .store
        .find_client_by_token_hash(&sha256_hex(token.as_bytes()))
        .await?)
}

/// Whether `theirs` and `ours` are two different names for loopback
/// (`localhost`, `127.0.0.1`, `[::1]`): one machine, two sites to a browser.
pub fn other_loopback_spelling(theirs: &str, ours: &str) -> bool {
    let loopback = |h: &str| {
        h.eq_ignore_ascii_case("localhost")
            || h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    !theirs.eq_ignore_ascii_case(ours) && loopback(theirs) && loopback(ours)
}

/// An app open at `localhost` calling a Frontdesk at `127.0.0.1` (or the
/// other way round): two sites to the browser, which then never sends
/// Frontdesk's cookie with the app's requests, so every step of a sign-in
/// would find no browser. Said plainly, with the address that works (the
/// app at the spelling Frontdesk uses), instead of "not found" later on.
pub fn cross_site_loopback(state: &AppState, origin: Option<&str>) -> Option<ApiError> {
    if state.instance.instance.mode != frontdesk_domain::InstanceMode::Development {
        return None;
    }
    let origin = url::Url::parse(origin?).ok()?;
    let ours = state.instance.public_url.url();
    let (theirs_host, our_host) = (origin.host_str()?, ours.host_str()?);
    if !other_loopback_spelling(theirs_host, our_host) {
        return None;
    }
    let mut instead = origin.clone();
    let _ = instead.set_host(Some(our_host));
    let instead = instead.origin().ascii_serialization();
    let theirs = origin.origin().ascii_serialization();
    Some(ApiError::client(
        StatusCode::UNPROCESSABLE_ENTITY,
        ClerkError::new(
            "origin_cross_site_loopback",
            format!("Open this app at {instead}"),
            format!(
                "Open this app at {instead} instead of {theirs}: Frontdesk runs at {}, and browsers do not share its sign-in cookie between {theirs_host} and {our_host}.",
                ours.origin().ascii_serialization()
            ),
        ),
    ))
}

/// clerk-js recreates its dev browser when it sees this error.
pub fn dev_browser_unauthenticated() -> ApiError {
    ApiError::client(
        StatusCode::UNAUTHORIZED,
        ClerkError::new(
            "dev_browser_unauthenticated",
            "Browser unauthenticated",
            "Unable to authenticate this browser for your development instance. Check your Clerk cookies and try again.",
        ),
    )
}

/// A new client and the token that identifies it; `ip` is held to the
/// per-address limit on anonymous clients (finding F11).
pub async fn new_client(
    state: &AppState,
    prefix: &str,
    ip: Option<std::net::IpAddr>,
) -> ApiResult<(Client, String)> {
    if let Some(ip) = ip
        && let Err(wait) = state.client_limiter.hit(&ip)
    {
        return Err(ApiError::rate_limited(wait));
    }
    let token = format!("{prefix}{}", frontdesk_types::id::random_base62(32));
    let client = crate::services::sessions::store_client(state, &token, UnixMillis::now()).await?;
    Ok((client, token))
}

impl Browser {
    /// The caller's client, created on first need (cookie mode sets `__client`).
    pub async fn ensure_client(&mut self, state: &AppState) -> ApiResult<Client> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        if state.instance.instance.mode == frontdesk_domain::InstanceMode::Development
            && self.dev_browser
        {
            return Err(dev_browser_unauthenticated());
        }
        if let Some(e) = cross_site_loopback(state, self.origin.as_deref()) {
            return Err(e);
        }
        let (client, token) = new_client(state, "", self.ip).await?;
        self.set_client_cookie(&token);
        self.client = Some(client.clone());
        self.client_is_new = true;
        Ok(client)
    }

    /// At a provider's callback: the browser is the client that started
    /// the trip (named by the trip's state; its cookie, when it used one,
    /// was checked to name the same client).
    pub fn adopt_client(&mut self, client: Client, dev_browser: bool) {
        self.client = Some(client);
        self.dev_browser = dev_browser;
    }

    /// Reload the client after a change to its sessions.
    pub async fn reload(&mut self, state: &AppState) -> ApiResult<()> {
        if let Some(c) = &self.client {
            self.client = state.store.get_client(&c.id).await?;
        }
        Ok(())
    }

    /// Sign `user_id` in on this browser, unless the account is banned or
    /// locked at that moment (the store decides, in the same transaction
    /// that creates the session): a new session, every other session of the
    /// client ended (one session per browser, as Clerk's single-session
    /// mode), `__client_uat` moved on. A browser known by its cookie gets a
    /// new client token, and the one it held before identifies nothing any
    /// more: whoever knew it (a shared computer, a planted cookie) does not
    /// share the session (security.md D2, finding F3).
    pub async fn sign_in(
        &mut self,
        state: &AppState,
        user_id: &UserId,
        second_factor_at: Option<UnixMillis>,
        setup_mfa: bool,
        now: UnixMillis,
    ) -> ApiResult<Result<(User, Session), Denied>> {
        let client = self.ensure_client(state).await?;
        let session = Session {
            second_factor_verified_at: second_factor_at,
            // The instance requires a second factor this user lacks: the
            // session waits on its `setup-mfa` task.
            status: if setup_mfa {
                frontdesk_domain::entities::SessionStatus::Pending
            } else {
                frontdesk_domain::entities::SessionStatus::Active
            },
            ..crate::services::sessions::new_session(
                state,
                user_id,
                &client.id,
                self.placed_activity(state),
                now,
            )
        };
        self.start_session(state, user_id, session, now).await
    }

    /// Sign in as the actor token's user, with its actor in the session (and
    /// the `act` claim of its tokens), for no longer than the token allows;
    /// otherwise as [`Self::sign_in`].
    pub async fn sign_in_as_actor(
        &mut self,
        state: &AppState,
        token: &frontdesk_domain::admin::ActorToken,
        now: UnixMillis,
    ) -> ApiResult<Result<(User, Session), Denied>> {
        let client = self.ensure_client(state).await?;
        let usual = crate::services::sessions::new_session(
            state,
            &token.user_id,
            &client.id,
            self.placed_activity(state),
            now,
        );
        let end = now.plus_secs(token.session_max_secs).min(usual.expire_at);
        let session = Session {
            actor: Some(token.actor.clone()),
            expire_at: end,
            abandon_at: usual.abandon_at.min(end),
            ..usual
        };
        self.start_session(state, &token.user_id, session, now)
            .await
    }

    /// Commit `session` as this browser's sign-in (see [`Self::sign_in`]).
    async fn start_session(
        &mut self,
        state: &AppState,
        user_id: &UserId,
        session: Session,
        now: UnixMillis,
    ) -> ApiResult<Result<(User, Session), Denied>> {
        // Development instances keep the token: it is also the app's dev
        // browser (the handshake hands it to the app), as on Clerk's
        // development instances, whose dev browser lives as long as the
        // browser does.
        let production = state.instance.instance.mode == frontdesk_domain::InstanceMode::Production;
        let rotated = (production && !self.dev_browser && !self.client_is_new)
            .then(|| frontdesk_types::id::random_base62(32));
        let token_hash = rotated.as_deref().map(|t| sha256_hex(t.as_bytes()));
        let events = state.events();
        let outcome = state
            .store
            .sign_in(
                &NewSignIn {
                    user_id,
                    session: &session,
                    lock_lapsed_before: state.lockout.lapsed_before(now),
                    new_client_token_hash: token_hash.as_deref(),
                    events: &|user, created, ended| {
                        let mut out: Vec<_> = ended
                            .iter()
                            .filter_map(|s| events.session_ended(s, user))
                            .collect();
                        out.push(events.session_created(created, user));
                        out
                    },
                },
                now,
            )
            .await?;
        Ok(match outcome {
            SignInOutcome::SignedIn(done) => {
                let frontdesk_store::SignedIn { user, session, .. } = *done;
                if let Some(token) = rotated {
                    self.set_client_cookie(&token);
                }
                self.set_client_uat(state, now.as_secs() + 1);
                Ok((user, session))
            }
            SignInOutcome::Banned => Err(Denied::Banned),
            SignInOutcome::Locked { locked_at } => Err(Denied::Locked {
                retry_after: state.lockout.remaining_secs(locked_at, now),
            }),
            SignInOutcome::UserGone => Err(Denied::Incorrect),
        })
    }

    /// The caller's device, placed by the operator's GeoIP database when
    /// there is one: looked up only when a session records it (sign-in,
    /// touch), not on every request.
    pub fn placed_activity(&self, state: &AppState) -> SessionActivity {
        let mut activity = self.activity.clone();
        if let (Some(geo), Some(ip)) = (&state.geoip, self.ip) {
            let place = geo.locate(ip.to_canonical());
            activity.city = place.city;
            activity.country = place.country;
        }
        activity
    }

    /// Point the client cookie at a new token.
    pub fn set_client_cookie(&mut self, token: &str) {
        let name = client_cookie(self.secure_cookies);
        self.set_cookie(name, token, true, 365 * 86_400);
    }

    fn set_cookie(&mut self, name: &str, value: &str, http_only: bool, max_age: i64) {
        self.cookies.push(set_cookie_header(
            name,
            value,
            SameSite::Lax,
            Some(max_age),
            http_only,
            self.secure_cookies,
        ));
    }

    /// In cookie mode, tell apps on this site when the client last changed
    /// (`__client_uat`, plain and suffixed); 0 means signed out.
    pub fn set_client_uat(&mut self, state: &AppState, unix_secs: i64) {
        if self.dev_browser {
            return;
        }
        let suffix = cookie_suffix(state.instance.publishable_key.as_str());
        let value = unix_secs.to_string();
        self.set_cookie("__client_uat", &value, false, 365 * 86_400);
        self.set_cookie(
            &format!("__client_uat_{suffix}"),
            &value,
            false,
            365 * 86_400,
        );
    }

    /// A JSON response with the cookies this request decided to set.
    pub fn respond<T: Serialize>(&self, body: &T) -> Response {
        let mut res = json_response(StatusCode::OK, body);
        for c in &self.cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                res.headers_mut().append(SET_COOKIE, v);
            }
        }
        res
    }

    /// `res` with the cookies this request decided to set.
    pub fn with_cookies(&self, mut res: Response) -> Response {
        for c in &self.cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                res.headers_mut().append(SET_COOKIE, v);
            }
        }
        res
    }

    /// `respond` for an error that must still set cookies.
    pub fn respond_error(&self, e: ApiError) -> Response {
        let mut res = e.into_response();
        for c in &self.cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                res.headers_mut().append(SET_COOKIE, v);
            }
        }
        res
    }
}
