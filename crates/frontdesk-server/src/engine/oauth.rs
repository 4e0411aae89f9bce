//! Sign-in and sign-up through another identity provider
//! (clerk-protocol-wave2.md §3): the trip out ([`begin`]), the provider's
//! callback ([`callback`]), and the transfers clerk-js asks for after it
//! (`transfer=true`, [`transfer_to_sign_up`], [`transfer_to_sign_in`]).
//!
//! The trip is an [`OAuthFlow`] stored under a digest of its `state`, bound
//! to the client that started it, taken once by compare-and-swap (a
//! replayed callback finds it taken). What happens at the callback is
//! [`decide`]'s, on facts read just before: who holds the provider
//! identity, who holds the address, whether the provider vouches for it.
//! Each decision is then carried out by one atomic store operation (the
//! identity joined under the user row's lock, the session created where
//! bans and locks are checked).

use axum::http::StatusCode;
use frontdesk_crypto::sha256_hex;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{FlowRecord, ProviderTokens, User};
use frontdesk_domain::flows::oauth::{
    CallbackFacts, CallbackOutcome, ExternalIdentity, FlowRefused, OAUTH_FLOW_TTL_SECS, OAuthFlow,
    OAuthPurpose, OAuthStatus, OAuthVerification, decide,
};
use frontdesk_domain::flows::{FlowKind, SignInAttempt, SignUpAttempt};
use frontdesk_domain::oauth::{OAuthStrategy, Provider, SocialConnection};
use frontdesk_domain::settings::SignUpMode;
use frontdesk_oidc::{AuthorizationRequest, OidcError};
use frontdesk_store::StoreError;
use frontdesk_types::{ClerkError, ClientId};

use super::flows;
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::services::oidc::Exchange;
use crate::state::AppState;

/// Where every provider sends the browser back.
pub fn callback_url(state: &AppState) -> String {
    format!("{}/v1/oauth_callback", state.instance.public_url.origin())
}

/// The stored flow's key: a digest of the state (the state itself is a
/// bearer value until the callback).
fn flow_id(state_param: &str) -> String {
    format!("oaf_{}", &sha256_hex(state_param.as_bytes())[..40])
}

/// The instance's connection for `strategy`, if it is on.
pub fn connection(state: &AppState, raw: &str) -> ApiResult<(OAuthStrategy, SocialConnection)> {
    let off = || {
        ApiError::bad_param(
            "strategy",
            "strategy_for_user_invalid",
            format!("`{raw}` is not enabled on this instance."),
        )
    };
    let strategy = OAuthStrategy::parse(raw).map_err(|_| off())?;
    let conn = state
        .settings()
        .settings
        .social
        .get(&strategy)
        .filter(|c| c.enabled)
        .cloned()
        .ok_or_else(off)?;
    Ok((strategy, conn))
}

/// A URL the browser may be sent back to (the instance's redirect
/// allow-list; never another site through `redirect_url`).
fn back_url(state: &AppState, param: &str, raw: &str) -> ApiResult<String> {
    state
        .settings()
        .redirects
        .parse(raw)
        .map(|u| u.as_str().to_owned())
        .map_err(|e| {
            ApiError::bad_param(
                param,
                "form_param_value_invalid",
                format!("`{param}` {e}: it must be on this instance or an allowed origin."),
            )
        })
}

/// What a provider that cannot be reached looks like to the person.
fn unreachable(strategy: &OAuthStrategy, conn: &SocialConnection, e: &OidcError) -> ApiError {
    tracing::warn!(strategy = strategy.as_str(), error = %e, "identity provider unavailable");
    let name = conn.name_for(strategy.provider());
    ApiError::client(
        StatusCode::BAD_GATEWAY,
        ClerkError::new(
            "external_provider_unreachable",
            format!("{name} cannot be reached"),
            format!(
                "{name} cannot be reached right now. Try again in a moment, or sign in another way."
            ),
        ),
    )
}

