//! Operator actions on keys, shared by the CLI and start-up.

use frontdesk_crypto::{SigningKey, sha256_hex};
use frontdesk_domain::entities::{SecretKeyRecord, SigningKeyRecord};
use frontdesk_domain::{InstanceMode, SecretKey, UnixMillis};
use frontdesk_store::{Store, StoreError};
use frontdesk_types::{SecretKeyId, SigningKeyId};

use crate::keys::KeyRingError;

/// The record under which `key` is stored: its hash, never the key.
pub fn secret_key_record(key: &SecretKey, label: &str, now: UnixMillis) -> SecretKeyRecord {
    SecretKeyRecord {
        id: SecretKeyId::generate(),
        key_hash: sha256_hex(key.expose().as_bytes()),
        hint: key.hint(),
        label: label.to_owned(),
        created_at: now,
        revoked_at: None,
    }
}

/// Create a secret key; the returned key is the only copy of its text.
pub async fn create_secret_key(
    store: &dyn Store,
    mode: InstanceMode,
    label: &str,
) -> Result<(SecretKey, SecretKeyRecord), StoreError> {
    let key = SecretKey::generate(mode);
    let record = secret_key_record(&key, label, UnixMillis::now());
    store.insert_secret_key(&record).await?;
    Ok((key, record))
}

/// Register an operator-supplied key unless it was registered before (even if
/// it was since revoked: a revoked key must stay revoked across restarts).
/// Returns whether it was added.
pub async fn register_secret_key(
    store: &dyn Store,
    key: &SecretKey,
    label: &str,
) -> Result<bool, StoreError> {
    let hash = sha256_hex(key.expose().as_bytes());
    if store
        .list_secret_keys()
        .await?
        .iter()
        .any(|k| k.key_hash == hash)
    {
        return Ok(false);
    }
    match store
        .insert_secret_key(&secret_key_record(key, label, UnixMillis::now()))
        .await
    {
        Ok(()) => Ok(true),
        // Another node registered it at the same moment.
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Make a new signing key the active one; the old one is retired but stays
/// published for the retention period.
pub async fn rotate_signing_key(store: &dyn Store) -> Result<SigningKeyId, KeyRingError> {
    let (_, record) = SigningKey::generate(UnixMillis::now())?;
    store.rotate_signing_key(&record).await?;
    Ok(record.id)
}

/// Make sure a signing key exists, generating one only when none does.
pub async fn ensure_signing_key(store: &dyn Store) -> Result<SigningKeyRecord, KeyRingError> {
    if let Some(active) = store
        .signing_keys()
        .await?
        .into_iter()
        .find(|k| k.retired_at.is_none())
    {
        return Ok(active);
    }
    let (_, record) = SigningKey::generate(UnixMillis::now())?;
    Ok(store.ensure_signing_key(&record).await?)
}
