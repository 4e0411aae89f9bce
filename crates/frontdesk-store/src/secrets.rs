//! Secrets at rest: TOTP secrets, JWT signing keys and webhook signing
//! secrets are sealed (authenticated encryption) by the adapters as they
//! are written, and opened as they are read, so everything above the store
//! holds them in the clear and every column holding one holds ciphertext.
//!
//! The store does no cryptography itself: the server hands the adapter a
//! [`Cipher`] (`frontdesk_crypto::Sealer`, AES-256-GCM under the operator's
//! key). Each value is sealed for its place (`totps.secret:<user id>`), so
//! a sealed value copied into another row does not open. A value stored in
//! the clear (before a key was configured) still reads;
//! [`SecretStore::reseal_secrets`] seals it, and reseals values sealed
//! under an earlier key, with a conditional update per value.

use async_trait::async_trait;

use crate::StoreResult;

/// What sealed values start with (and plain ones never do: TOTP secrets
/// are base32, webhook secrets `whsec_…`, signing keys DER).
pub const SEALED_PREFIX: &[u8] = b"fdseal1.";

/// Seals and opens secrets for the store.
pub trait Cipher: Send + Sync {
    /// `plain` sealed for `context`, as text.
    fn seal(&self, plain: &[u8], context: &str) -> String;
    /// A value sealed for `context`; `Err` with the reason when it does not
    /// open (another key, another place, damage).
    fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, String>;
    /// Whether `sealed` is sealed under the current key.
    fn is_current(&self, sealed: &str) -> bool;
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// How many values [`SecretStore::reseal_secrets`] sealed, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    pub totp_secrets: u64,
    pub signing_keys: u64,
    pub webhook_secrets: u64,
    /// Providers' client secrets and the tokens they gave.
    pub oauth_secrets: u64,
}

#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Seal every secret not yet sealed under the current key. Each value
    /// is written over the exact value read (a value changed meanwhile is
    /// left to the next run). Without a cipher, nothing changes.
    async fn reseal_secrets(&self) -> StoreResult<Resealed>;
}
