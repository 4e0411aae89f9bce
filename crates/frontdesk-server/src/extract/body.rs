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
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed request body.
pub struct ApiBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        parse_value(read(req, state, false).await?).map(ApiBody)
    }
}

/// A body that may hold many: a JSON array of objects (`@clerk/backend`'s
/// bulk calls), or a form whose repeated keys are lists (clerk-js sends
/// `email_address=a&email_address=b`). The value is a JSON object or an
/// array of objects, each checked as [`ApiBody`] checks its one.
#[derive(Debug)]
pub struct ListBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for ListBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read(req, state, true).await.map(ListBody)
    }
}

/// Read and parse a body; with `lists`, a form's repeated keys and a JSON
/// array are kept.
async fn read<S: Send + Sync>(req: Request, state: &S, lists: bool) -> Result<Value, ApiError> {
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
        let mut map: Map<String, Value> = Map::new();
        for (k, v) in form_urlencoded::parse(&bytes) {
            let v = Value::String(v.into_owned());
            match map.get_mut(k.as_ref()) {
                // clerk-js repeats a key for each element of an array.
                Some(Value::Array(all)) if lists => all.push(v),
                Some(first) if lists => *first = Value::Array(vec![first.take(), v]),
                _ => {
                    map.insert(k.into_owned(), v);
                }
            }
        }
        Value::Object(map)
    } else if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| malformed(&format!("The request body is not valid JSON: {e}.")))?
    };
    let objects: Vec<&Value> = match &value {
        Value::Object(_) => vec![&value],
        Value::Array(all) if lists => all.iter().collect(),
        _ => return Err(malformed("The request body must be a JSON object.")),
    };
    for object in objects {
        if !object.is_object() {
            return Err(malformed("Each element of the list must be a JSON object."));
        }
        if let Some(param) = refused_characters(object) {
            return Err(ApiError::bad_param(
                &param,
                "form_param_format_invalid",
                format!("`{param}` contains control characters"),
            ));
        }
    }
    Ok(value)
}

/// A boolean in either body: JSON's `true`, or a form's `"true"`/`"false"`
/// (forms carry only strings). For `#[serde(default, deserialize_with = "form_bool")]`.
pub fn form_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    use serde::de::Error;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(other) => Err(D::Error::custom(format!(
            "invalid value: {other}, expected a boolean"
        ))),
    }
}

/// Deserialize a parsed body (or one element of a list body), naming the
/// field at fault in Clerk's error envelope.
pub fn parse_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
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
