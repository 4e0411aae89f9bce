//! Webhooks: endpoints, their signing secrets, the outbox and the rules of
//! delivery (which addresses may be called, when to retry).
//!
//! Frontdesk delivers events the way Svix does for Clerk, so that the
//! receivers apps already have (`svix`'s `Webhook.verify`, `@clerk/backend`'s
//! `verifyWebhook`) accept them unchanged: one message id per event, kept
//! across retries; a fresh timestamp and signature per attempt; Svix's retry
//! schedule.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use frontdesk_types::{AttemptId, MessageId, WebhookEndpointId};
use url::{Host, Url};

use crate::UnixMillis;

/// The event types Frontdesk emits today.
pub const EVENT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deleted",
    "session.created",
    "session.ended",
    "session.removed",
    "session.revoked",
    "email.created",
];

/// Every event type Clerk's webhooks define (its webhook OpenAPI spec),
/// those Frontdesk emits today included: an endpoint may subscribe to any of
/// them, and to nothing else, so that a misspelt type is refused rather than
/// filtering out every event.
pub const CLERK_EVENT_TYPES: &[&str] = &[
    "email.created",
    "organization.created",
    "organization.deleted",
    "organization.updated",
    "organizationDomain.created",
    "organizationDomain.deleted",
    "organizationDomain.updated",
    "organizationInvitation.accepted",
    "organizationInvitation.created",
    "organizationInvitation.revoked",
    "organizationMembership.created",
    "organizationMembership.deleted",
    "organizationMembership.updated",
    "paymentAttempt.created",
    "paymentAttempt.updated",
    "permission.created",
    "permission.deleted",
    "permission.updated",
    "role.created",
    "role.deleted",
    "role.updated",
    "session.created",
    "session.ended",
    "session.pending",
    "session.removed",
    "session.revoked",
    "sms.created",
    "subscription.active",
    "subscription.created",
    "subscription.pastDue",
    "subscription.updated",
    "subscriptionItem.abandoned",
    "subscriptionItem.active",
    "subscriptionItem.canceled",
    "subscriptionItem.ended",
    "subscriptionItem.freeTrialEnding",
    "subscriptionItem.incomplete",
    "subscriptionItem.pastDue",
    "subscriptionItem.upcoming",
    "subscriptionItem.updated",
    "user.created",
    "user.deleted",
    "user.updated",
    "waitlistEntry.created",
    "waitlistEntry.updated",
];

/// Why an endpoint's settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("the URL is not an absolute http(s) URL without credentials")]
    Url,
    #[error("the URL resolves to {0}, which this instance does not call")]
    Address(IpAddr),
    #[error("`{0}` is not an event type{hint}", hint = suggestion(.0))]
    EventType(String),
    #[error("the signing secret is not `whsec_` followed by base64 of 24 to 64 bytes")]
    Secret,
    #[error("the description is longer than 512 characters or holds control characters")]
    Description,
}

/// Where an endpoint receives events: an absolute `http`/`https` URL with no
/// user name, password or fragment, at most 2,048 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointUrl(Url);

impl EndpointUrl {
    pub fn parse(s: &str) -> Result<Self, EndpointError> {
        if s.len() > 2048 {
            return Err(EndpointError::Url);
        }
        let url = Url::parse(s).map_err(|_| EndpointError::Url)?;
        let ok = matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.fragment().is_none();
        if ok {
            Ok(Self(url))
        } else {
            Err(EndpointError::Url)
        }
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host when it is an address literal: such URLs are checked against
    /// the [`AddressPolicy`] directly, without name resolution.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        match self.0.host()? {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        }
    }
}

impl fmt::Debug for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointUrl({})", self.0)
    }
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// Which addresses a webhook may be delivered to (server-side request
/// forgery: an endpoint URL must not reach the database, the cloud metadata
/// service or anything else on the private network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressPolicy {
    /// `127.0.0.0/8`, `::1`: allowed by default on development instances.
    pub allow_loopback: bool,
    /// Private, link-local, shared (CGNAT) and unique-local ranges.
    pub allow_private: bool,
}

/// How an address is classed for [`AddressPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Loopback,
    Private,
    /// Unspecified, multicast, broadcast, reserved: never called.
    Unroutable,
}

