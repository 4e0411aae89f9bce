//! The instance's settings ([`InstanceSettings`]), stored as one document in
//! the database and held in memory by every node.
//!
//! Reads on a request's path take the snapshot in memory
//! ([`SettingsHolder::get`], no await). The snapshot is replaced at once
//! when this node changes a setting, and re-read every second in the
//! background, so a change made on another node or with `frontdesk
//! settings` reaches every node within about a second. What clerk-js
//! renders its forms from (`/v1/environment`) and the hosted pages read the
//! database on every request ([`SettingsHolder::reload`]): a change shows
//! there at once, on every node, without a restart.
//!
//! Changes are compare-and-swap on the stored document ([`update`]): two
//! administrators changing different settings at once both land.

use std::sync::{Arc, RwLock};

use frontdesk_domain::oauth::OAuthStrategy;
use frontdesk_domain::settings::SettingError;
use frontdesk_domain::{InstanceMode, InstanceSettings, RedirectPolicy, UnixMillis};
use frontdesk_store::{Store, StoreError};
use serde_json::Value;
use url::Url;

use crate::config::Config;

/// The setting's name in the store.
pub const SETTING: &str = "instance";

/// The settings in force, with what is derived from them.
#[derive(Debug)]
pub struct Snapshot {
    pub settings: InstanceSettings,
    /// Where browsers may be sent, and which origins are trusted.
    pub redirects: RedirectPolicy,
}

/// The current [`Snapshot`], shared by every request of this node.
pub struct SettingsHolder {
    /// The snapshot, and how many times it was replaced: a reload puts what
    /// it read in force only if nothing replaced the snapshot while it was
    /// reading (else a change made on this node meanwhile would be undone by
    /// the older copy for up to a second).
    current: RwLock<(Arc<Snapshot>, u64)>,
    own: Url,
    mode: InstanceMode,
}

impl SettingsHolder {
    pub fn new(settings: InstanceSettings, own: Url, mode: InstanceMode) -> Self {
        let snapshot = Arc::new(snapshot(settings, &own, mode));
        Self {
            current: RwLock::new((snapshot, 0)),
            own,
            mode,
        }
    }

