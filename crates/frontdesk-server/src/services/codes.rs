//! One-time codes for sign-up and sign-in: issuing and checking.
//!
//! The rules (lifetime, tries, single use) live on `CodeChallenge` in the
//! domain; this adds what needs the instance: where the code comes from (a
//! CSPRNG, or 424242 for `+clerk_test` addresses on development instances)
//! and how it is stored (a hash salted with its attempt's id).

use frontdesk_crypto::{constant_time_eq, random_digits, sha256_hex};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::flows::{CodeChallenge, CodeStrategy};

use crate::error::{ApiError, ApiResult};
use crate::services::mail;
use crate::state::AppState;

fn hash(attempt_id: &str, code: &str) -> String {
    sha256_hex(format!("{attempt_id}:{code}").as_bytes())
}

/// A new code for `address` replacing `previous`; 429 while the previous one
/// is younger than the resend cooldown. Returns the challenge to store and the
/// code to send.
pub fn issue(
    state: &AppState,
    attempt_id: &str,
    address: &str,
    strategy: CodeStrategy,
    previous: Option<&CodeChallenge>,
    now: UnixMillis,
) -> ApiResult<(CodeChallenge, String)> {
    if let Some(wait) = previous
        .filter(|p| p.strategy == strategy)
        .and_then(|p| p.resend_wait(now))
    {
        return Err(ApiError::rate_limited(wait as u64));
    }
    let code = if mail::is_test_address(state, address) {
        mail::TEST_CODE.to_owned()
    } else {
        random_digits(6)
    };
    Ok((
        CodeChallenge::new(strategy, hash(attempt_id, &code), now),
        code,
    ))
}

/// Whether `candidate` is the code behind `challenge`, compared in constant time.
pub fn matches(attempt_id: &str, challenge: &CodeChallenge, candidate: &str) -> bool {
    let expected = challenge.code_hash.as_deref().unwrap_or_default();
    !expected.is_empty()
        && constant_time_eq(
            hash(attempt_id, candidate.trim()).as_bytes(),
            expected.as_bytes(),
        )
}
