//! Verifying an address a signed-in user added to their account: a code
//! mailed to it, tried like any other code (security.md C1, C2).

use serde::{Deserialize, Serialize};

use super::{CodeChallenge, CodeOutcome, CodeStrategy};
use crate::UnixMillis;

/// The verification of one added address. Its id is the address's id, so
/// `/v1/me/email_addresses/{id}/…` finds it directly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailVerification {
    pub id: String,
    pub user_id: String,
    pub challenge: Option<CodeChallenge>,
}

impl EmailVerification {
    pub fn new(email_id: String, user_id: String) -> Self {
        Self {
            id: email_id,
            user_id,
            challenge: None,
        }
    }

    pub fn code_sent(&mut self, challenge: CodeChallenge) {
        self.challenge = Some(challenge);
    }

    /// Count a try; `matches` compares the candidate with the stored hash.
    pub fn try_code(
        &mut self,
        matches: impl FnOnce(&CodeChallenge) -> bool,
        now: UnixMillis,
    ) -> CodeOutcome {
        match self
            .challenge
            .as_mut()
            .filter(|c| c.strategy == CodeStrategy::EmailCode)
        {
            Some(c) => {
                let right = matches(c);
                c.attempt(right, now)
            }
            None => CodeOutcome::NotPending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_added_address_is_verified_by_its_code_once() {
        let now = UnixMillis(0);
        let mut v = EmailVerification::new("idn_1".into(), "user_1".into());
        assert_eq!(v.try_code(|_| true, now), CodeOutcome::NotPending);
        v.code_sent(CodeChallenge::new(CodeStrategy::EmailCode, "h".into(), now));
        assert_eq!(v.try_code(|_| false, now), CodeOutcome::Incorrect);
        assert_eq!(v.try_code(|_| true, now), CodeOutcome::Verified);
        assert_eq!(v.try_code(|_| true, now), CodeOutcome::NotPending);
    }
}
