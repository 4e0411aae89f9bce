//! The session token template: extra claims in every session token, Clerk
//! style. A JSON object whose string values may hold shortcodes:
//! `"{{user.public_metadata}}"` (the whole value, any JSON type) or
//! `"Hello {{user.first_name}}"` (interpolated as text). Paths go into
//! objects: `{{user.public_metadata.tier}}`. Unknown values render as
//! `null` (or nothing, inside text).

use serde_json::{Map, Value};

/// Claims Frontdesk (and Clerk) set themselves; a template cannot replace them.
pub const RESERVED_CLAIMS: &[&str] = &[
    "azp", "exp", "fva", "iat", "iss", "nbf", "sid", "sts", "sub", "v", "jti", "act", "o", "fea",
    "pla", "nonce",
];

/// The most custom claims a token carries, serialized, as Clerk caps them:
/// the session token travels in a cookie, and browsers cap cookies at 4 KB.
pub const MAX_CUSTOM_CLAIMS_BYTES: usize = 1200;

/// Longest template accepted, serialized.
const MAX_TEMPLATE_BYTES: usize = 4096;

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template must be a JSON object")]
    NotAnObject,
    #[error("`{0}` is a reserved claim and cannot be set by the template")]
    Reserved(String),
    #[error("the template is larger than {MAX_TEMPLATE_BYTES} bytes")]
    TooLarge,
    #[error("shortcode `{0}` is not `{{{{user.…}}}}` or `{{{{session.…}}}}`")]
    Shortcode(String),
}

/// A checked template.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionTemplate(Map<String, Value>);

/// The shortcodes in a string: `(start, end, path)` of each `{{path}}`.
fn shortcodes(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open..].find("}}").map(|i| i + open) else {
            break;
        };
        out.push((open, close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    out
}

fn check_strings(v: &Value) -> Result<(), TemplateError> {
    match v {
        Value::String(s) => {
            for (_, _, path) in shortcodes(s) {
                let root = path.split('.').next().unwrap_or_default();
                if !matches!(root, "user" | "session") || path.split('.').any(str::is_empty) {
                    return Err(TemplateError::Shortcode(path.to_owned()));
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_strings),
        Value::Object(map) => map.values().try_for_each(check_strings),
        _ => Ok(()),
    }
}

fn lookup<'a>(context: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(context, |v, key| v.get(key))
}

fn render_value(v: &Value, context: &Value) -> Value {
    match v {
        Value::String(s) => {
            let codes = shortcodes(s);
            match codes.as_slice() {
                [] => v.clone(),
                [(0, end, path)] if *end == s.len() => {
                    lookup(context, path).cloned().unwrap_or(Value::Null)
                }
                _ => {
                    let mut out = String::new();
                    let mut at = 0;
                    for (start, end, path) in codes {
                        out.push_str(&s[at..start]);
                        match lookup(context, path) {
                            Some(Value::String(t)) => out.push_str(t),
                            Some(Value::Null) | None => {}
                            Some(other) => out.push_str(&other.to_string()),
                        }
                        at = end;
                    }
                    out.push_str(&s[at..]);
                    Value::String(out)
                }
            }
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| render_value(i, context)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render_value(v, context)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl SessionTemplate {
    pub fn parse(value: &Value) -> Result<Self, TemplateError> {
        let Value::Object(map) = value else {
            return Err(TemplateError::NotAnObject);
        };
        if value.to_string().len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLarge);
        }
        if let Some(k) = map.keys().find(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
            return Err(TemplateError::Reserved(k.clone()));
        }
        check_strings(value)?;
        Ok(Self(map.clone()))
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The claims for `context` (`{"user": …, "session": …}`), or `None`
    /// when they would exceed [`MAX_CUSTOM_CLAIMS_BYTES`].
    pub fn render(&self, context: &Value) -> Option<Map<String, Value>> {
        let claims: Map<String, Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), render_value(v, context)))
            .collect();
        (Value::Object(claims.clone()).to_string().len() <= MAX_CUSTOM_CLAIMS_BYTES)
            .then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shortcodes_render_values_and_text() {
        let t = SessionTemplate::parse(&json!({
            "metadata": "{{user.public_metadata}}",
            "tier": "{{user.public_metadata.tier}}",
            "greeting": "Hi {{user.first_name}} ({{user.missing}})",
            "fixed": {"a": [1, "{{session.id}}"]},
        }))
        .expect("valid");
        let claims = t
            .render(&json!({
                "user": {"first_name": "Ada", "public_metadata": {"tier": "pro"}},
                "session": {"id": "sess_1"}
            }))
            .expect("small");
        assert_eq!(
            Value::Object(claims),
            json!({
                "metadata": {"tier": "pro"}, "tier": "pro", "greeting": "Hi Ada ()",
                "fixed": {"a": [1, "sess_1"]}
            })
        );
    }

    #[test]
    fn reserved_claims_bad_shortcodes_and_size_are_refused() {
        assert_eq!(
            SessionTemplate::parse(&json!({"sub": "x"})),
            Err(TemplateError::Reserved("sub".into()))
        );
        assert_eq!(
            SessionTemplate::parse(&json!([1])),
            Err(TemplateError::NotAnObject)
        );
        assert!(matches!(
            SessionTemplate::parse(&json!({"x": "{{org.id}}"})),
            Err(TemplateError::Shortcode(_))
        ));
        let t = SessionTemplate::parse(&json!({"m": "{{user.public_metadata}}"})).expect("valid");
        let big = json!({"user": {"public_metadata": {"blob": "x".repeat(2000)}}});
        assert_eq!(t.render(&big), None, "over 1.2 KB of claims");
    }
}
