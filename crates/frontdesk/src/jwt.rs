//! Taking a compact JWS apart, strictly: three base64url segments without
//! padding or stray characters, and JSON objects without duplicate members
//! (RFC 7515 §4 lets a parser take the last duplicate; an attacker counts on
//! the verifier and the application disagreeing about which, so any
//! duplicate is refused).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Longest token accepted: a session token with generous custom claims is
/// well under 4 KiB; anything much larger is refused before any work.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why a token could not even be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedToken {
    #[error("the token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLong,
    #[error("a JWT has three segments separated by dots")]
    Segments,
    #[error("a segment is not unpadded base64url")]
    Encoding,
    #[error("the {0} is not a JSON object")]
    Json(&'static str),
    #[error("the {0} repeats a member")]
    Duplicate(&'static str),
}

/// A token split into its parts, the signature not yet checked.
pub struct Parts<'a> {
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a str,
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    pub signature: Vec<u8>,
}

fn segment(text: &str) -> Result<Vec<u8>, MalformedToken> {
    // The alphabet only: no padding, no `+`/`/`, no whitespace. The decoder
    // alone would accept some of these in lenient modes; being explicit
    // makes the rule visible.
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(MalformedToken::Encoding);
    }
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| MalformedToken::Encoding)
}

fn object(bytes: &[u8], what: &'static str) -> Result<Map<String, Value>, MalformedToken> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match <UniqueValue as serde::Deserialize>::deserialize(&mut de) {
        Ok(UniqueValue(v)) => v,
        Err(e) if e.to_string().starts_with(DUPLICATE) => {
            return Err(MalformedToken::Duplicate(what));
        }
        Err(_) => return Err(MalformedToken::Json(what)),
    };
    de.end().map_err(|_| MalformedToken::Json(what))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(MalformedToken::Json(what)),
    }
}

/// Split `token` into header, payload and signature.
pub fn split(token: &str) -> Result<Parts<'_>, MalformedToken> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(MalformedToken::TooLong);
    }
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(MalformedToken::Segments);
    };
    let header = object(&segment(h)?, "header")?;
    let payload = object(&segment(p)?, "payload")?;
    let signature = segment(s)?;
    Ok(Parts {
        signing_input: &token[..h.len() + 1 + p.len()],
        header,
        payload,
        signature,
    })
}

const DUPLICATE: &str = "duplicate member";

/// A JSON value whose objects, at every depth, have unique member names.
struct UniqueValue(Value);

impl<'de> serde::Deserialize<'de> for UniqueValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(UniqueValue)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let UniqueValue(v) = map.next_value()?;
            if out.insert(key.clone(), v).is_some() {
                return Err(de::Error::custom(format!("{DUPLICATE} `{key}`")));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn duplicates_at_any_depth_are_refused() {
        let sig = b64("sig");
        let ok = format!(
            "{}.{}.{sig}",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"a":{"b":1}}"#)
        );
        assert!(split(&ok).is_ok());
        let dup = format!(
            "{}.{}.{sig}",
            b64(r#"{"alg":"RS256","alg":"none"}"#),
            b64("{}")
        );
        assert_eq!(split(&dup).err(), Some(MalformedToken::Duplicate("header")));
        let nested = format!(
            "{}.{}.{sig}",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"o":{"id":"a","id":"b"}}"#)
        );
        assert_eq!(
            split(&nested).err(),
            Some(MalformedToken::Duplicate("payload"))
        );
    }

    #[test]
    fn only_strict_base64url_and_three_segments() {
        let h = b64(r#"{"alg":"RS256"}"#);
        let p = b64("{}");
        for bad in [
            format!("{h}.{p}"),
            format!("{h}.{p}.c2ln.extra"),
            format!("{h}=.{p}.c2ln"),
            format!("{h}.{p}.c2l+"),
            format!(" {h}.{p}.c2ln"),
            format!("{h}.{p}."),
        ] {
            assert!(split(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            split(&"a".repeat(MAX_TOKEN_BYTES + 1)).err(),
            Some(MalformedToken::TooLong)
        );
    }
}
