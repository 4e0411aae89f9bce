//! After the provider's callback: carrying an identity over from a sign-in
//! to a sign-up or back (`transfer=true`, clerk-protocol-wave2.md §3.4),
//! and going on from where a trip left the browser (the hosted
//! sso-callback page; clerk-js decides the same on its own, §3.5).

use frontdesk_domain::UnixMillis;
use frontdesk_domain::flows::oauth::{ExternalIdentity, OAuthStatus, OAuthVerification};
use frontdesk_domain::flows::{FlowKind, SignInAttempt, SignUpAttempt};
use frontdesk_domain::oauth::OAuthStrategy;
use frontdesk_types::{ClerkError, ClientId};

use super::oauth::{error_message, sign_in_with};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::state::AppState;

/// The transferable identity on the client's latest attempt of `kind`.
pub async fn transferable(
    state: &AppState,
    client_id: &ClientId,
    kind: FlowKind,
) -> ApiResult<Option<(OAuthStrategy, ExternalIdentity)>> {
    let Some(record) = state.store.latest_flow(client_id, kind.as_str()).await? else {
        return Ok(None);
    };
    let oauth = match kind {
        FlowKind::SignIn => serde_json::from_value::<SignInAttempt>(record.data)
            .ok()
            .and_then(|a| a.oauth),
        FlowKind::SignUp => serde_json::from_value::<SignUpAttempt>(record.data)
            .ok()
            .and_then(|a| a.oauth),
        _ => None,
    };
    Ok(oauth.and_then(|o| o.transferable().map(|i| (o.strategy.clone(), i.clone()))))
}

/// `POST /v1/client/sign_ins transfer=true`: the identity a sign-up found
/// taken signs in (or proves the address) on a new sign-in.
pub async fn transfer_to_sign_in(
    state: &AppState,
    browser: &mut Browser,
    attempt_id: &str,
    now: UnixMillis,
) -> ApiResult<bool> {
    let client = browser.ensure_client(state).await?;
    let (_, identity) = transferable(state, &client.id, FlowKind::SignUp)
        .await?
        .ok_or_else(nothing_to_transfer)?;
    sign_in_with(state, browser, attempt_id, identity, now).await
}

/// Why a transfer was refused.
pub fn nothing_to_transfer() -> ApiError {
    ApiError::bad_param(
        "transfer",
        "transfer_invalid",
        "There is no sign-in or sign-up through a provider to transfer.",
    )
}

/// Where a browser's latest trip to a provider left it, for a page that
/// goes on from there (the hosted sso-callback page; clerk-js decides the
/// same on its own, §3.5): a transferable attempt is transferred first.
pub enum Resumed {
    SignIn(SignInAttempt),
    SignUp(SignUpAttempt),
    /// The trip failed: Clerk's error, for the page to show.
    Failed(ClerkError),
    /// The browser has no trip to go on with.
    Nothing,
}

/// Go on from the client's newest sign-in or sign-up.
pub async fn resume(state: &AppState, browser: &mut Browser) -> ApiResult<Resumed> {
    let Some(client) = browser.client.clone() else {
        return Ok(Resumed::Nothing);
    };
    let sign_in = state.store.latest_flow(&client.id, "sign_in").await?;
    let sign_up = state.store.latest_flow(&client.id, "sign_up").await?;
    let newer_sign_up = match (&sign_in, &sign_up) {
        (Some(i), Some(u)) => u.updated_at > i.updated_at,
        (None, Some(_)) => true,
        _ => false,
    };
    let failed = |o: &OAuthVerification| {
        (o.status == OAuthStatus::Failed)
            .then(|| error_message(o.error.as_deref().unwrap_or("oauth_access_denied")))
    };
    if newer_sign_up {
        let Some(a) = sign_up.and_then(|r| serde_json::from_value::<SignUpAttempt>(r.data).ok())
        else {
            return Ok(Resumed::Nothing);
        };
        return Ok(match &a.oauth {
            Some(o) if o.transferable().is_some() => {
                Resumed::SignIn(super::sign_in::start_transfer(state, browser).await?)
            }
            Some(o) => failed(o).map_or(Resumed::SignUp(a), Resumed::Failed),
            None => Resumed::Nothing,
        });
    }
    let Some(a) = sign_in.and_then(|r| serde_json::from_value::<SignInAttempt>(r.data).ok()) else {
        return Ok(Resumed::Nothing);
    };
    Ok(match &a.oauth {
        Some(o) if o.transferable().is_some() => Resumed::SignUp(
            super::sign_up::start_transfer(state, browser, super::sign_up::Fields::default())
                .await?,
        ),
        Some(o) => failed(o).map_or(Resumed::SignIn(a), Resumed::Failed),
        None => Resumed::Nothing,
    })
}
