//! A sign-up: email address and password, proven by an emailed code.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CodeChallenge, CodeOutcome, CodeStatus, CodeStrategy, UnknownStrategy};
use crate::UnixMillis;
use crate::settings::SignUpSettings;

/// Where a sign-up stands (Clerk's `SignUp.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignUpStatus {
    MissingRequirements,
    Complete,
    Abandoned,
}

impl SignUpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingRequirements => "missing_requirements",
            Self::Complete => "complete",
            Self::Abandoned => "abandoned",
        }
    }
}

/// How a sign-up's email address is verified (`prepare_verification`'s
/// `strategy`). Email links or phone codes would be variants here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpVerification {
    EmailCode,
}

impl SignUpVerification {
    pub const ALL: [SignUpVerification; 1] = [Self::EmailCode];

    pub fn as_str(self) -> &'static str {
        self.code().as_str()
    }

    pub fn code(self) -> CodeStrategy {
        match self {
            Self::EmailCode => CodeStrategy::EmailCode,
        }
    }
}

impl FromStr for SignUpVerification {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownStrategy(s.to_owned()))
    }
}

/// An invitation's ticket (the link mailed to an address) proved the
/// address: which invitation the account joins once made, and the address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketProof {
    pub invitation_id: String,
    pub email_address: String,
}

/// A sign-up in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignUpAttempt {
    pub id: String,
    pub status: SignUpStatus,
    pub email_address: Option<String>,
    pub password_digest: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    #[serde(default)]
    pub unsafe_metadata: Map<String, Value>,
    pub email_verification: Option<CodeChallenge>,
    pub created_user_id: Option<String>,
    pub created_session_id: Option<String>,
    pub abandon_at: UnixMillis,
    /// A trip to another identity provider: with it verified, the account
    /// needs no password, and the address the provider vouched for needs
    /// no code.
    #[serde(default)]
    pub oauth: Option<super::oauth::OAuthVerification>,
    /// Started from an invitation's ticket (`strategy=ticket`).
    #[serde(default)]
    pub ticket: Option<TicketProof>,
}

impl SignUpAttempt {
    pub fn new(id: String, abandon_at: UnixMillis) -> Self {
        Self {
            id,
            status: SignUpStatus::MissingRequirements,
            email_address: None,
            password_digest: None,
            first_name: None,
            last_name: None,
            username: None,
            unsafe_metadata: Map::new(),
            email_verification: None,
            created_user_id: None,
            created_session_id: None,
            abandon_at,
            oauth: None,
            ticket: None,
        }
    }

    /// A new address voids a code sent to the old one.
    pub fn set_email(&mut self, email: String) {
        if self.email_address.as_ref() != Some(&email) {
            self.email_verification = None;
        }
        self.email_address = Some(email);
    }

    pub fn email_verified(&self) -> bool {
        self.email_verification
            .as_ref()
            .is_some_and(|v| v.status == CodeStatus::Verified)
            || self.email_from_provider()
            || self.email_from_ticket()
    }

    /// The address is the one an invitation's ticket was mailed to (another
    /// address typed later is not proven by it).
    pub fn email_from_ticket(&self) -> bool {
        match (&self.ticket, &self.email_address) {
            (Some(t), Some(email)) => t.email_address.eq_ignore_ascii_case(email),
            _ => false,
        }
    }

    /// The identity a verified trip to a provider named.
    pub fn external_identity(&self) -> Option<&super::oauth::ExternalIdentity> {
        self.oauth
            .as_ref()
            .filter(|o| o.status == super::oauth::OAuthStatus::Verified)
            .and_then(|o| o.identity.as_ref())
    }

    /// The address is the one a provider vouched for.
    pub fn email_from_provider(&self) -> bool {
        match (self.external_identity(), &self.email_address) {
            (Some(identity), Some(email)) => identity.vouches_for(email),
            _ => false,
        }
    }

    /// Required fields not given yet (Clerk's `missing_fields`): the
    /// address and the password always, the others as the instance says.
    pub fn missing_fields(&self, rules: &SignUpSettings) -> Vec<&'static str> {
        let absent = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        [
            ("email_address", true, absent(&self.email_address)),
            (
                "password",
                self.external_identity().is_none(),
                self.password_digest.is_none(),
            ),
            (
                "first_name",
                rules.first_name.required,
                absent(&self.first_name),
            ),
            (
                "last_name",
                rules.last_name.required,
                absent(&self.last_name),
            ),
            ("username", rules.username.required, absent(&self.username)),
        ]
        .into_iter()
        .filter(|(_, required, absent)| *required && *absent)
        .map(|(name, _, _)| name)
        .collect()
    }

    /// Given fields still to prove (Clerk's `unverified_fields`).
    pub fn unverified_fields(&self) -> Vec<&'static str> {
        if self.email_address.is_some() && !self.email_verified() {
            vec!["email_address"]
        } else {
            Vec::new()
        }
    }

    pub fn code_sent(&mut self, challenge: CodeChallenge) {
        self.email_verification = Some(challenge);
    }

    /// Count a try of the emailed code; `matches` compares it with the hash.
    pub fn try_code(
        &mut self,
        matches: impl FnOnce(&CodeChallenge) -> bool,
        now: UnixMillis,
    ) -> CodeOutcome {
        match self.email_verification.as_mut() {
            Some(v) => {
                let right = matches(v);
                v.attempt(right, now)
            }
            None => CodeOutcome::NotPending,
        }
    }

    /// With the address verified and nothing required missing, the user
    /// can be created: the address and the password's digest (none for an
    /// account made through a provider).
    pub fn ready_to_create(&self, rules: &SignUpSettings) -> Option<(&str, Option<&str>)> {
        match &self.email_address {
            Some(email) if self.email_verified() && self.missing_fields(rules).is_empty() => {
                Some((email, self.password_digest.as_deref()))
            }
            _ => None,
        }
    }

    pub fn complete(&mut self, user_id: String, session_id: String) {
        self.status = SignUpStatus::Complete;
        self.created_user_id = Some(user_id);
        self.created_session_id = Some(session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_created_only_with_a_verified_address_and_a_password() {
        let mut a = SignUpAttempt::new("sua_1".into(), UnixMillis(1_000_000));
        a.set_email("a@example.com".into());
        a.password_digest = Some("$argon2id$…".into());
        let rules = SignUpSettings::default();
        assert_eq!(a.missing_fields(&rules), Vec::<&str>::new());
        assert_eq!(a.unverified_fields(), vec!["email_address"]);
        assert!(a.ready_to_create(&rules).is_none());
        a.code_sent(CodeChallenge::new(
            CodeStrategy::EmailCode,
            "h".into(),
            UnixMillis(0),
        ));
        assert_eq!(a.try_code(|_| true, UnixMillis(1)), CodeOutcome::Verified);
        assert!(a.ready_to_create(&rules).is_some());
        let mut strict = rules.clone();
        strict.first_name.required = true;
        assert_eq!(a.missing_fields(&strict), vec!["first_name"]);
        assert!(
            a.ready_to_create(&strict).is_none(),
            "a required name is missing"
        );
        a.set_email("b@example.com".into());
        assert!(
            a.ready_to_create(&rules).is_none(),
            "a new address is unproven"
        );
    }
}
