//! A sign-in: identifier, then a first factor (password or emailed code), or
//! a password reset (reset code, then a new password).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{CodeChallenge, CodeOutcome, CodeStrategy, UnknownStrategy};
use crate::UnixMillis;
use crate::settings::SignInSettings;

/// Where a sign-in stands (Clerk's `SignIn.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStatus {
    NeedsIdentifier,
    NeedsFirstFactor,
    /// A reset code was verified; the next step sets the password.
    NeedsNewPassword,
    Complete,
}

impl SignInStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsIdentifier => "needs_identifier",
            Self::NeedsFirstFactor => "needs_first_factor",
            Self::NeedsNewPassword => "needs_new_password",
            Self::Complete => "complete",
        }
    }
}

/// The first factors a sign-in offers. A new one (TOTP, passkey, OAuth) is a
/// variant here; the compiler then lists every `match` that must handle it:
/// the engine's prepare and attempt, and the wire mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FirstFactor {
    Password,
    EmailCode,
    ResetPasswordEmailCode,
}

impl FirstFactor {
    /// Every factor, in the order Clerk lists `supported_first_factors`.
    pub const ALL: [FirstFactor; 3] = [
        Self::Password,
        Self::EmailCode,
        Self::ResetPasswordEmailCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::EmailCode => CodeStrategy::EmailCode.as_str(),
            Self::ResetPasswordEmailCode => CodeStrategy::ResetPasswordEmailCode.as_str(),
        }
    }

    /// Whether the instance offers this factor.
    pub fn enabled(self, rules: &SignInSettings) -> bool {
        match self {
            Self::Password | Self::ResetPasswordEmailCode => true,
            Self::EmailCode => rules.email_code,
        }
    }
}

impl FromStr for FirstFactor {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownStrategy(s.to_owned()))
    }
}

/// A sign-in in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInAttempt {
    pub id: String,
    pub status: SignInStatus,
    pub identifier: Option<String>,
    /// The account, when the identifier matched one. Absent for unknown
    /// identifiers, which still get a convincing attempt (no enumeration).
    pub user_id: Option<String>,
    /// The email address the factors point at (real or decoy id).
    pub email_address_id: Option<String>,
    pub first_factor: Option<CodeChallenge>,
    /// Set when a password factor failed last, for the response.
    #[serde(default)]
    pub password_attempted: bool,
    pub created_session_id: Option<String>,
    pub abandon_at: UnixMillis,
}

/// What the engine must do after a code was tried, decided on the attempt as
/// the try left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCode {
    /// Refuse with this outcome.
    Refuse(CodeOutcome),
    /// A wrong code for a real account: count it against the account (which
    /// may lock it), then refuse with this outcome.
    CountFailure(CodeOutcome),
    /// Right code: sign the account in.
    SignIn,
    /// Right reset code: ask for the new password.
    AskNewPassword,
}

