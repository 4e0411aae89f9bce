//! Frontend API objects from entities.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Client, Session, SessionStatus, User};
use frontdesk_domain::flows::oauth::{OAuthStatus, OAuthVerification};
use frontdesk_domain::flows::{
    CodeChallenge, CodeStatus, FirstFactor, PasskeyChallenge, SignInAttempt, SignInStatus,
    SignUpAttempt, SignUpStatus,
};
use frontdesk_domain::settings::{SignInSettings, SignUpSettings};
use frontdesk_store::SessionQuery;
use frontdesk_types::common::Token;
use frontdesk_types::frontend as fe;

use crate::error::ApiResult;
use crate::render::frontend_user;
use crate::services::tokens;
use crate::state::AppState;

pub fn verification(c: &CodeChallenge) -> fe::Verification {
    fe::Verification {
        object: "verification_otp".to_owned(),
        status: c.status.as_str().to_owned(),
        strategy: c.strategy.as_str().to_owned(),
        attempts: Some(c.attempts),
        expire_at: Some(c.expire_at.0),
        next_action: Some(
            if c.status == CodeStatus::Unverified {
                "needs_attempt"
            } else {
                ""
            }
            .to_owned(),
        ),
        supported_strategies: Some(vec![c.strategy.as_str().to_owned()]),
        nonce: None,
        external_verification_redirect_url: None,
        error: None,
    }
}

/// A passkey challenge as clerk-js reads it: `nonce` is the WebAuthn
/// options it hands to `navigator.credentials`, while one is awaited.
pub fn passkey_verification(c: &PasskeyChallenge) -> fe::Verification {
    fe::Verification {
        object: "verification_passkey".to_owned(),
        status: c.status.as_str().to_owned(),
        strategy: "passkey".to_owned(),
        attempts: Some(c.attempts),
        expire_at: Some(c.expire_at.0),
        next_action: None,
        supported_strategies: None,
        nonce: (c.status == CodeStatus::Unverified).then(|| c.options.clone()),
        external_verification_redirect_url: None,
        error: None,
    }
}

/// A trip to a provider as clerk-js reads it (`verification_oauth`).
pub fn oauth_verification(o: &OAuthVerification) -> fe::Verification {
    fe::Verification {
        object: "verification_oauth".to_owned(),
        status: o.status.as_str().to_owned(),
        strategy: if o.enterprise {
            FirstFactor::EnterpriseSso.as_str().to_owned()
        } else {
            o.strategy.as_str().to_owned()
        },
        attempts: None,
        expire_at: Some(o.expire_at.0),
        next_action: None,
        supported_strategies: None,
        nonce: None,
        external_verification_redirect_url: o
            .redirect_url
            .clone()
            .filter(|_| o.status == OAuthStatus::Unverified),
        error: o.error.as_deref().map(crate::engine::oauth::error_message),
    }
}

/// An address the provider vouched for (`verification_from_oauth`).
fn from_oauth(strategy: &str) -> fe::Verification {
    fe::Verification {
        object: "verification_from_oauth".to_owned(),
        status: "verified".to_owned(),
        strategy: format!("from_{strategy}"),
        attempts: None,
        expire_at: None,
        // A sign-up's verifications carry both (nothing is left to do).
        next_action: Some(String::new()),
        supported_strategies: Some(Vec::new()),
        nonce: None,
        external_verification_redirect_url: None,
        error: None,
    }
}

/// An invitation's ticket, verified (`Stubs.Verification.Ticket`).
fn ticket_verification() -> fe::Verification {
    fe::Verification {
        object: "verification_ticket".to_owned(),
        status: "verified".to_owned(),
        strategy: "ticket".to_owned(),
        attempts: None,
        expire_at: None,
        next_action: Some(String::new()),
        supported_strategies: Some(Vec::new()),
        nonce: None,
        external_verification_redirect_url: None,
        error: None,
    }
}

