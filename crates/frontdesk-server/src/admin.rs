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

/// The environment a Next.js app with `@clerk/nextjs` needs to run against
/// this instance (clerk-protocol.md §1.7): what `frontdesk keys show
/// --format nextjs` prints, and what the drop-in test starts the seed's app
/// with. `secret_key` is `None` when the caller has none to show (keys are
/// stored hashed); the line then says where to get one.
///
/// The app must be on the same site as `api_origin` (same host, any port):
/// clerk-js keeps the browser's client in Frontdesk's `__client` cookie,
/// which is `SameSite=Lax`. Both script URLs are needed: with only a proxy
/// URL, clerk-js would fetch its bundles over https.
pub fn nextjs_env(
    api_origin: &str,
    publishable_key: &frontdesk_domain::PublishableKey,
    mode: frontdesk_domain::InstanceMode,
    secret_key: Option<&str>,
) -> Vec<(&'static str, String)> {
    let secret = secret_key.map_or_else(
        || {
            format!(
                "sk_{}_…  # from `frontdesk keys secret create`, or use --new-secret-key",
                mode.key_infix()
            )
        },
        str::to_owned,
    );
    vec![
        (
            "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
            publishable_key.as_str().to_owned(),
        ),
        ("CLERK_SECRET_KEY", secret),
        ("NEXT_PUBLIC_CLERK_PROXY_URL", api_origin.to_owned()),
        ("CLERK_API_URL", api_origin.to_owned()),
        (
            "NEXT_PUBLIC_CLERK_JS_URL",
            format!("{api_origin}/npm/@clerk/clerk-js@6/dist/clerk.browser.js"),
        ),
        (
            "NEXT_PUBLIC_CLERK_UI_URL",
            format!("{api_origin}/npm/@clerk/ui@1/dist/ui.browser.js"),
        ),
        ("NEXT_PUBLIC_CLERK_SIGN_IN_URL", "/sign-in".to_owned()),
        ("NEXT_PUBLIC_CLERK_SIGN_UP_URL", "/sign-up".to_owned()),
        ("NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED", "1".to_owned()),
        ("CLERK_TELEMETRY_DISABLED", "1".to_owned()),
        ("NEXT_TELEMETRY_DISABLED", "1".to_owned()),
    ]
}