impl SignInAttempt {
    /// A new attempt for `identifier` (none yet: `needs_identifier`).
    pub fn new(
        id: String,
        identifier: Option<String>,
        user_id: Option<String>,
        email_address_id: Option<String>,
        abandon_at: UnixMillis,
    ) -> Self {
        Self {
            id,
            status: if identifier.is_some() {
                SignInStatus::NeedsFirstFactor
            } else {
                SignInStatus::NeedsIdentifier
            },
            identifier,
            user_id,
            email_address_id,
            first_factor: None,
            password_attempted: false,
            created_session_id: None,
            abandon_at,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.status == SignInStatus::Complete
    }

    /// The code of this strategy sent last, if it was the last one sent.
    pub fn previous_code(&self, strategy: CodeStrategy) -> Option<&CodeChallenge> {
        self.first_factor
            .as_ref()
            .filter(|c| c.strategy == strategy)
    }

    pub fn code_sent(&mut self, challenge: CodeChallenge) {
        self.first_factor = Some(challenge);
    }

    /// Count a try of a `strategy` code; `matches` compares the candidate
    /// with the stored hash, and is asked only when there is an account (an
    /// unknown identifier's code matches nothing).
    pub fn try_code(
        &mut self,
        strategy: CodeStrategy,
        matches: impl FnOnce(&CodeChallenge) -> bool,
        now: UnixMillis,
    ) -> CodeOutcome {
        let known = self.user_id.is_some();
        match self
            .first_factor
            .as_mut()
            .filter(|c| c.strategy == strategy)
        {
            Some(challenge) => {
                let right = known && matches(challenge);
                challenge.attempt(right, now)
            }
            None => CodeOutcome::NotPending,
        }
    }

    /// What a try that ended in `outcome` leads to.
    pub fn after_code(&self, strategy: CodeStrategy, outcome: CodeOutcome) -> AfterCode {
        let known = self.user_id.is_some();
        match outcome {
            CodeOutcome::Verified if !known => AfterCode::Refuse(CodeOutcome::Incorrect),
            CodeOutcome::Verified => match strategy {
                CodeStrategy::EmailCode => AfterCode::SignIn,
                CodeStrategy::ResetPasswordEmailCode => AfterCode::AskNewPassword,
            },
            CodeOutcome::Incorrect | CodeOutcome::Failed if known => {
                AfterCode::CountFailure(outcome)
            }
            other => AfterCode::Refuse(other),
        }
    }

    pub fn password_failed(&mut self) {
        self.password_attempted = true;
    }

    /// A reset code was verified: the password may be set, once.
    pub fn await_new_password(&mut self) {
        self.status = SignInStatus::NeedsNewPassword;
    }

    /// Use up the right to set a new password; false when it is not (or no
    /// longer) there, so that one verified code sets one password.
    pub fn take_new_password_turn(&mut self) -> bool {
        let mine = self.status == SignInStatus::NeedsNewPassword;
        if mine {
            self.status = SignInStatus::NeedsFirstFactor;
        }
        mine
    }

    pub fn complete(&mut self, session_id: String) {
        self.status = SignInStatus::Complete;
        self.created_session_id = Some(session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(known: bool) -> SignInAttempt {
        let mut a = SignInAttempt::new(
            "sia_1".into(),
            Some("a@example.com".into()),
            known.then(|| "user_1".to_owned()),
            Some("idn_1".into()),
            UnixMillis(10_000_000),
        );
        a.code_sent(CodeChallenge::new(
            CodeStrategy::ResetPasswordEmailCode,
            "h".into(),
            UnixMillis(0),
        ));
        a
    }

    #[test]
    fn strategies_round_trip_through_their_wire_names() {
        for f in FirstFactor::ALL {
            assert_eq!(f.as_str().parse::<FirstFactor>(), Ok(f));
        }
        assert!("totp".parse::<FirstFactor>().is_err());
    }

    #[test]
    fn a_right_code_for_nobody_is_incorrect() {
        let mut a = attempt(false);
        let s = CodeStrategy::ResetPasswordEmailCode;
        let outcome = a.try_code(s, |_| true, UnixMillis(1));
        assert_eq!(
            a.after_code(s, outcome),
            AfterCode::Refuse(CodeOutcome::Incorrect)
        );
    }

    #[test]
    fn a_reset_code_allows_one_new_password() {
        let mut a = attempt(true);
        let s = CodeStrategy::ResetPasswordEmailCode;
        let outcome = a.try_code(s, |_| true, UnixMillis(1));
        assert_eq!(a.after_code(s, outcome), AfterCode::AskNewPassword);
        a.await_new_password();
        assert!(a.take_new_password_turn());
        assert!(!a.take_new_password_turn());
    }

    #[test]
    fn wrong_codes_for_an_account_count_against_it() {
        let mut a = attempt(true);
        let s = CodeStrategy::ResetPasswordEmailCode;
        let outcome = a.try_code(s, |_| false, UnixMillis(1));
        assert_eq!(
            a.after_code(s, outcome),
            AfterCode::CountFailure(CodeOutcome::Incorrect)
        );
        assert_eq!(
            a.try_code(CodeStrategy::EmailCode, |_| true, UnixMillis(1)),
            CodeOutcome::NotPending,
            "a code is tried only for the strategy it was sent for"
        );
    }

    #[test]
    fn stored_attempts_keep_clerks_names() {
        let a = attempt(true);
        let json = serde_json::to_value(&a).expect("an attempt serialises");
        assert_eq!(json["status"], "needs_first_factor");
        assert_eq!(
            json["first_factor"]["strategy"],
            "reset_password_email_code"
        );
    }
}
