//! The `[webhooks]` section: how events are delivered.

use std::time::Duration;

use frontdesk_domain::InstanceMode;
use frontdesk_domain::webhooks::{AddressPolicy, RetrySchedule};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The `[webhooks]` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Run a delivery worker in this process. Any number of nodes may; each
    /// delivery is claimed by one at a time.
    pub worker: bool,
    /// Deliveries in flight at once, over all endpoints.
    pub concurrency: usize,
    /// Deliveries in flight at once to one endpoint, so that a slow or
    /// hanging endpoint cannot take every slot from the others.
    pub per_endpoint_concurrency: usize,
    /// Longest one attempt may take, in milliseconds (Svix: 15 s).
    pub timeout_ms: u64,
    /// Delays before the second, third, … attempts, in milliseconds. The
    /// default is Svix's schedule; tests compress it.
    pub retry_delays_ms: Vec<u64>,
    /// How often the worker looks for due deliveries when nothing wakes it
    /// (events written by this node wake it at once), in milliseconds.
    pub poll_interval_ms: u64,
    /// Deliver to loopback addresses; unset: yes on development instances.
    pub allow_loopback: Option<bool>,
    /// Deliver to private, link-local and unique-local addresses.
    pub allow_private: bool,
    /// An endpoint failing every attempt for this long is disabled, in seconds.
    pub disable_after_secs: u64,
    /// Messages are kept this long (with their attempts), in seconds.
    pub retention_secs: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            worker: true,
            concurrency: 64,
            per_endpoint_concurrency: 32,
            timeout_ms: 15_000,
            retry_delays_ms: RetrySchedule::default().delays_ms,
            poll_interval_ms: 1_000,
            allow_loopback: None,
            allow_private: false,
            disable_after_secs: 5 * 86_400,
            retention_secs: 30 * 86_400,
        }
    }
}

impl WebhooksConfig {
    /// Check the `[webhooks]` section; errors name `webhooks.<key>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=1024).contains(&self.concurrency) {
            return Err(ConfigError::new(
                "webhooks.concurrency",
                "must be from 1 to 1024",
            ));
        }
        if self.per_endpoint_concurrency == 0 {
            return Err(ConfigError::new(
                "webhooks.per_endpoint_concurrency",
                "must be at least 1",
            ));
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            return Err(ConfigError::new(
                "webhooks.timeout_ms",
                "must be from 100 to 60000",
            ));
        }
        if self.retry_delays_ms.len() > 20 {
            return Err(ConfigError::new(
                "webhooks.retry_delays_ms",
                "at most 20 retries",
            ));
        }
        if !(10..=60_000).contains(&self.poll_interval_ms) {
            return Err(ConfigError::new(
                "webhooks.poll_interval_ms",
                "must be from 10 to 60000",
            ));
        }
        Ok(())
    }

    pub fn schedule(&self) -> RetrySchedule {
        RetrySchedule {
            delays_ms: self.retry_delays_ms.clone(),
        }
    }

    pub fn addresses(&self, mode: InstanceMode) -> AddressPolicy {
        AddressPolicy {
            allow_loopback: self
                .allow_loopback
                .unwrap_or(mode == InstanceMode::Development),
            allow_private: self.allow_private,
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// How long a claim hides a delivery from other workers: the attempt's
    /// timeout plus time to record it. A worker that dies mid-attempt delays
    /// that delivery by at most this much.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.timeout_ms * 2 + 5_000)
    }
}
