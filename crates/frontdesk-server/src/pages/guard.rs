//! What stands in front of every hosted page: CSRF and cross-site checks on
//! forms, per-IP limits, and the response headers of an authentication page.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ORIGIN, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use frontdesk_crypto::constant_time_eq;

use super::layout;
use crate::error::ApiError;
use crate::extract::client_ip;
use crate::state::AppState;

/// The hidden form field carrying the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// This browser's CSRF token, for the forms of the page being rendered.
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// The one script of the hosted pages, allowed by its hash.
///
/// First, clerk-js sends people to a sign-in page on another origin the way
/// Clerk's Account Portal expects them: `…/sign-in#/?redirect_url=…`,
/// parameters in the fragment, which a server never sees. This moves them
/// into the query (keeping any already there) and loads the page again, so
/// the server-rendered form knows where to go.
///
/// Then a "Show" button after each password field (NIST 800-63B 5.1.1.2:
/// offer to display the secret while it is typed). Without script the
/// forms work the same, minus the button.
///
/// Then the passkey forms (`form[data-passkey]`, [`super::passkeys`]): the
/// WebAuthn ceremony with the options in `data-options`, its answer put in
/// the form's `credential` field before the form is sent.
///
/// Last, the dashboard's branding preview (`[data-preview]`): the colour
/// and name as they are typed (and as posted, on a refused form), the
/// button's text black or white and the link colour by the same rules as
/// [`super::theme`] (its surfaces and steps, in the reader's scheme), set
/// as custom properties through the CSSOM, which a strict `style-src`
/// allows.
pub const PAGE_SCRIPT: &str = "(function(){var h=location.hash;if(h.indexOf('#/?')===0){\
var q=new URLSearchParams(h.slice(3)),u=new URL(location.href);\
q.forEach(function(v,k){if(!u.searchParams.has(k))u.searchParams.set(k,v)});\
u.hash='';location.replace(u.toString());return}\
document.addEventListener('DOMContentLoaded',function(){\
document.querySelectorAll('input[type=password]').forEach(function(i){\
var b=document.createElement('button');b.type='button';b.className='reveal';\
b.setAttribute('aria-controls',i.id);\
function set(shown){i.type=shown?'text':'password';b.textContent=shown?'Hide':'Show';\
b.setAttribute('aria-pressed',String(shown));\
b.setAttribute('aria-label',(shown?'Hide':'Show')+' password')}\
set(false);b.addEventListener('click',function(){set(i.type==='password')});\
i.insertAdjacentElement('afterend',b)});\
function enc(x){x=new Uint8Array(x);var t='';for(var k=0;k<x.length;k++)t+=String.fromCharCode(x[k]);\
return btoa(t).replace(/\\+/g,'-').replace(/\\//g,'_').replace(/=+$/,'')}\
function dec(t){t=t.replace(/-/g,'+').replace(/_/g,'/');while(t.length%4)t+='=';\
var r=atob(t),a=new Uint8Array(r.length);for(var k=0;k<r.length;k++)a[k]=r.charCodeAt(k);return a.buffer}\
document.querySelectorAll('form[data-passkey]').forEach(function(f){f.addEventListener('submit',function(ev){\
ev.preventDefault();var o=JSON.parse(f.dataset.options),make=f.dataset.passkey==='create',p;\
o.challenge=dec(o.challenge);\
if(make){o.user.id=dec(o.user.id);(o.excludeCredentials||[]).forEach(function(c){c.id=dec(c.id)});\
p=navigator.credentials.create({publicKey:o})}else{(o.allowCredentials||[]).forEach(function(c){c.id=dec(c.id)});\
p=navigator.credentials.get({publicKey:o})}\
p.then(function(c){var r=c.response,j={id:c.id,rawId:enc(c.rawId),type:c.type,response:{clientDataJSON:enc(r.clientDataJSON)}};\
if(make){j.response.attestationObject=enc(r.attestationObject)}else{j.response.authenticatorData=enc(r.authenticatorData);\
j.response.signature=enc(r.signature);if(r.userHandle)j.response.userHandle=enc(r.userHandle)}\
f.elements.credential.value=JSON.stringify(j);f.submit()},function(e){var m=f.querySelector('.passkey-error');\
m.hidden=false;m.textContent=(make?'No passkey was created':'No passkey was used')+': '+e.message})})});\
var pv=document.querySelector('[data-preview]'),pc=document.getElementById('f-primary_color'),\
pn=document.getElementById('f-application_name');if(pv&&pc&&pn){\
var lum=function(c){return c.map(function(v){v/=255;\
return v<=0.04045?v/12.92:Math.pow((v+0.055)/1.055,2.4)}).reduce(function(a,v,i){return a+v*[0.2126,0.7152,0.0722][i]},0)},\
cr=function(a,b){var x=lum(a),y=lum(b);return(Math.max(x,y)+0.05)/(Math.min(x,y)+0.05)},\
dark=matchMedia('(prefers-color-scheme: dark)').matches,\
link=function(c){var s=dark?[22,27,34]:[255,255,255],w=dark?[255,255,255]:[17,20,24],o=c;\
for(var k=0;k<=20;k++){o=c.map(function(v,i){return Math.round(v*(1-k/20)+w[i]*k/20)});if(cr(o,s)>=4.5)break}\
return'#'+o.map(function(v){return('0'+v.toString(16)).slice(-2)}).join('')};\
var show=function(){var h=pc.value,c=[1,3,5].map(function(i){return parseInt(h.substr(i,2),16)}),l=lum(c);\
pv.style.setProperty('--fd-primary',h);\
pv.style.setProperty('--fd-on-primary',1.05/(l+0.05)>=(l+0.05)/0.05?'#ffffff':'#000000');\
pv.style.setProperty('--fd-link',link(c));\
pv.querySelector('[data-preview-name]').textContent=pn.value};\
pc.addEventListener('input',show);pn.addEventListener('input',show);show()}})})();";

