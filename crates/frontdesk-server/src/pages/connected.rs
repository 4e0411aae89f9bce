//! Connected accounts on `/user`: the user's accounts at other providers,
//! each with "Remove" (never the last way to sign in), and "Connect" for
//! the providers that are on. The same engine as `<UserProfile/>`'s calls
//! ([`crate::engine::external`]); both changes need a recent factor check.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::entities::User;
use frontdesk_domain::oauth::OAuthStrategy;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::csrf;
use super::two_step::recent;
use super::{CsrfToken, failed, see_other};
use crate::engine::external;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

/// A provider's name for people.
fn provider_name(state: &AppState, strategy: &str) -> String {
    let settings = state.settings();
    match OAuthStrategy::parse(strategy) {
        Ok(s) => settings
            .settings
            .social
            .get(&s)
            .map(|c| c.name_for(s.provider()))
            .unwrap_or_else(|| s.provider().display_name().to_owned()),
        Err(_) => strategy.to_owned(),
    }
}

/// The section of `/user` about connected accounts; nothing when there is
/// nothing to show or connect.
pub fn section(state: &AppState, token: &CsrfToken, user: &User) -> Markup {
    let settings = state.settings();
    let connectable: Vec<(String, String)> = settings
        .settings
        .social
        .iter()
        .filter(|(s, c)| {
            c.enabled
                && !c.is_enterprise()
                && !user
                    .external_accounts
                    .iter()
                    .any(|a| a.provider == s.as_str())
        })
        .map(|(s, c)| (s.as_str().to_owned(), c.name_for(s.provider())))
        .collect();
    if connectable.is_empty() && user.external_accounts.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="h-connected" {
            h2 id="h-connected" { "Connected accounts" }
            @if !user.external_accounts.is_empty() {
                ul class="passkeys" {
                    @for a in &user.external_accounts {
                        @let name = provider_name(state, &a.provider);
                        li {
                            span class="passkey-name" {
                                (name)
                                @if let Some(email) = &a.email_address { " · " (email) }
                            }
                            form method="post" action=(format!("/user/accounts/{}/remove", a.id)) {
                                (csrf(token))
                                button class="secondary" type="submit"
                                    aria-label=(format!("Remove the {name} account")) { "Remove" }
                            }
                        }
                    }
                }
            }
            @for (strategy, name) in &connectable {
                form method="post" action="/user/accounts/connect" {
                    (csrf(token))
                    input type="hidden" name="strategy" value=(strategy);
                    button type="submit" { "Connect " (name) }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ConnectForm {
    strategy: String,
}

/// `POST /user/accounts/connect`: off to the provider, back to `/user`.
pub async fn connect(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<ConnectForm>,
) -> Response {
    let (session, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let back = format!("{}/user?done=account", state.instance.public_url.origin());
    match external::connect(&state, &fapi, &session, &user, &form.strategy, Some(&back)).await {
        Ok(trip) => match trip.redirect_url {
            Some(url) => see_other(&fapi, &url),
            None => see_other(&fapi, "/user"),
        },
        Err(e) => failed(&state, &fapi, "Connected accounts", e),
    }
}

/// `POST /user/accounts/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (session, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match external::disconnect(&state, &session, &user, &id).await {
        Ok(_) => see_other(&fapi, "/user?done=account-off"),
        Err(e) => failed(&state, &fapi, "Connected accounts", e),
    }
}
