//! Verifying webhooks signed the Svix / Standard Webhooks way, as Frontdesk
//! and Clerk send them (clerk-protocol.md §6.2): HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` with the key in a `whsec_` secret, one or more
//! `v1,<base64>` signatures in `svix-signature`, the timestamp within five
//! minutes, compared in constant time.

use aws_lc_rs::{constant_time, hmac};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// How far a message's timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the signing secret is not `whsec_` + base64")]
    Secret,
    #[error("header `{0}` is missing or malformed")]
    Header(&'static str),
    #[error("the message timestamp is too old")]
    TooOld,
    #[error("the message timestamp is too new")]
    TooNew,
    #[error("no signature matches")]
    Signature,
    #[error("the body is not UTF-8")]
    Body,
}

/// A webhook endpoint's signing secret.
pub struct Webhook {
    key: hmac::Key,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Webhook([redacted])")
    }
}

/// The three headers, by their `svix-*` names or the `webhook-*` ones.
pub struct Headers<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

impl<'a> Headers<'a> {
    /// From any header lookup (`svix-id` first, then `webhook-id`, …).
    pub fn from_fn(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, WebhookError> {
        let pick = |svix: &'static str, standard: &str| {
            get(svix)
                .or_else(|| get(standard))
                .ok_or(WebhookError::Header(svix))
        };
        Ok(Self {
            id: pick("svix-id", "webhook-id")?,
            timestamp: pick("svix-timestamp", "webhook-timestamp")?,
            signature: pick("svix-signature", "webhook-signature")?,
        })
    }
}

impl Webhook {
    /// From a `whsec_…` secret (the prefix is optional, as in Svix's
    /// libraries).
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let raw = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD.decode(raw).map_err(|_| WebhookError::Secret)?;
        if key.is_empty() {
            return Err(WebhookError::Secret);
        }
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
        })
    }

    /// `v1,<base64>` for a message: what a sender puts in `svix-signature`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = hmac::sign(&self.key, &signed_content(id, timestamp, body));
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    }

    /// Check a message at the current time; the body, as text, if it holds.
    pub fn verify<'b>(
        &self,
        headers: &Headers<'_>,
        body: &'b [u8],
    ) -> Result<&'b str, WebhookError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.verify_at(headers, body, now)
    }

    /// [`Webhook::verify`] at the unix time `now`.
    pub fn verify_at<'b>(
        &self,
        headers: &Headers<'_>,
        body: &'b [u8],
        now: i64,
    ) -> Result<&'b str, WebhookError> {
        let timestamp: i64 = headers
            .timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::Header("svix-timestamp"))?;
        if timestamp < now - TOLERANCE_SECS {
            return Err(WebhookError::TooOld);
        }
        if timestamp > now + TOLERANCE_SECS {
            return Err(WebhookError::TooNew);
        }
        let text = std::str::from_utf8(body).map_err(|_| WebhookError::Body)?;
        let expected = hmac::sign(&self.key, &signed_content(headers.id, timestamp, body));
        let matched = headers
            .signature
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, sig)| STANDARD.decode(sig).ok())
            .any(|sig| constant_time::verify_slices_are_equal(&sig, expected.as_ref()).is_ok());
        if matched {
            Ok(text)
        } else {
            Err(WebhookError::Signature)
        }
    }
}

fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    content
}