pub fn sign_up(a: &SignUpAttempt, rules: &SignUpSettings) -> fe::SignUp {
    let owned = |fields: Vec<&str>| fields.into_iter().map(str::to_owned).collect();
    let (mut required, mut optional) = (vec!["email_address", "password"], Vec::new());
    for (name, attr) in [
        ("first_name", rules.first_name),
        ("last_name", rules.last_name),
        ("username", rules.username),
    ] {
        match (attr.enabled, attr.required) {
            (true, true) => required.push(name),
            (true, false) => optional.push(name),
            (false, _) => {}
        }
    }
    fe::SignUp {
        object: "sign_up_attempt".to_owned(),
        id: a.id.clone(),
        status: a.status.as_str().to_owned(),
        required_fields: owned(if a.external_identity().is_some() {
            required.retain(|f| *f != "password");
            required
        } else {
            required
        }),
        optional_fields: owned(optional),
        missing_fields: owned(a.missing_fields(rules)),
        unverified_fields: owned(a.unverified_fields()),
        verifications: fe::SignUpVerifications {
            // Null until a code is sent (`prepare_verification`). @clerk/ui
            // takes an `unverified` `email_code` verification to mean "the
            // code was sent" and then never prepares one itself: its verify
            // page prepares only when the status is not yet `unverified` or
            // the strategy is another (`SignUpEmailCodeCard`, ui 1.36.0).
            // The schema's verification needs both, so there is no object.
            email_address: match (&a.oauth, a.email_from_provider()) {
                _ if a.email_from_ticket() => Some(ticket_verification()),
                (Some(o), true) => Some(from_oauth(o.strategy.as_str())),
                _ => a.email_verification.as_ref().map(verification),
            },
            phone_number: None,
            web3_wallet: None,
            external_account: a
                .oauth
                .as_ref()
                .and_then(|o| serde_json::to_value(oauth_verification(o)).ok()),
        },
        username: a.username.clone(),
        email_address: a.email_address.clone(),
        phone_number: None,
        web3_wallet: None,
        password_enabled: a.password_digest.is_some(),
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        unsafe_metadata: a.unsafe_metadata.clone(),
        public_metadata: Default::default(),
        custom_action: false,
        external_id: None,
        created_session_id: a.created_session_id.clone(),
        created_user_id: a.created_user_id.clone(),
        abandon_at: a.abandon_at.0,
        legal_accepted_at: None,
    }
}