impl AddressClass {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => match embedded_ipv4(v6) {
                Some(v4) => Self::of_v4(v4),
                None => Self::of_v6(v6),
            },
        }
    }

    fn of_v4(ip: Ipv4Addr) -> Self {
        let [a, b, ..] = ip.octets();
        if ip.is_loopback() {
            Self::Loopback
        } else if ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || a == 0
            || a >= 240
        {
            Self::Unroutable
        } else if ip.is_private()
            || ip.is_link_local()
            || (a == 100 && (64..128).contains(&b))
            || (a == 192 && b == 0 && ip.octets()[2] == 0)
            || (a == 198 && (b == 18 || b == 19))
        {
            Self::Private
        } else {
            Self::Public
        }
    }

    fn of_v6(ip: Ipv6Addr) -> Self {
        let [first, second, ..] = ip.segments();
        if ip.is_loopback() {
            Self::Loopback
        } else if ip.is_unspecified() || ip.is_multicast() || (first == 0x2001 && second == 0) {
            // Teredo (2001::/32) hides its IPv4 endpoints; never a webhook.
            Self::Unroutable
        } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || first == 0x64 {
            // Unique-local, link-local, and NAT64 (which can reach IPv4 private space).
            Self::Private
        } else {
            Self::Public
        }
    }
}

/// The IPv4 address an IPv6 address stands for, in the forms that carry one
/// (finding F20): IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`
/// (deprecated, but parsed and routed by some stacks), SIIT
/// `::ffff:0:a.b.c.d` (RFC 6145), and 6to4 `2002:aabb:ccdd::/16` (RFC 3056).
/// `::` and `::1` are IPv6's own unspecified and loopback addresses.
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail),
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(tail),
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => None,
        [0, 0, 0, 0, 0, 0, _, _] => Some(tail),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

impl AddressPolicy {
    pub fn permits(&self, ip: IpAddr) -> bool {
        match AddressClass::of(ip) {
            AddressClass::Public => true,
            AddressClass::Loopback => self.allow_loopback,
            AddressClass::Private => self.allow_private,
            AddressClass::Unroutable => false,
        }
    }

    /// Refuse `ip` with the error shown to whoever configured the endpoint.
    pub fn check(&self, ip: IpAddr) -> Result<(), EndpointError> {
        if self.permits(ip) {
            Ok(())
        } else {
            Err(EndpointError::Address(ip))
        }
    }
}

/// An endpoint's signing secret: `whsec_` + base64 of the HMAC key, the
/// format Svix and `@clerk/backend` read. Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub const PREFIX: &'static str = "whsec_";

    /// A secret from fresh random bytes (24, as Svix makes them).
    pub fn from_random(bytes: [u8; 24]) -> Self {
        Self(bytes.to_vec())
    }

    pub fn parse(s: &str) -> Result<Self, EndpointError> {
        let body = s.strip_prefix(Self::PREFIX).ok_or(EndpointError::Secret)?;
        let key = STANDARD.decode(body).map_err(|_| EndpointError::Secret)?;
        if (24..=64).contains(&key.len()) {
            Ok(Self(key))
        } else {
            Err(EndpointError::Secret)
        }
    }

    /// The HMAC key.
    pub fn key(&self) -> &[u8] {
        &self.0
    }

    /// The `whsec_…` text: shown to the operator, stored by the adapters.
    pub fn expose(&self) -> String {
        format!("{}{}", Self::PREFIX, STANDARD.encode(&self.0))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// A secret being rotated out: still signed with until `until`, so receivers
/// that have not switched yet keep verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiringSecret {
    pub secret: WebhookSecret,
    pub until: UnixMillis,
}

/// A receiver of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: EndpointUrl,
    pub description: String,
    /// Event types delivered; empty means every type.
    pub filter_types: Vec<String>,
    pub disabled: bool,
    pub secret: WebhookSecret,
    pub previous_secret: Option<RetiringSecret>,
    /// Start of the current run of failed attempts; cleared by a success.
    pub failing_since: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl WebhookEndpoint {
    /// Whether events of `event_type` go to this endpoint.
    pub fn wants(&self, event_type: &str) -> bool {
        self.filter_types.is_empty() || self.filter_types.iter().any(|t| t == event_type)
    }

    /// The secrets to sign with at `now`: the current one, then the retiring
    /// one during its window.
    pub fn signing_secrets(&self, now: UnixMillis) -> Vec<&WebhookSecret> {
        let mut out = vec![&self.secret];
        if let Some(old) = self.previous_secret.as_ref().filter(|o| now < o.until) {
            out.push(&old.secret);
        }
        out
    }
}

