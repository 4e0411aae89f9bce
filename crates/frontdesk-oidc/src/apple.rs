//! Sign in with Apple's client secret: not a fixed string but a short-lived
//! JWT the relying party signs (ES256) with the private key Apple issued
//! for it (a `.p8` file: PKCS#8 PEM of a P-256 key), naming the team, the
//! key and the client ("Creating a client secret", Apple's developer
//! documentation): header `{alg: ES256, kid}`, claims `{iss: team id, iat,
//! exp (≤ 6 months; here 5 minutes, one exchange), aud:
//! "https://appleid.apple.com", sub: client id (the Services ID)}`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

use crate::OidcError;

/// Who signs an Apple client secret.
pub struct AppleSigner<'a> {
    pub team_id: &'a str,
    pub key_id: &'a str,
    /// The `.p8` file's text.
    pub private_key_pem: &'a str,
}

/// How long a minted client secret is good for.
const LIFETIME_SECS: i64 = 300;

fn pem_der(pem: &str) -> Result<Vec<u8>, OidcError> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    STANDARD
        .decode(body)
        .map_err(|_| OidcError::Unreachable("the Apple private key is not PEM".to_owned()))
}

impl AppleSigner<'_> {
    /// A client secret for `client_id`, for `audience` (Apple's issuer),
    /// signed at `now` (seconds).
    pub fn client_secret(
        &self,
        client_id: &str,
        audience: &str,
        now: i64,
    ) -> Result<String, OidcError> {
        let der = pem_der(self.private_key_pem)?;
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(|_| {
                OidcError::Unreachable("the Apple private key is not a P-256 PKCS#8 key".to_owned())
            })?;
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let claims = json!({"iss": self.team_id, "iat": now, "exp": now + LIFETIME_SECS,
            "aud": audience, "sub": client_id});
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let sig = key
            .sign(&SystemRandom::new(), token.as_bytes())
            .map_err(|_| OidcError::Unreachable("signing the Apple client secret".to_owned()))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(sig.as_ref()));
        Ok(token)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, KeyPair, UnparsedPublicKey};

    use super::*;

    #[test]
    fn a_client_secret_is_an_es256_jwt_apple_can_check() {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let der = pair.to_pkcs8v1().unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(der.as_ref())
        );
        let signer = AppleSigner {
            team_id: "TEAM123456",
            key_id: "KEY1234567",
            private_key_pem: &pem,
        };
        let jwt = signer
            .client_secret(
                "com.example.web",
                "https://appleid.apple.com",
                1_700_000_000,
            )
            .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": "KEY1234567"}));
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "com.example.web");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        assert_eq!(claims["exp"], 1_700_000_300);
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref());
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .unwrap();
        let bad = AppleSigner {
            private_key_pem: "not a key",
            ..signer
        };
        assert!(bad.client_secret("c", "a", 0).is_err());
    }
}
