//! Clerk's error envelope: `{"errors":[{code,message,long_message,meta}],"clerk_trace_id"}`.
//!
//! clerk-js puts an error on a form field when `meta.param_name` names it, and
//! `@clerk/backend` turns any such body into a `ClerkAPIResponseError`, so every
//! non-2xx response Frontdesk sends has exactly this shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One error entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClerkError {
    /// Stable machine-readable code, e.g. `resource_not_found`.
    pub code: String,
    /// Short human-readable text.
    pub message: String,
    /// A full sentence for developers.
    pub long_message: String,
    /// Extra context; `param_name` ties the error to a request parameter.
    #[serde(default)]
    pub meta: Map<String, Value>,
}

impl ClerkError {
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        long_message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            long_message: long_message.into(),
            meta: Map::new(),
        }
    }

    /// Attach `meta.param_name`, which clients use to highlight a field.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.meta
            .insert("param_name".to_owned(), Value::String(param.into()));
        self
    }
}

/// The error envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClerkErrors {
    pub errors: Vec<ClerkError>,
    /// Correlates the response with the server's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerk_trace_id: Option<String>,
}