/// A trip to a provider as the wire asks for it (`strategy=oauth_*`,
/// `redirect_url`, `action_complete_redirect_url`).
#[derive(Clone, Copy)]
pub struct Trip<'a> {
    pub strategy: &'a str,
    pub redirect_url: Option<&'a str>,
    pub action_complete_redirect_url: Option<&'a str>,
}

/// The browser's trip out, asked for by `strategy=oauth_*` on a sign-in or
/// sign-up: the flow is stored and its verification returned, whose
/// `external_verification_redirect_url` clerk-js navigates to.
pub async fn begin(
    state: &AppState,
    browser: &Browser,
    client_id: &ClientId,
    purpose: OAuthPurpose,
    trip: Trip<'_>,
) -> ApiResult<OAuthVerification> {
    let (strategy, conn) = connection(state, trip.strategy)?;
    let redirect_url = trip.redirect_url.filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::bad_param(
            "redirect_url",
            "form_param_missing",
            "`redirect_url` is needed: where the browser returns after the provider.",
        )
    })?;
    let redirect_url = back_url(state, "redirect_url", redirect_url)?;
    let action_complete = trip
        .action_complete_redirect_url
        .filter(|s| !s.is_empty())
        .map(|u| back_url(state, "action_complete_redirect_url", u))
        .transpose()?;
    let meta = state
        .providers
        .endpoints(&strategy, &conn)
        .await
        .map_err(|e| unreachable(&strategy, &conn, &e))?;
    let provider = strategy.provider();
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if provider == Provider::Apple {
        // Apple sends the name and address only to a form post.
        extra.push(("response_mode", "form_post"));
    }
    let request = AuthorizationRequest::new(
        &meta,
        &conn.client_id,
        &callback_url(state),
        &conn.scopes_for(provider),
        &extra,
    );
    let now = UnixMillis::now();
    let expire_at = now.plus_secs(OAUTH_FLOW_TTL_SECS);
    let flow = OAuthFlow {
        state: request.state.clone(),
        strategy: strategy.clone(),
        client_id: client_id.to_string(),
        purpose,
        nonce: request.nonce.clone(),
        pkce_verifier: request.pkce_verifier.clone(),
        redirect_url,
        action_complete_redirect_url: action_complete,
        expire_at,
        taken: false,
        dev_browser: browser.dev_browser,
    };
    let record = FlowRecord {
        id: flow_id(&request.state),
        client_id: client_id.clone(),
        kind: FlowKind::OAuth.as_str().to_owned(),
        data: serde_json::to_value(&flow).map_err(ApiError::internal)?,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    state.store.insert_flow(&record).await?;
    Ok(OAuthVerification::started(
        strategy,
        request.url.to_string(),
        expire_at,
    ))
}

/// The provider's answer, as the callback's query (or Apple's form) has it.
#[derive(serde::Deserialize, Default)]
pub struct ProviderAnswer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    /// Apple's first consent: the name, as JSON.
    pub user: Option<String>,
    /// RFC 9207: the provider names itself, so that a code from another
    /// provider (a mix-up attack) is not redeemed at this one.
    pub iss: Option<String>,
}

/// Where the callback sends the browser, and the cookies the sign-in set.
pub struct Return {
    pub location: String,
    pub browser: Option<Browser>,
}

fn refused(code: &str, message: &str, long: &str) -> ApiError {
    ApiError::client(
        StatusCode::BAD_REQUEST,
        ClerkError::new(code, message, long),
    )
}

