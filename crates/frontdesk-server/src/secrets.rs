//! The operator's encryption key for secrets at rest (TOTP secrets, JWT
//! signing keys, webhook signing secrets): read from `encryption_key`
//! (`FRONTDESK_ENCRYPTION_KEY`) or `encryption_key_file`, with
//! `previous_encryption_keys` still opening what they sealed during a
//! rotation; handed to the store, which seals and opens
//! ([`frontdesk_store::secrets`]).
//!
//! Production instances refuse to start without a key rather than keep
//! those secrets in the clear; development instances may run without one
//! (and say so at start).

use std::sync::Arc;

use frontdesk_crypto::Sealer;
use frontdesk_domain::InstanceMode;
use frontdesk_store::Cipher;

use crate::config::{Config, ConfigError};

/// [`Sealer`] as the store's [`Cipher`].
struct SealerCipher(Sealer);

impl Cipher for SealerCipher {
    fn seal(&self, plain: &[u8], context: &str) -> String {
        self.0.seal(plain, context)
    }

    fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, String> {
        self.0.open(sealed, context).map_err(|e| e.to_string())
    }

    fn is_current(&self, sealed: &str) -> bool {
        self.0.is_current(sealed)
    }
}

/// The configured key, if any, as the store's cipher.
pub fn cipher(config: &Config) -> Result<Option<Arc<dyn Cipher>>, ConfigError> {
    let key = match (&config.encryption_key, &config.encryption_key_file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                "encryption_key",
                "set encryption_key or encryption_key_file, not both",
            ));
        }
        (Some(k), None) => k.expose().to_owned(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| {
                ConfigError::new(
                    "encryption_key_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?
            .trim()
            .to_owned(),
        (None, None) => return Ok(None),
    };
    let previous: Vec<String> = config
        .previous_encryption_keys
        .iter()
        .map(|k| k.expose().to_owned())
        .collect();
    let sealer = Sealer::new(&key, &previous)
        .map_err(|e| ConfigError::new("encryption_key", e.to_string()))?;
    Ok(Some(Arc::new(SealerCipher(sealer))))
}

/// A production instance needs a key; a development one is told it runs
/// without.
pub fn check_mode(config: &Config, mode: InstanceMode) -> Result<(), ConfigError> {
    if config.encryption_key.is_some() || config.encryption_key_file.is_some() {
        return Ok(());
    }
    match mode {
        InstanceMode::Production => Err(ConfigError::new(
            "encryption_key",
            "a production instance keeps TOTP secrets, signing keys and webhook secrets encrypted: \
             set FRONTDESK_ENCRYPTION_KEY to the output of `frontdesk keys new-encryption-key` \
             (or encryption_key_file to a file holding it)",
        )),
        InstanceMode::Development => {
            tracing::info!(
                "no encryption_key: TOTP secrets, signing keys and webhook secrets are stored unencrypted (development only)"
            );
            Ok(())
        }
    }
}
