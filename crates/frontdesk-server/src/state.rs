//! What handlers share.

use std::sync::Arc;

use frontdesk_domain::PublishableKey;
use frontdesk_domain::entities::Instance;
use frontdesk_store::Store;
use frontdesk_types::SecretKeyId;

use crate::config::{Config, PublicUrl};
use crate::keys::KeyRing;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::services::mail::Mailer;

/// The instance as this node serves it.
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    pub instance: Instance,
    pub public_url: PublicUrl,
    pub publishable_key: PublishableKey,
}

/// Application state, cheap to clone (every field is shared).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeyRing>,
    pub config: Arc<Config>,
    pub instance: Arc<InstanceInfo>,
    pub metrics: Arc<Metrics>,
    /// Password hashing threads behind a bounded queue (security.md §4).
    pub hashes: Arc<crate::services::passwords::HashPool>,
    /// When failed attempts lock an account, and for how long.
    pub lockout: frontdesk_domain::Lockout,
    /// The instance settings in force ([`crate::services::settings`]).
    pub settings: Arc<crate::services::settings::SettingsHolder>,
    /// Extra claims for every session token.
    pub session_template: Arc<crate::services::template::TemplateHolder>,
    /// Sessions recently read for minting ([`crate::services::tokens::MintCache`]).
    pub mint_cache: Arc<crate::services::tokens::MintCache>,
    pub secret_keys: Arc<SecretKeyCache>,
    /// Outgoing mail over SMTP (`[smtp]`), built once at start-up.
    pub mailer: Arc<Mailer>,
    pub backend_limiter: Arc<RateLimiter<SecretKeyId>>,
    /// Per-IP limits on starting sign-ins and sign-ups.
    pub create_limiter: Arc<RateLimiter<std::net::IpAddr>>,
    /// Per-IP limits on attempting a factor or verification.
    pub attempt_limiter: Arc<RateLimiter<std::net::IpAddr>>,
    /// Per-IP limits on creating anonymous clients and dev browsers.
    pub client_limiter: Arc<RateLimiter<std::net::IpAddr>>,
    /// Requests being handled; the rest wait briefly, then get 503.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Wakes this node's mail worker when a request queued mail.
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// Where the clerk-js and `@clerk/ui` bundles come from.
    pub bundles: Arc<crate::bundles::Bundles>,
    /// Webhook delivery: address policy, HTTP client, the worker's wake-up.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// The operator's GeoIP database (`geoip_database`), if any.
    pub geoip: Option<Arc<crate::geoip::GeoIp>>,
    /// Identity providers' documents and keys (social sign-in).
    pub providers: Arc<crate::services::oidc::Providers>,
    /// The operator's key for secrets at rest, for what the engine seals
    /// itself (a provider's tokens held by an unfinished sign-up).
    pub cipher: Option<Arc<dyn frontdesk_store::Cipher>>,
}

/// Recently verified secret keys, by hash, so that a busy Backend API caller
/// does not cost a database round trip per request. Entries live
/// [`SecretKeyCache::TTL`]: a key revoked by another process (the CLI, another
/// node) stops working within that time; one revoked through
/// [`AppState::revoke_secret_key`] stops at once.
#[derive(Default)]
pub struct SecretKeyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (SecretKeyId, std::time::Instant)>>,
}

impl SecretKeyCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(2);

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, (SecretKeyId, std::time::Instant)>,
    > {
        match self.entries.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn get(&self, key_hash: &str) -> Option<SecretKeyId> {
        let map = self.lock();
        map.get(key_hash)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(id, _)| id.clone())
    }

    pub fn put(&self, key_hash: String, id: SecretKeyId) {
        let mut map = self.lock();
        if map.len() > 1000 {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
        }
        map.insert(key_hash, (id, std::time::Instant::now()));
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

impl AppState {
    /// The instance settings in force on this node (no await).
    pub fn settings(&self) -> Arc<crate::services::settings::Snapshot> {
        self.settings.get()
    }

    /// The instance settings as stored now: for what must show a change at
    /// once on every node (`/v1/environment`, the hosted pages).
    pub async fn fresh_settings(&self) -> Arc<crate::services::settings::Snapshot> {
        self.settings.reload(self.store.as_ref()).await
    }

    /// Revoke a secret key; this node stops accepting it immediately.
    pub async fn revoke_secret_key(&self, id: &SecretKeyId) -> frontdesk_store::StoreResult<()> {
        let result = self
            .store
            .revoke_secret_key(id, frontdesk_domain::UnixMillis::now())
            .await;
        self.secret_keys.clear();
        result
    }
}
