//! Password rules (NIST 800-63B §5.1.1.2): a minimum length counted in
//! characters, a generous maximum, no composition rules, no truncation, and
//! no password that attackers try first: the common ones, and ones built from
//! words of the context (the application's name, the user's email address).

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

/// Longest password accepted, in characters. Long enough for any passphrase
/// or manager-generated secret, short enough to refuse absurd inputs before
/// any hashing work is spent on them.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Passwords must be {0} characters or more.")]
    TooShort(usize),
    #[error("Passwords must be {MAX_PASSWORD_CHARS} characters or fewer.")]
    TooLong,
    /// On the list of passwords most often used (and so tried first by
    /// attackers). The code stays Clerk's `form_password_pwned`; the words
    /// say what was checked: a local list, not a breach database.
    #[error(
        "This password is too common: it is among the passwords people use most, which attackers try first. Please choose another."
    )]
    Breached,
    #[error(
        "Passwords must not be built from your email address or the application's name. Please use a different password."
    )]
    Guessable,
}

/// The bundled list: the most common passwords of 8 characters or more, as
/// leaked password corpora rank them (data/common-passwords.txt).
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

/// Whether `text` is on the bundled list of common and breached passwords,
/// ignoring case (attackers' lists try every capitalisation).
pub fn is_common(text: &str) -> bool {
    COMMON.contains(text.to_lowercase().as_str())
}

/// Context words shorter than this are not looked for: too many innocent
/// passwords contain "ann" or "app".
const MIN_CONTEXT_WORD: usize = 4;

/// Whether `text` is mostly one of `context` words: with the word taken out,
/// fewer than `min_chars` characters remain ("Frontdesk2024!" for an app
/// named Frontdesk).
fn is_guessable(text: &str, min_chars: usize, context: &[&str]) -> bool {
    let lower = text.to_lowercase();
    context
        .iter()
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= MIN_CONTEXT_WORD)
        .any(|w| {
            lower.contains(&w)
                && lower.replacen(&w, "", 1).chars().count() < min_chars.max(MIN_CONTEXT_WORD * 2)
        })
}

impl PasswordError {
    /// Clerk's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort(_) => "form_password_length_too_short",
            Self::TooLong => "form_password_length_too_long",
            Self::Breached => "form_password_pwned",
            Self::Guessable => "form_password_not_strong_enough",
        }
    }
}

/// A candidate new password that passed the length rules. `Debug` hides it.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    /// Check `text` against the length rules. Length is counted in Unicode
    /// scalar values, so "é" counts once however it is encoded.
    pub fn parse(text: &str, min_chars: usize) -> Result<Self, PasswordError> {
        // Refuse absurd inputs by byte length first: no need to count them.
        if text.len() > MAX_PASSWORD_CHARS * 4 {
            return Err(PasswordError::TooLong);
        }
        let chars = text.chars().count();
        if chars < min_chars {
            return Err(PasswordError::TooShort(min_chars));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(text.to_owned()))
    }

    /// `parse`, then refuse passwords on the common list or built from the
    /// `context` words (the application's name, the user's email address and
    /// names): what an attacker tries first (security.md A5).
    pub fn parse_checked(
        text: &str,
        min_chars: usize,
        context: &[&str],
    ) -> Result<Self, PasswordError> {
        let parsed = Self::parse(text, min_chars)?;
        if is_common(text) {
            return Err(PasswordError::Breached);
        }
        if is_guessable(text, min_chars, context) {
            return Err(PasswordError::Guessable);
        }
        Ok(parsed)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(NewPassword::parse(&"é".repeat(8), 8).is_ok());
        assert_eq!(
            NewPassword::parse("short", 8).err(),
            Some(PasswordError::TooShort(8))
        );
        assert!(NewPassword::parse(&"a".repeat(256), 8).is_ok());
        assert_eq!(
            NewPassword::parse(&"a".repeat(257), 8).err(),
            Some(PasswordError::TooLong)
        );
        assert_eq!(
            NewPassword::parse(&"a".repeat(1 << 20), 8).err(),
            Some(PasswordError::TooLong)
        );
        assert_eq!(
            format!("{:?}", NewPassword::parse("hunter2hunter2", 8)),
            "Ok(NewPassword([redacted]))"
        );
    }

    #[test]
    fn common_and_context_passwords_are_refused() {
        let list = include_str!("../data/common-passwords.txt");
        let entries: Vec<&str> = list.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(entries.len(), 10_000);
        for pw in entries.iter().step_by(50) {
            assert_eq!(
                NewPassword::parse_checked(pw, 8, &[]).err(),
                Some(PasswordError::Breached),
                "{pw}"
            );
        }
        assert_eq!(
            NewPassword::parse_checked("PassWord123", 8, &[]).err(),
            Some(PasswordError::Breached)
        );
        assert_eq!(
            NewPassword::parse_checked("Frontdesk2024!", 8, &["Frontdesk"]).err(),
            Some(PasswordError::Guessable)
        );
        assert_eq!(
            NewPassword::parse_checked("jane.doe99", 8, &["jane.doe"]).err(),
            Some(PasswordError::Guessable)
        );
        assert!(
            NewPassword::parse_checked("correct horse battery staple", 8, &["Frontdesk"]).is_ok()
        );
        assert!(
            NewPassword::parse_checked("frontdesk is where I sign in", 8, &["frontdesk"]).is_ok()
        );
    }
}
