//! Small shared objects: deletion receipts, counts, tokens.

use serde::{Deserialize, Serialize};

/// `{"object":"user","id":…,"deleted":true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedObject {
    pub object: String,
    pub id: String,
    pub deleted: bool,
}

impl DeletedObject {
    pub fn new(object: &str, id: impl Into<String>) -> Self {
        Self {
            object: object.to_owned(),
            id: id.into(),
            deleted: true,
        }
    }
}

/// `{"object":"total_count","total_count":N}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalCount {
    pub object: String,
    pub total_count: i64,
}

impl TotalCount {
    pub fn new(n: i64) -> Self {
        Self {
            object: "total_count".to_owned(),
            total_count: n,
        }
    }
}

/// A session token: `{"object":"token","jwt":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub object: String,
    pub jwt: String,
}

impl Token {
    pub fn new(jwt: String) -> Self {
        Self {
            object: "token".to_owned(),
            jwt,
        }
    }
}

/// Clerk's session token claims, version 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// Authorized party: the origin the token was minted for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub azp: Option<String>,
    pub exp: i64,
    /// Factor verification age in minutes: `[first factor, second factor]`, -1 for none.
    pub fva: [i64; 2],
    pub iat: i64,
    pub iss: String,
    pub nbf: i64,
    pub sid: String,
    /// Session status (`active`, `pending`).
    pub sts: String,
    pub sub: String,
    pub v: u8,
    pub jti: String,
    /// The active organization (`id`, `slg`, `rol`, `per`, `fpm`); absent
    /// for the personal workspace.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub o: Option<serde_json::Value>,
    /// Features the `o.fpm` masks are for (`o:<feature>,…`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fea: Option<String>,
    /// Impersonation: who is acting as `sub` (`{"sub": …}`, the actor
    /// token's `actor`), absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub act: Option<serde_json::Value>,
    /// Custom claims from the instance's session token template, flattened in.
    #[serde(flatten)]
    pub custom: serde_json::Map<String, serde_json::Value>,
}
