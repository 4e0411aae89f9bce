//! Rows of the webhook tables, shared by both adapters like [`crate::rows`].

use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::{
    DeliveryAttempt, DeliveryStatus, EndpointMessage, EndpointUrl, RetiringSecret, WebhookEndpoint,
    WebhookSecret,
};

use frontdesk_domain::webhooks::DeliveryOutcome;
use frontdesk_types::WebhookEndpointId;

use crate::{DeliveryCounts, StoreError};

fn corrupt(what: &str, s: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{s}`"))
}

fn id<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(what, s))
}

fn secret(s: &str) -> Result<WebhookSecret, StoreError> {
    WebhookSecret::parse(s).map_err(|_| corrupt("webhook secret", "…"))
}

/// The stored form of a type filter: `,a,b,` (so that one type is matched
/// with a substring search for `,type,`), or empty for every type.
pub fn filter_column(types: &[String]) -> String {
    if types.is_empty() {
        String::new()
    } else {
        format!(",{},", types.join(","))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub filter_types: String,
    pub disabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const ENDPOINT_COLUMNS: &str = "id, url, description, filter_types, disabled, secret, \
    previous_secret, previous_secret_until, failing_since, created_at, updated_at";

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = StoreError;
    fn try_from(r: EndpointRow) -> Result<Self, StoreError> {
        let previous_secret = match (r.previous_secret, r.previous_secret_until) {
            (Some(s), Some(until)) => Some(RetiringSecret {
                secret: secret(&s)?,
                until: UnixMillis(until),
            }),
            _ => None,
        };
        Ok(WebhookEndpoint {
            id: id("endpoint id", &r.id)?,
            url: EndpointUrl::parse(&r.url).map_err(|_| corrupt("endpoint url", &r.url))?,
            description: r.description,
            filter_types: r
                .filter_types
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            disabled: r.disabled,
            secret: secret(&r.secret)?,
            previous_secret,
            failing_since: r.failing_since.map(UnixMillis),
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ClaimedRow {
    pub message_id: String,
    pub attempts: i32,
}

/// A claimed delivery with its message, in one row (PostgreSQL claims and
/// reads in one statement).
#[derive(Debug, sqlx::FromRow)]
pub struct ClaimRow {
    pub message_id: String,
    pub attempts: i32,
    pub event_type: String,
    pub payload: String,
}

#[derive(Debug, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub event_type: String,
    pub payload: String,
}

#[derive(Debug, sqlx::FromRow)]
pub struct EndpointMessageRow {
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    pub created_at: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
}

impl TryFrom<EndpointMessageRow> for EndpointMessage {
    type Error = StoreError;
    fn try_from(r: EndpointMessageRow) -> Result<Self, StoreError> {
        Ok(EndpointMessage {
            message_id: id("message id", &r.message_id)?,
            event_type: r.event_type,
            payload: r.payload,
            created_at: UnixMillis(r.created_at),
            status: r
                .status
                .parse::<DeliveryStatus>()
                .map_err(|_| corrupt("delivery status", &r.status))?,
            attempts: r.attempts.max(0) as u32,
            next_attempt_at: r.next_attempt_at.map(UnixMillis),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: String,
    pub endpoint_id: String,
    pub message_id: String,
    pub at: i64,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub response: String,
    pub succeeded: bool,
}

pub const ATTEMPT_COLUMNS: &str =
    "id, endpoint_id, message_id, at, status_code, duration_ms, response, succeeded";

impl TryFrom<AttemptRow> for DeliveryAttempt {
    type Error = StoreError;
    fn try_from(r: AttemptRow) -> Result<Self, StoreError> {
        Ok(DeliveryAttempt {
            id: id("attempt id", &r.id)?,
            message_id: id("message id", &r.message_id)?,
            endpoint_id: id("endpoint id", &r.endpoint_id)?,
            at: UnixMillis(r.at),
            status_code: r.status_code.and_then(|c| u16::try_from(c).ok()),
            duration_ms: r.duration_ms,
            response: r.response,
            succeeded: r.succeeded,
        })
    }
}

/// Each endpoint's latest attempt in a batch: it decides whether the
/// endpoint is failing.
pub fn last_outcome_per_endpoint(
    outcomes: &[DeliveryOutcome],
) -> Vec<(WebhookEndpointId, &DeliveryAttempt)> {
    let mut last: Vec<(WebhookEndpointId, &DeliveryAttempt)> = Vec::new();
    for o in outcomes {
        let a = &o.attempt;
        match last.iter_mut().find(|(id, _)| *id == a.endpoint_id) {
            Some(slot) if slot.1.at <= a.at => slot.1 = a,
            Some(_) => {}
            None => last.push((a.endpoint_id.clone(), a)),
        }
    }
    last
}

pub fn counts(rows: Vec<(String, i64)>) -> DeliveryCounts {
    let mut c = DeliveryCounts::default();
    for (status, n) in rows {
        match status.as_str() {
            "pending" => c.pending = n,
            "success" => c.succeeded = n,
            _ => c.failed += n,
        }
    }
    c
}