/// Take the flow the `state` names, once. An unknown, taken or foreign
/// state is refused outright (there is nowhere trusted to send the browser:
/// `redirect_url` is the flow's); an expired one goes back with the
/// attempt failed.
async fn take_flow(
    state: &AppState,
    state_param: &str,
    now: UnixMillis,
) -> ApiResult<(OAuthFlow, Option<FlowRefused>)> {
    let invalid = || {
        refused(
            "oauth_state_invalid",
            "This sign-in link is not valid",
            "The provider sent the browser back with a state Frontdesk did not issue, or one already used. Start the sign-in again.",
        )
    };
    for _ in 0..8 {
        let mut record = state
            .store
            .get_flow(&flow_id(state_param))
            .await?
            .filter(|f| f.kind == FlowKind::OAuth.as_str())
            .ok_or_else(invalid)?;
        let mut flow: OAuthFlow =
            serde_json::from_value(record.data.clone()).map_err(ApiError::internal)?;
        // Compared in constant time: the digest matched, the state must too.
        if !frontdesk_crypto::constant_time_eq(flow.state.as_bytes(), state_param.as_bytes()) {
            return Err(invalid());
        }
        let outcome = flow.take(now);
        if outcome == Err(FlowRefused::Taken) {
            return Err(invalid());
        }
        // Expired flows are taken too: one answer per trip.
        flow.taken = true;
        record.data = serde_json::to_value(&flow).map_err(ApiError::internal)?;
        record.updated_at = now;
        match state.store.update_flow(&record).await {
            Ok(_) => return Ok((flow, outcome.err())),
            Err(StoreError::Stale) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(invalid())
}

/// The provider's callback: take the flow, hear the provider, decide, and
/// send the browser on (303): to `action_complete_redirect_url` when a
/// session was made, else to `redirect_url`, whose page (clerk-js's
/// sso-callback) reads the attempt and goes on.
pub async fn callback(
    state: &AppState,
    mut browser: Browser,
    answer: ProviderAnswer,
) -> ApiResult<Return> {
    let now = UnixMillis::now();
    let state_param = answer
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            refused(
                "oauth_state_missing",
                "This sign-in link is not valid",
                "The provider sent the browser back without a state. Start the sign-in again.",
            )
        })?;
    let (flow, expired) = take_flow(state, state_param, now).await?;
    let client_id: ClientId = flow.client_id.parse().map_err(ApiError::internal)?;
    // Login CSRF: a browser that started the trip with its cookie must
    // come back with it (a dev browser has no cookie here; its state is
    // its only key).
    if !flow.dev_browser && browser.client.as_ref().is_none_or(|c| c.id != client_id) {
        return Err(refused(
            "oauth_client_mismatch",
            "This sign-in was started in another browser",
            "The browser that came back from the provider is not the one that started this sign-in. Start it again here.",
        ));
    }
    let client = state
        .store
        .get_client(&client_id)
        .await?
        .ok_or_else(|| ApiError::not_found("client"))?;
    browser.adopt_client(client, flow.dev_browser);
    let back = |location: &str, browser: Browser| Return {
        location: location.to_owned(),
        browser: Some(browser),
    };
    if expired.is_some() {
        fail(state, &browser, &flow, "verification_expired").await?;
        return Ok(back(&flow.redirect_url, browser));
    }
    if let Some(error) = answer.error.as_deref() {
        tracing::info!(
            strategy = flow.strategy.as_str(),
            error,
            "provider answered an error"
        );
        fail(state, &browser, &flow, "oauth_access_denied").await?;
        return Ok(back(&flow.redirect_url, browser));
    }
    let Some(code) = answer.code.as_deref().filter(|c| !c.is_empty()) else {
        fail(state, &browser, &flow, "oauth_access_denied").await?;
        return Ok(back(&flow.redirect_url, browser));
    };
    let identified = match hear(state, &flow, code, answer.iss.as_deref(), now).await {
        Ok(i) => i,
        Err(code) => {
            fail(state, &browser, &flow, code).await?;
            return Ok(back(&flow.redirect_url, browser));
        }
    };
    let mut identity = identified.identity;
    if flow.strategy.provider() == Provider::Apple {
        apple_name(&mut identity, answer.user.as_deref());
    }
    identity.sealed_tokens = Some(seal_tokens(state, &flow, &identified.tokens)?);
    let done = match &flow.purpose {
        OAuthPurpose::SignIn { attempt_id } => {
            sign_in_with(state, &mut browser, attempt_id, identity, now).await?
        }
        OAuthPurpose::SignUp { attempt_id } => {
            sign_up_with(state, &mut browser, attempt_id, identity).await?
        }
        OAuthPurpose::Connect { user_id } => {
            // Someone else's identity is not joined; the page the person
            // came from shows their accounts as they are.
            if let Err(e) = connect(state, &flow.client_id, user_id, &identity, now).await {
                tracing::info!(error = %e, "a connected account was refused");
            }
            false
        }
    };
    let location = match (&flow.action_complete_redirect_url, done) {
        (Some(complete), true) => complete.clone(),
        _ => flow.redirect_url.clone(),
    };
    Ok(back(&location, browser))
}

