//! Instance keys in Clerk's exact formats.
//!
//! * Publishable key: `pk_test_`/`pk_live_` + base64(`<frontend host>$`) with the
//!   padding stripped. Clerk's SDKs decode it to find the Frontend API and
//!   reject a host without a dot (`localhost:4000` is refused, `127.0.0.1:4000`
//!   works), so we refuse to build one they would refuse to read.
//! * Secret key: `sk_test_`/`sk_live_` + 256 random bits in base62. Only its
//!   SHA-256 is stored; the text is shown once.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::{Deserialize, Serialize};

/// Development instances are forgiving (test emails, dev browser); production
/// ones are not. The mode is fixed when the instance is created, because it is
/// baked into every key handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InstanceMode {
    #[default]
    Development,
    Production,
}

impl InstanceMode {
    /// `test` or `live`, the infix of every key.
    pub fn key_infix(self) -> &'static str {
        match self {
            Self::Development => "test",
            Self::Production => "live",
        }
    }

    /// Clerk's `environment_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
        }
    }
}

impl FromStr for InstanceMode {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "development" => Ok(Self::Development),
            "production" => Ok(Self::Production),
            _ => Err(KeyError::BadMode),
        }
    }
}

impl fmt::Display for InstanceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key or key ingredient was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be `development` or `production`")]
    BadMode,
    #[error(
        "host `{0}` has no dot; Clerk's SDKs reject such publishable keys (use 127.0.0.1:PORT instead of localhost:PORT)"
    )]
    HostWithoutDot(String),
    #[error("host `{0}` contains characters that cannot appear in a publishable key")]
    BadHost(String),
    #[error("is not a publishable key (`pk_test_…` or `pk_live_…`)")]
    NotPublishable,
    #[error("must start with `sk_{expected}_` for a {mode} instance")]
    SecretPrefix {
        expected: &'static str,
        mode: InstanceMode,
    },
    #[error("secret key body must be at least {min} characters of [A-Za-z0-9]")]
    SecretTooWeak { min: usize },
}

/// A publishable key: public, embedded in web pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishableKey {
    key: String,
    mode: InstanceMode,
    frontend_api: String,
}

impl PublishableKey {
    /// Build the key for a Frontend API host such as `127.0.0.1:4000` or
    /// `auth.example.com`.
    pub fn for_host(mode: InstanceMode, host: &str) -> Result<Self, KeyError> {
        if host.is_empty() || host.contains(['$', '/', ' ', '@']) {
            return Err(KeyError::BadHost(host.to_owned()));
        }
        if !host.contains('.') {
            return Err(KeyError::HostWithoutDot(host.to_owned()));
        }
        let encoded = STANDARD_NO_PAD.encode(format!("{host}$"));
        Ok(Self {
            key: format!("pk_{}_{encoded}", mode.key_infix()),
            mode,
            frontend_api: host.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn mode(&self) -> InstanceMode {
        self.mode
    }

    /// The host the key points clients at.
    pub fn frontend_api(&self) -> &str {
        &self.frontend_api
    }
}

impl FromStr for PublishableKey {
    type Err = KeyError;

    /// Parse with the same rules as `@clerk/shared`'s `parsePublishableKey`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('_').collect();
        let [pk, infix, body] = parts.as_slice() else {
            return Err(KeyError::NotPublishable);
        };
        let mode = match (*pk, *infix) {
            ("pk", "live") => InstanceMode::Production,
            ("pk", "test") => InstanceMode::Development,
            _ => return Err(KeyError::NotPublishable),
        };
        let padded = format!("{body}{}", "=".repeat((4 - body.len() % 4) % 4));
        let decoded = STANDARD
            .decode(padded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(KeyError::NotPublishable)?;
        let host = decoded.strip_suffix('$').ok_or(KeyError::NotPublishable)?;
        if host.contains('$') || !host.contains('.') {
            return Err(KeyError::NotPublishable);
        }
        Ok(Self {
            key: s.to_owned(),
            mode,
            frontend_api: host.to_owned(),
        })
    }
}

impl fmt::Display for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// A Backend API secret key. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

/// Minimum body length accepted for an operator-supplied secret key:
/// 43 base62 characters carry 256 bits.
pub const SECRET_KEY_MIN_BODY: usize = 43;

impl SecretKey {
    /// A fresh key with 256 bits from the OS CSPRNG.
    pub fn generate(mode: InstanceMode) -> Self {
        Self(format!(
            "sk_{}_{}",
            mode.key_infix(),
            frontdesk_types::id::random_base62(32)
        ))
    }

    /// Parse an operator-supplied key (e.g. `FRONTDESK_BOOTSTRAP_SECRET_KEY`)
    /// for an instance of `mode`.
    pub fn parse_for(mode: InstanceMode, s: &str) -> Result<Self, KeyError> {
        let prefix = format!("sk_{}_", mode.key_infix());
        let body = s.strip_prefix(&prefix).ok_or(KeyError::SecretPrefix {
            expected: mode.key_infix(),
            mode,
        })?;
        if body.len() < SECRET_KEY_MIN_BODY || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(KeyError::SecretTooWeak {
                min: SECRET_KEY_MIN_BODY,
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The key text. Call only to show it to the operator once, or to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, for telling keys apart in listings.
    pub fn hint(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect();
        tail.chars().rev().collect()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishable_key_matches_clerk_format() {
        let pk = PublishableKey::for_host(InstanceMode::Production, "127.0.0.1:4000").expect("pk");
        // Value observed working with Clerk's SDKs (clerk-protocol.md §1.1).
        assert_eq!(pk.as_str(), "pk_live_MTI3LjAuMC4xOjQwMDAk");
        let dev = PublishableKey::for_host(
            InstanceMode::Development,
            "probe-stub-00.clerk.accounts.dev",
        )
        .expect("pk");
        assert_eq!(
            dev.as_str(),
            "pk_test_cHJvYmUtc3R1Yi0wMC5jbGVyay5hY2NvdW50cy5kZXYk"
        );
        let parsed: PublishableKey = dev.as_str().parse().expect("round trip");
        assert_eq!(parsed, dev);
    }

    #[test]
    fn hosts_clerk_rejects_are_refused() {
        assert!(matches!(
            PublishableKey::for_host(InstanceMode::Development, "localhost:4000"),
            Err(KeyError::HostWithoutDot(_))
        ));
        assert!(
            "pk_test_bG9jYWxob3N0OjQwMDAk"
                .parse::<PublishableKey>()
                .is_err()
        );
        assert!("sk_test_abc".parse::<PublishableKey>().is_err());
    }

    #[test]
    fn secret_keys_are_long_prefixed_and_redacted() {
        let sk = SecretKey::generate(InstanceMode::Development);
        assert!(sk.expose().starts_with("sk_test_"));
        assert_eq!(sk.expose().len(), "sk_test_".len() + 43);
        assert_eq!(format!("{sk:?}"), "SecretKey([redacted])");
        assert_eq!(
            SecretKey::parse_for(InstanceMode::Production, sk.expose()),
            Err(KeyError::SecretPrefix {
                expected: "live",
                mode: InstanceMode::Production
            })
        );
        assert!(SecretKey::parse_for(InstanceMode::Development, "sk_test_short").is_err());
        assert!(SecretKey::parse_for(InstanceMode::Development, sk.expose()).is_ok());
    }
}
