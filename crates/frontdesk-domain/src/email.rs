//! Email addresses, parsed once into the one form an account is known by.
//!
//! One account per mailbox needs one spelling per mailbox. The rule:
//!
//! - Surrounding white space is removed. Control characters and invisible
//!   formatting characters (zero-width joiners and spaces, bidirectional
//!   marks, the BOM) are refused anywhere: they make two addresses look
//!   alike.
//! - The local part (before the last `@`) is ASCII `dot-atom` text (RFC 5322
//!   §3.2.3): letters, digits and ``!#$%&'*+-/=?^_`{|}~``, dots only between
//!   other characters, at most 64 characters (RFC 5321 §4.5.3.1.1). Quoted
//!   local parts, comments (`x(c)@…`) and non-ASCII local parts (fullwidth
//!   `ａ`, `ℓ`, Cyrillic `а`, which render like ASCII letters) are refused:
//!   few mail systems accept them, and they are how look-alike accounts are
//!   made. Its case is kept (RFC 5321 lets it matter), but accounts compare
//!   addresses without regard to case ([`EmailAddress::normalized`]).
//! - The domain is processed as an internationalised domain name (UTS #46:
//!   case folding, NFC, width mapping) and stored in its ASCII (punycode)
//!   form, so `exämple.com` and `xn--exmple-cua.com` are one domain. Each label
//!   is letters, digits and hyphens (1–63, no hyphen at either end); there are
//!   at least two labels; domain literals (`[192.0.2.1]`) are refused.
//! - The whole address is at most 254 characters (RFC 5321's 256-octet path
//!   less its angle brackets).

use std::fmt;
use std::str::FromStr;

use crate::text::{is_control, is_invisible};

/// Why a string is not an acceptable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is not a valid email address")]
    Invalid,
    #[error("is longer than 254 characters")]
    TooLong,
    #[error("contains control or invisible characters")]
    Invisible,
    #[error(
        "must have a local part of ASCII letters, digits and !#$%&'*+-/=?^_`{{|}}~ (no quotes, comments or other alphabets)"
    )]
    LocalPart,
    #[error("has a domain that is not a valid domain name")]
    Domain,
}

/// Longest local part (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// Longest address (RFC 5321 §4.5.3.1.3, less the angle brackets).
pub const MAX_ADDRESS: usize = 254;

/// An address in the form described in the module documentation: local part
/// as typed, domain in lower-case ASCII.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Whether the local part carries a `+tag` (`alice+news@example.com`),
    /// which most providers deliver to `alice`'s mailbox.
    pub fn has_subaddress(&self) -> bool {
        self.0
            .rsplit_once('@')
            .is_some_and(|(local, _)| local.contains('+'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn local_part_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= MAX_LOCAL_PART
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// A domain name in ASCII (IDNA), checked as the part after `@` is.
pub fn domain_ascii(domain: &str) -> Result<String, EmailError> {
    if domain.starts_with('[') {
        return Err(EmailError::Domain);
    }
    let ascii = idna::domain_to_ascii(domain).map_err(|_| EmailError::Domain)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let ok = labels.len() >= 2
        && ascii.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        // A top-level domain is never all digits: `1.2.3.4` is an address.
        && labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(ascii)
    } else {
        Err(EmailError::Domain)
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.chars().count() > 4 * MAX_ADDRESS {
            return Err(EmailError::TooLong);
        }
        if s.chars().any(|c| is_control(c) || is_invisible(c)) {
            return Err(EmailError::Invisible);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Invalid)?;
        if local.is_empty() || domain.is_empty() {
            return Err(EmailError::Invalid);
        }
        if !local_part_ok(local) {
            return Err(EmailError::LocalPart);
        }
        let address = format!("{local}@{}", domain_ascii(domain)?);
        if address.len() > MAX_ADDRESS {
            return Err(EmailError::TooLong);
        }
        Ok(Self(address))
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
            "",
            "a",
            "@b.c",
            "a@",
            "a@b",
            "a b@c.d",
            "a@-b.c",
            "a@b..c",
            "<a>@b.c",
            "a@1.2.3.4",
            "a@[192.0.2.1]",
            ".a@b.c",
            "a.@b.c",
            "a..b@c.d",
            "\"a b\"@c.d",
        ] {
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(400));
        assert!(long.parse::<EmailAddress>().is_err());
        let local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(local.parse::<EmailAddress>(), Err(EmailError::LocalPart));
        // 308 characters, the finding's length: over RFC 5321's limit.
        let path = format!(
            "{}@{}.com",
            "a".repeat(60),
            "b".repeat(60)
                .repeat(4)
                .chars()
                .collect::<Vec<_>>()
                .chunks(60)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(".")
        );
        assert!(path.len() > 254);
        assert_eq!(path.parse::<EmailAddress>(), Err(EmailError::TooLong));
    }

    #[test]
    fn look_alikes_are_refused_and_one_mailbox_has_one_spelling() {
        // Finding F17: each of these made a second account next to alice@…
        for (look_alike, why) in [
            ("\u{ff41}lice@example.com", EmailError::LocalPart),
            ("a\u{2113}ice@example.com", EmailError::LocalPart),
            ("al\u{200d}ice@example.com", EmailError::Invisible),
            ("\u{0430}lice@example.com", EmailError::LocalPart),
            ("x(c)@example.com", EmailError::LocalPart),
            ("a\u{0}@example.com", EmailError::Invisible),
        ] {
            assert_eq!(
                look_alike.parse::<EmailAddress>(),
                Err(why),
                "{look_alike:?}"
            );
        }
        let unicode: EmailAddress = "user@ex\u{e4}mple.com".parse().expect("IDN");
        let puny: EmailAddress = "user@xn--exmple-cua.com".parse().expect("punycode");
        assert_eq!(unicode, puny);
        assert_eq!(unicode.as_str(), "user@xn--exmple-cua.com");
        let wide: EmailAddress = "user@\u{ff45}xample.com".parse().expect("fullwidth domain");
        assert_eq!(wide.as_str(), "user@example.com");
    }
}
