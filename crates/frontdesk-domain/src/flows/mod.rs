//! Sign-up and sign-in attempts as typed state machines, and their one-time
//! codes.
//!
//! Each attempt is a value (stored as a JSON document, `FlowRecord`) whose
//! status, strategies and factors are enums; Clerk's strings appear only
//! where they are serialised. Transitions are plain functions on the
//! attempt — `(state, input, facts read) → (new state, decision)` — that
//! await nothing: the engine in the server reads the facts (the account, the
//! code's hash comparison), runs a transition inside one compare-and-swap on
//! the stored attempt, and then carries out the decision it returned
//! (create a session, count a failure, ask for a new password). Adding a
//! strategy means a variant of [`FirstFactor`] (or [`SignUpVerification`])
//! and its arm in each `match`, which the compiler lists.

mod code;
mod email;
pub mod oauth;
pub mod reverify;
mod sign_in;
mod sign_up;

pub use code::{
    CODE_MAX_ATTEMPTS, CODE_RESEND_SECS, CODE_TTL_SECS, CodeChallenge, CodeOutcome, CodeStatus,
    CodeStrategy,
};
pub use email::EmailVerification;
pub use sign_in::{
    AfterCode, AfterFirstFactor, FirstFactor, PASSKEY_MAX_ATTEMPTS, PasskeyChallenge, SecondFactor,
    SecondFactorTry, SignInAttempt, SignInStatus,
};
pub use sign_up::{SignUpAttempt, SignUpStatus, SignUpVerification, TicketProof};

/// How long an unfinished attempt lives.
pub const ATTEMPT_TTL_SECS: i64 = 86_400;

/// The two kinds of attempt a client holds (the `kind` of its stored record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    SignIn,
    SignUp,
    /// An address a signed-in user added, being verified.
    EmailVerification,
    /// A signed-in user proving a factor again (step-up).
    SessionVerification,
    /// A trip to another identity provider, until its callback.
    OAuth,
}

impl FlowKind {
    /// The stored `kind`, and the noun of "not found" errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignUp => "sign_up",
            Self::EmailVerification => "email_verification",
            Self::SessionVerification => "session_verification",
            Self::OAuth => "oauth",
        }
    }
}

/// A value the wire sent that names no strategy Frontdesk offers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not supported")]
pub struct UnknownStrategy(pub String);

/// An attempt's status, for the generic flow functions.
pub trait Attempt: serde::Serialize + serde::de::DeserializeOwned {
    const KIND: FlowKind;
    fn id(&self) -> &str;
}

impl Attempt for SignInAttempt {
    const KIND: FlowKind = FlowKind::SignIn;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Attempt for SignUpAttempt {
    const KIND: FlowKind = FlowKind::SignUp;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Attempt for EmailVerification {
    const KIND: FlowKind = FlowKind::EmailVerification;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Attempt for reverify::SessionVerification {
    const KIND: FlowKind = FlowKind::SessionVerification;
    fn id(&self) -> &str {
        &self.id
    }
}
