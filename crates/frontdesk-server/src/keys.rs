//! The key ring: signing keys loaded from the store, the one that signs, and
//! the set published in the JWKS.
//!
//! Keys live in the database so that every node of a cluster signs with the
//! same key and publishes the same set. Each node reloads the ring
//! periodically, so `frontdesk keys rotate` run anywhere takes effect
//! everywhere within one refresh interval. A retired key stays published for
//! `retired_key_retention_secs`, which configuration checks is longer than a
//! token lifetime plus the JWKS caching of verifiers.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use frontdesk_crypto::{CryptoError, SigningKey};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::SigningKeyRecord;
use frontdesk_store::{Store, StoreError};
use frontdesk_types::jwks::Jwks;

/// Why the ring could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("no active signing key in the database")]
    NoActiveKey,
}

struct Snapshot {
    active: Arc<SigningKey>,
    jwks: Jwks,
    /// The JWKS serialised once per reload, served as is.
    jwks_body: Arc<[u8]>,
    parsed: HashMap<String, Arc<SigningKey>>,
}

/// Shared, periodically refreshed signing keys.
pub struct KeyRing {
    retention_ms: i64,
    inner: RwLock<Snapshot>,
}

impl KeyRing {
    /// Load the ring from the store.
    pub async fn load(store: &dyn Store, retention_secs: u32) -> Result<Self, KeyRingError> {
        let records = store.signing_keys().await?;
        let snapshot = build(&records, &HashMap::new(), i64::from(retention_secs) * 1000)?;
        Ok(Self {
            retention_ms: i64::from(retention_secs) * 1000,
            inner: RwLock::new(snapshot),
        })
    }

    /// Reload from the store, reusing already parsed keys.
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), KeyRingError> {
        let records = store.signing_keys().await?;
        let parsed = self.read(|s| s.parsed.clone());
        let snapshot = build(&records, &parsed, self.retention_ms)?;
        if let Ok(mut guard) = self.inner.write() {
            *guard = snapshot;
        }
        Ok(())
    }

    fn read<T>(&self, f: impl FnOnce(&Snapshot) -> T) -> T {
        match self.inner.read() {
            Ok(guard) => f(&guard),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    /// The key new tokens are signed with.
    pub fn active(&self) -> Arc<SigningKey> {
        self.read(|s| s.active.clone())
    }

    /// The published key set.
    pub fn jwks(&self) -> Jwks {
        self.read(|s| s.jwks.clone())
    }

    /// The published key set, serialised.
    pub fn jwks_body(&self) -> Arc<[u8]> {
        self.read(|s| s.jwks_body.clone())
    }
}

fn build(
    records: &[SigningKeyRecord],
    parsed: &HashMap<String, Arc<SigningKey>>,
    retention_ms: i64,
) -> Result<Snapshot, KeyRingError> {
    let now = UnixMillis::now();
    let mut keys = HashMap::new();
    let mut published = Vec::new();
    let mut active = None;
    for record in records {
        let live = match record.retired_at {
            None => true,
            Some(at) => now.0 - at.0 < retention_ms,
        };
        if !live {
            continue;
        }
        let key = match parsed.get(record.id.as_str()) {
            Some(k) => k.clone(),
            None => Arc::new(SigningKey::from_record(record)?),
        };
        published.push(key.jwk().clone());
        if record.retired_at.is_none() && active.is_none() {
            active = Some(key.clone());
        }
        keys.insert(record.id.to_string(), key);
    }
    let active = active.ok_or(KeyRingError::NoActiveKey)?;
    let jwks = Jwks { keys: published };
    let jwks_body: Arc<[u8]> = serde_json::to_vec(&jwks).map_err(CryptoError::from)?.into();
    Ok(Snapshot {
        active,
        jwks,
        jwks_body,
        parsed: keys,
    })
}
