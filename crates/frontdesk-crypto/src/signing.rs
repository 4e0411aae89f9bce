//! RS256 signing keys and JWTs.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::SigningKeyRecord;
use frontdesk_types::SigningKeyId;
use frontdesk_types::jwks::RsaJwk;
use serde::Serialize;

/// Base64url without padding, the JOSE encoding.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("RSA key generation failed")]
    Generate,
    #[error("stored signing key {0} is not a valid RSA PKCS#8 key")]
    BadStoredKey(String),
    #[error("signing failed")]
    Sign,
    #[error("could not serialise JWT part: {0}")]
    Json(#[from] serde_json::Error),
}

/// An RSA-2048 key pair able to sign RS256 JWTs. `Debug` shows only the kid.
pub struct SigningKey {
    kid: SigningKeyId,
    pair: KeyPair,
    jwk: RsaJwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

impl SigningKey {
    /// Generate a fresh key and the record that persists it.
    pub fn generate(now: UnixMillis) -> Result<(Self, SigningKeyRecord), CryptoError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| CryptoError::Generate)?;
        let der = pair.as_der().map_err(|_| CryptoError::Generate)?;
        let record = SigningKeyRecord {
            id: SigningKeyId::generate(),
            private_pkcs8: der.as_ref().to_vec(),
            created_at: now,
            retired_at: None,
        };
        let key = Self::from_parts(record.id.clone(), pair);
        Ok((key, record))
    }

    /// Load a stored key.
    pub fn from_record(record: &SigningKeyRecord) -> Result<Self, CryptoError> {
        let pair = KeyPair::from_pkcs8(&record.private_pkcs8)
            .map_err(|_| CryptoError::BadStoredKey(record.id.to_string()))?;
        Ok(Self::from_parts(record.id.clone(), pair))
    }

    fn from_parts(kid: SigningKeyId, pair: KeyPair) -> Self {
        let public = pair.public_key();
        let jwk = RsaJwk::rs256(
            kid.as_str(),
            b64url(public.modulus().big_endian_without_leading_zero()),
            b64url(public.exponent().big_endian_without_leading_zero()),
        );
        Self { kid, pair, jwk }
    }

    pub fn kid(&self) -> &SigningKeyId {
        &self.kid
    }

    /// The public half, as a JWK.
    pub fn jwk(&self) -> &RsaJwk {
        &self.jwk
    }

    /// The public key as a PEM `PUBLIC KEY` (SPKI), for networkless
    /// verification (Clerk's `jwtKey` / `CLERK_JWT_KEY`).
    pub fn public_pem(&self) -> Result<String, CryptoError> {
        let der = self
            .pair
            .public_key()
            .as_der()
            .map_err(|_| CryptoError::Sign)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Ok(pem)
    }

    /// The RS256 (PKCS#1 v1.5, SHA-256) signature of `message`: for JWTs
    /// built by hand, such as the SDK's corpus of forged tokens, which must
    /// be signed by the real key to prove the verifier looks past the
    /// signature.
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| CryptoError::Sign)?;
        Ok(sig)
    }

    /// Sign `claims` as a compact RS256 JWT whose header holds `alg`, `kid`,
    /// `typ` and the `extra_header` members (such as Clerk's `cat`).
    pub fn sign_jwt<C: Serialize>(
        &self,
        extra_header: &[(&str, &str)],
        claims: &C,
    ) -> Result<String, CryptoError> {
        let mut header = serde_json::Map::new();
        header.insert("alg".into(), "RS256".into());
        header.insert("kid".into(), self.kid.as_str().into());
        header.insert("typ".into(), "JWT".into());
        for (k, v) in extra_header {
            header.insert((*k).to_owned(), (*v).into());
        }
        let mut token = b64url(serde_json::to_vec(&header)?);
        token.push('.');
        token.push_str(&b64url(serde_json::to_vec(claims)?));
        let sig = self.sign_rs256(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64url(sig));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn signed_jwt_verifies_against_its_jwk() {
        let (key, record) = SigningKey::generate(UnixMillis(0)).expect("generate");
        let reloaded = SigningKey::from_record(&record).expect("reload");
        assert_eq!(reloaded.jwk(), key.jwk());

        let jwt = key
            .sign_jwt(
                &[("cat", "cl_B7d4PD111AAA")],
                &serde_json::json!({"sub": "user_1"}),
            )
            .expect("sign");
        let (signed, sig) = jwt.rsplit_once('.').expect("three parts");
        let n = URL_SAFE_NO_PAD.decode(&key.jwk().n).expect("n");
        let e = URL_SAFE_NO_PAD.decode(&key.jwk().e).expect("e");
        let sig = URL_SAFE_NO_PAD.decode(sig).expect("sig");
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
            .expect("signature verifies");
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(signed.split('.').next().expect("header"))
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(
            header,
            serde_json::json!({"alg":"RS256","kid":key.kid().as_str(),"typ":"JWT","cat":"cl_B7d4PD111AAA"})
        );
        assert_eq!(n.len(), 256, "RSA-2048 modulus");
    }

    #[test]
    fn corrupt_stored_key_is_an_error_not_a_panic() {
        let record = SigningKeyRecord {
            id: SigningKeyId::generate(),
            private_pkcs8: vec![1, 2, 3],
            created_at: UnixMillis(0),
            retired_at: None,
        };
        assert!(matches!(
            SigningKey::from_record(&record),
            Err(CryptoError::BadStoredKey(_))
        ));
    }
}
