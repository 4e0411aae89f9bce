//! One attempt: sign, post, read a bounded answer.
//!
//! The client never follows redirects, ignores proxy variables, and resolves
//! names through [`GuardedResolver`], which drops addresses the
//! [`AddressPolicy`] refuses: a host that resolved to a public address when
//! the endpoint was saved cannot be pointed at the database later (DNS
//! rebinding). Address literals in URLs skip resolution, so they are checked
//! before sending.

use std::net::SocketAddr;
use std::time::Instant;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::{
    AddressPolicy, ClaimedDelivery, DeliveryAttempt, EndpointError, WebhookEndpoint,
};
use frontdesk_types::AttemptId;

use crate::config::WebhooksConfig;

/// How much of a response is read; the rest is dropped with the connection.
pub const RESPONSE_READ_CAP: usize = 64 * 1024;
/// How much of it is kept in the attempt log.
pub const RESPONSE_LOG_CAP: usize = 1024;

/// The `User-Agent` of deliveries.
pub const USER_AGENT: &str = concat!("Frontdesk-Webhooks/", env!("CARGO_PKG_VERSION"));

/// Resolves names, keeping only the addresses the policy permits.
struct GuardedResolver {
    policy: AddressPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            match (allowed.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                (true, Some(a)) => Err(Box::new(EndpointError::Address(a.ip())) as _),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

/// The HTTP client deliveries use.
pub fn client(
    config: &WebhooksConfig,
    policy: AddressPolicy,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(config.timeout())
        .connect_timeout(config.timeout())
        .pool_max_idle_per_host(config.per_endpoint_concurrency)
        .dns_resolver(std::sync::Arc::new(GuardedResolver { policy }))
        .build()
}

/// Post `delivery` to `endpoint` once and say what happened.
pub async fn attempt(
    client: &reqwest::Client,
    policy: AddressPolicy,
    endpoint: &WebhookEndpoint,
    delivery: &ClaimedDelivery,
) -> DeliveryAttempt {
    let at = UnixMillis::now();
    let started = Instant::now();
    let result = post(client, policy, endpoint, delivery, at).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (status_code, response, succeeded) = match result {
        Ok((status, body)) => (Some(status), body, (200..300).contains(&status)),
        Err(why) => (None, why, false),
    };
    DeliveryAttempt {
        id: AttemptId::generate(),
        message_id: delivery.message_id.clone(),
        endpoint_id: delivery.endpoint_id.clone(),
        at,
        status_code,
        duration_ms,
        response,
        succeeded,
    }
}

async fn post(
    client: &reqwest::Client,
    policy: AddressPolicy,
    endpoint: &WebhookEndpoint,
    delivery: &ClaimedDelivery,
    at: UnixMillis,
) -> Result<(u16, String), String> {
    if let Some(ip) = endpoint.url.ip_literal() {
        policy.check(ip).map_err(|e| e.to_string())?;
    }
    let timestamp = at.0 / 1000;
    let keys = endpoint.signing_secrets(at);
    let signature = frontdesk_crypto::svix_signature(
        keys.iter().map(|k| k.key()),
        delivery.message_id.as_str(),
        timestamp,
        delivery.payload.as_bytes(),
    );
    let mut response = client
        .post(endpoint.url.as_url().clone())
        .header("content-type", "application/json")
        .header("svix-id", delivery.message_id.as_str())
        .header("svix-timestamp", timestamp.to_string())
        .header("svix-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(describe)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while body.len() < RESPONSE_READ_CAP {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            // The status arrived; a body cut short does not change it.
            Err(_) => break,
        }
    }
    body.truncate(RESPONSE_LOG_CAP);
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Why a request got no response, in a line for the attempt log.
fn describe(e: reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    // The innermost cause says the most (refused address, connection reset).
    while let Some(s) = source {
        if s.source().is_none() {
            text = format!("{text}: {s}");
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_domain::webhooks::{EndpointUrl, WebhookSecret};
    use frontdesk_types::{MessageId, WebhookEndpointId};

    fn endpoint(url: &str) -> WebhookEndpoint {
        WebhookEndpoint {
            id: WebhookEndpointId::generate(),
            url: EndpointUrl::parse(url).expect("url"),
            description: String::new(),
            filter_types: Vec::new(),
            disabled: false,
            secret: WebhookSecret::from_random([3; 24]),
            previous_secret: None,
            failing_since: None,
            created_at: UnixMillis(0),
            updated_at: UnixMillis(0),
        }
    }

    fn delivery(e: &WebhookEndpoint) -> ClaimedDelivery {
        ClaimedDelivery {
            message_id: MessageId::generate(),
            endpoint_id: e.id.clone(),
            event_type: "user.created".into(),
            payload: "{}".into(),
            attempts: 0,
            lease: "l".into(),
        }
    }

    /// Checked at every connection, not only when the endpoint was saved: a
    /// name that now resolves to a refused address (DNS rebinding) and an
    /// address literal are both refused before anything is sent.
    #[tokio::test]
    async fn refused_addresses_are_never_connected_to() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let strict = AddressPolicy::default();
        let client = client(&WebhooksConfig::default(), strict).expect("client");
        for url in [
            format!("http://localhost:{port}/hook"),
            format!("http://127.0.0.1:{port}/hook"),
        ] {
            let e = endpoint(&url);
            let a = attempt(&client, strict, &e, &delivery(&e)).await;
            assert!(!a.succeeded, "{url}");
            assert_eq!(a.status_code, None, "{url}");
            assert!(
                a.response.contains("does not call"),
                "{url}: {}",
                a.response
            );
        }
        let accepted =
            tokio::time::timeout(std::time::Duration::from_millis(50), listener.accept()).await;
        assert!(
            accepted.is_err(),
            "nothing connected to the refused address"
        );
    }
}