/// "; did you mean `user.created`?" for a near miss of a known type.
fn suggestion(t: &str) -> String {
    let close = CLERK_EVENT_TYPES
        .iter()
        .map(|known| (edit_distance(t, known), known))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d);
    match close {
        Some((_, known)) => format!("; did you mean `{known}`?"),
        None => " (see GET /v1/webhooks/event_types)".to_owned(),
    }
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            row.push((prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

/// Parse an event-type filter: types Clerk defines ([`CLERK_EVENT_TYPES`]),
/// deduplicated.
pub fn parse_filter_types<S: AsRef<str>>(types: &[S]) -> Result<Vec<String>, EndpointError> {
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = t.as_ref();
        let valid = CLERK_EVENT_TYPES.contains(&t);
        if !valid {
            return Err(EndpointError::EventType(t.to_owned()));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// An event waiting in the outbox: written in the same transaction as the
/// change it describes, fanned out there to every enabled endpoint that wants
/// its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub id: MessageId,
    pub event_type: String,
    /// The whole envelope as JSON text, exactly the body that is signed.
    pub payload: String,
    pub created_at: UnixMillis,
}

/// Where a message stands for one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (or being attempted now).
    Pending,
    Succeeded,
    /// Every attempt of the schedule failed; `recover` or `resend` revive it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "success",
            Self::Failed => "fail",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(Self::Pending),
            "success" => Ok(Self::Succeeded),
            "fail" => Ok(Self::Failed),
            _ => Err(()),
        }
    }
}

/// A message claimed for delivery to one endpoint by one worker, until
/// `lease` expires.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub message_id: MessageId,
    pub endpoint_id: WebhookEndpointId,
    pub event_type: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub lease: String,
}

/// One attempt, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: AttemptId,
    pub message_id: MessageId,
    pub endpoint_id: WebhookEndpointId,
    pub at: UnixMillis,
    /// The HTTP status, if a response arrived.
    pub status_code: Option<u16>,
    pub duration_ms: i64,
    /// The start of the response body, or why no response arrived.
    pub response: String,
    pub succeeded: bool,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Done,
    RetryAt(UnixMillis),
    GiveUp,
}

/// The result of one attempt, recorded with [`ClaimedDelivery::lease`] so
/// that a worker whose lease ran out cannot overwrite a newer claim.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub attempt: DeliveryAttempt,
    pub lease: String,
    pub next: NextStep,
}

/// A message as one endpoint sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointMessage {
    pub message_id: MessageId,
    pub event_type: String,
    pub payload: String,
    pub created_at: UnixMillis,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<UnixMillis>,
}

/// When to try again after a failed attempt: Svix's schedule (immediately,
/// then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h) with ±10 % jitter
/// so that a burst of failures does not come back as a burst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Delays before the second, third, … attempts, in milliseconds.
    pub delays_ms: Vec<u64>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        const S: u64 = 1000;
        Self {
            delays_ms: vec![
                5 * S,
                5 * 60 * S,
                30 * 60 * S,
                2 * 3600 * S,
                5 * 3600 * S,
                10 * 3600 * S,
                10 * 3600 * S,
            ],
        }
    }
}