    pub fn get(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    fn generation(&self) -> u64 {
        self.current.read().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Put `settings` in force on this node.
    pub fn set(&self, settings: InstanceSettings) -> Arc<Snapshot> {
        self.set_if(settings, None)
    }

    /// Put `settings` in force unless the snapshot was replaced since
    /// `generation` (then keep, and return, the newer one).
    fn set_if(&self, settings: InstanceSettings, generation: Option<u64>) -> Arc<Snapshot> {
        let next = Arc::new(snapshot(settings, &self.own, self.mode));
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if generation.is_some_and(|g| g != current.1) {
            return current.0.clone();
        }
        *current = (next.clone(), current.1 + 1);
        next
    }

    /// Read the stored settings and put them in force. If the database
    /// cannot be read, the snapshot in memory is kept and returned.
    pub async fn reload(&self, store: &dyn Store) -> Arc<Snapshot> {
        let generation = self.generation();
        match read(store).await {
            Ok(Some(settings)) if settings != self.get().settings => {
                self.set_if(settings, Some(generation))
            }
            Ok(_) => self.get(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the instance settings; keeping the last ones");
                self.get()
            }
        }
    }
}

fn snapshot(settings: InstanceSettings, own: &Url, mode: InstanceMode) -> Snapshot {
    let redirects = RedirectPolicy::new(
        own.clone(),
        &settings.allowed_origins,
        mode == InstanceMode::Development,
    );
    Snapshot {
        settings,
        redirects,
    }
}

/// Why settings could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Invalid(#[from] SettingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn parse(value: Value) -> Result<InstanceSettings, StoreError> {
    serde_json::from_value(value)
        .map_err(|e| StoreError::Corrupt(format!("instance settings: {e}")))
}

/// The stored settings, if the instance has any yet.
pub async fn read(store: &dyn Store) -> Result<Option<InstanceSettings>, StoreError> {
    store.setting(SETTING).await?.map(parse).transpose()
}

/// The stored settings; on a first start, `seed` is stored first (several
/// nodes starting at once store one of theirs, and all use it).
pub async fn load_or_seed(
    store: &dyn Store,
    seed: &InstanceSettings,
) -> Result<(InstanceSettings, bool), StoreError> {
    if let Some(stored) = read(store).await? {
        return Ok((stored, false));
    }
    let value = serde_json::to_value(seed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let seeded = store
        .swap_setting(SETTING, None, &value, UnixMillis::now())
        .await?;
    let stored = read(store).await?.unwrap_or_else(|| seed.clone());
    Ok((stored, seeded))
}

/// What `frontdesk.toml` says the settings are: the first start's.
pub fn seed_from(config: &Config, mode: InstanceMode) -> InstanceSettings {
    let mut s = InstanceSettings {
        test_mode: mode == InstanceMode::Development,
        allowed_origins: config.allowed_origins.clone(),
        hide_user_existence: config.hide_user_existence,
        branding: config.branding.clone(),
        ..InstanceSettings::default()
    };
    s.passwords.min_length = u32::try_from(config.min_password_length).unwrap_or(u32::MAX);
    s.sessions.lifetime_secs = config.session_lifetime_secs;
    s.sessions.inactivity_timeout_secs = config.session_inactivity_timeout_secs;
    s
}

/// Where the configuration file disagrees with the stored settings (which
/// win: they may have been changed since the first start), one line each.
pub fn drift(config: &Config, mode: InstanceMode, stored: &InstanceSettings) -> Vec<String> {
    let seed = serde_json::to_value(seed_from(config, mode)).unwrap_or_default();
    let stored = serde_json::to_value(stored).unwrap_or_default();
    let mut out = Vec::new();
    // Only the keys frontdesk.toml can set.
    for path in [
        "/allowed_origins",
        "/hide_user_existence",
        "/branding",
        "/passwords/min_length",
        "/sessions/lifetime_secs",
        "/sessions/inactivity_timeout_secs",
    ] {
        let (a, b) = (seed.pointer(path), stored.pointer(path));
        if a != b {
            out.push(format!(
                "{}: the configuration says {}, the instance's setting is {} (the setting wins; change it with `frontdesk settings set`)",
                &path[1..].replace('/', "."),
                a.map(Value::to_string).unwrap_or_default(),
                b.map(Value::to_string).unwrap_or_default(),
            ));
        }
    }
    out
}

/// Change the settings: `change` runs on the stored document, the result is
/// validated as a whole, and written only over the document it was read
/// from; if another writer came first, `change` runs again on theirs.
pub async fn update<E>(
    store: &dyn Store,
    seed: &InstanceSettings,
    mut change: impl FnMut(&mut InstanceSettings) -> Result<(), E>,
) -> Result<Result<InstanceSettings, E>, SettingsError> {
    loop {
        let stored = store.setting(SETTING).await?;
        let mut settings = match stored.clone() {
            Some(v) => parse(v)?,
            None => seed.clone(),
        };
        if let Err(e) = change(&mut settings) {
            return Ok(Err(e));
        }
        settings.validate()?;
        let value =
            serde_json::to_value(&settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if store
            .swap_setting(SETTING, stored.as_ref(), &value, UnixMillis::now())
            .await?
        {
            return Ok(Ok(settings));
        }
        tokio::task::yield_now().await;
    }
}

/// Set one setting by its dotted path (`sessions.lifetime_secs`) to `raw`,
/// read as JSON when it parses as JSON and as a string otherwise
/// (`branding.application_name=Acme`).
pub fn set_path(
    settings: &mut InstanceSettings,
    path: &str,
    raw: &str,
) -> Result<(), SettingError> {
    let mut doc =
        serde_json::to_value(&*settings).map_err(|e| SettingError::new(path, e.to_string()))?;
    let pointer = format!("/{}", path.replace('.', "/"));
    // A provider named for the first time starts from its defaults.
    if let Some((strategy, _)) = path
        .strip_prefix("social.")
        .and_then(|rest| rest.split_once('.'))
        && let Some(social) = doc.get_mut("social").and_then(Value::as_object_mut)
        && !social.contains_key(strategy)
    {
        let fresh = serde_json::to_value(frontdesk_domain::oauth::SocialConnection::default())
            .map_err(|e| SettingError::new(path, e.to_string()))?;
        social.insert(strategy.to_owned(), fresh);
    }
    let slot = doc
        .pointer_mut(&pointer)
        .ok_or_else(|| SettingError::new(path, "there is no such setting"))?;
    *slot = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    *settings = serde_json::from_value(doc).map_err(|e| SettingError::new(path, e.to_string()))?;
    Ok(())
}

/// The strategy whose client secret `path` names
/// (`social.oauth_google.client_secret`): the one setting kept apart from
/// the document, sealed, and never shown.
pub fn client_secret_path(path: &str) -> Option<&str> {
    let (strategy, field) = path.strip_prefix("social.")?.split_once('.')?;
    (field == "client_secret").then_some(strategy)
}

/// Take the client secrets out of a merge patch of the document
/// (`{"social": {"oauth_google": {"client_secret": "…"}}}`; `null` removes
/// one): the strategy and the new secret of each.
pub fn take_client_secrets(
    patch: &mut Value,
) -> Result<Vec<(OAuthStrategy, Option<String>)>, SettingError> {
    let mut out = Vec::new();
    let Some(social) = patch.get_mut("social").and_then(Value::as_object_mut) else {
        return Ok(out);
    };
    for (strategy, connection) in social.iter_mut() {
        let Some(c) = connection.as_object_mut() else {
            continue;
        };
        let Some(secret) = c.remove("client_secret") else {
            continue;
        };
        let path = format!("social.{strategy}.client_secret");
        let strategy =
            OAuthStrategy::parse(strategy).map_err(|e| SettingError::new(&path, e.to_string()))?;
        let secret = match secret {
            Value::Null => None,
            Value::String(s) if !s.is_empty() && s.len() <= 4096 => Some(s),
            _ => {
                return Err(SettingError::new(
                    &path,
                    "must be a non-empty string (or null)",
                ));
            }
        };
        out.push((strategy, secret));
    }
    Ok(out)
}

/// Keep the client secrets a settings change carried (sealed by the store).
pub async fn store_client_secrets(
    store: &dyn Store,
    secrets: &[(OAuthStrategy, Option<String>)],
) -> Result<(), StoreError> {
    for (strategy, secret) in secrets {
        store
            .set_client_secret(strategy.as_str(), secret.as_deref(), UnixMillis::now())
            .await?;
    }
    Ok(())
}

/// One setting by its dotted path, or the whole document for `None`.
pub fn get_path(settings: &InstanceSettings, path: Option<&str>) -> Result<Value, SettingError> {
    let doc = serde_json::to_value(settings).map_err(|e| SettingError::new("", e.to_string()))?;
    match path {
        None => Ok(doc),
        Some(p) => doc
            .pointer(&format!("/{}", p.replace('.', "/")))
            .cloned()
            .ok_or_else(|| SettingError::new(p, "there is no such setting")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_set_typed_values() {
        let mut s = InstanceSettings::default();
        set_path(&mut s, "sessions.lifetime_secs", "3600").expect("sets");
        set_path(&mut s, "branding.application_name", "Acme").expect("sets");
        assert_eq!(s.sessions.lifetime_secs, 3600);
        assert_eq!(s.branding.application_name, "Acme");
        assert!(set_path(&mut s, "sessions.lifetime_secs", "soon").is_err());
        assert!(set_path(&mut s, "nope.nothing", "1").is_err());
        assert_eq!(
            get_path(&s, Some("sessions.lifetime_secs")).expect("gets"),
            serde_json::json!(3600)
        );
    }

    #[test]
    fn a_reload_that_read_before_a_change_does_not_undo_it() {
        let own: Url = "http://127.0.0.1:4000".parse().expect("url");
        let holder =
            SettingsHolder::new(InstanceSettings::default(), own, InstanceMode::Development);
        let read_at = holder.generation();
        let mut newer = InstanceSettings::default();
        newer.passwords.min_length = 14;
        holder.set(newer.clone());
        // The reload's copy was read before `set`: it is dropped.
        let kept = holder.set_if(InstanceSettings::default(), Some(read_at));
        assert_eq!(kept.settings, newer);
        assert_eq!(holder.get().settings, newer);
        // A reload that read after the change puts what it read in force.
        let mut later = newer.clone();
        later.passwords.min_length = 16;
        holder.set_if(later.clone(), Some(holder.generation()));
        assert_eq!(holder.get().settings, later);
    }
}
