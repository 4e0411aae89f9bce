//! A sign-in: identifier, then a first factor (password or emailed code), or
//! a password reset (reset code, then a new password).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{CodeChallenge, CodeOutcome, CodeStatus, CodeStrategy, UnknownStrategy};
use crate::UnixMillis;
use crate::settings::SignInSettings;

/// Where a sign-in stands (Clerk's `SignIn.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStatus {
    NeedsIdentifier,
    NeedsFirstFactor,
    /// The first factor was right; the account has a second factor to check.
    NeedsSecondFactor,
    /// A reset code was verified; the next step sets the password.
    NeedsNewPassword,
    Complete,
}

impl SignInStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsIdentifier => "needs_identifier",
            Self::NeedsFirstFactor => "needs_first_factor",
            Self::NeedsSecondFactor => "needs_second_factor",
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
    /// A WebAuthn assertion from one of the account's passkeys.
    Passkey,
    /// The company's identity provider, for an address in a domain bound
    /// to an enterprise connection (offered only then, and only it).
    EnterpriseSso,
}

impl FirstFactor {
    /// Every factor, in the order Clerk lists `supported_first_factors`.
    pub const ALL: [FirstFactor; 5] = [
        Self::Password,
        Self::EmailCode,
        Self::Passkey,
        Self::ResetPasswordEmailCode,
        Self::EnterpriseSso,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::EmailCode => CodeStrategy::EmailCode.as_str(),
            Self::ResetPasswordEmailCode => CodeStrategy::ResetPasswordEmailCode.as_str(),
            Self::Passkey => "passkey",
            Self::EnterpriseSso => "enterprise_sso",
        }
    }

    /// Whether the instance offers this factor.
    pub fn enabled(self, rules: &SignInSettings) -> bool {
        match self {
            Self::Password | Self::ResetPasswordEmailCode => true,
            Self::EmailCode => rules.email_code,
            Self::Passkey => rules.passkey,
            // Offered by the address, not the instance's list.
            Self::EnterpriseSso => true,
        }
    }
}

/// How many wrong assertions one passkey challenge takes.
pub const PASSKEY_MAX_ATTEMPTS: i32 = 3;

/// A passkey challenge sent to the browser: the request options it was sent
/// as (`first_factor_verification.nonce`) and the server's half of the
/// ceremony, which the server crate writes and reads (webauthn-rs state).
/// One challenge takes one right assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    pub options: String,
    pub state: String,
    pub status: CodeStatus,
    pub attempts: i32,
    pub expire_at: UnixMillis,
}

impl PasskeyChallenge {
    /// Whether an assertion may still be tried against it at `now`.
    pub fn open(&self, now: UnixMillis) -> bool {
        self.status == CodeStatus::Unverified && now < self.expire_at
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

/// The second factors a sign-in may ask for. `prepare_second_factor` is
/// never needed for these: the user's app or their saved list holds the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    Totp,
    BackupCode,
}

impl SecondFactor {
    /// In the order clerk-js prefers them (it starts with the first).
    pub const ALL: [SecondFactor; 2] = [Self::Totp, Self::BackupCode];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::BackupCode => "backup_code",
        }
    }
}

impl FromStr for SecondFactor {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownStrategy(s.to_owned()))
    }
}

/// The last try of a second factor, for `second_factor_verification`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorTry {
    pub strategy: SecondFactor,
    pub attempts: i32,
    pub verified: bool,
}

