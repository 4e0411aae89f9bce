//! Integration tests: the whole server in-process on port 0 with a fresh
//! database, once per backend (SQLite always; PostgreSQL when
//! `FRONTDESK_TEST_DATABASE_URL` is set). One module per feature.
#![allow(clippy::unwrap_used)]

mod apple_fake;
mod browser;
mod fapi;
mod github_fake;
mod helpers;
mod node;
mod oidc_fake;
mod receiver;

mod account;
mod account_browser;
mod bapi_errors;
mod bundles;
mod clerk_backend;
mod clerk_js;
mod credentials;
mod devices;
mod errors;
mod external_accounts;
mod first_hour;
mod fresh_app;
mod frontend;
mod frontend_security;
mod handshake;
mod hardening_auth;
mod hardening_edge;
mod health;
mod hosted_account;
mod hosted_organizations;
mod hosted_pages;
mod instance;
mod jwks;
mod keys;
mod mfa;
mod mfa_browser;
mod nextjs;
mod oauth;
mod oauth_apple;
mod oauth_browser;
mod oauth_conformance;
mod oauth_enterprise;
mod oauth_github;
mod oauth_microsoft;
mod organization_domains;
mod organization_invitations;
mod organization_roles;
mod organization_sessions;
mod organizations;
mod organizations_frontend;
mod pages_security;
mod passkeys;
mod passkeys_browser;
mod reverify;
mod reverify_browser;
mod routing;
mod secrets;
mod session_template;
mod sessions;
mod settings;
mod smtp;
mod svix_npm;
mod users;
mod webhooks;
