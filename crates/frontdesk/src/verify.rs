//! Verifying a session token: what `@clerk/backend`'s `verifyToken` checks,
//! and stricter where the JWT attack catalogue says to be (security.md §3.4,
//! D10): RS256 only; no key material or key URLs taken from the token; no
//! `crit` extensions; `typ` JWT and the session category when present;
//! `exp`, `nbf`, `iat` as integers within at most 5 s of skew; `azp` and
//! `iss` when configured. Claims are read only after the signature checks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::claims::SessionClaims;
use crate::jwt::{self, MalformedToken};
use crate::keys::{KeyError, KeySource};

/// Clerk's session token category (`cat` header).
pub const SESSION_CATEGORY: &str = "cl_B7d4PD111AAA";

/// The most clock skew allowed, whatever is configured.
pub const MAX_SKEW: Duration = Duration::from_secs(5);

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed token: {0}")]
    Malformed(#[from] MalformedToken),
    #[error("unsupported algorithm `{0}` (only RS256)")]
    Algorithm(String),
    #[error("the header carries `{0}`, which is never trusted")]
    ForbiddenHeader(&'static str),
    #[error("the header is invalid: {0}")]
    Header(&'static str),
    #[error("key: {0}")]
    Key(#[from] KeyError),
    #[error("the signature does not verify")]
    Signature,
    #[error("claim `{0}` is missing or has the wrong type")]
    Claim(&'static str),
    #[error("the token expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued in the future")]
    IssuedInFuture,
    #[error("the authorized party `{0}` is not allowed")]
    UnauthorizedParty(String),
    #[error("the issuer is not the expected one")]
    Issuer,
}

impl VerifyError {
    /// Whether a fresh token would fix it (the browser should go through the
    /// handshake) rather than the token being bad.
    pub fn is_expiry(&self) -> bool {
        matches!(
            self,
            Self::Expired | Self::NotYetValid | Self::IssuedInFuture
        )
    }
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Origins allowed as `azp` (`https://app.example.com`); empty: not checked,
    /// as `@clerk/backend` without `authorizedParties`.
    pub authorized_parties: Vec<String>,
    /// The expected `iss`, when set.
    pub issuer: Option<String>,
    /// Clock skew; capped at [`MAX_SKEW`].
    pub clock_skew: Duration,
}

impl Default for VerifyOptions {
    /// No `azp` or `iss` check, 5 s of skew: `@clerk/backend`'s defaults.
    fn default() -> Self {
        Self {
            authorized_parties: Vec::new(),
            issuer: None,
            clock_skew: MAX_SKEW,
        }
    }
}

/// Header members that would let a token choose its own key or change how
/// it is read; a verifier that honours any of them can be made to accept a
/// forgery.
const FORBIDDEN_HEADERS: &[&str] = &["jwk", "jku", "x5u", "x5c", "crit", "b64", "zip"];

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn int(payload: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, VerifyError> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(VerifyError::Claim(name)),
        Some(_) => Err(VerifyError::Claim(name)),
    }
}

/// Check the header before any key is looked up; returns the `kid`.
fn check_header(header: &Map<String, Value>) -> Result<&str, VerifyError> {
    for name in FORBIDDEN_HEADERS {
        if header.contains_key(*name) {
            return Err(VerifyError::ForbiddenHeader(name));
        }
    }
    match header.get("alg") {
        Some(Value::String(a)) if a == "RS256" => {}
        Some(Value::String(a)) => return Err(VerifyError::Algorithm(a.chars().take(16).collect())),
        _ => return Err(VerifyError::Header("alg")),
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t == "JWT" => {}
        Some(_) => return Err(VerifyError::Header("typ")),
    }
    match header.get("cat") {
        None => {}
        Some(Value::String(c)) if c == SESSION_CATEGORY => {}
        Some(_) => return Err(VerifyError::Header("cat")),
    }
    match header.get("kid") {
        Some(Value::String(k))
            if !k.is_empty()
                && k.len() <= 128
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            Ok(k)
        }
        _ => Err(VerifyError::Header("kid")),
    }
}

/// Check the time claims, `sub`, `azp` and `iss` of a payload whose signature
/// verified.
fn check_claims(
    payload: &Map<String, Value>,
    options: &VerifyOptions,
    now: i64,
) -> Result<(), VerifyError> {
    let skew = i64::try_from(options.clock_skew.min(MAX_SKEW).as_secs()).unwrap_or(5);
    match payload.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => return Err(VerifyError::Claim("sub")),
    }
    let exp = int(payload, "exp")?.ok_or(VerifyError::Claim("exp"))?;
    if exp <= now - skew {
        return Err(VerifyError::Expired);
    }
    if int(payload, "nbf")?.is_some_and(|nbf| nbf > now + skew) {
        return Err(VerifyError::NotYetValid);
    }
    if int(payload, "iat")?.is_some_and(|iat| iat > now + skew) {
        return Err(VerifyError::IssuedInFuture);
    }
    if !options.authorized_parties.is_empty() {
        match payload.get("azp") {
            Some(Value::String(azp))
                if options
                    .authorized_parties
                    .iter()
                    .any(|p| p.trim_end_matches('/') == azp) => {}
            Some(Value::String(azp)) => {
                return Err(VerifyError::UnauthorizedParty(
                    azp.chars().take(128).collect(),
                ));
            }
            _ => return Err(VerifyError::Claim("azp")),
        }
    }
    if let Some(iss) = &options.issuer
        && payload.get("iss").and_then(Value::as_str) != Some(iss.trim_end_matches('/'))
    {
        return Err(VerifyError::Issuer);
    }
    Ok(())
}

/// Verify `token` against `keys`; its claims if it holds.
pub async fn verify_token(
    token: &str,
    keys: &KeySource,
    options: &VerifyOptions,
) -> Result<SessionClaims, VerifyError> {
    verify_token_at(token, keys, options, now_secs()).await
}

/// [`verify_token`] at the unix time `now` (tests, replays).
pub async fn verify_token_at(
    token: &str,
    keys: &KeySource,
    options: &VerifyOptions,
    now: i64,
) -> Result<SessionClaims, VerifyError> {
    let parts = jwt::split(token)?;
    let kid = check_header(&parts.header)?;
    let key = keys.key(kid).await?;
    if !key.verify_rs256(parts.signing_input.as_bytes(), &parts.signature) {
        return Err(VerifyError::Signature);
    }
    check_claims(&parts.payload, options, now)?;
    SessionClaims::from_payload(parts.payload).ok_or(VerifyError::Claim("sub"))
}
