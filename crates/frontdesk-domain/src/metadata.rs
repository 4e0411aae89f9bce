//! User metadata and Clerk's merge rule.
//!
//! `PATCH /v1/users/{id}/metadata` deep-merges: objects merge key by key,
//! recursively; any other value replaces; `null` deletes the key. Replacing a
//! whole metadata object goes through `PATCH /v1/users/{id}` instead.

use serde_json::{Map, Value};

/// Largest serialised size of one metadata object, as Clerk limits it (8 KB).
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

/// Merge `patch` into `target` following Clerk's rule.
pub fn deep_merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(patch_obj) => match target.get_mut(key) {
                Some(Value::Object(existing)) => deep_merge(existing, patch_obj),
                _ => {
                    let mut fresh = Map::new();
                    deep_merge(&mut fresh, patch_obj);
                    target.insert(key.clone(), Value::Object(fresh));
                }
            },
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// The object inside a metadata value (stored values are always objects).
pub fn as_object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_deeply_and_null_deletes() {
        let mut target =
            as_object(&json!({"a": 1, "nested": {"x": 1, "y": 2}, "gone": true, "list": [1]}));
        let patch = as_object(
            &json!({"b": 2, "nested": {"y": null, "z": 3}, "gone": null, "list": [2], "new": {"k": null, "v": 1}}),
        );
        deep_merge(&mut target, &patch);
        assert_eq!(
            Value::Object(target),
            json!({"a": 1, "b": 2, "nested": {"x": 1, "z": 3}, "list": [2], "new": {"v": 1}})
        );
    }
}
