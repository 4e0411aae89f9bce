//! Webhook delivery: endpoint management shared by the Backend API and the
//! CLI, the HTTP client that calls endpoints, and the worker that drains the
//! outbox.
//!
//! Events reach the outbox with the change they describe (see
//! [`crate::services::events`]); from there the [`worker`] claims due
//! deliveries with a lease, signs each attempt the Svix way, posts it, and
//! records the outcome. Nothing is marked delivered without a 2xx.

pub mod deliver;
pub mod endpoints;
pub mod worker;

use std::sync::Arc;

use frontdesk_domain::InstanceMode;
use frontdesk_domain::webhooks::{AddressPolicy, RetrySchedule};
use tokio::sync::Notify;

use crate::config::WebhooksConfig;

/// What the API, the pages and the worker share about webhooks.
pub struct Webhooks {
    pub config: WebhooksConfig,
    pub policy: AddressPolicy,
    pub schedule: RetrySchedule,
    /// Wakes the worker: something may have been written to the outbox.
    pub wake: Arc<Notify>,
    /// Notified (all waiters) after the worker records attempts or disables
    /// endpoints: what tests and tools wait on instead of sleeping.
    pub recorded: Arc<Notify>,
    pub client: reqwest::Client,
}

impl Webhooks {
    pub fn new(config: &WebhooksConfig, mode: InstanceMode) -> Result<Self, reqwest::Error> {
        let policy = config.addresses(mode);
        Ok(Self {
            client: deliver::client(config, policy)?,
            policy,
            schedule: config.schedule(),
            wake: Arc::new(Notify::new()),
            recorded: Arc::new(Notify::new()),
            config: config.clone(),
        })
    }

    /// Tell this node's worker to look for new deliveries now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
