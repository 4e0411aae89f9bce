//! Proof Key for Code Exchange (RFC 7636), S256 only: the authorization
//! request carries `BASE64URL(SHA-256(verifier))`, the token request the
//! verifier, so a code intercepted on its way back is useless alone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A fresh verifier: 43 characters of base64url (256 bits), within RFC
/// 7636's 43–128 unreserved characters.
pub fn new_verifier() -> String {
    crate::random_token()
}

/// The `code_challenge` of `verifier` with `code_challenge_method=S256`.
pub fn challenge_s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        assert_eq!(
            challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_unreserved_characters_and_differ() {
        let (a, b) = (new_verifier(), new_verifier());
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }
}
