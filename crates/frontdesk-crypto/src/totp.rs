//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as every
//! authenticator app implements them: HMAC-SHA-1, 6 digits, 30-second steps,
//! a 160-bit secret shown to the user as unpadded base32.
//!
//! The groundwork of the second factor (issue 15): a code is accepted for
//! the current step and one on either side (clock drift), and never for a
//! step at or before the last one accepted, so a code seen over a shoulder
//! cannot be replayed within its window. Storing that step atomically is the
//! store's job; deciding on it is [`verify`]'s.

use std::fmt;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::constant_time_eq;

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of the current one.
pub const SKEW_STEPS: u64 = 1;

/// A TOTP secret. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// A secret that is not base32, or too short to be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a TOTP secret: base32 of at least 16 bytes expected")]
pub struct BadSecret;

impl TotpSecret {
    /// 20 bytes (160 bits, RFC 4226's recommendation) from the OS CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 20];
        while SystemRandom::new().fill(&mut bytes).is_err() {}
        Self(bytes)
    }

    /// From the base32 an authenticator app shows (spaces and case ignored).
    pub fn from_base32(text: &str) -> Result<Self, BadSecret> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| BadSecret)?;
        if bytes.len() < 16 {
            return Err(BadSecret);
        }
        Ok(Self(bytes))
    }

    /// Unpadded base32, as typed into an authenticator app.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://` URI a QR code carries (Google Authenticator's key URI
    /// format), labelled `issuer:account`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{issuer}:{account}");
        let enc = |s: &str| url_encode(s);
        format!(
            "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            enc(&label),
            self.to_base32(),
            enc(issuer),
        )
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The step a Unix time falls in.
pub fn step_at(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECS
}

/// The `digits`-digit HOTP code of `secret` for counter `step` (RFC 4226
/// §5.3, dynamic truncation).
pub fn code_at(secret: &TotpSecret, step: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &secret.0);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let h = mac.as_ref();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let binary = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    let modulus = 10u32.pow(digits);
    format!("{:0width$}", binary % modulus, width = digits as usize)
}

/// The step `candidate` is the code of, if it is one of the steps around
/// `unix_secs` and later than `last_used` (replay refused). The caller
/// records the returned step as the new `last_used`, conditionally on the
/// old one, so that two requests cannot both spend one code.
pub fn verify(
    secret: &TotpSecret,
    candidate: &str,
    unix_secs: u64,
    last_used: Option<u64>,
) -> Option<u64> {
    let candidate = candidate.trim();
    if candidate.len() != DIGITS as usize || !candidate.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_secs);
    let mut matched = None;
    // Every window is computed, so the time taken does not say which matched.
    for step in now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS {
        let right = constant_time_eq(
            code_at(secret, step, DIGITS).as_bytes(),
            candidate.as_bytes(),
        );
        if right && last_used.is_none_or(|used| step > used) && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1, 8 digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(&secret, step_at(time), 8), code, "T = {time}");
        }
    }

    #[test]
    fn codes_are_accepted_one_step_either_side_and_never_twice() {
        let secret = TotpSecret::generate();
        let now = 1_700_000_000;
        let step = step_at(now);
        let earlier = code_at(&secret, step - 1, DIGITS);
        assert_eq!(verify(&secret, &earlier, now, None), Some(step - 1));
        let too_old = code_at(&secret, step - 2, DIGITS);
        assert_eq!(verify(&secret, &too_old, now, None), None);
        let current = code_at(&secret, step, DIGITS);
        assert_eq!(verify(&secret, &current, now, Some(step)), None, "replayed");
        assert_eq!(
            verify(&secret, &current, now, Some(step - 1)),
            Some(step),
            "a later code after an earlier one"
        );
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn secrets_round_trip_through_base32_and_stay_out_of_logs() {
        let secret = TotpSecret::generate();
        let text = secret.to_base32();
        assert_eq!(text.len(), 32);
        let spaced = text
            .to_lowercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(TotpSecret::from_base32(&spaced), Ok(secret.clone()));
        assert_eq!(TotpSecret::from_base32("NOTBASE32!"), Err(BadSecret));
        assert!(!format!("{secret:?}").contains(&text));
        let uri = secret.otpauth_uri("Acme Inc", "ada@example.com");
        assert!(uri.starts_with("otpauth://totp/Acme%20Inc%3Aada%40example.com?secret="));
        assert!(uri.contains("&issuer=Acme%20Inc&algorithm=SHA1&digits=6&period=30"));
    }
}
