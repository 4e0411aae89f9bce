//! Webhook endpoints, messages and attempts as the Backend API returns them
//! (`/v1/webhooks/…`). Clerk manages these through Svix's API, which has no
//! Backend API shape, so these follow Clerk's conventions: snake_case, an
//! `object` discriminator, millisecond timestamps. See docs/webhooks.md.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AttemptId, MessageId, WebhookEndpointId};

/// `{"object":"webhook_endpoint", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub object: String,
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    /// Event types delivered; empty: all of them.
    pub filter_types: Vec<String>,
    pub disabled: bool,
    /// Start of the current run of failed attempts, if failing.
    pub failing_since: Option<i64>,
    /// The signing secret: only in the answer that created the endpoint.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `{"object":"webhook_endpoint_secret","key":"whsec_…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSecret {
    pub object: String,
    pub key: String,
}

/// A message as one endpoint sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookMessage {
    pub object: String,
    /// The `svix-id` it is delivered with.
    pub id: MessageId,
    pub event_type: String,
    /// The event, exactly as delivered.
    pub payload: Value,
    /// `pending`, `success` or `fail`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub object: String,
    pub id: AttemptId,
    pub message_id: MessageId,
    pub endpoint_id: WebhookEndpointId,
    pub timestamp: i64,
    /// `success` or `fail`.
    pub status: String,
    /// The receiver's HTTP status; absent when no response arrived.
    pub response_status_code: Option<u16>,
    pub duration_ms: i64,
    /// The start of the response body (1 KiB), or why there was none.
    pub response: String,
}

/// A list: `{"data":[…],"total_count":N}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    pub total_count: i64,
}

/// The answer to `recover`: how many failed messages are attempted again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    pub object: String,
    pub count: u64,
}
