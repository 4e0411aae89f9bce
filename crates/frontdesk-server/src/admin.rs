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
    let (key, record) = new_secret_key(mode, label);
    store.insert_secret_key(&record).await?;
    Ok((key, record))
}

/// A new secret key and its record, not yet stored.
pub fn new_secret_key(mode: InstanceMode, label: &str) -> (SecretKey, SecretKeyRecord) {
    let key = SecretKey::generate(mode);
    let record = secret_key_record(&key, label, UnixMillis::now());
    (key, record)
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

/// Where an app's users sign in and sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInPages {
    /// Frontdesk's hosted pages, as Clerk's Account Portal: nothing to add
    /// to the app.
    #[default]
    Hosted,
    /// `/sign-in` and `/sign-up` pages of the app itself (`<SignIn/>`,
    /// `<SignUp/>`), as in Clerk's custom-page guides.
    InApp,
}

/// A line of an environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvLine {
    Comment(String),
    Var(&'static str, String),
}

impl std::fmt::Display for EnvLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Comment(text) => write!(f, "# {text}"),
            Self::Var(name, value) => write!(f, "{name}={value}"),
        }
    }
}

/// The variables of `lines`, without the comments.
pub fn env_vars(lines: &[EnvLine]) -> Vec<(&'static str, String)> {
    lines
        .iter()
        .filter_map(|l| match l {
            EnvLine::Var(name, value) => Some((*name, value.clone())),
            EnvLine::Comment(_) => None,
        })
        .collect()
}

/// The environment of a Next.js app using `@clerk/nextjs` against this
/// instance (`.env.local`): what `frontdesk keys show --format nextjs`
/// prints. Every value is one that works: without `secret_key` the secret
/// key line is a comment saying how to get one, never a placeholder that
/// looks like a key.
pub fn nextjs_env(
    api_origin: &str,
    publishable_key: &frontdesk_domain::PublishableKey,
    secret_key: Option<&str>,
    pages: SignInPages,
) -> Vec<EnvLine> {
    let var = |name: &'static str, value: String| EnvLine::Var(name, value);
    let comment = |text: &str| EnvLine::Comment(text.to_owned());
    let mut lines = vec![
        comment("Frontdesk, for @clerk/nextjs (frontdesk keys show --format nextjs)."),
        var(
            "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
            publishable_key.as_str().to_owned(),
        ),
    ];
    match secret_key {
        Some(key) => lines.push(var("CLERK_SECRET_KEY", key.to_owned())),
        None => {
            lines.push(comment(
                "CLERK_SECRET_KEY is needed: run `frontdesk keys show --format nextjs --new-secret-key`",
            ));
            lines.push(comment(
                "for a block with a new one, or `frontdesk keys secret create` and paste it here.",
            ));
        }
    }
    lines.extend([
        var("NEXT_PUBLIC_CLERK_PROXY_URL", api_origin.to_owned()),
        var("CLERK_API_URL", api_origin.to_owned()),
        var(
            "NEXT_PUBLIC_CLERK_JS_URL",
            format!("{api_origin}/npm/@clerk/clerk-js@6/dist/clerk.browser.js"),
        ),
        var(
            "NEXT_PUBLIC_CLERK_UI_URL",
            format!("{api_origin}/npm/@clerk/ui@1/dist/ui.browser.js"),
        ),
    ]);
    match pages {
        SignInPages::Hosted => lines.extend([
            comment(
                "Sign-in and sign-up on Frontdesk's hosted pages (like Clerk's Account Portal).",
            ),
            comment("For /sign-in and /sign-up pages in your app, use --in-app-pages."),
            var(
                "NEXT_PUBLIC_CLERK_SIGN_IN_URL",
                format!("{api_origin}/sign-in"),
            ),
            var(
                "NEXT_PUBLIC_CLERK_SIGN_UP_URL",
                format!("{api_origin}/sign-up"),
            ),
        ]),
        SignInPages::InApp => lines.extend([
            comment("Sign-in and sign-up on your app's own /sign-in and /sign-up pages."),
            var("NEXT_PUBLIC_CLERK_SIGN_IN_URL", "/sign-in".to_owned()),
            var("NEXT_PUBLIC_CLERK_SIGN_UP_URL", "/sign-up".to_owned()),
        ]),
    }
    lines.extend([
        comment("Nothing leaves your machine."),
        var("NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED", "1".to_owned()),
        var("CLERK_TELEMETRY_DISABLED", "1".to_owned()),
        var("NEXT_TELEMETRY_DISABLED", "1".to_owned()),
    ]);
    lines
}
