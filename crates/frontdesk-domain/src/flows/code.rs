//! One-time codes: 6 digits from a CSPRNG, stored only as a hash, valid 10
//! minutes, single-use, and void after 5 wrong tries (security.md C1).

use serde::{Deserialize, Serialize};

use crate::UnixMillis;

/// How long an emailed code stays valid.
pub const CODE_TTL_SECS: i64 = 600;
/// Wrong tries before a code is void.
pub const CODE_MAX_ATTEMPTS: i32 = 5;
/// Minimum time between two sends of a code.
pub const CODE_RESEND_SECS: i64 = 30;

/// Verification states of a code challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    Unverified,
    Verified,
    Failed,
    Expired,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// What a code proves, as Clerk names the strategy on the wire (and in the
/// stored attempt, whose JSON keeps these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStrategy {
    /// Sign-up verification, or a passwordless sign-in.
    EmailCode,
    /// The first step of a password reset.
    ResetPasswordEmailCode,
}

impl CodeStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailCode => "email_code",
            Self::ResetPasswordEmailCode => "reset_password_email_code",
        }
    }
}

/// A one-time code sent to an address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeChallenge {
    pub strategy: CodeStrategy,
    pub status: CodeStatus,
    /// Hash of the code, salted with the attempt id.
    pub code_hash: Option<String>,
    pub attempts: i32,
    pub expire_at: UnixMillis,
    pub sent_at: UnixMillis,
}

/// What checking a code concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOutcome {
    Verified,
    Incorrect,
    /// Too many wrong tries: the code is void.
    Failed,
    Expired,
    /// Already used, or never sent.
    NotPending,
}

impl CodeChallenge {
    /// A fresh challenge for a code whose hash is `code_hash`.
    pub fn new(strategy: CodeStrategy, code_hash: String, now: UnixMillis) -> Self {
        Self {
            strategy,
            status: CodeStatus::Unverified,
            code_hash: Some(code_hash),
            attempts: 0,
            expire_at: now.plus_secs(CODE_TTL_SECS),
            sent_at: now,
        }
    }

    /// Seconds until another code may be sent, if it is too soon.
    pub fn resend_wait(&self, now: UnixMillis) -> Option<i64> {
        let ready = self.sent_at.plus_secs(CODE_RESEND_SECS);
        (self.status == CodeStatus::Unverified && now < ready)
            .then(|| (ready.0 - now.0 + 999) / 1000)
    }

    /// Record an attempt whose hash comparison gave `matches`.
    pub fn attempt(&mut self, matches: bool, now: UnixMillis) -> CodeOutcome {
        if self.status != CodeStatus::Unverified || self.code_hash.is_none() {
            return CodeOutcome::NotPending;
        }
        if now >= self.expire_at {
            self.status = CodeStatus::Expired;
            self.code_hash = None;
            return CodeOutcome::Expired;
        }
        self.attempts += 1;
        if matches {
            self.status = CodeStatus::Verified;
            // Single use: nothing left to match against.
            self.code_hash = None;
            return CodeOutcome::Verified;
        }
        if self.attempts >= CODE_MAX_ATTEMPTS {
            self.status = CodeStatus::Failed;
            self.code_hash = None;
            return CodeOutcome::Failed;
        }
        CodeOutcome::Incorrect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_single_use() {
        let now = UnixMillis(0);
        let mut c = CodeChallenge::new(CodeStrategy::EmailCode, "h".into(), now);
        assert_eq!(c.attempt(true, now), CodeOutcome::Verified);
        assert_eq!(c.attempt(true, now), CodeOutcome::NotPending);
    }

    #[test]
    fn codes_fail_after_five_wrong_tries() {
        let now = UnixMillis(0);
        let mut c = CodeChallenge::new(CodeStrategy::EmailCode, "h".into(), now);
        for _ in 0..4 {
            assert_eq!(c.attempt(false, now), CodeOutcome::Incorrect);
        }
        assert_eq!(c.attempt(false, now), CodeOutcome::Failed);
        assert_eq!(
            c.attempt(true, now),
            CodeOutcome::NotPending,
            "the right code no longer works"
        );
    }

    #[test]
    fn codes_expire_after_ten_minutes() {
        let now = UnixMillis(0);
        let mut c = CodeChallenge::new(CodeStrategy::EmailCode, "h".into(), now);
        assert_eq!(
            c.attempt(true, now.plus_secs(CODE_TTL_SECS)),
            CodeOutcome::Expired
        );
    }

    #[test]
    fn resends_wait_thirty_seconds() {
        let now = UnixMillis(0);
        let c = CodeChallenge::new(CodeStrategy::EmailCode, "h".into(), now);
        assert_eq!(c.resend_wait(now.plus_secs(10)), Some(20));
        assert_eq!(c.resend_wait(now.plus_secs(30)), None);
    }
}
