//! The Backend API `Session` and `Client` objects.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ClientId, SessionId, UserId};

/// The device behind a session. Clerk's schema types these members as plain
/// strings, so unknown ones are omitted rather than sent as `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionActivity {
    pub object: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    pub is_mobile: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub object: String,
    pub id: SessionId,
    pub user_id: UserId,
    pub client_id: ClientId,
    pub actor: Option<Value>,
    pub status: String,
    pub last_active_organization_id: Option<String>,
    pub last_active_at: i64,
    pub latest_activity: SessionActivity,
    pub expire_at: i64,
    pub abandon_at: i64,
    pub updated_at: i64,
    pub created_at: i64,
    pub tasks: Option<Vec<Value>>,
}

/// A client (browser) with its sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub object: String,
    pub id: ClientId,
    pub session_ids: Vec<SessionId>,
    pub sessions: Vec<Session>,
    pub sign_in_id: Option<String>,
    pub sign_up_id: Option<String>,
    pub last_active_session_id: Option<SessionId>,
    pub last_authentication_strategy: Option<String>,
    pub updated_at: i64,
    pub created_at: i64,
}
