//! Request bodies.
//!
//! `@clerk/backend` sends JSON; clerk-js sends form-encoded bodies. Both are
//! accepted (forms become a flat JSON object of strings), and deserialisation
//! errors name the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use frontdesk_types::ClerkError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed request body.
pub struct ApiBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if timed_out(&e) {
                ApiError::client(
                    StatusCode::REQUEST_TIMEOUT,
                    ClerkError::new(
                        "request_timeout",
                        "Request body not received in time",
                        "The request body did not arrive in time.",
                    ),
                )
            } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::client(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ClerkError::new(
                        "request_body_too_large",
                        "Request body too large",
                        "The request body exceeds the maximum allowed size.",
                    ),
                )
            } else {
                malformed("The request body could not be read.")
            }
        })?;
        let value: Value = if is_form {
            let map: Map<String, Value> = form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            Value::Object(map)
        } else if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| malformed(&format!("The request body is not valid JSON: {e}.")))?
        };
        if !value.is_object() {
            return Err(malformed("The request body must be a JSON object."));
        }
        if let Some(param) = refused_characters(&value) {
            return Err(ApiError::bad_param(
                &param,
                "form_param_format_invalid",
                format!("`{param}` contains control characters"),
            ));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiBody)
            .map_err(|e| {
                let param = e.path().to_string();
                let inner = e.into_inner().to_string();
                let (code, message) = if inner.starts_with("missing field") {
                    ("form_param_missing", "is missing")
                } else {
                    ("form_param_format_invalid", "is invalid")
                };
                let param = if param == "." {
                    missing_field(&inner).unwrap_or_default()
                } else {
                    param
                };
                ApiError::client(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ClerkError::new(
                        code,
                        format!("{param} {message}"),
                        format!("`{param}`: {inner}"),
                    )
                    .with_param(param),
                )
            })
    }
}

/// Whether reading the body failed on the body read deadline.
fn timed_out(e: &axum::extract::rejection::BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The top-level field holding a character no field accepts (NUL and the
/// other controls but tab and line breaks; finding F8), in a key or a value
/// at any depth. Refused here, at the edge, so that no query ever sees one.
fn refused_characters(body: &Value) -> Option<String> {
    use frontdesk_domain::text::{is_refused_anywhere, json_has_refused};
    let Value::Object(map) = body else {
        return None;
    };
    let bad_key = |k: &str| k.chars().any(is_refused_anywhere);
    map.iter()
        .find(|(k, v)| bad_key(k) || json_has_refused(v))
        .map(|(k, _)| {
            if bad_key(k) {
                "body".to_owned()
            } else {
                k.clone()
            }
        })
}

fn missing_field(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let end = start + msg[start..].find('`')?;
    Some(msg[start..end].to_owned())
}

fn malformed(long: &str) -> ApiError {
    ApiError::client(
        StatusCode::BAD_REQUEST,
        ClerkError::new("malformed_request", "Malformed request", long),
    )
}
