//! Hashes for secrets at rest.

use aws_lc_rs::digest;

/// Lower-case hex SHA-256. Secret keys and client tokens are high-entropy
/// random strings, so a fast unsalted hash is the right tool: it lets the
/// server find the record by hash without storing anything replayable.
pub fn sha256_hex(data: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = String::with_capacity(64);
    for b in d.as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Standard base64 of SHA-256: the form of a CSP script hash
/// (`'sha256-…'`).
pub fn sha256_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    let d = digest::digest(&digest::SHA256, data);
    base64::engine::general_purpose::STANDARD.encode(d.as_ref())
}

/// npm's integrity string of `data`: `sha512-` and the standard base64 of
/// its SHA-512 (Subresource Integrity, as `dist.integrity` in the registry).
pub fn sha512_integrity(data: &[u8]) -> String {
    use base64::Engine as _;
    let d = digest::digest(&digest::SHA512, data);
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(d.as_ref())
    )
}

/// `n` decimal digits from the OS CSPRNG, uniformly distributed (rejection
/// sampling avoids the bias of `byte % 10`).
pub fn random_digits(n: usize) -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 32];
    while out.len() < n {
        if rng.fill(&mut buf).is_err() {
            continue;
        }
        for b in buf {
            if b < 250 && out.len() < n {
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
    out
}

/// Clerk's cookie suffix for a publishable key: the first 8 characters of the
/// URL-safe base64 of SHA-1(key). Not a security measure, only a name that
/// keeps two instances' cookies on one host apart, so SHA-1 is what the SDKs
/// expect and all that is needed.
pub fn cookie_suffix(publishable_key: &str) -> String {
    use base64::Engine;
    let d = digest::digest(
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        publishable_key.as_bytes(),
    );
    base64::engine::general_purpose::URL_SAFE
        .encode(d.as_ref())
        .chars()
        .take(8)
        .collect()
}

/// Compare secrets without leaking the position of the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn digits_are_digits() {
        let code = random_digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(random_digits(12), random_digits(12));
    }

    #[test]
    fn cookie_suffixes_match_clerks() {
        // Observed with Clerk's SDKs (clerk-protocol.md §1.1).
        assert_eq!(
            cookie_suffix("pk_test_cHJvYmUtc3R1Yi0wMC5jbGVyay5hY2NvdW50cy5kZXYk"),
            "kjanKkXK"
        );
        assert_eq!(cookie_suffix("pk_live_MTI3LjAuMC4xOjQwMDAk"), "G1Ze9mJX");
    }

    #[test]
    fn equality() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"diff"));
        assert!(!constant_time_eq(b"short", b"longer"));
    }
}
