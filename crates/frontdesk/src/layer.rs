//! The middleware: `clerkMiddleware` for tower. Every request is
//! authenticated ([`crate::request::authenticate`]); a handshake redirect is
//! answered at once; otherwise the handler runs with an [`Auth`] in the
//! request's extensions, and the cookies the handshake asked for are added
//! to its response.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};

use crate::claims::{Condition, SessionClaims};
use crate::config::Settings;
use crate::request::{AuthState, authenticate, is_document_request, request_url};

/// Who is behind a request, as the middleware decided.
#[derive(Debug, Clone)]
pub struct Auth {
    state: AuthState,
    settings: Arc<Settings>,
}

impl Auth {
    pub fn claims(&self) -> Option<&SessionClaims> {
        match &self.state {
            AuthState::SignedIn(c) => Some(c),
            AuthState::SignedOut(_) => None,
        }
    }

    /// The signed-in user's id. Sessions with pending tasks (`sts:
    /// pending`) count as signed out, as in `@clerk/nextjs`.
    pub fn user_id(&self) -> Option<&str> {
        self.claims()
            .filter(|c| c.session_status() != Some("pending"))
            .map(SessionClaims::user_id)
    }

    pub fn session_id(&self) -> Option<&str> {
        self.claims().and_then(SessionClaims::session_id)
    }

    pub fn org_id(&self) -> Option<&str> {
        self.claims().and_then(SessionClaims::org_id)
    }

    pub fn org_role(&self) -> Option<String> {
        self.claims().and_then(SessionClaims::org_role)
    }

    pub fn org_permissions(&self) -> Vec<String> {
        self.claims()
            .map(SessionClaims::org_permissions)
            .unwrap_or_default()
    }

    /// Whether the user is signed in and `condition` holds.
    pub fn has(&self, condition: &Condition) -> bool {
        self.user_id().is_some() && self.claims().is_some_and(|c| condition.holds(c))
    }

    /// Why the request is signed out, if it is.
    pub fn signed_out_reason(&self) -> Option<&'static str> {
        match self.state {
            AuthState::SignedOut(r) => Some(r),
            AuthState::SignedIn(_) => None,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// `currentUser()`: the signed-in user from the Backend API, `None` when
    /// signed out.
    pub async fn current_user(
        &self,
    ) -> Result<Option<frontdesk_types::user::User>, crate::backend::BackendError> {
        let Some(id) = self.user_id() else {
            return Ok(None);
        };
        let sk = self
            .settings
            .secret_key
            .as_deref()
            .ok_or(crate::backend::BackendError::NoSecretKey)?;
        let api =
            crate::backend::BackendApi::new(&self.settings.api_url, sk, self.settings.http.clone());
        api.get_user(id).await.map(Some)
    }

    /// `auth.protect()`: `Ok` when signed in and every condition holds.
    /// Otherwise the response `@clerk/nextjs` gives: a signed-out page load
    /// goes to the sign-in page with `redirect_url` back here; anything else
    /// (an API call, a signed-in user without the role) gets 404.
    pub fn protect<B: Default>(
        &self,
        parts: &http::request::Parts,
        conditions: &[Condition],
    ) -> Result<(), Response<B>> {
        if self.user_id().is_some() && conditions.iter().all(|c| self.has(c)) {
            return Ok(());
        }
        if self.user_id().is_none() && is_document_request(parts) {
            let sep = if self.settings.sign_in_url.contains('?') {
                '&'
            } else {
                '?'
            };
            let target = format!(
                "{}{sep}{}",
                self.settings.sign_in_url,
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("redirect_url", &request_url(parts))
                    .finish()
            );
            return Err(redirect(&target, &[]));
        }
        let mut res = Response::new(B::default());
        *res.status_mut() = StatusCode::NOT_FOUND;
        Err(res)
    }
}

fn redirect<B: Default>(location: &str, cookies: &[String]) -> Response<B> {
    let mut res = Response::new(B::default());
    *res.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(LOCATION, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            h.append(SET_COOKIE, v);
        }
    }
    res
}

/// The tower layer.
#[derive(Clone)]
pub struct FrontdeskLayer {
    settings: Arc<Settings>,
}

impl FrontdeskLayer {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings: Arc::new(settings),
        }
    }
}

impl<S> tower_layer::Layer<S> for FrontdeskLayer {
    type Service = FrontdeskService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FrontdeskService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service [`FrontdeskLayer`] wraps around an app.
#[derive(Clone)]
pub struct FrontdeskService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S, ReqB, ResB> tower_service::Service<Request<ReqB>> for FrontdeskService<S>
where
    S: tower_service::Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqB: Send + 'static,
    ResB: Default + Send + 'static,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        // The clone that was polled ready runs this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let settings = self.settings.clone();
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let outcome = authenticate(&settings, &parts).await;
            if let Some(location) = &outcome.redirect {
                return Ok(redirect(location, &outcome.set_cookies));
            }
            parts.extensions.insert(Auth {
                state: outcome.state,
                settings,
            });
            let mut res = inner.call(Request::from_parts(parts, body)).await?;
            for c in &outcome.set_cookies {
                if let Ok(v) = HeaderValue::from_str(c) {
                    res.headers_mut().append(SET_COOKIE, v);
                }
            }
            Ok(res)
        })
    }
}

#[cfg(feature = "axum")]
mod axum_adapter {
    use axum_core::extract::FromRequestParts;
    use http::StatusCode;
    use http::request::Parts;

    use super::Auth;

    /// `Auth` as an axum extractor; a 500 if the layer is missing (a wiring
    /// mistake, not a client error).
    impl<S: Send + Sync> FromRequestParts<S> for Auth {
        type Rejection = (StatusCode, &'static str);

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            parts.extensions.get::<Auth>().cloned().ok_or((
                StatusCode::INTERNAL_SERVER_ERROR,
                "frontdesk::FrontdeskLayer is not installed",
            ))
        }
    }
}
