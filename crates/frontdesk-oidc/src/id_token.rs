//! Whether an ID token is the provider's statement about this sign-in
//! (OpenID Connect Core §3.1.3.7), and what it says.

use serde_json::{Map, Value};

use crate::{JsonWebKeySet, OidcError};

/// Clock difference tolerated between Frontdesk and the provider.
pub const LEEWAY_SECS: i64 = 60;

/// Who must have issued the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    /// Exactly this `iss` (nearly every provider).
    Exact(String),
    /// Microsoft's multi-tenant endpoint: discovery says
    /// `https://login.microsoftonline.com/{tenantid}/v2.0`, and each token's
    /// `iss` is that with the token's own `tid`.
    PerTenant(String),
}

/// What the token must match.
#[derive(Debug, Clone)]
pub struct IdTokenCheck<'a> {
    pub issuer: Issuer,
    pub client_id: &'a str,
    /// The nonce sent in the authorization request.
    pub nonce: Option<&'a str>,
    /// Seconds since the epoch.
    pub now: i64,
}

/// The identity claims Frontdesk uses, and the rest as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenClaims {
    pub subject: String,
    pub email: Option<String>,
    /// `email_verified`; Apple sends it as the string `"true"`.
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name: Option<String>,
    pub picture: Option<String>,
    pub preferred_username: Option<String>,
    pub raw: Map<String, Value>,
}

fn text(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl IdTokenClaims {
    /// The claims of a verified payload (also used for userinfo answers).
    pub fn from_claims(raw: Map<String, Value>) -> Result<Self, OidcError> {
        let subject = text(&raw, "sub").ok_or_else(|| OidcError::id_token("no `sub`"))?;
        let email_verified = match raw.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        Ok(Self {
            subject,
            email: text(&raw, "email"),
            email_verified,
            given_name: text(&raw, "given_name"),
            family_name: text(&raw, "family_name"),
            name: text(&raw, "name"),
            picture: text(&raw, "picture"),
            preferred_username: text(&raw, "preferred_username"),
            raw,
        })
    }
}

impl IdTokenCheck<'_> {
    /// Verify `token`'s signature with `keys`, then its claims.
    pub fn validate(&self, keys: &JsonWebKeySet, token: &str) -> Result<IdTokenClaims, OidcError> {
        let claims = keys.verify(token)?.payload;
        self.check_claims(&claims)?;
        IdTokenClaims::from_claims(claims)
    }

    fn check_claims(&self, c: &Map<String, Value>) -> Result<(), OidcError> {
        let iss = c.get("iss").and_then(Value::as_str).unwrap_or_default();
        let expected = match &self.issuer {
            Issuer::Exact(i) => i.clone(),
            Issuer::PerTenant(template) => {
                let tid = c.get("tid").and_then(Value::as_str).unwrap_or_default();
                if tid.is_empty() {
                    return Err(OidcError::id_token("no `tid` for a per-tenant issuer"));
                }
                template.replace("{tenantid}", tid)
            }
        };
        if iss != expected {
            return Err(OidcError::id_token(format!(
                "issued by `{iss}`, not `{expected}`"
            )));
        }
        let audiences: Vec<&str> = match c.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.contains(&self.client_id) {
            return Err(OidcError::id_token("not issued for this client (`aud`)"));
        }
        let azp = c.get("azp").and_then(Value::as_str);
        if (audiences.len() > 1 && azp.is_none()) || azp.is_some_and(|a| a != self.client_id) {
            return Err(OidcError::id_token("issued to another party (`azp`)"));
        }
        let exp = c.get("exp").and_then(Value::as_i64);
        if exp.is_none_or(|exp| exp + LEEWAY_SECS <= self.now) {
            return Err(OidcError::id_token("expired (`exp`)"));
        }
        let iat = c.get("iat").and_then(Value::as_i64);
        if iat.is_none_or(|iat| iat > self.now + LEEWAY_SECS) {
            return Err(OidcError::id_token(
                "issued in the future or undated (`iat`)",
            ));
        }
        let nonce = c.get("nonce").and_then(Value::as_str);
        if let Some(expected) = self.nonce
            && nonce.is_none_or(|n| !frontdesk_eq(n, expected))
        {
            return Err(OidcError::id_token("for another sign-in (`nonce`)"));
        }
        Ok(())
    }
}

/// Constant-time comparison of two secrets' texts.
fn frontdesk_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn check(nonce: Option<&str>) -> IdTokenCheck<'_> {
        IdTokenCheck {
            issuer: Issuer::Exact("https://idp.example".into()),
            client_id: "client-1",
            nonce,
            now: NOW,
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://idp.example", "aud": "client-1", "sub": "u1",
            "exp": NOW + 300, "iat": NOW - 5, "nonce": "n-1",
        })
        .as_object()
        .unwrap()
        .clone();
        for (k, v) in v.as_object().unwrap() {
            if v.is_null() {
                base.remove(k);
            } else {
                base.insert(k.clone(), v.clone());
            }
        }
        base
    }

    #[test]
    fn a_right_token_passes() {
        check(Some("n-1")).check_claims(&claims(json!({}))).unwrap();
        let c =
            IdTokenClaims::from_claims(claims(json!({"email": "a@b.c", "email_verified": "true"})))
                .unwrap();
        assert!(c.email_verified, "Apple's string form");
        assert_eq!(c.subject, "u1");
    }

    #[test]
    fn each_claim_that_does_not_match_is_refused() {
        for (bad, why) in [
            (json!({"iss": "https://evil.example"}), "iss"),
            (json!({"aud": "client-2"}), "aud"),
            (json!({"aud": ["client-1", "client-2"]}), "azp"),
            (json!({"azp": "client-2"}), "azp"),
            (json!({"exp": NOW - LEEWAY_SECS - 1}), "exp"),
            (json!({"exp": null}), "exp"),
            (json!({"iat": NOW + LEEWAY_SECS + 10}), "iat"),
            (json!({"nonce": "n-2"}), "nonce"),
            (json!({"nonce": null}), "nonce"),
        ] {
            let err = check(Some("n-1"))
                .check_claims(&claims(bad.clone()))
                .unwrap_err();
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
        // Several audiences with this client as the authorized party pass.
        check(Some("n-1"))
            .check_claims(&claims(
                json!({"aud": ["client-1", "x"], "azp": "client-1"}),
            ))
            .unwrap();
    }

    #[test]
    fn microsoft_issuers_are_per_tenant() {
        let ms = IdTokenCheck {
            issuer: Issuer::PerTenant("https://login.microsoftonline.com/{tenantid}/v2.0".into()),
            client_id: "client-1",
            nonce: None,
            now: NOW,
        };
        let ok = claims(json!({"iss": "https://login.microsoftonline.com/t-1/v2.0", "tid": "t-1"}));
        ms.check_claims(&ok).unwrap();
        let other =
            claims(json!({"iss": "https://login.microsoftonline.com/t-2/v2.0", "tid": "t-1"}));
        assert!(ms.check_claims(&other).is_err());
        let none = claims(json!({"iss": "https://login.microsoftonline.com/t-1/v2.0"}));
        assert!(ms.check_claims(&none).is_err());
    }
}