/// No script but [`PAGE_SCRIPT`] (by its hash), no frames, no plugins;
/// styles and forms from Frontdesk only; images also from the configured
/// logo's host. `form-action` is left out: Chromium applies it to the
/// redirects after a POST, and a sign-in ends in one to the app's origin.
fn csp() -> &'static HeaderValue {
    static CSP: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
        let hash = frontdesk_crypto::sha256_base64(PAGE_SCRIPT.as_bytes());
        let text = format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'self'; \
             img-src 'self' https: http: data:; frame-ancestors 'none'; base-uri 'none'"
        );
        HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("default-src 'none'"))
    });
    &CSP
}

/// The cookie's name: `__Host-` where the browser enforces what it means
/// (HTTPS: Secure, Path=/, no Domain, so a sibling subdomain cannot plant
/// one); a plain name on http.
fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        "__Host-frontdesk_csrf"
    } else {
        "frontdesk_csrf"
    }
}

fn secure(state: &AppState) -> bool {
    state.instance.public_url.url().scheme() == "https"
}

/// This browser's token, if its cookie holds a plausible one.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::extract::cookie(headers, name)
        .filter(|v| (16..=64).contains(&v.len()))
        .map(str::to_owned)
}

/// Whether a state-changing request comes from one of Frontdesk's own pages,
/// by fetch metadata and `Origin` (security.md D11). Where the browser sends
/// `Sec-Fetch-Site`, it decides, and `Origin` may be `null` (pages are sent
/// with `Referrer-Policy: no-referrer`, under which Chromium's same-origin
/// form posts say `Origin: null`). Without fetch metadata, an `Origin` must be
/// ours. Requests with neither (old browsers, scripts) still need the token.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .map(|v: &HeaderValue| v.to_str().unwrap_or(""))
    };
    let own = state.instance.public_url.origin();
    match (header("sec-fetch-site"), header(ORIGIN.as_str())) {
        (Some(site), origin) => {
            site == "same-origin" && origin.is_none_or(|o| o == own || o == "null")
        }
        (None, Some(origin)) => origin == own,
        (None, None) => true,
    }
}

