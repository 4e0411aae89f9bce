//! The auth engine: sign-up, sign-in, verification, password reset and the
//! user's own account, for every front door.
//!
//! The Frontend API (`routes::frontend`) and the hosted pages (`pages`) are
//! adapters over this module: they parse the wire (form fields, strategy
//! names) into domain types, call one function here, and render what it
//! returns. The state machines themselves — statuses, strategies, factors,
//! and the transitions between them — are plain values in
//! `frontdesk_domain::flows`, which awaits nothing; this module is the
//! service around them: it reads the facts a transition needs (the account,
//! the caller's client), runs the transition under compare-and-swap on the
//! stored attempt ([`flows::change`]), and carries out the decision it
//! returns (a session created, a failure counted, mail queued) with one
//! atomic store operation each. See `docs/architecture.md`.

pub mod account;
pub mod admin;
pub mod emails;
pub mod external;
pub mod flows;
pub mod images;
pub mod impersonation;
pub mod mfa;
pub mod oauth;
pub mod org_domains;
pub mod org_invitations;
pub mod org_roles;
pub mod organizations;
pub mod passkeys;
pub mod reverify;
pub mod settings;
pub mod sign_in;
pub mod sign_up;
pub mod transfer;
pub mod users;

use frontdesk_domain::flows::{CodeOutcome, UnknownStrategy};

use crate::error::ApiError;

/// Clerk's errors for a wrong, spent or expired code.
pub fn code_error(outcome: CodeOutcome) -> ApiError {
    let (code, message) = match outcome {
        CodeOutcome::Incorrect => ("form_code_incorrect", "Incorrect code"),
        CodeOutcome::Failed => (
            "verification_failed",
            "Too many failed attempts. Request a new code.",
        ),
        CodeOutcome::Expired => (
            "verification_expired",
            "This code has expired. Request a new one.",
        ),
        CodeOutcome::Verified | CodeOutcome::NotPending => (
            "verification_not_pending",
            "There is no code to verify. Request a new one.",
        ),
    };
    ApiError::bad_param("code", code, message)
}

impl From<UnknownStrategy> for ApiError {
    fn from(e: UnknownStrategy) -> Self {
        ApiError::bad_param("strategy", "form_param_value_invalid", e.to_string())
    }
}
