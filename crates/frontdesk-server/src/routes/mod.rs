//! HTTP routes, one module per area.

pub mod actor_tokens;
pub mod bundles;
pub mod clients;
pub mod dev;
pub mod email_addresses;
pub mod frontend;
pub mod health;
pub mod instance;
pub mod instance_settings;
pub mod jwks;
pub mod organizations;
pub mod sessions;
pub mod user_accounts;
pub mod user_factors;
pub mod users;
pub mod webhooks;
