//! Email addresses, parsed once.

use std::fmt;
use std::str::FromStr;

/// Why a string is not an acceptable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is not a valid email address")]
    Invalid,
    #[error("is longer than 320 characters")]
    TooLong,
}

/// A syntactically plausible email address, trimmed, with the domain
/// lower-cased. The local part keeps its case (RFC 5321 says it may matter),
/// but lookups compare [`EmailAddress::normalized`], the fully lower-cased
/// form, because users type their address in any case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() > 320 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains(['@', ' ', '<', '>', '"', ',', ';', '\\'])
            && !local.chars().any(char::is_control);
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !labels_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        let e: EmailAddress = " Jane.Doe+clerk_test@Example.COM ".parse().expect("valid");
        assert_eq!(e.as_str(), "Jane.Doe+clerk_test@example.com");
        assert_eq!(e.normalized(), "jane.doe+clerk_test@example.com");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "", "a", "@b.c", "a@", "a@b", "a b@c.d", "a@-b.c", "a@b..c", "<a>@b.c",
        ] {
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(400));
        assert_eq!(long.parse::<EmailAddress>(), Err(EmailError::TooLong));
    }
}
