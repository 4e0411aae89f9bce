//! Re-verification ("step-up"): a signed-in user proves a factor again
//! before a sensitive change (security.md C8; Clerk's `session.verify`).
//!
//! A change is allowed when the session's factor ages (its `fva`) are within
//! [`STEP_UP_MINUTES`]: the second factor's for a user who has one, else
//! the first's — Clerk's `strict` preset. Otherwise the change is refused
//! with `session_reverification_required`, and the user proves a factor
//! again through a [`SessionVerification`].

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{CodeChallenge, CodeStrategy, SecondFactor, SecondFactorTry, UnknownStrategy};

/// How recent a factor check must be for a sensitive change.
pub const STEP_UP_MINUTES: i64 = 10;

/// Whether a session with factor ages `fva` may make a sensitive change now.
pub fn recent_enough(fva: [i64; 2], has_second_factor: bool) -> bool {
    let [first, second] = fva;
    if has_second_factor {
        (0..STEP_UP_MINUTES).contains(&second)
    } else {
        (0..STEP_UP_MINUTES).contains(&first)
    }
}

/// What a re-verification asks for (Clerk's `level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    FirstFactor,
    /// A second factor, or the first for a user without one.
    SecondFactor,
    /// Both, in turn.
    MultiFactor,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstFactor => "first_factor",
            Self::SecondFactor => "second_factor",
            Self::MultiFactor => "multi_factor",
        }
    }
}

impl FromStr for Level {
    type Err = UnknownStrategy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::FirstFactor, Self::SecondFactor, Self::MultiFactor]
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownStrategy(s.to_owned()))
    }
}

/// Where a re-verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    NeedsFirstFactor,
    NeedsSecondFactor,
    Complete,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsFirstFactor => "needs_first_factor",
            Self::NeedsSecondFactor => "needs_second_factor",
            Self::Complete => "complete",
        }
    }
}

/// What the engine does after a right factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proven {
    /// Record the first factor; the verification goes on to the second.
    FirstThenSecond,
    /// Record the first factor; done.
    First,
    /// Record the second factor; done.
    Second,
}

/// A re-verification of one session, stored as `sv_<session id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionVerification {
    pub id: String,
    pub session_id: String,
    pub level: Level,
    pub status: VerificationStatus,
    /// The user's second factors (empty: none).
    pub second_factors: Vec<SecondFactor>,
    /// An emailed code, when that first factor was prepared.
    pub first_factor: Option<CodeChallenge>,
    #[serde(default)]
    pub password_verified: bool,
    pub second_factor: Option<SecondFactorTry>,
}

impl SessionVerification {
    pub fn id_for(session_id: &str) -> String {
        format!("sv_{session_id}")
    }

    /// A new re-verification at `level` for a user with `second_factors`.
    pub fn new(session_id: &str, level: Level, second_factors: Vec<SecondFactor>) -> Self {
        let status = match level {
            Level::SecondFactor if !second_factors.is_empty() => {
                VerificationStatus::NeedsSecondFactor
            }
            _ => VerificationStatus::NeedsFirstFactor,
        };
        Self {
            id: Self::id_for(session_id),
            session_id: session_id.to_owned(),
            level,
            status,
            second_factors,
            first_factor: None,
            password_verified: false,
            second_factor: None,
        }
    }

    /// A first factor was right.
    pub fn first_factor_passed(&mut self) -> Option<Proven> {
        if self.status != VerificationStatus::NeedsFirstFactor {
            return None;
        }
        if self.level == Level::MultiFactor && !self.second_factors.is_empty() {
            self.status = VerificationStatus::NeedsSecondFactor;
            return Some(Proven::FirstThenSecond);
        }
        self.status = VerificationStatus::Complete;
        Some(Proven::First)
    }

    /// A second factor was tried (checked by the store first); `Some` when
    /// it was right and this verification was waiting for it.
    pub fn second_factor_tried(&mut self, factor: SecondFactor, right: bool) -> Option<Proven> {
        if self.status != VerificationStatus::NeedsSecondFactor
            || !self.second_factors.contains(&factor)
        {
            return None;
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
        right.then(|| {
            self.status = VerificationStatus::Complete;
            Proven::Second
        })
    }

    /// The emailed code of this verification, if it was the last one sent.
    pub fn previous_code(&self) -> Option<&CodeChallenge> {
        self.first_factor
            .as_ref()
            .filter(|c| c.strategy == CodeStrategy::EmailCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_need_a_check_within_ten_minutes() {
        assert!(recent_enough([0, -1], false));
        assert!(recent_enough([9, -1], false));
        assert!(!recent_enough([10, -1], false));
        assert!(
            !recent_enough([0, -1], true),
            "a user with an app proves the app"
        );
        assert!(recent_enough([30, 2], true));
    }

    #[test]
    fn levels_lead_through_the_factors_the_user_has() {
        let app = vec![SecondFactor::Totp];
        let mut v = SessionVerification::new("sess_1", Level::SecondFactor, app.clone());
        assert_eq!(v.status, VerificationStatus::NeedsSecondFactor);
        assert_eq!(v.first_factor_passed(), None);
        assert_eq!(v.second_factor_tried(SecondFactor::Totp, false), None);
        assert_eq!(
            v.second_factor_tried(SecondFactor::Totp, true),
            Some(Proven::Second)
        );
        assert_eq!(v.status, VerificationStatus::Complete);

        let mut v = SessionVerification::new("sess_1", Level::SecondFactor, Vec::new());
        assert_eq!(
            v.status,
            VerificationStatus::NeedsFirstFactor,
            "no app: the password"
        );
        assert_eq!(v.first_factor_passed(), Some(Proven::First));

        let mut v = SessionVerification::new("sess_1", Level::MultiFactor, app);
        assert_eq!(v.first_factor_passed(), Some(Proven::FirstThenSecond));
        assert_eq!(v.status, VerificationStatus::NeedsSecondFactor);
        assert_eq!(
            v.second_factor_tried(SecondFactor::BackupCode, true),
            None,
            "only the user's own factors"
        );
    }
}
