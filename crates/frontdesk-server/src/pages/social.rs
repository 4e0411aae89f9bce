//! "Continue with …" on the hosted sign-in and sign-up pages: the buttons,
//! the trip out (`POST /sign-in/oauth`, `POST /sign-up/oauth`), and the page
//! the provider's callback sends the browser back to
//! (`/sign-in/sso-callback`), which goes on as clerk-js's sso-callback does
//! (transfers, a code for an address the provider did not vouch for, the
//! second factor, or the error).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{alert, csrf, hidden};
use super::{CsrfToken, FormError, Next, after_first_factor, page, see_other, signed_in};
use crate::engine::oauth::Trip;
use crate::engine::transfer::Resumed;
use crate::engine::{sign_in, sign_up};
use crate::error::ApiError;
use crate::extract::{ApiBody as Form, Browser};
use crate::state::AppState;
use frontdesk_domain::flows::{FirstFactor, SignInStatus};

/// The providers' buttons for the form at `action` (`/sign-in/oauth` or
/// `/sign-up/oauth`); nothing when none is on.
pub fn buttons(state: &AppState, token: &CsrfToken, action: &str, next: Option<&str>) -> Markup {
    let settings = state.settings();
    let on: Vec<_> = settings
        .settings
        .social
        .iter()
        .filter(|(_, c)| c.enabled && !c.is_enterprise())
        .map(|(s, c)| (s.as_str().to_owned(), c.name_for(s.provider())))
        .collect();
    html! {
        @if !on.is_empty() {
            div class="social" {
                @for (strategy, name) in &on {
                    form method="post" action=(action) {
                        (csrf(token))
                        (hidden("redirect_url", next))
                        input type="hidden" name="strategy" value=(strategy);
                        button class="secondary" type="submit" { "Continue with " (name) }
                    }
                }
                p class="divider" { "or" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct Start {
    strategy: String,
    #[serde(flatten)]
    next: Next,
}

/// Where the provider's callback sends the browser: this page, carrying on
/// to where the person was going.
fn back_here(state: &AppState, next: &Next) -> String {
    let mut url = format!(
        "{}/sign-in/sso-callback",
        state.instance.public_url.origin()
    );
    if let Some(n) = next.raw(state) {
        url.push('?');
        url.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("redirect_url", &n)
                .finish(),
        );
    }
    url
}

/// The error page for a trip that could not start or failed.
fn refused(state: &AppState, fapi: &Browser, e: ApiError, next: &Next) -> Response {
    let e = FormError::from_api(e);
    let body = super::layout::shell(
        state,
        "Sign in",
        html! {
            (alert(e.general(&[])))
            p class="links" { a href=(format!("/sign-in{}", next.query(state))) { "Back to sign in" } }
        },
    );
    page(fapi, e.status, Some(&e), body)
}

/// `POST /sign-in/oauth` and `POST /sign-up/oauth`: off to the provider.
async fn start(state: &AppState, mut fapi: Browser, form: Start, sign_up: bool) -> Response {
    let back = back_here(state, &form.next);
    let trip = Trip {
        strategy: &form.strategy,
        redirect_url: Some(&back),
        action_complete_redirect_url: None,
    };
    let url = if sign_up {
        sign_up::start(state, &mut fapi, sign_up::Fields::default(), Some(trip))
            .await
            .map(|a| a.oauth.and_then(|o| o.redirect_url))
    } else {
        sign_in::start_blank(state, &mut fapi, Some(trip))
            .await
            .map(|a| a.oauth.and_then(|o| o.redirect_url))
    };
    match url {
        Ok(Some(url)) => see_other(&fapi, &url),
        Ok(None) => refused(
            state,
            &fapi,
            ApiError::internal("no provider URL"),
            &form.next,
        ),
        Err(e) => refused(state, &fapi, e, &form.next),
    }
}

pub async fn start_sign_in(
    State(state): State<AppState>,
    fapi: Browser,
    Form(form): Form<Start>,
) -> Response {
    start(&state, fapi, form, false).await
}

pub async fn start_sign_up(
    State(state): State<AppState>,
    fapi: Browser,
    Form(form): Form<Start>,
) -> Response {
    start(&state, fapi, form, true).await
}

/// `GET /sign-in/sso-callback`: go on from where the provider left the
/// browser.
pub async fn callback(
    State(state): State<AppState>,
    mut fapi: Browser,
    Query(next): Query<Next>,
) -> Response {
    let resumed = match crate::engine::transfer::resume(&state, &mut fapi).await {
        Ok(r) => r,
        Err(e) => return refused(&state, &fapi, e, &next),
    };
    match resumed {
        Resumed::SignIn(a) if a.status == SignInStatus::NeedsFirstFactor => {
            // An address the provider did not vouch for: its code first.
            match sign_in::prepare(&state, &fapi, &a.id, FirstFactor::EmailCode).await {
                Ok(a) => see_other(&fapi, &super::sign_in::code_url(&state, &a.id, &next)),
                Err(e) => refused(&state, &fapi, e, &next),
            }
        }
        Resumed::SignIn(a) => after_first_factor(&state, &fapi, &a, &next).await,
        Resumed::SignUp(a) if a.created_session_id.is_some() => signed_in(&state, &fapi, &next),
        Resumed::SignUp(a) => match sign_up::send_code(&state, &fapi, &a.id).await {
            // The provider gave an address it does not vouch for.
            Ok(a) => {
                let mut q = form_urlencoded::Serializer::new(String::new());
                q.append_pair("attempt", &a.id);
                if let Some(n) = next.raw(&state) {
                    q.append_pair("redirect_url", &n);
                }
                see_other(&fapi, &format!("/sign-up/verify?{}", q.finish()))
            }
            Err(e) => refused(&state, &fapi, e, &next),
        },
        Resumed::Failed(error) => refused(
            &state,
            &fapi,
            ApiError::client(StatusCode::BAD_REQUEST, error),
            &next,
        ),
        Resumed::Nothing => see_other(&fapi, &format!("/sign-in{}", next.query(&state))),
    }
}

/// The hosted sign-in form with an address bound to an enterprise
/// connection: off to the organization's provider (no password is asked).
pub async fn enterprise(
    state: &AppState,
    fapi: &mut Browser,
    identifier: &str,
    next: &Next,
) -> Option<Response> {
    let covered = {
        let settings = state.settings();
        frontdesk_domain::oauth::enterprise_connection(&settings.settings.social, identifier)
            .is_some()
    };
    if !covered {
        return None;
    }
    let back = back_here(state, next);
    let started = sign_in::start(state, fapi, Some(identifier.to_owned()), None, false).await;
    let url = match started {
        Ok((a, _)) => sign_in::prepare_enterprise(state, fapi, &a.id, Some(&back), None)
            .await
            .map(|a| a.oauth.and_then(|o| o.redirect_url)),
        Err(e) => Err(e),
    };
    Some(match url {
        Ok(Some(url)) => see_other(fapi, &url),
        Ok(None) => refused(state, fapi, ApiError::internal("no provider URL"), next),
        Err(e) => refused(state, fapi, e, next),
    })
}
