//! The Frontdesk SDK for Rust apps: what `@clerk/nextjs` and `@clerk/backend`
//! are for Next.js, for axum and tower services. It speaks Clerk's protocol,
//! so it works against Frontdesk and against Clerk's own servers.
//!
//! - [`verify`]: session token verification, networkless against a PEM key
//!   or against the instance's JWKS (fetched with the secret key, cached,
//!   refetched on an unknown `kid` at a bounded rate).
//! - [`claims`]: who is signed in ([`SessionClaims`]) and conditions on it
//!   ([`Condition`]: role, permission, claim).
//! - [`matcher`]: `createRouteMatcher` patterns.
//! - [`webhook`]: Svix-compatible webhook verification.
//! - [`layer`]: the middleware ([`FrontdeskLayer`]), which runs
//!   [`request::authenticate`] (Clerk's `authenticateRequest`: bearer token,
//!   session cookies, handshake) on every request and leaves an [`Auth`]
//!   for handlers (an axum extractor with the `axum` feature), with
//!   `protect()`.
//! - [`config`]: settings from a [`Builder`] or the environment.

pub mod backend;
pub mod claims;
pub mod config;
pub mod jwt;
pub mod keys;
pub mod layer;
pub mod matcher;
pub mod request;
pub mod verify;
pub mod webhook;

pub use backend::BackendApi;
pub use claims::{Condition, SessionClaims};
pub use config::{Builder, Settings};
pub use keys::{JwksCache, KeySource, RsaKey};
pub use layer::{Auth, FrontdeskLayer};
pub use matcher::RouteMatcher;
pub use verify::{VerifyError, VerifyOptions, verify_token};
pub use webhook::Webhook;