fn forbidden(state: &AppState, why: &str) -> Response {
    let body = layout::message(
        state,
        "Request refused",
        &format!("{why} Go back, reload the page and try again."),
    );
    (
        StatusCode::FORBIDDEN,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The forms that send a file (`multipart/form-data`, up to the image
/// limit); every other form is URL-encoded within `max_body_bytes`.
pub const UPLOADS: &[&str] = &[super::account::IMAGE_PATH];

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// How much of a multipart body is searched for the token: the forms put
/// it first, before the file (browsers send fields in document order).
const TOKEN_PREFIX: usize = 64 * 1024;

/// The token field of a multipart form, from the first part of the
/// buffered body (the file after it is neither parsed nor copied).
async fn multipart_token(headers: &HeaderMap, bytes: &axum::body::Bytes) -> Option<String> {
    let head = bytes.slice(..bytes.len().min(TOKEN_PREFIX));
    let mut req = Request::new(Body::from(head));
    req.headers_mut()
        .insert(CONTENT_TYPE, headers.get(CONTENT_TYPE)?.clone());
    let upload = crate::extract::Upload::from_request(req, &()).await.ok()?;
    String::from_utf8(upload.field(CSRF_FIELD).await.ok()?).ok()
}

/// CSRF and cross-site checks for every POST, then the page headers.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let name = cookie_name(&state);
    let existing = cookie(req.headers(), name);
    let token = existing
        .clone()
        .unwrap_or_else(|| frontdesk_types::id::random_base62(32));
    let mut req = req;
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if !same_origin(&state, req.headers()) {
            return secured(forbidden(&state, "This form was sent from another site."));
        }
        let upload = UPLOADS.contains(&req.uri().path()) && is_multipart(req.headers());
        let limit = if upload {
            crate::engine::images::MAX_IMAGE_BYTES + 64 * 1024
        } else {
            state.config.max_body_bytes
        };
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, limit).await else {
            return secured(forbidden(&state, "This form is too large."));
        };
        let sent = if upload {
            multipart_token(&parts.headers, &bytes).await
        } else {
            form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v.into_owned())
        };
        let valid = match (&existing, &sent) {
            (Some(c), Some(s)) => constant_time_eq(c.as_bytes(), s.as_bytes()),
            _ => false,
        };
        if !valid {
            return secured(forbidden(&state, "This form has expired."));
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = secured(next.run(req).await);
    if existing.is_none() {
        let c = crate::extract::set_cookie_header(
            name,
            &token,
            cookie::SameSite::Strict,
            None,
            true,
            secure(&state),
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

/// The headers every page is sent with.
fn secured(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, csp().clone());
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// Which per-IP budget a form spends (the Frontend API's, security.md B3).
#[derive(Clone, Copy)]
pub enum Limit {
    /// Starting a sign-in, sign-up or reset.
    Create,
    /// Trying a password or code.
    Attempt,
}

/// Whether this form post is within its per-IP budget: set by
/// [`rate_limit`] for the handler, which answers an exhausted budget with
/// its own form, the values typed and the wait (not a bare page that loses
/// them).
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    wait_secs: Option<u64>,
}

impl Budget {
    /// `Err(429, Retry-After)` when the budget is spent.
    pub fn check(&self) -> Result<(), ApiError> {
        match self.wait_secs {
            Some(wait) => Err(ApiError::rate_limited(wait)),
            None => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Budget {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Budget>()
            .copied()
            .unwrap_or_default())
    }
}

/// The Frontend API's per-IP limits on a form: spends one unit and tells
/// the handler (through [`Budget`]) whether any was left.
pub async fn rate_limit(
    State((state, limit)): State<(AppState, Limit)>,
    mut req: Request,
    next: Next,
) -> Response {
    let limiter = match limit {
        Limit::Create => &state.create_limiter,
        Limit::Attempt => &state.attempt_limiter,
    };
    if let Some(ip) = client_ip(&state, &req)
        && let Err(wait) = limiter.hit(&ip)
    {
        req.extensions_mut().insert(Budget {
            wait_secs: Some(wait),
        });
    }
    next.run(req).await
}
