//! The Backend API `User` and `EmailAddress` objects.
//!
//! Field for field what Clerk's Backend API returns (spec 2026-05-12), including
//! the members Frontdesk does not implement yet (phone numbers, web3 wallets,
//! passkeys, external and enterprise accounts) as empty arrays and nulls:
//! `@clerk/backend`'s deserializer calls `.map` on them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{EmailAddressId, UserId};

/// How an identification was verified. `object` tells the variants apart, as
/// Clerk's spec discriminates them (`verification_otp`, `verification_admin`…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub object: String,
    pub status: String,
    pub strategy: String,
    pub attempts: Option<i32>,
    pub expire_at: Option<i64>,
}

/// A passkey on a user. The Frontend API's `Client.Passkey` adds
/// `created_at`/`updated_at` and lets `last_used_at` be null; the Backend
/// API's `Passkey` has neither and always a `last_used_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passkey {
    pub id: String,
    pub object: String,
    pub name: String,
    pub last_used_at: Option<i64>,
    pub verification: Option<PasskeyVerification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// A passkey's verification; `nonce` carries the WebAuthn creation options
/// while the registration waits for the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyVerification {
    pub object: String,
    pub status: String,
    pub strategy: String,
    pub attempts: Option<i32>,
    pub expire_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// An email address. `linked_to` is always present: `@clerk/backend` maps over it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailAddress {
    pub id: EmailAddressId,
    pub object: String,
    pub email_address: String,
    pub reserved: bool,
    pub verification: Option<Verification>,
    pub linked_to: Vec<Value>,
    pub matches_sso_connection: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub object: String,
    pub external_id: Option<String>,
    pub primary_email_address_id: Option<EmailAddressId>,
    pub primary_phone_number_id: Option<String>,
    pub primary_web3_wallet_id: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub profile_image_url: String,
    pub image_url: String,
    pub has_image: bool,
    pub public_metadata: Map<String, Value>,
    /// Absent from Frontend API users; the Backend API always sends it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub private_metadata: Option<Map<String, Value>>,
    pub unsafe_metadata: Map<String, Value>,
    pub email_addresses: Vec<EmailAddress>,
    pub phone_numbers: Vec<Value>,
    pub web3_wallets: Vec<Value>,
    pub passkeys: Vec<Passkey>,
    pub password_enabled: bool,
    pub two_factor_enabled: bool,
    pub totp_enabled: bool,
    pub backup_code_enabled: bool,
    pub mfa_enabled_at: Option<i64>,
    pub mfa_disabled_at: Option<i64>,
    pub password_last_updated_at: Option<i64>,
    pub external_accounts: Vec<Value>,
    pub saml_accounts: Vec<Value>,
    pub enterprise_accounts: Vec<Value>,
    pub last_sign_in_at: Option<i64>,
    pub banned: bool,
    pub locked: bool,
    pub lockout_expires_in_seconds: Option<i64>,
    pub verification_attempts_remaining: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
    pub delete_self_enabled: bool,
    pub create_organization_enabled: bool,
    pub create_organizations_limit: Option<i64>,
    pub last_active_at: Option<i64>,
    pub legal_accepted_at: Option<i64>,
    pub bypass_client_trust: bool,
    /// Frontend API users list their organization memberships.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub organization_memberships: Option<Vec<Value>>,
}
