//! `GET /v1/tickets/accept?ticket=…`: where the link in an invitation email
//! leads (protocol §4.5). It sends the browser on to the invitation's
//! `redirect_url`, or to the sign-in or sign-up page (the app's, when the
//! settings' `paths` name them, else the hosted one), with the ticket and
//! what is left to do: `__clerk_status=sign_in` when the address has an
//! account, `sign_up` when not. Nothing is decided here: the page then
//! signs in or up with `strategy=ticket`, which accepts the invitation. A
//! ticket that no longer works is sent to the sign-in page all the same,
//! which says why.
//!
//! An actor token's ticket (impersonation) is different: opening it signs
//! this browser in as the token's user at once, with the actor in the
//! session, and goes on to `redirect_url` (when the redirect policy allows
//! it; through the handshake for an app on another origin) or the hosted
//! profile.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::engine::{impersonation, org_invitations};
use crate::error::ApiResult;
use crate::extract::Browser;
use crate::extract::QueryParams;
use crate::state::AppState;

pub async fn accept(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let ticket = q.text("ticket").unwrap_or_default();
    if let Some(token) = impersonation::accept_actor_token(&state, &ticket).await? {
        return impersonated(&state, &mut fapi, &token, q.text("redirect_url")).await;
    }
    let (status, redirect) = match org_invitations::by_ticket(&state, &ticket).await {
        Ok(found) => {
            let known = state
                .store
                .find_user_by_email(&found.invitation.email_address)
                .await?
                .is_some();
            let status = if known { "sign_in" } else { "sign_up" };
            (status, found.invitation.redirect_url)
        }
        Err(e) if e.code().is_some() => ("sign_in", None),
        Err(e) => return Err(e),
    };
    // The app's sign-in or sign-up page when the settings name it, else the
    // hosted one: where `display_config` points clerk-js too.
    let settings = state.settings();
    let paths = &settings.settings.paths;
    let own = state.instance.public_url.origin();
    let page = if status == "sign_up" {
        paths.sign_up_url.clone()
    } else {
        paths.sign_in_url.clone()
    };
    let hosted = || {
        let path = if status == "sign_up" {
            "sign-up"
        } else {
            "sign-in"
        };
        Url::parse(&format!("{own}/{path}")).ok()
    };
    let mut target = redirect
        .as_deref()
        .and_then(|r| Url::parse(r).ok())
        .or(page)
        .or_else(hosted)
        .ok_or_else(|| crate::error::ApiError::internal("no page to send the invitee to"))?;
    target
        .query_pairs_mut()
        .append_pair("__clerk_ticket", &ticket)
        .append_pair("__clerk_status", status);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (LOCATION, target.to_string()),
            // The ticket is in the location: no cache keeps it.
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response())
}

/// Sign the browser in with a spent actor token and send it on.
async fn impersonated(
    state: &AppState,
    fapi: &mut Browser,
    token: &frontdesk_domain::admin::ActorToken,
    redirect_url: Option<String>,
) -> ApiResult<Response> {
    let now = frontdesk_domain::UnixMillis::now();
    let location = match fapi.sign_in_as_actor(state, token, now).await? {
        Ok(_) => {
            let target = redirect_url.and_then(|r| state.settings().redirects.parse(&r).ok());
            match target {
                Some(t) if t.origin() != state.instance.public_url.origin() => {
                    let q = form_urlencoded::Serializer::new(String::new())
                        .append_pair("redirect_url", t.as_str())
                        .finish();
                    format!("/v1/client/handshake?{q}")
                }
                Some(t) => t.as_str().to_owned(),
                None => "/user".to_owned(),
            }
        }
        // Banned or locked since the token was made.
        Err(_) => "/sign-in".to_owned(),
    };
    let res = (
        StatusCode::SEE_OTHER,
        [(LOCATION, location), (CACHE_CONTROL, "no-store".to_owned())],
    )
        .into_response();
    Ok(fapi.with_cookies(res))
}
