//! Accounts at other identity providers joined to users (issue 16): what
//! the Backend API does with them. How they are joined — the sign-in
//! through a provider — builds on the `frontdesk-oidc` crate.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{ProviderTokens, User};
use frontdesk_domain::oauth::OAuthStrategy;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `provider` as the Backend API takes it: `oauth_google`, or `google`
/// (`@clerk/backend` adds the prefix, older callers may not).
pub fn strategy(provider: &str) -> ApiResult<OAuthStrategy> {
    let full = if provider.starts_with("oauth_") {
        provider.to_owned()
    } else {
        format!("oauth_{provider}")
    };
    OAuthStrategy::parse(&full)
        .map_err(|e| ApiError::bad_param("provider", "form_param_value_invalid", e.to_string()))
}

/// The tokens of `user`'s accounts at `provider`, with the account each
/// belongs to.
pub async fn access_tokens(
    state: &AppState,
    user: &User,
    provider: &OAuthStrategy,
) -> ApiResult<Vec<(frontdesk_domain::entities::ExternalAccount, ProviderTokens)>> {
    let held = state
        .store
        .provider_tokens(&user.id, provider.as_str())
        .await?;
    Ok(held
        .into_iter()
        .filter_map(|(id, tokens)| {
            let account = user.external_accounts.iter().find(|a| a.id == id)?;
            Some((account.clone(), tokens))
        })
        .collect())
}

/// The signed-in user disconnects one of their accounts (`<UserProfile/>`'s
/// "Remove connected account"): a sensitive change (a recent factor check),
/// refused when it is their last way to sign in.
pub async fn disconnect(
    state: &AppState,
    session: &frontdesk_domain::entities::Session,
    user: &User,
    account_id: &str,
) -> ApiResult<User> {
    if !user.external_accounts.iter().any(|a| a.id == account_id) {
        return Err(ApiError::not_found("external account"));
    }
    super::reverify::require_recent(state, session, user)?;
    if !user.signs_in_without(account_id, state.settings().settings.sign_in.email_code) {
        return Err(ApiError::client(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            frontdesk_types::ClerkError::new(
                "identification_deletion_failed",
                "You cannot remove your only way to sign in",
                "This account is your only way to sign in: add a password or a passkey first.",
            ),
        ));
    }
    unlink(state, user, account_id).await
}

/// Remove one of `user`'s external accounts; `user.updated` follows.
pub async fn unlink(state: &AppState, user: &User, account_id: &str) -> ApiResult<User> {
    let events = state.events();
    state
        .store
        .unlink_external_account(&user.id, account_id, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?
        .ok_or_else(|| ApiError::not_found("external account"))
}

/// `<UserProfile/>`'s "Connect account" (`POST /v1/me/external_accounts`):
/// a sensitive change (a recent factor check), then a trip to the provider
/// whose callback joins the identity to this user. The trip's verification
/// names the provider's URL.
pub async fn connect(
    state: &AppState,
    browser: &crate::extract::Browser,
    session: &frontdesk_domain::entities::Session,
    user: &User,
    strategy: &str,
    redirect_url: Option<&str>,
) -> ApiResult<frontdesk_domain::flows::oauth::OAuthVerification> {
    super::reverify::require_recent(state, session, user)?;
    let trip = super::oauth::Trip {
        strategy,
        redirect_url,
        action_complete_redirect_url: None,
    };
    let purpose = frontdesk_domain::flows::oauth::OAuthPurpose::Connect {
        user_id: user.id.to_string(),
    };
    let verification =
        super::oauth::begin(state, browser, &session.client_id, purpose, trip).await?;
    Ok(verification)
}
