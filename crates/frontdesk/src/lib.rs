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

pub mod claims;
pub mod jwt;
pub mod keys;
pub mod matcher;
pub mod verify;
pub mod webhook;

pub use claims::{Condition, SessionClaims};
pub use keys::{JwksCache, KeySource, RsaKey};
pub use matcher::RouteMatcher;
pub use verify::{VerifyError, VerifyOptions, verify_token};
pub use webhook::Webhook;
