//! A provider's signing keys (its JWKS) and the one thing done with them:
//! checking the signature of a compact JWS (an ID token).
//!
//! The algorithm comes from the key that verifies, never from the token
//! alone: `RS256` needs an RSA key of at least 2048 bits, `ES256` a P-256
//! key; `none`, HMAC and anything else are refused, and so is a header with
//! `crit` (an extension this code would not honour). Parsing is the SDK's
//! strict one ([`frontdesk::jwt::split`]: no duplicate members, no stray
//! characters).

use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontdesk::RsaKey;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::OidcError;

/// One usable signing key.
#[derive(Debug)]
enum Key {
    Rsa(RsaKey),
    P256(P256Key),
}

/// A P-256 public key, parsed once.
struct P256Key(ParsedPublicKey);

impl std::fmt::Debug for P256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("P256Key")
    }
}

#[derive(Debug)]
struct Entry {
    kid: Option<String>,
    key: Key,
}

/// The signing keys of a provider's JWKS that this code can use; others
/// (encryption keys, other curves) are left out, not errors.
#[derive(Debug, Default)]
pub struct JsonWebKeySet {
    keys: Vec<Entry>,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<RawKey>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl RawKey {
    fn usable(self) -> Option<Entry> {
        if self.usage.as_deref().is_some_and(|u| u != "sig") {
            return None;
        }
        let key = match (self.kty.as_str(), self.alg.as_deref()) {
            ("RSA", None | Some("RS256")) => {
                let n = self.n.as_deref()?;
                // At least 2048 bits (256 bytes of modulus).
                if URL_SAFE_NO_PAD.decode(n).ok()?.len() < 256 {
                    return None;
                }
                Key::Rsa(RsaKey::from_jwk(n, self.e.as_deref()?)?)
            }
            ("EC", None | Some("ES256")) if self.crv.as_deref() == Some("P-256") => {
                let x = URL_SAFE_NO_PAD.decode(self.x?).ok()?;
                let y = URL_SAFE_NO_PAD.decode(self.y?).ok()?;
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let point = [&[4u8][..], &x, &y].concat();
                let parsed =
                    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).ok()?;
                Key::P256(P256Key(parsed))
            }
            _ => return None,
        };
        Some(Entry { kid: self.kid, key })
    }
}

/// A token whose signature one of the provider's keys made.
#[derive(Debug)]
pub struct Verified {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
}

impl JsonWebKeySet {
    /// Parse a JWKS document (`{"keys": [...]}`).
    pub fn parse(json: &[u8]) -> Result<Self, OidcError> {
        let raw: RawSet =
            serde_json::from_slice(json).map_err(|e| OidcError::malformed("JWKS", e))?;
        Ok(Self {
            keys: raw.keys.into_iter().filter_map(RawKey::usable).collect(),
        })
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key has `kid` (a token naming an unknown one is a reason
    /// to fetch the set again, once).
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// Check `token`'s signature; its header and payload if a key of this
    /// set made it.
    pub fn verify(&self, token: &str) -> Result<Verified, OidcError> {
        let parts = frontdesk::jwt::split(token).map_err(|e| OidcError::id_token(e.to_string()))?;
        if parts.header.contains_key("crit") {
            return Err(OidcError::id_token("the header has `crit` extensions"));
        }
        let alg = parts.header.get("alg").and_then(Value::as_str);
        let kid = parts.header.get("kid").and_then(Value::as_str);
        let message = parts.signing_input.as_bytes();
        // No `kid` and several keys: refused rather than tried in turn (the
        // OpenID Foundation's RP tests allow either; one key is used as
        // it is).
        if kid.is_none() && self.keys.len() > 1 {
            return Err(OidcError::id_token(
                "the token names no key (`kid`) and the provider has several",
            ));
        }
        let signed = self
            .keys
            .iter()
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
            .any(|k| match (&k.key, alg) {
                (Key::Rsa(key), Some("RS256")) => key.verify_rs256(message, &parts.signature),
                (Key::P256(key), Some("ES256")) => {
                    key.0.verify_sig(message, &parts.signature).is_ok()
                }
                _ => false,
            });
        if !signed {
            return Err(OidcError::id_token(match (alg, kid) {
                (Some("RS256" | "ES256"), Some(kid)) if !self.has_kid(kid) => {
                    format!("no key `{kid}` in the provider's JWKS")
                }
                (Some("RS256" | "ES256"), _) => "the signature is not the provider's".to_owned(),
                (other, _) => format!("the algorithm {other:?} is not accepted"),
            }));
        }
        Ok(Verified {
            header: parts.header,
            payload: parts.payload,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 7515 Appendix A.3: ES256 over `{"iss":"joe",…}`.
    const A3_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    const A3_JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    #[test]
    fn rfc_7515_a3_es256_verifies() {
        let set = JsonWebKeySet::parse(A3_JWKS.as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        let v = set.verify(A3_TOKEN).unwrap();
        assert_eq!(v.payload["iss"], "joe");
        assert_eq!(v.payload["http://example.com/is_root"], true);
    }

    #[test]
    fn a_changed_payload_or_algorithm_is_refused() {
        let set = JsonWebKeySet::parse(A3_JWKS.as_bytes()).unwrap();
        let mut parts: Vec<String> = A3_TOKEN.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(br#"{"iss":"eve"}"#);
        assert!(set.verify(&parts.join(".")).is_err(), "payload changed");
        let mut parts: Vec<String> = A3_TOKEN.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let err = set.verify(&parts.join(".")).unwrap_err().to_string();
        assert!(err.contains("not accepted"), "{err}");
        let mut parts: Vec<String> = A3_TOKEN.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        assert!(
            set.verify(&parts.join(".")).is_err(),
            "RS256 with an EC key"
        );
        let mut parts: Vec<String> = A3_TOKEN.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","crit":["exp"]}"#);
        assert!(set.verify(&parts.join(".")).is_err(), "crit");
    }

    #[test]
    fn keys_for_encryption_or_other_curves_are_left_out() {
        let set = JsonWebKeySet::parse(
            br#"{"keys":[
              {"kty":"EC","crv":"P-256","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
              {"kty":"EC","crv":"P-384","x":"AA","y":"AA"},
              {"kty":"oct","k":"c2VjcmV0"},
              {"kty":"RSA","n":"AQAB","e":"AQAB"}
            ]}"#,
        )
        .unwrap();
        assert!(set.is_empty(), "{set:?}");
        assert!(JsonWebKeySet::parse(b"{\"nope\":1}").is_err());
    }
}
