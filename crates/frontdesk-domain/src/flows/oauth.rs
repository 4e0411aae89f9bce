//! A sign-in or sign-up through another identity provider, between the
//! redirect to the provider and its callback (clerk-protocol-wave2.md §3).
//!
//! [`OAuthFlow`] is what Frontdesk keeps while the browser is away: the
//! `state` it is found by, the nonce and PKCE verifier, what started it and
//! where to send the browser back. It is taken once ([`OAuthFlow::take`]),
//! so a replayed callback finds nothing.
//!
//! [`decide`] is the callback's decision, from facts the engine read (who
//! owns the provider identity, who owns the address, whether the provider
//! vouches for it): Clerk's outcome matrix (§3.4) as one `match` that
//! awaits nothing.

use serde::{Deserialize, Serialize};

use crate::UnixMillis;
use crate::oauth::OAuthStrategy;

/// How long the browser has at the provider.
pub const OAUTH_FLOW_TTL_SECS: i64 = 600;

/// What the trip to the provider is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OAuthPurpose {
    /// `<SignIn/>`'s button: the sign-in attempt it belongs to.
    SignIn { attempt_id: String },
    /// `<SignUp/>`'s button: the sign-up attempt it belongs to.
    SignUp { attempt_id: String },
    /// `<UserProfile/>`'s "Connect account": the signed-in user.
    Connect { user_id: String },
}

/// A trip to a provider in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthFlow {
    /// The `state` sent to the provider: the callback's key.
    pub state: String,
    pub strategy: OAuthStrategy,
    /// The client (browser) that started it; the callback checks it when
    /// the browser sends its cookie (login CSRF).
    pub client_id: String,
    pub purpose: OAuthPurpose,
    pub nonce: Option<String>,
    pub pkce_verifier: String,
    /// Where the browser goes when no session was made (the app's
    /// sso-callback page).
    pub redirect_url: String,
    /// Where it goes when one was (`action_complete_redirect_url`).
    pub action_complete_redirect_url: Option<String>,
    pub expire_at: UnixMillis,
    /// Set once the callback took it.
    pub taken: bool,
    /// Started by a dev browser (no cookie reaches the callback: the state
    /// alone names the client); otherwise the callback's `__client` cookie
    /// must name the same client.
    #[serde(default)]
    pub dev_browser: bool,
}

/// Why a callback's flow cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FlowRefused {
    #[error("this sign-in link was used already")]
    Taken,
    #[error("this sign-in took too long; start again")]
    Expired,
}

impl OAuthFlow {
    /// Take the flow for its one callback.
    pub fn take(&mut self, now: UnixMillis) -> Result<(), FlowRefused> {
        if self.taken {
            return Err(FlowRefused::Taken);
        }
        if now >= self.expire_at {
            return Err(FlowRefused::Expired);
        }
        self.taken = true;
        Ok(())
    }
}

/// Where a trip to a provider stands (Clerk's `verification_oauth`
/// statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthStatus {
    /// The browser is (or is about to be) at the provider.
    Unverified,
    /// The provider named the person and it was accepted.
    Verified,
    /// Accepted, but for the other flow: clerk-js carries it over with
    /// `transfer=true` (a sign-in for nobody, a sign-up for somebody).
    Transferable,
    /// Refused (cancelled at the provider, banned, not allowed to sign up).
    Failed,
}

impl OAuthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified => "verified",
            Self::Transferable => "transferable",
            Self::Failed => "failed",
        }
    }
}

/// The person a provider named, held by a sign-in or sign-up between the
/// callback and the account it joins (a transfer, or an address proven
/// first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalIdentity {
    pub strategy: OAuthStrategy,
    pub provider_user_id: String,
    pub email: Option<String>,
    /// The provider vouches for `email` (its rule,
    /// [`crate::oauth::Provider::vouches_for`]).
    pub email_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image_url: Option<String>,
    pub username: Option<String>,
    /// Space-separated.
    pub approved_scopes: String,
    /// The provider's tokens as the server sealed them for this attempt
    /// (never plain in a stored attempt when secrets at rest are on).
    pub sealed_tokens: Option<String>,
}