/// What follows a right first factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFirstFactor {
    /// No second factor: sign the account in.
    SignIn,
    /// Ask for one of the account's second factors.
    AskSecondFactor,
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
    /// When the first factor was found right (the session's first `fva` age).
    #[serde(default)]
    pub first_factor_verified_at: Option<UnixMillis>,
    /// What the account offers as a second factor, once one is needed.
    #[serde(default)]
    pub second_factors: Vec<SecondFactor>,
    #[serde(default)]
    pub second_factor: Option<SecondFactorTry>,
    /// The account has a passkey (so `passkey` is offered for it).
    #[serde(default)]
    pub passkey_available: bool,
    /// The passkey challenge sent last.
    #[serde(default)]
    pub passkey: Option<PasskeyChallenge>,
    /// A trip to another identity provider ("Continue with …").
    #[serde(default)]
    pub oauth: Option<super::oauth::OAuthVerification>,
    /// The address belongs to an enterprise connection: the only way in.
    #[serde(default)]
    pub enterprise: Option<super::oauth::EnterpriseFactor>,
    /// The first factor was an invitation's ticket (the link mailed to the
    /// address): the invitation to accept once the sign-in completes.
    #[serde(default)]
    pub ticket: Option<String>,
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
            first_factor_verified_at: None,
            second_factors: Vec::new(),
            second_factor: None,
            passkey_available: false,
            passkey: None,
            oauth: None,
            enterprise: None,
            ticket: None,
        }
    }

    /// A passkey challenge was sent: it replaces any earlier one.
    pub fn passkey_sent(&mut self, challenge: PasskeyChallenge) {
        self.passkey = Some(challenge);
    }

    /// Count an assertion tried against the challenge sent as `options`
    /// (the one the engine checked it with). `true` when it was right and
    /// this try takes the challenge; `false` when it was wrong, or the
    /// challenge was already taken, replaced or closed (a replayed or
    /// parallel assertion), so one challenge signs in once.
    pub fn passkey_tried(&mut self, options: &str, right: bool, now: UnixMillis) -> bool {
        let Some(c) = self
            .passkey
            .as_mut()
            .filter(|c| c.options == options && c.open(now))
        else {
            return false;
        };
        c.attempts += 1;
        if right {
            c.status = CodeStatus::Verified;
        } else if c.attempts >= PASSKEY_MAX_ATTEMPTS {
            c.status = CodeStatus::Failed;
        }
        right
    }

    /// Whether a first factor may still be tried (not once it was right).
    pub fn awaits_first_factor(&self) -> bool {
        matches!(
            self.status,
            SignInStatus::NeedsIdentifier | SignInStatus::NeedsFirstFactor
        )
    }

    /// The first factor was right at `now`; `factors` are the account's
    /// second factors (empty: none).
    pub fn first_factor_passed(
        &mut self,
        factors: Vec<SecondFactor>,
        now: UnixMillis,
    ) -> AfterFirstFactor {
        self.first_factor_verified_at = Some(now);
        if factors.is_empty() {
            return AfterFirstFactor::SignIn;
        }
        self.status = SignInStatus::NeedsSecondFactor;
        self.second_factors = factors;
        AfterFirstFactor::AskSecondFactor
    }

    /// Whether `factor` may be tried now.
    pub fn awaits_second_factor(&self, factor: SecondFactor) -> bool {
        self.status == SignInStatus::NeedsSecondFactor && self.second_factors.contains(&factor)
    }

    /// Count a try of a second factor (the check itself is the store's: a
    /// TOTP step or a backup code is spent by one atomic statement). A right
    /// one takes the attempt's turn to sign in: `false` when it was no
    /// longer waiting (another right code came first).
    pub fn second_factor_tried(&mut self, factor: SecondFactor, right: bool) -> bool {
        if !self.awaits_second_factor(factor) {
            return false;
        }
        let attempts = self
            .second_factor
            .filter(|t| t.strategy == factor)
            .map_or(0, |t| t.attempts);
        self.second_factor = Some(SecondFactorTry {
            strategy: factor,
            attempts: attempts + 1,
            verified: right,
        });
        if right {
            // The session is named by `complete` once it exists.
            self.status = SignInStatus::Complete;
        }
        true
    }

    /// A provider's identity held while the person proves the address it
    /// named (it joins the account once the first factor is right).
    pub fn pending_identity(&self) -> Option<&super::oauth::ExternalIdentity> {
        self.oauth
            .as_ref()
            .filter(|o| o.status == super::oauth::OAuthStatus::Verified)
            .and_then(|o| o.identity.as_ref())
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
        // The code is what the user is now asked for.
        self.passkey = None;
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
    fn a_second_factor_is_asked_only_when_the_account_has_one() {
        let mut a = attempt(true);
        assert_eq!(
            a.first_factor_passed(Vec::new(), UnixMillis(5)),
            AfterFirstFactor::SignIn
        );
        let mut a = attempt(true);
        let next = a.first_factor_passed(vec![SecondFactor::Totp], UnixMillis(5));
        assert_eq!(next, AfterFirstFactor::AskSecondFactor);
        assert_eq!(a.status, SignInStatus::NeedsSecondFactor);
        assert!(!a.awaits_first_factor(), "the first factor is done");
        assert!(a.awaits_second_factor(SecondFactor::Totp));
        assert!(
            !a.awaits_second_factor(SecondFactor::BackupCode),
            "only the account's own factors"
        );
        assert!(a.second_factor_tried(SecondFactor::Totp, false));
        assert!(a.second_factor_tried(SecondFactor::Totp, true));
        assert!(
            !a.second_factor_tried(SecondFactor::Totp, true),
            "one right code signs in once"
        );
        assert_eq!(
            a.second_factor,
            Some(SecondFactorTry {
                strategy: SecondFactor::Totp,
                attempts: 2,
                verified: true
            })
        );
        for f in SecondFactor::ALL {
            assert_eq!(f.as_str().parse::<SecondFactor>(), Ok(f));
        }
    }

    #[test]
    fn a_passkey_challenge_takes_one_right_assertion_and_three_wrong_ones() {
        let challenge = |options: &str| PasskeyChallenge {
            options: options.into(),
            state: "{}".into(),
            status: CodeStatus::Unverified,
            attempts: 0,
            expire_at: UnixMillis(1_000),
        };
        let mut a = SignInAttempt::new("sia_p".into(), None, None, None, UnixMillis(10_000));
        a.passkey_sent(challenge("one"));
        assert!(
            !a.passkey_tried("other", true, UnixMillis(1)),
            "only the challenge sent"
        );
        assert!(a.passkey_tried("one", true, UnixMillis(1)));
        assert!(!a.passkey_tried("one", true, UnixMillis(1)), "taken once");
        a.passkey_sent(challenge("two"));
        assert!(!a.passkey_tried("two", true, UnixMillis(1_000)), "expired");
        a.passkey_sent(challenge("three"));
        for _ in 0..PASSKEY_MAX_ATTEMPTS {
            assert!(!a.passkey_tried("three", false, UnixMillis(1)));
        }
        assert_eq!(
            a.passkey.as_ref().map(|c| c.status),
            Some(CodeStatus::Failed)
        );
        assert!(
            !a.passkey_tried("three", true, UnixMillis(1)),
            "closed after failures"
        );
        a.code_sent(CodeChallenge::new(
            CodeStrategy::EmailCode,
            "h".into(),
            UnixMillis(0),
        ));
        assert_eq!(a.passkey, None, "a code replaces the passkey challenge");
        assert_eq!("passkey".parse::<FirstFactor>(), Ok(FirstFactor::Passkey));
    }

    #[test]
    fn attempts_stored_before_second_factors_still_load() {
        let mut json = serde_json::to_value(attempt(true)).expect("serialises");
        for k in [
            "first_factor_verified_at",
            "second_factors",
            "second_factor",
        ] {
            json.as_object_mut().expect("object").remove(k);
        }
        let a: SignInAttempt = serde_json::from_value(json).expect("old attempts load");
        assert!(a.second_factors.is_empty());
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
