//! The human-readable lines of `frontdesk webhooks` (`--format text`): one
//! line per record, columns separated by two spaces, times in UTC, so that
//! they read well and their leading columns still split with `awk`.

use frontdesk_domain::webhooks::{DeliveryAttempt, EndpointMessage, WebhookEndpoint};

use crate::rfc3339;

pub fn endpoint_line(e: &WebhookEndpoint) -> String {
    let state = if e.disabled { "disabled" } else { "enabled" };
    let events = if e.filter_types.is_empty() {
        "all events".to_owned()
    } else {
        e.filter_types.join(",")
    };
    let mut line = format!("{}  {state:<8}  {}  {events}", e.id, e.url);
    if let Some(since) = e.failing_since {
        line.push_str(&format!("  failing since {}", rfc3339::format(since)));
    }
    line
}

/// A header only above rows: an endpoint with none prints nothing, which
/// scripts can test for.
pub fn print_messages(found: &[EndpointMessage]) {
    if found.is_empty() {
        return;
    }
    println!(
        "{:<31}  {:<24}  {:<7}  {:>8}  CREATED",
        "ID", "TYPE", "STATUS", "ATTEMPTS"
    );
    for m in found {
        println!(
            "{:<31}  {:<24}  {:<7}  {:>8}  {}",
            m.message_id.as_str(),
            m.event_type,
            m.status.as_str(),
            m.attempts,
            rfc3339::format(m.created_at)
        );
    }
}

pub fn print_attempts(found: &[DeliveryAttempt]) {
    if found.is_empty() {
        return;
    }
    println!(
        "{:<20}  {:>4}  {:>8}  {:<7}  RESPONSE",
        "TIME", "CODE", "DURATION", "RESULT"
    );
    for a in found {
        let code = a
            .status_code
            .map_or_else(|| "-".to_owned(), |c| c.to_string());
        // The body is the receiver's text: control characters (newlines,
        // terminal escapes) are blanked so each attempt stays one safe line.
        let response: String = a
            .response
            .chars()
            .take(80)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        println!(
            "{:<20}  {code:>4}  {:>5} ms  {:<7}  {response}",
            rfc3339::format(a.at),
            a.duration_ms,
            if a.succeeded { "success" } else { "fail" },
        );
    }
}
