//! The Frontdesk server, as a library.
//!
//! The `frontdesk` binary (crate `frontdesk-cli`) is a thin shell over this
//! crate: it parses flags, calls [`config::Config::load`], then
//! [`startup::Application::build`] and [`startup::Application::run_until_stopped`].
//! Tests do the same in-process on port 0.

pub mod admin;
pub mod bundles;
pub mod config;
pub mod engine;
pub mod error;
pub mod extract;
pub mod geoip;
pub mod keys;
pub mod metrics;
pub mod middleware;
pub mod pages;
pub mod rate_limit;
pub mod render;
pub mod routes;
pub mod routing;
pub mod secrets;
pub mod serve;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhooks;

pub use config::{Config, ConfigError, ConfigFile, Overrides};
pub use startup::{Application, StartupError};
