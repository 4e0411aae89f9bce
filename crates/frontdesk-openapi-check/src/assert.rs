//! Panicking wrappers for tests: a failed check prints every violation and the value itself,
//! so the test log alone is enough to fix the serializer.

use serde_json::Value;

use crate::Spec;

/// Longest rendering of the offending value in a panic message.
const MAX_VALUE: usize = 4000;

/// Panics with a readable list of violations unless `value` matches schema `schema_name`.
#[track_caller]
pub fn assert_valid(spec: &Spec, schema_name: &str, value: &Value) {
    if let Err(lines) = spec.validate(schema_name, value) {
        fail(
            &format!("schema `{schema_name}` of {}", spec.file()),
            &lines,
            value,
        );
    }
}

/// Panics with a readable list of violations unless `value` matches the documented response.
#[track_caller]
pub fn assert_valid_response(spec: &Spec, method: &str, path: &str, status: u16, value: &Value) {
    if let Err(lines) = spec.validate_response(method, path, status, value) {
        let method = method.to_ascii_uppercase();
        fail(
            &format!("{method} {path} → {status} of {}", spec.file()),
            &lines,
            value,
        );
    }
}

/// Panics with a readable list of violations unless `value` matches the webhook event's schema.
#[track_caller]
pub fn assert_valid_webhook(spec: &Spec, event_type: &str, value: &Value) {
    if let Err(lines) = spec.validate_webhook(event_type, value) {
        fail(
            &format!("webhook `{event_type}` of {}", spec.file()),
            &lines,
            value,
        );
    }
}

#[track_caller]
fn fail(what: &str, lines: &[String], value: &Value) -> ! {
    let mut shown = serde_json::to_string_pretty(value).unwrap_or_else(|e| e.to_string());
    if shown.len() > MAX_VALUE {
        let mut cut = MAX_VALUE;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push_str("\n…");
    }
    panic!(
        "value does not match Clerk's {what} ({} violation(s)):\n  - {}\nvalue:\n{shown}",
        lines.len(),
        lines.join("\n  - ")
    );
}
