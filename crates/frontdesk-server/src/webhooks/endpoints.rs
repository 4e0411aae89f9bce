//! Managing endpoints: what the Backend API and the CLI both do.

use std::net::SocketAddr;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::webhooks::{
    AddressPolicy, EndpointError, EndpointUrl, RetiringSecret, WebhookEndpoint, WebhookSecret,
    parse_filter_types,
};
use frontdesk_store::{Store, StoreError};
use frontdesk_types::WebhookEndpointId;

/// The endpoint `raw` names, or Clerk's 404 (a malformed id too).
pub async fn find(store: &dyn Store, raw: &str) -> Result<WebhookEndpoint, crate::error::ApiError> {
    let not_found = || crate::error::ApiError::not_found("webhook endpoint");
    let id: WebhookEndpointId = raw.parse().map_err(|_| not_found())?;
    store.get_endpoint(&id).await?.ok_or_else(not_found)
}

/// How long a rotated-out secret still signs (Svix: 24 hours).
pub const ROTATION_WINDOW_SECS: i64 = 24 * 3600;

/// Why an endpoint could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum EndpointChangeError {
    /// A bad field, named as the API names it.
    #[error("{field}: {source}")]
    Invalid {
        field: &'static str,
        source: EndpointError,
    },
    /// Other changes kept landing first ([`CHANGE_TRIES`] times): nothing
    /// was written; the caller may try again.
    #[error("the endpoint kept changing while this change was applied; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str) -> impl FnOnce(EndpointError) -> EndpointChangeError {
    move |source| EndpointChangeError::Invalid { field, source }
}

/// Parse `url` and check where it points. An address literal must be one the
/// policy permits; a name must not resolve to any refused address. A name
/// that does not resolve yet is accepted: every delivery checks again.
pub async fn check_url(url: &str, policy: AddressPolicy) -> Result<EndpointUrl, EndpointError> {
    let url = EndpointUrl::parse(url)?;
    if let Some(ip) = url.ip_literal() {
        policy.check(ip)?;
        return Ok(url);
    }
    let host = url.as_url().host_str().unwrap_or_default().to_owned();
    let port = url.as_url().port_or_known_default().unwrap_or(443);
    if let Ok(found) = tokio::net::lookup_host((host.as_str(), port)).await {
        let found: Vec<SocketAddr> = found.collect();
        for a in found {
            policy.check(a.ip())?;
        }
    }
    Ok(url)
}

/// A fresh `whsec_` secret from the operating system's CSPRNG.
pub fn new_secret() -> WebhookSecret {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    WebhookSecret::from_random(bytes)
}

/// The settings of a new endpoint.
#[derive(Debug, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub description: Option<String>,
    pub filter_types: Vec<String>,
    pub disabled: bool,
    /// Bring your own secret (migrating from Svix/Clerk); default: a new one.
    pub secret: Option<String>,
}

pub async fn create(
    store: &dyn Store,
    policy: AddressPolicy,
    new: NewEndpoint,
) -> Result<WebhookEndpoint, EndpointChangeError> {
    let url = check_url(&new.url, policy).await.map_err(invalid("url"))?;
    let filter_types = parse_filter_types(&new.filter_types).map_err(invalid("filter_types"))?;
    let secret = match &new.secret {
        Some(s) => WebhookSecret::parse(s).map_err(invalid("secret"))?,
        None => new_secret(),
    };
    let now = UnixMillis::now();
    let endpoint = WebhookEndpoint {
        id: WebhookEndpointId::generate(),
        url,
        description: description(new.description)?,
        filter_types,
        disabled: new.disabled,
        secret,
        previous_secret: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    // An administrator's entry names the endpoint made (nothing outside one).
    frontdesk_store::audit::amend(|e| e.target_id = Some(endpoint.id.as_str().to_owned()));
    frontdesk_store::audit::note("url", endpoint.url.as_str());
    store.create_endpoint(&endpoint).await?;
    Ok(endpoint)
}

fn description(text: Option<String>) -> Result<String, EndpointChangeError> {
    let text = text.unwrap_or_default();
    if text.chars().count() > 512 || text.chars().any(char::is_control) {
        return Err(EndpointChangeError::Invalid {
            field: "description",
            source: EndpointError::Description,
        });
    }
    Ok(text)
}

/// Changes to an endpoint; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub filter_types: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

pub async fn update(
    store: &dyn Store,
    policy: AddressPolicy,
    endpoint: WebhookEndpoint,
    patch: EndpointPatch,
) -> Result<WebhookEndpoint, EndpointChangeError> {
    // Checked once (a name is resolved: an await), applied to whichever
    // copy of the endpoint is current when it is written.
    let url = match patch.url {
        Some(url) => Some(check_url(&url, policy).await.map_err(invalid("url"))?),
        None => None,
    };
    let text = patch
        .description
        .map(|d| description(Some(d)))
        .transpose()?;
    let types = match patch.filter_types {
        Some(types) => Some(parse_filter_types(&types).map_err(invalid("filter_types"))?),
        None => None,
    };
    change(store, endpoint, |e| {
        if let Some(url) = &url {
            e.url = url.clone();
        }
        if let Some(d) = &text {
            e.description = d.clone();
        }
        if let Some(types) = &types {
            e.filter_types = types.clone();
        }
        if let Some(disabled) = patch.disabled {
            if !disabled && e.disabled {
                // Re-enabled: the failing run that disabled it is over.
                e.failing_since = None;
            }
            e.disabled = disabled;
        }
    })
    .await
}

/// Replace the signing secret. The old one keeps signing alongside the new
/// one for [`ROTATION_WINDOW_SECS`], so receivers can switch without losing
/// a message.
pub async fn rotate_secret(
    store: &dyn Store,
    endpoint: WebhookEndpoint,
    key: Option<&str>,
) -> Result<WebhookEndpoint, EndpointChangeError> {
    let secret = match key {
        Some(s) => WebhookSecret::parse(s).map_err(invalid("key"))?,
        None => new_secret(),
    };
    change(store, endpoint, |e| {
        e.previous_secret = Some(RetiringSecret {
            secret: std::mem::replace(&mut e.secret, secret.clone()),
            until: UnixMillis::now().plus_secs(ROTATION_WINDOW_SECS),
        });
    })
    .await
}

/// How many times a change is reapplied to a fresh copy before giving up:
/// well above the number of operators and workers that change one endpoint
/// at once (each round lets one of them through).
const CHANGE_TRIES: u32 = 64;

/// Apply `edit` to `endpoint` and write it over the copy it was read as; if
/// another change landed first (an admin, a worker disabling it), read it
/// again and reapply, so no change is lost to a stale copy.
async fn change(
    store: &dyn Store,
    mut endpoint: WebhookEndpoint,
    edit: impl Fn(&mut WebhookEndpoint),
) -> Result<WebhookEndpoint, EndpointChangeError> {
    for round in 0..CHANGE_TRIES {
        let read_at = endpoint.updated_at;
        let mut next = endpoint.clone();
        edit(&mut next);
        // Later than the copy's time, so the next writer's check sees it.
        next.updated_at = UnixMillis(UnixMillis::now().0.max(read_at.0 + 1));
        if store.update_endpoint(&next, read_at).await? {
            return Ok(next);
        }
        // A little jitter, so that the writers that lost do not meet again.
        let wait = rand::random_range(0..=(round + 1).min(10));
        tokio::time::sleep(std::time::Duration::from_millis(u64::from(wait))).await;
        endpoint = store
            .get_endpoint(&endpoint.id)
            .await?
            .ok_or(StoreError::NotFound)?;
    }
    Err(EndpointChangeError::Busy)
}
