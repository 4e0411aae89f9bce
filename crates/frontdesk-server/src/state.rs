//! What handlers share.

use std::sync::Arc;

use frontdesk_crypto::PasswordHasher;
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
    pub hasher: Arc<PasswordHasher>,
    /// Outgoing mail over SMTP (`[smtp]`), built once at start-up.
    pub mailer: Arc<Mailer>,
    pub backend_limiter: Arc<RateLimiter<SecretKeyId>>,
    /// Per-IP limits on starting sign-ins and sign-ups.
    pub create_limiter: Arc<RateLimiter<std::net::IpAddr>>,
    /// Per-IP limits on attempting a factor or verification.
    pub attempt_limiter: Arc<RateLimiter<std::net::IpAddr>>,
}
