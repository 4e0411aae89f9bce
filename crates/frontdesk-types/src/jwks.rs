//! JSON Web Key Sets as served at `/v1/jwks` and `/.well-known/jwks.json`.

use serde::{Deserialize, Serialize};

/// A public RSA signing key. Only public members exist in this type, so a
/// private key cannot be serialised into a JWKS by mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaJwk {
    pub kid: String,
    /// Always `RSA`.
    pub kty: String,
    /// Always `RS256`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

impl RsaJwk {
    /// An RS256 signing key from its base64url-encoded modulus and exponent.
    pub fn rs256(kid: impl Into<String>, n: String, e: String) -> Self {
        Self {
            kid: kid.into(),
            kty: "RSA".to_owned(),
            alg: "RS256".to_owned(),
            use_: "sig".to_owned(),
            n,
            e,
        }
    }
}

/// `{"keys":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    pub keys: Vec<RsaJwk>,
}