/// Exchange the code and read who the person is; the error code the
/// attempt fails with otherwise.
async fn hear(
    state: &AppState,
    flow: &OAuthFlow,
    code: &str,
    iss: Option<&str>,
    now: UnixMillis,
) -> Result<crate::services::oidc::Identified, &'static str> {
    let Ok((strategy, conn)) = connection(state, flow.strategy.as_str()) else {
        return Err("strategy_for_user_invalid");
    };
    let secret = match state.store.client_secret(strategy.as_str()).await {
        Ok(Some(s)) => s,
        Ok(None) => String::new(),
        Err(e) => {
            tracing::error!(error = %e, "reading a provider's client secret");
            return Err("external_provider_unreachable");
        }
    };
    let report = |e: OidcError| {
        tracing::warn!(strategy = strategy.as_str(), error = %e, "provider sign-in refused");
        match e {
            OidcError::Unreachable(_) | OidcError::Malformed { .. } => {
                "external_provider_unreachable"
            }
            OidcError::IssuerMismatch { .. } | OidcError::IdToken(_) => "oauth_identity_invalid",
            OidcError::Refused { .. } => "oauth_token_exchange_error",
        }
    };
    let meta = state
        .providers
        .endpoints(&strategy, &conn)
        .await
        .map_err(report)?;
    if let Some(iss) = iss
        && !meta.names(iss)
    {
        tracing::warn!(
            strategy = strategy.as_str(),
            iss,
            "a callback named another provider"
        );
        return Err("oauth_identity_invalid");
    }
    state
        .providers
        .identify(Exchange {
            strategy: &strategy,
            conn: &conn,
            client_secret: &secret,
            meta: &meta,
            code,
            pkce_verifier: &flow.pkce_verifier,
            nonce: flow.nonce.as_deref(),
            redirect_uri: &callback_url(state),
            now,
        })
        .await
        .map_err(report)
}