impl RetrySchedule {
    /// Attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        self.delays_ms.len() as u32 + 1
    }

    /// After `failed` failed attempts (1 for the first), when to try next;
    /// `jitter` in `[-1, 1]` moves the delay by up to 10 %.
    pub fn next(&self, failed: u32, now: UnixMillis, jitter: f64) -> NextStep {
        match self.delays_ms.get(failed.saturating_sub(1) as usize) {
            None => NextStep::GiveUp,
            Some(&delay) => {
                let jitter = jitter.clamp(-1.0, 1.0) * 0.1 * delay as f64;
                let delay = (delay as f64 + jitter).max(0.0) as i64;
                NextStep::RetryAt(UnixMillis(now.0 + delay))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn addresses_are_classed() {
        for (addr, class) in [
            ("127.0.0.1", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("169.254.169.254", AddressClass::Private),
            ("100.64.0.1", AddressClass::Private),
            ("fd00::1", AddressClass::Private),
            ("fe80::1", AddressClass::Private),
            ("::ffff:10.0.0.1", AddressClass::Private),
            ("0.0.0.0", AddressClass::Unroutable),
            ("::", AddressClass::Unroutable),
            ("224.0.0.1", AddressClass::Unroutable),
            ("255.255.255.255", AddressClass::Unroutable),
            ("93.184.215.14", AddressClass::Public),
            ("2606:4700::1111", AddressClass::Public),
            // Finding F20: IPv4 carried in IPv6 is classed as that IPv4.
            ("::127.0.0.1", AddressClass::Loopback),
            ("::ffff:0:7f00:1", AddressClass::Loopback),
            ("::ffff:0:a9fe:a9fe", AddressClass::Private),
            ("2002:7f00:1::1", AddressClass::Loopback),
            ("2002:a9fe:a9fe::", AddressClass::Private),
            ("2002:5db8:d70e::1", AddressClass::Public),
            ("::10.0.0.1", AddressClass::Private),
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                AddressClass::Unroutable,
            ),
            ("64:ff9b::7f00:1", AddressClass::Private),
        ] {
            assert_eq!(AddressClass::of(ip(addr)), class, "{addr}");
        }
        let strict = AddressPolicy::default();
        assert!(!strict.permits(ip("127.0.0.1")));
        assert!(!strict.permits(ip("169.254.169.254")));
        let dev = AddressPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        assert!(dev.permits(ip("127.0.0.1")));
        assert!(!dev.permits(ip("10.0.0.1")));
        assert!(!dev.permits(ip("0.0.0.0")));
    }

    #[test]
    fn event_types_are_clerks_and_typos_get_a_suggestion() {
        assert_eq!(
            parse_filter_types(&["user.created", "organization.created", "user.created"]),
            Ok(vec![
                "user.created".to_owned(),
                "organization.created".to_owned()
            ])
        );
        let e = parse_filter_types(&["user.creatd"]).expect_err("a typo");
        assert_eq!(
            e.to_string(),
            "`user.creatd` is not an event type; did you mean `user.created`?"
        );
        assert!(parse_filter_types(&["nope"]).is_err());
    }

    #[test]
    fn urls_must_be_plain_http() {
        assert!(EndpointUrl::parse("https://example.com/hook").is_ok());
        assert!(EndpointUrl::parse("http://127.0.0.1:9/x").is_ok());
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "/relative",
            "file:///etc/passwd",
        ] {
            assert_eq!(EndpointUrl::parse(bad), Err(EndpointError::Url), "{bad}");
        }
        let u = EndpointUrl::parse("http://[::1]:80/").expect("url");
        assert_eq!(u.ip_literal(), Some(ip("::1")));
    }

    #[test]
    fn secrets_round_trip_and_stay_out_of_debug() {
        let s = WebhookSecret::from_random([7; 24]);
        let text = s.expose();
        assert!(text.starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(&text), Ok(s.clone()));
        assert!(!format!("{s:?}").contains(&text[6..]));
        assert_eq!(
            WebhookSecret::parse("whsec_c2hvcnQ="),
            Err(EndpointError::Secret)
        );
    }

    #[test]
    fn filters_accept_clerk_types_only() {
        let ok = parse_filter_types(&[
            "user.created",
            "organizationMembership.created",
            "user.created",
        ]);
        assert_eq!(
            ok,
            Ok(vec![
                "user.created".to_owned(),
                "organizationMembership.created".to_owned()
            ])
        );
        for bad in ["user", "user.", ".x", "user.created;drop", "a.b.c"] {
            assert!(parse_filter_types(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_schedule_is_svix_and_ends() {
        let s = RetrySchedule::default();
        assert_eq!(s.attempts(), 8);
        let now = UnixMillis(0);
        assert_eq!(s.next(1, now, 0.0), NextStep::RetryAt(UnixMillis(5_000)));
        assert_eq!(s.next(2, now, 1.0), NextStep::RetryAt(UnixMillis(330_000)));
        assert_eq!(
            s.next(7, now, -1.0),
            NextStep::RetryAt(UnixMillis(32_400_000))
        );
        assert_eq!(s.next(8, now, 0.0), NextStep::GiveUp);
    }
}