/// `jan***@example.com`: enough to recognise, not enough to harvest.
pub fn safe_identifier(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!("{keep}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

pub fn sign_in(a: &SignInAttempt, rules: &SignInSettings) -> fe::SignIn {
    let factors = a.identifier.as_ref().map(|identifier| {
        if let Some(e) = &a.enterprise {
            return vec![fe::SignInFactor {
                strategy: FirstFactor::EnterpriseSso.as_str().to_owned(),
                safe_identifier: Some(safe_identifier(identifier)),
                email_address_id: None,
                primary: None,
                enterprise_connection_id: Some(e.connection_id()),
                enterprise_connection_name: Some(e.name.clone()),
            }];
        }
        FirstFactor::ALL
            .into_iter()
            .filter(|f| *f != FirstFactor::EnterpriseSso)
            .filter(|f| f.enabled(rules))
            .filter(|f| *f != FirstFactor::Passkey || a.passkey_available)
            // An address a provider named without vouching for it is proven
            // by its code only.
            .filter(|f| a.pending_identity().is_none() || *f == FirstFactor::EmailCode)
            .map(|factor| match factor {
                FirstFactor::Password | FirstFactor::Passkey | FirstFactor::EnterpriseSso => {
                    fe::SignInFactor {
                        strategy: factor.as_str().to_owned(),
                        safe_identifier: None,
                        email_address_id: None,
                        primary: None,
                        enterprise_connection_id: None,
                        enterprise_connection_name: None,
                    }
                }
                FirstFactor::EmailCode | FirstFactor::ResetPasswordEmailCode => fe::SignInFactor {
                    strategy: factor.as_str().to_owned(),
                    safe_identifier: Some(safe_identifier(identifier)),
                    email_address_id: a.email_address_id.clone(),
                    primary: Some(true),
                    enterprise_connection_id: None,
                    enterprise_connection_name: None,
                },
            })
            .collect()
    });
    fe::SignIn {
        object: "sign_in_attempt".to_owned(),
        id: a.id.clone(),
        status: a.status.as_str().to_owned(),
        supported_identifiers: vec!["email_address".to_owned()],
        supported_first_factors: factors,
        supported_second_factors: (!a.second_factors.is_empty()).then(|| {
            a.second_factors
                .iter()
                .map(|f| fe::SignInFactor {
                    strategy: f.as_str().to_owned(),
                    safe_identifier: None,
                    email_address_id: None,
                    primary: None,
                    enterprise_connection_id: None,
                    enterprise_connection_name: None,
                })
                .collect()
        }),
        // A passkey challenge is sent after any code (sending a code drops it).
        first_factor_verification: match (&a.passkey, &a.first_factor, &a.oauth) {
            _ if a.ticket.is_some() => Some(ticket_verification()),
            (Some(p), _, _) => Some(passkey_verification(p)),
            (None, Some(code), _) => Some(verification(code)),
            (None, None, Some(o)) => Some(oauth_verification(o)),
            (None, None, None) => None,
        },
        second_factor_verification: a.second_factor.map(|t| fe::Verification {
            object: format!("verification_{}", t.strategy.as_str()),
            status: if t.verified { "verified" } else { "unverified" }.to_owned(),
            strategy: t.strategy.as_str().to_owned(),
            attempts: Some(t.attempts),
            expire_at: None,
            next_action: None,
            supported_strategies: None,
            nonce: None,
            external_verification_redirect_url: None,
            error: None,
        }),
        identifier: a.identifier.clone(),
        user_data: None,
        created_session_id: a.created_session_id.clone(),
        abandon_at: a.abandon_at.0,
    }
}

/// A session as its browser sees it, with a fresh token.
pub async fn session(
    state: &AppState,
    s: &Session,
    user: &User,
    origin: Option<&str>,
    now: UnixMillis,
) -> ApiResult<fe::Session> {
    let status = s.status_at(now);
    let token = if status.is_live() {
        Some(Token::new(
            tokens::mint(state, &s.id, origin.map(str::to_owned), None).await?,
        ))
    } else {
        None
    };
    let mut fe_user = frontend_user(state, user, now);
    fe_user.organization_memberships =
        Some(super::me_organizations::embedded(state, &user.id).await?);
    let identifier = user
        .primary_email()
        .map(|e| e.email_address.clone())
        .or_else(|| user.username.clone())
        .unwrap_or_default();
    Ok(fe::Session {
        object: "session".to_owned(),
        id: s.id.to_string(),
        status: status.as_str().to_owned(),
        expire_at: s.expire_at.0,
        abandon_at: s.abandon_at.0,
        last_active_at: s.last_active_at.0,
        last_active_token: token,
        last_active_organization_id: s.last_active_organization_id.clone(),
        actor: s.actor.clone(),
        public_user_data: fe::PublicUserData {
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            image_url: Some(fe_user.image_url.clone()),
            has_image: fe_user.has_image,
            identifier,
            user_id: Some(user.id.to_string()),
        },
        user: Some(fe_user),
        factor_verification_age: Some(s.factor_ages(now)),
        // A pending session has one task: adding the second factor the
        // instance requires (clerk-js then shows `<TaskSetupMFA/>`).
        tasks: (s.status == SessionStatus::Pending)
            .then(|| vec![serde_json::json!({"key": crate::engine::mfa::SETUP_TASK})]),
        created_at: s.created_at.0,
        updated_at: s.updated_at.0,
    })
}

/// The client with its live sessions and unfinished attempts.
pub async fn client(state: &AppState, c: &Client, origin: Option<&str>) -> ApiResult<fe::Client> {
    let now = UnixMillis::now();
    let all = state
        .store
        .list_sessions(&SessionQuery {
            user_id: None,
            client_id: Some(c.id.clone()),
            // Active and pending (a task to do) sessions, newest first.
            status: None,
            limit: 100,
            offset: 0,
        })
        .await?;
    let mut sessions = Vec::new();
    for s in all.iter().filter(|s| s.status_at(now).is_live()) {
        if let Some(user) = state.store.get_user(&s.user_id).await? {
            sessions.push(session(state, s, &user, origin, now).await?);
        }
    }
    let sign_in = match state.store.latest_flow(&c.id, "sign_in").await? {
        Some(f) => serde_json::from_value::<SignInAttempt>(f.data)
            .ok()
            .filter(|a| a.status != SignInStatus::Complete && a.abandon_at > now)
            .map(|a| sign_in(&a, &state.settings().settings.sign_in)),
        None => None,
    };
    let sign_up = match state.store.latest_flow(&c.id, "sign_up").await? {
        Some(f) => serde_json::from_value::<SignUpAttempt>(f.data)
            .ok()
            .filter(|a| a.status != SignUpStatus::Complete && a.abandon_at > now)
            .map(|a| sign_up(&a, &state.settings().settings.sign_up)),
        None => None,
    };
    let last_active = c
        .last_active_session_id
        .as_ref()
        .filter(|id| sessions.iter().any(|s| s.id == id.as_str()))
        .map(|id| id.to_string());
    Ok(fe::Client {
        object: "client".to_owned(),
        id: c.id.to_string(),
        sessions,
        sign_in,
        sign_up,
        last_active_session_id: last_active,
        last_authentication_strategy: None,
        // Far in the future: clerk-js detours sign-out through /v1/client/touch
        // when the cookie is about to expire.
        cookie_expires_at: Some(now.plus_secs(365 * 86_400).0),
        captcha_bypass: false,
        created_at: c.created_at.0,
        updated_at: c.updated_at.0,
    })
}