/// Apple sends the name once, beside the code (`user`, JSON).
fn apple_name(identity: &mut ExternalIdentity, user: Option<&str>) {
    #[derive(serde::Deserialize)]
    struct Name {
        #[serde(rename = "firstName")]
        first: Option<String>,
        #[serde(rename = "lastName")]
        last: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct AppleUser {
        name: Option<Name>,
    }
    if let Some(name) = user
        .and_then(|u| serde_json::from_str::<AppleUser>(u).ok())
        .and_then(|u| u.name)
    {
        identity.first_name = identity.first_name.take().or(name.first);
        identity.last_name = identity.last_name.take().or(name.last);
    }
}

fn tokens_context(flow: &OAuthFlow) -> String {
    format!("oauth_pending.tokens:{}", flow.client_id)
}

/// The provider's tokens sealed for the attempt that holds them until the
/// account exists (JSON as it is when secrets at rest are off).
fn seal_tokens(state: &AppState, flow: &OAuthFlow, t: &ProviderTokens) -> ApiResult<String> {
    let json = serde_json::json!({
        "access_token": t.access_token,
        "refresh_token": t.refresh_token,
        "expires_at": t.expires_at.map(|e| e.0),
        "scopes": t.scopes,
    })
    .to_string();
    Ok(match &state.cipher {
        Some(c) => c.seal(json.as_bytes(), &tokens_context(flow)),
        None => json,
    })
}

/// The tokens an attempt holds, for the client `client_id`.
pub fn open_tokens(state: &AppState, client_id: &str, sealed: &str) -> Option<ProviderTokens> {
    let context = format!("oauth_pending.tokens:{client_id}");
    let plain = match &state.cipher {
        Some(c) if frontdesk_store::secrets::is_sealed(sealed.as_bytes()) => {
            c.open(sealed, &context).ok()?
        }
        _ => sealed.as_bytes().to_vec(),
    };
    let v: serde_json::Value = serde_json::from_slice(&plain).ok()?;
    Some(ProviderTokens {
        access_token: v["access_token"].as_str()?.to_owned(),
        refresh_token: v["refresh_token"].as_str().map(str::to_owned),
        expires_at: v["expires_at"].as_i64().map(UnixMillis),
        scopes: v["scopes"].as_str().unwrap_or_default().to_owned(),
    })
}

/// The attempt the flow belongs to fails with Clerk's `code`.
async fn fail(state: &AppState, browser: &Browser, flow: &OAuthFlow, code: &str) -> ApiResult<()> {
    let failed = |o: &mut Option<OAuthVerification>| {
        if let Some(o) = o.as_mut() {
            o.returned(OAuthStatus::Failed, None, Some(code));
        }
    };
    match &flow.purpose {
        OAuthPurpose::SignIn { attempt_id } => {
            flows::change::<SignInAttempt, _>(state, browser, attempt_id, |a| failed(&mut a.oauth))
                .await?;
        }
        OAuthPurpose::SignUp { attempt_id } => {
            flows::change::<SignUpAttempt, _>(state, browser, attempt_id, |a| failed(&mut a.oauth))
                .await?;
        }
        OAuthPurpose::Connect { .. } => {}
    }
    Ok(())
}

/// What the store knows that the decision needs.
async fn facts(state: &AppState, identity: &ExternalIdentity) -> ApiResult<CallbackFacts> {
    let identity_owner = state
        .store
        .external_account_owner(identity.strategy.as_str(), &identity.provider_user_id)
        .await?
        .map(|u| u.to_string());
    let email_owner = match &identity.email {
        Some(email) => state.store.find_user_by_email(email).await?.map(|u| {
            let verified = u.email_addresses.iter().any(|e| {
                e.email_address.eq_ignore_ascii_case(email)
                    && e.verification.as_ref().is_some_and(|v| {
                        v.status == frontdesk_domain::entities::VerificationStatus::Verified
                    })
            });
            (u.id.to_string(), verified)
        }),
        None => None,
    };
    Ok(CallbackFacts {
        identity_owner,
        email_owner,
        vouched: identity.email_verified,
        sign_up_allowed: state.settings().settings.sign_up.mode != SignUpMode::Restricted,
        provider_error: None,
    })
}

/// Join `identity` to `user_id` (with its tokens), or refresh the tokens of
/// the account it already is.
pub async fn join(
    state: &AppState,
    client_id: &str,
    user_id: &frontdesk_types::UserId,
    identity: &ExternalIdentity,
    now: UnixMillis,
) -> ApiResult<User> {
    let tokens = identity
        .sealed_tokens
        .as_deref()
        .and_then(|s| open_tokens(state, client_id, s));
    let user = state
        .store
        .get_user(user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if let Some(existing) = user.external_accounts.iter().find(|a| {
        a.provider == identity.strategy.as_str() && a.provider_user_id == identity.provider_user_id
    }) {
        if let Some(t) = &tokens {
            state
                .store
                .store_provider_tokens(&existing.id, t, now)
                .await?;
        }
        return Ok(user);
    }
    let account = identity.account(
        format!("eac_{}", frontdesk_types::id::random_base62(24)),
        now,
    );
    let events = state.events();
    let user = state
        .store
        .link_external_account(user_id, &account, tokens.as_ref(), now, &|u, _| {
            vec![events.user_updated(u)]
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => external_account_exists(),
            other => other.into(),
        })?;
    Ok(user)
}

fn external_account_exists() -> ApiError {
    ApiError::bad_param(
        "external_account",
        "external_account_exists",
        "This account is already connected to another user.",
    )
}

/// The callback for a sign-in: `true` when a session was made.
pub(super) async fn sign_in_with(
    state: &AppState,
    browser: &mut Browser,
    attempt_id: &str,
    identity: ExternalIdentity,
    now: UnixMillis,
) -> ApiResult<bool> {
    let purpose = OAuthPurpose::SignIn {
        attempt_id: attempt_id.to_owned(),
    };
    let outcome = decide(&purpose, &facts(state, &identity).await?);
    super::sign_in::with_identity(state, browser, attempt_id, identity, outcome, now).await
}

/// The callback for a sign-up: `true` when a session was made.
async fn sign_up_with(
    state: &AppState,
    browser: &mut Browser,
    attempt_id: &str,
    identity: ExternalIdentity,
) -> ApiResult<bool> {
    let purpose = OAuthPurpose::SignUp {
        attempt_id: attempt_id.to_owned(),
    };
    let outcome = decide(&purpose, &facts(state, &identity).await?);
    let (status, error) = match outcome {
        CallbackOutcome::SignUp => (OAuthStatus::Verified, None),
        CallbackOutcome::TransferToSignIn => {
            (OAuthStatus::Transferable, Some("external_account_exists"))
        }
        CallbackOutcome::Refuse { code } => (OAuthStatus::Failed, Some(code)),
        // A sign-up's outcomes are the three above.
        _ => (OAuthStatus::Failed, Some("external_account_exists")),
    };
    let keep = (status != OAuthStatus::Failed).then_some(identity);
    let attempt =
        super::sign_up::provider_returned(state, browser, attempt_id, status, keep, error).await?;
    Ok(attempt.created_session_id.is_some())
}

/// `<UserProfile/>`'s "Connect account": join the identity to the user,
/// unless it is someone else's.
async fn connect(
    state: &AppState,
    client_id: &str,
    user_id: &str,
    identity: &ExternalIdentity,
    now: UnixMillis,
) -> ApiResult<()> {
    let user_id: frontdesk_types::UserId = user_id.parse().map_err(ApiError::internal)?;
    let facts = facts(state, identity).await?;
    let purpose = OAuthPurpose::Connect {
        user_id: user_id.to_string(),
    };
    match decide(&purpose, &facts) {
        CallbackOutcome::Connect { .. } => {
            join(state, client_id, &user_id, identity, now).await?;
            Ok(())
        }
        _ => Err(external_account_exists()),
    }
}

/// Clerk's words for a failed or transferable trip.
pub fn error_message(code: &str) -> ClerkError {
    let (message, long) = match code {
        "external_account_not_found" => (
            "The External Account was not found.",
            "No account is connected to this provider account yet.",
        ),
        "external_account_exists" => (
            "This account is already connected to another user.",
            "This provider account or its email address already belongs to an account. Sign in instead.",
        ),
        "oauth_access_denied" => (
            "Access was denied",
            "The sign-in was cancelled at the provider. Try again, or sign in another way.",
        ),
        "not_allowed_to_sign_up" => (
            "Sign-ups are restricted",
            "This instance does not accept new accounts through this provider.",
        ),
        "user_banned" => (
            "This account is banned",
            "This account cannot sign in. Contact the administrator.",
        ),
        "user_locked" => (
            "This account is locked",
            "This account is locked after too many failed attempts. Try again later.",
        ),
        "verification_expired" => (
            "This sign-in took too long",
            "The trip to the provider took too long. Start again.",
        ),
        "external_provider_unreachable" | "oauth_token_exchange_error" => (
            "The provider cannot be reached",
            "The provider could not be reached or refused the sign-in. Try again in a moment, or sign in another way.",
        ),
        _ => (
            "The provider's answer was refused",
            "The provider's answer could not be trusted. Try again, or sign in another way.",
        ),
    };
    ClerkError::new(code, message, long)
}
