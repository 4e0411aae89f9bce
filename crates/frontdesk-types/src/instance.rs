//! The Backend API `Instance` object (`GET /v1/instance`).

use serde::{Deserialize, Serialize};

use crate::InstanceId;

/// `{"object":"instance", id, environment_type, allowed_origins, workspace_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Always `instance`.
    pub object: String,
    pub id: InstanceId,
    /// `development` or `production`.
    pub environment_type: String,
    pub allowed_origins: Option<Vec<String>>,
    /// Clerk's workspace; always `null` for a self-hosted instance.
    pub workspace_id: Option<String>,
}