impl ExternalIdentity {
    /// The external account this identity becomes, joined to a user.
    pub fn account(&self, id: String, now: UnixMillis) -> crate::entities::ExternalAccount {
        crate::entities::ExternalAccount {
            identification_id: format!("idn_{}", id.trim_start_matches("eac_")),
            id,
            provider: self.strategy.as_str().to_owned(),
            provider_user_id: self.provider_user_id.clone(),
            email_address: self.email.clone(),
            email_address_verified: self.email_verified,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            image_url: self.image_url.clone(),
            username: self.username.clone(),
            approved_scopes: self.approved_scopes.clone(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether the provider vouched for `email`.
    pub fn vouches_for(&self, email: &str) -> bool {
        self.email_verified
            && self
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }
}

/// The enterprise connection a sign-in's address belongs to: its only
/// first factor (`enterprise_sso`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseFactor {
    pub strategy: OAuthStrategy,
    pub name: String,
}

impl EnterpriseFactor {
    /// Clerk's `enterprise_connection_id`.
    pub fn connection_id(&self) -> String {
        format!(
            "ec_{}",
            self.strategy.as_str().trim_start_matches("oauth_custom_")
        )
    }
}

/// A sign-in's or sign-up's trip to a provider, as clerk-js reads it
/// (`first_factor_verification` / `verifications.external_account`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthVerification {
    pub strategy: OAuthStrategy,
    pub status: OAuthStatus,
    /// The provider's authorization URL, while `unverified`.
    pub redirect_url: Option<String>,
    /// Clerk's code for why it failed or is transferable.
    pub error: Option<String>,
    pub expire_at: UnixMillis,
    /// Who the provider named, once it did.
    pub identity: Option<ExternalIdentity>,
    /// Through an enterprise connection (the wire says `enterprise_sso`).
    #[serde(default)]
    pub enterprise: bool,
}

impl OAuthVerification {
    /// A trip starting now towards `redirect_url`.
    pub fn started(strategy: OAuthStrategy, redirect_url: String, expire_at: UnixMillis) -> Self {
        Self {
            strategy,
            status: OAuthStatus::Unverified,
            redirect_url: Some(redirect_url),
            error: None,
            expire_at,
            identity: None,
            enterprise: false,
        }
    }

    /// The provider answered: `status` with `identity` and the reason.
    pub fn returned(
        &mut self,
        status: OAuthStatus,
        identity: Option<ExternalIdentity>,
        error: Option<&str>,
    ) {
        self.status = status;
        self.redirect_url = None;
        self.identity = identity;
        self.error = error.map(str::to_owned);
    }

    /// The identity held for a transfer, if this one is transferable.
    pub fn transferable(&self) -> Option<&ExternalIdentity> {
        (self.status == OAuthStatus::Transferable)
            .then_some(self.identity.as_ref())
            .flatten()
    }
}

/// What the engine read before deciding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackFacts {
    /// The user the provider identity is joined to already.
    pub identity_owner: Option<String>,
    /// The user whose address the provider named, and whether that
    /// user's address is verified.
    pub email_owner: Option<(String, bool)>,
    /// The provider vouches for the address (its rule,
    /// [`crate::oauth::Provider::vouches_for`]).
    pub vouched: bool,
    /// New accounts may be made (`sign_up.mode`).
    pub sign_up_allowed: bool,
    /// For `Connect`: the identity is joined to someone else already.
    pub provider_error: Option<String>,
}

/// The callback's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The identity is this user's: sign them in (their second factor,
    /// if any, is still asked).
    SignIn { user_id: String },
    /// Join the identity to this user (the provider vouched for an address
    /// the user had verified), then sign them in.
    LinkAndSignIn { user_id: String },
    /// An account holds the address but the provider does not vouch for
    /// it: the person proves the address with a code first
    /// (`needs_first_factor` with `email_code`).
    ProveEmail { user_id: String },
    /// Nobody has the identity or the address: make the account (a
    /// sign-up; from `<SignIn/>` through clerk-js's transfer).
    SignUp,
    /// From `<SignIn/>`, nobody has it: the sign-in becomes transferable
    /// (`external_account_not_found`) and clerk-js asks for a sign-up.
    TransferToSignUp,
    /// From `<SignUp/>`, the identity or address is someone's: the sign-up
    /// becomes transferable (`external_account_exists`) and clerk-js asks
    /// for a sign-in.
    TransferToSignIn,
    /// Join the identity to the signed-in user (`Connect`).
    Connect { user_id: String },
    /// Refused with Clerk's error code (`not_allowed_to_sign_up`,
    /// `external_account_exists`, `oauth_access_denied`…).
    Refuse { code: &'static str },
}

