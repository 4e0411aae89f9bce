//! Password rules (NIST 800-63B §5.1.1.2): a minimum length counted in
//! characters, a generous maximum, no composition rules, no truncation.

use std::fmt;

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
}

impl PasswordError {
    /// Clerk's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort(_) => "form_password_length_too_short",
            Self::TooLong => "form_password_length_too_long",
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
}
