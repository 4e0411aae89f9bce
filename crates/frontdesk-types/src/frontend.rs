//! Frontend API objects: what clerk-js reads.
//!
//! Members follow Clerk's Frontend API spec; clerk-js fills gaps with defaults,
//! but every member it maps over (`sessions`, `supported_first_factors`) must
//! be present.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::common::Token;
use crate::user::User;

/// The device list entry and session of a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub object: String,
    pub id: String,
    pub status: String,
    pub expire_at: i64,
    pub abandon_at: i64,
    pub last_active_at: i64,
    pub last_active_token: Option<Token>,
    pub last_active_organization_id: Option<String>,
    pub actor: Option<Value>,
    pub user: Option<User>,
    pub public_user_data: PublicUserData,
    pub factor_verification_age: Option<[i64; 2]>,
    pub tasks: Option<Vec<Value>>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What anyone on the client may see of a session's user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicUserData {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image_url: Option<String>,
    pub has_image: bool,
    pub identifier: String,
    pub user_id: Option<String>,
}

/// A verification in progress (sign-up or sign-in factor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub object: String,
    pub status: String,
    pub strategy: String,
    pub attempts: Option<i32>,
    pub expire_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_strategies: Option<Vec<String>>,
    /// A passkey verification's WebAuthn options (JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Where an OAuth verification sends the browser (the provider's
    /// authorization URL), while it is `unverified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_verification_redirect_url: Option<String>,
    /// Why an OAuth verification failed or became `transferable`
    /// (`external_account_not_found`…), which clerk-js reads to go on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::error::ClerkError>,
}

/// `verifications` of a sign-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignUpVerifications {
    pub email_address: Option<Verification>,
    pub phone_number: Option<Value>,
    pub web3_wallet: Option<Value>,
    pub external_account: Option<Value>,
}

/// A sign-up attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignUp {
    pub object: String,
    pub id: String,
    pub status: String,
    pub required_fields: Vec<String>,
    pub optional_fields: Vec<String>,
    pub missing_fields: Vec<String>,
    pub unverified_fields: Vec<String>,
    pub verifications: SignUpVerifications,
    pub username: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    pub web3_wallet: Option<String>,
    pub password_enabled: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub unsafe_metadata: Map<String, Value>,
    pub public_metadata: Map<String, Value>,
    pub custom_action: bool,
    pub external_id: Option<String>,
    pub created_session_id: Option<String>,
    pub created_user_id: Option<String>,
    pub abandon_at: i64,
    pub legal_accepted_at: Option<i64>,
}

/// A factor a sign-in may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInFactor {
    pub strategy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// `enterprise_sso`: the connection the address belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_connection_name: Option<String>,
}

/// A sign-in attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    pub object: String,
    pub id: String,
    pub status: String,
    pub supported_identifiers: Vec<String>,
    pub supported_first_factors: Option<Vec<SignInFactor>>,
    pub supported_second_factors: Option<Vec<SignInFactor>>,
    pub first_factor_verification: Option<Verification>,
    pub second_factor_verification: Option<Verification>,
    pub identifier: Option<String>,
    pub user_data: Option<Value>,
    pub created_session_id: Option<String>,
    pub abandon_at: i64,
}

/// The browser's client, with its sessions and current attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub object: String,
    pub id: String,
    pub sessions: Vec<Session>,
    pub sign_in: Option<SignIn>,
    pub sign_up: Option<SignUp>,
    pub last_active_session_id: Option<String>,
    pub last_authentication_strategy: Option<String>,
    pub cookie_expires_at: Option<i64>,
    pub captcha_bypass: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `{response, client}`: every mutating Frontend API call returns the whole
/// client beside its result, and clerk-js replaces its copy with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub response: T,
    pub client: Option<Client>,
}

/// An authenticator app (`/v1/me/totp`). `secret` and `uri` are sent only
/// while it is being added; `backup_codes` only in the answer that confirms
/// it, the one time they are shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totp {
    pub object: String,
    pub id: String,
    pub secret: Option<String>,
    pub uri: Option<String>,
    pub verified: bool,
    pub backup_codes: Option<Vec<String>>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A fresh set of backup codes (`/v1/me/backup_codes`), shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupCodes {
    pub object: String,
    pub id: String,
    pub codes: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