/// The callback's decision for `purpose` given `facts` (Clerk's outcome
/// matrix, clerk-protocol-wave2.md §3.4).
pub fn decide(purpose: &OAuthPurpose, facts: &CallbackFacts) -> CallbackOutcome {
    if facts.provider_error.is_some() {
        return CallbackOutcome::Refuse {
            code: "oauth_access_denied",
        };
    }
    match purpose {
        OAuthPurpose::Connect { user_id } => match &facts.identity_owner {
            Some(owner) if owner != user_id => CallbackOutcome::Refuse {
                code: "external_account_exists",
            },
            _ => CallbackOutcome::Connect {
                user_id: user_id.clone(),
            },
        },
        OAuthPurpose::SignIn { .. } | OAuthPurpose::SignUp { .. } => {
            let from_sign_up = matches!(purpose, OAuthPurpose::SignUp { .. });
            if let Some(owner) = &facts.identity_owner {
                return if from_sign_up {
                    CallbackOutcome::TransferToSignIn
                } else {
                    CallbackOutcome::SignIn {
                        user_id: owner.clone(),
                    }
                };
            }
            match &facts.email_owner {
                // Clerk's account linking: both sides vouch for the address.
                Some((user, true)) if facts.vouched => {
                    if from_sign_up {
                        CallbackOutcome::TransferToSignIn
                    } else {
                        CallbackOutcome::LinkAndSignIn {
                            user_id: user.clone(),
                        }
                    }
                }
                Some((user, _)) => {
                    if from_sign_up {
                        CallbackOutcome::TransferToSignIn
                    } else {
                        CallbackOutcome::ProveEmail {
                            user_id: user.clone(),
                        }
                    }
                }
                None if !facts.sign_up_allowed => CallbackOutcome::Refuse {
                    code: "not_allowed_to_sign_up",
                },
                None if from_sign_up => CallbackOutcome::SignUp,
                None => CallbackOutcome::TransferToSignUp,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sign_in() -> OAuthPurpose {
        OAuthPurpose::SignIn {
            attempt_id: "sia_1".into(),
        }
    }

    fn sign_up() -> OAuthPurpose {
        OAuthPurpose::SignUp {
            attempt_id: "sua_1".into(),
        }
    }

    fn facts(identity: Option<&str>, email: Option<(&str, bool)>, vouched: bool) -> CallbackFacts {
        CallbackFacts {
            identity_owner: identity.map(str::to_owned),
            email_owner: email.map(|(u, v)| (u.to_owned(), v)),
            vouched,
            sign_up_allowed: true,
            provider_error: None,
        }
    }

    #[test]
    fn the_outcome_matrix() {
        use CallbackOutcome as O;
        let user = || "user_1".to_owned();
        for (purpose, f, want) in [
            // A known identity signs its owner in; from <SignUp/> it transfers.
            (
                sign_in(),
                facts(Some("user_1"), None, false),
                O::SignIn { user_id: user() },
            ),
            (
                sign_up(),
                facts(Some("user_1"), None, false),
                O::TransferToSignIn,
            ),
            // Both vouch for the address: linked.
            (
                sign_in(),
                facts(None, Some(("user_1", true)), true),
                O::LinkAndSignIn { user_id: user() },
            ),
            // Either does not: the address is proven first.
            (
                sign_in(),
                facts(None, Some(("user_1", true)), false),
                O::ProveEmail { user_id: user() },
            ),
            (
                sign_in(),
                facts(None, Some(("user_1", false)), true),
                O::ProveEmail { user_id: user() },
            ),
            (
                sign_up(),
                facts(None, Some(("user_1", true)), true),
                O::TransferToSignIn,
            ),
            // Nobody: a new account (through the transfer from <SignIn/>).
            (sign_in(), facts(None, None, true), O::TransferToSignUp),
            (sign_up(), facts(None, None, true), O::SignUp),
        ] {
            assert_eq!(decide(&purpose, &f), want, "{purpose:?} {f:?}");
        }
        let closed = CallbackFacts {
            sign_up_allowed: false,
            ..facts(None, None, true)
        };
        assert_eq!(
            decide(&sign_up(), &closed),
            O::Refuse {
                code: "not_allowed_to_sign_up"
            }
        );
        let cancelled = CallbackFacts {
            provider_error: Some("access_denied".into()),
            ..facts(Some("user_1"), None, true)
        };
        assert_eq!(
            decide(&sign_in(), &cancelled),
            O::Refuse {
                code: "oauth_access_denied"
            }
        );
    }

    #[test]
    fn connecting_an_identity_someone_else_has_is_refused() {
        let me = OAuthPurpose::Connect {
            user_id: "user_me".into(),
        };
        assert_eq!(
            decide(&me, &facts(Some("user_other"), None, true)),
            CallbackOutcome::Refuse {
                code: "external_account_exists"
            }
        );
        assert_eq!(
            decide(&me, &facts(Some("user_me"), None, true)),
            CallbackOutcome::Connect {
                user_id: "user_me".into()
            }
        );
        assert_eq!(
            decide(&me, &facts(None, Some(("user_other", true)), true)),
            CallbackOutcome::Connect {
                user_id: "user_me".into()
            },
            "an address is not an identity: connecting is the signed-in user's choice"
        );
    }

    #[test]
    fn a_flow_is_taken_once_and_not_after_it_expired() {
        let mut flow = OAuthFlow {
            state: "s".into(),
            strategy: OAuthStrategy::parse("oauth_google").unwrap(),
            client_id: "client_1".into(),
            purpose: sign_in(),
            nonce: Some("n".into()),
            pkce_verifier: "v".into(),
            redirect_url: "http://localhost:3000/sign-in/sso-callback".into(),
            dev_browser: false,
            action_complete_redirect_url: None,
            expire_at: UnixMillis(1_000),
            taken: false,
        };
        let mut late = flow.clone();
        assert_eq!(flow.take(UnixMillis(999)), Ok(()));
        assert_eq!(flow.take(UnixMillis(999)), Err(FlowRefused::Taken));
        assert_eq!(late.take(UnixMillis(1_000)), Err(FlowRefused::Expired));
        let stored = serde_json::to_value(&flow).unwrap();
        assert_eq!(stored["purpose"]["kind"], "sign_in");
        assert_eq!(serde_json::from_value::<OAuthFlow>(stored).unwrap(), flow);
    }
}
