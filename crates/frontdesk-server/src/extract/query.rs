//! Query strings with repeated keys.
//!
//! Clerk's list endpoints take arrays as repeated keys
//! (`?email_address=a&email_address=b`, also `email_address[]=…`), which
//! axum's `Query` cannot express, and their errors must name the parameter.

use std::collections::HashMap;
use std::convert::Infallible;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;

/// All query parameters, in order, by name (`[]` suffixes stripped).
#[derive(Debug, Default)]
pub struct QueryParams(HashMap<String, Vec<String>>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(q) = parts.uri.query() {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                let key = k.strip_suffix("[]").unwrap_or(&k).to_owned();
                map.entry(key).or_default().push(v.into_owned());
            }
        }
        Ok(Self(map))
    }
}

impl QueryParams {
    /// Every value of a repeated parameter.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// The last value of a parameter, if given and non-empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .and_then(|v| v.last())
            .filter(|v| !v.is_empty())
            .cloned()
    }

    /// A parsed parameter, or a 422 naming it.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_param(
                    name,
                    "form_param_format_invalid",
                    format!("`{name}` has an invalid value"),
                )
            }),
        }
    }

    /// Clerk's `limit` (1..=500, default 10) and `offset` (≥ 0, default 0).
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.parse::<i64>("limit")?.unwrap_or(10);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_param(
                "limit",
                "form_param_value_invalid",
                "`limit` must be between 1 and 500",
            ));
        }
        let offset = self.parse::<i64>("offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_param(
                "offset",
                "form_param_value_invalid",
                "`offset` must be 0 or more",
            ));
        }
        Ok((limit, offset))
    }
}
