//! Secrets at rest: AES-256-GCM (aws-lc-rs) under the operator's key.
//!
//! A sealed value is text, `fdseal1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`,
//! so it fits the columns that held the plain value. The key id (the first
//! eight hex digits of the key's SHA-256) says which key sealed it, so that
//! values sealed under the previous key still open while
//! `frontdesk keys rotate-encryption` reseals them. The context (the column
//! and the row, say `totps.secret:user_…`) is the AEAD's additional data:
//! a sealed value copied to another row or column does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The marker of a sealed value.
pub const SEALED_PREFIX: &str = "fdseal1.";

/// Why a key or a sealed value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("an encryption key is 32 bytes in base64 (`openssl rand -base64 32`)")]
    BadKey,
    #[error("sealed under key {0}, which is not configured")]
    UnknownKey(String),
    #[error("a sealed value does not open: wrong key, wrong place or damaged")]
    Damaged,
    #[error("the value is not sealed and plain values are not accepted")]
    Plain,
}

/// One key: its id and the AEAD key.
struct Key {
    id: String,
    key: LessSafeKey,
}

impl Key {
    fn parse(text: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(text.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('=')))
            .map_err(|_| SealError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SealError::BadKey);
        }
        let id = crate::sha256_hex(&bytes)[..8].to_owned();
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::BadKey)?;
        Ok(Self {
            id,
            key: LessSafeKey::new(key),
        })
    }
}

/// The keys secrets are sealed with: the current one, and earlier ones
/// that still open what they sealed.
pub struct Sealer {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Sealer {
    /// From the current key and earlier ones (base64 of 32 bytes each).
    pub fn new(current: &str, previous: &[String]) -> Result<Self, SealError> {
        Ok(Self {
            current: Key::parse(current)?,
            previous: previous
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A fresh key, base64 (for `frontdesk keys new-encryption-key`).
    pub fn generate_key() -> String {
        let mut bytes = [0u8; 32];
        let _ = SystemRandom::new().fill(&mut bytes);
        STANDARD.encode(bytes)
    }

    /// The current key's id.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// Seal `plain` for the place `context` names.
    pub fn seal(&self, plain: &[u8], context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        // The system RNG does not fail on the platforms Frontdesk runs on;
        // if it did, a zero nonce under a random key is still not reused
        // in practice, but refuse to find out: panic is the honest answer.
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system random number generator works");
        let mut buf = plain.to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("AES-GCM seals any length Frontdesk stores");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        format!(
            "{SEALED_PREFIX}{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// Open a value sealed for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let rest = sealed.strip_prefix(SEALED_PREFIX).ok_or(SealError::Plain)?;
        let (id, body) = rest.split_once('.').ok_or(SealError::Damaged)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
        let mut bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Damaged)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Damaged);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[..NONCE_LEN]);
        let plain = key
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut bytes[NONCE_LEN..],
            )
            .map_err(|_| SealError::Damaged)?;
        Ok(plain.to_vec())
    }

    /// Whether `value` is sealed under the current key already.
    pub fn is_current(&self, value: &str) -> bool {
        value
            .strip_prefix(SEALED_PREFIX)
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(id, _)| id == self.current.id)
    }
}

/// Whether a stored value is sealed (by any key).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_in_its_place_and_under_its_key() {
        let k1 = Sealer::generate_key();
        let k2 = Sealer::generate_key();
        let one = Sealer::new(&k1, &[]).unwrap();
        let sealed = one.seal(b"JBSWY3DPEHPK3PXP", "totps.secret:user_1");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            one.open(&sealed, "totps.secret:user_1").unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert_eq!(
            one.open(&sealed, "totps.secret:user_2"),
            Err(SealError::Damaged),
            "another row"
        );
        assert_ne!(
            one.seal(b"x", "c"),
            one.seal(b"x", "c"),
            "a fresh nonce each time"
        );

        // Rotation: the new key seals, the old one still opens.
        let two = Sealer::new(&k2, std::slice::from_ref(&k1)).unwrap();
        assert_eq!(
            two.open(&sealed, "totps.secret:user_1").unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(!two.is_current(&sealed));
        assert!(two.is_current(&two.seal(b"x", "c")));
        let only_new = Sealer::new(&k2, &[]).unwrap();
        assert!(matches!(
            only_new.open(&sealed, "totps.secret:user_1"),
            Err(SealError::UnknownKey(_))
        ));

        // Damage is detected.
        let mut broken = sealed.clone();
        broken.pop();
        broken.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            one.open(&broken, "totps.secret:user_1"),
            Err(SealError::Damaged)
        );
        assert_eq!(one.open("plain", "c"), Err(SealError::Plain));
    }

    #[test]
    fn keys_are_32_bytes_of_base64_and_never_printed() {
        assert_eq!(Sealer::new("c2hvcnQ=", &[]).err(), Some(SealError::BadKey));
        assert_eq!(
            Sealer::new("not base64!", &[]).err(),
            Some(SealError::BadKey)
        );
        let key = Sealer::generate_key();
        let sealer = Sealer::new(&key, &[]).unwrap();
        assert!(!format!("{sealer:?}").contains(&key));
    }
}
