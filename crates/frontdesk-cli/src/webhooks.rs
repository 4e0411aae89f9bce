//! `frontdesk webhooks …`: webhook endpoints, their messages and attempts.
//!
//! The commands work on the store directly but go through the same functions
//! as the Backend API (`/v1/webhooks/…`), so an endpoint made here passes the
//! same checks (address policy, event-type filter) as one made over HTTP, and
//! `--format json` prints the API's shapes: a script can switch between the
//! two without changing its parsing. Signing secrets are printed only by
//! `create` and `rotate-secret`, the two moments an operator must copy one,
//! and never go through the logger.

mod text;

use clap::{Args, Subcommand, ValueEnum};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::AuditAction;
use frontdesk_domain::webhooks::{AddressClass, DeliveryStatus, EndpointError, WebhookEndpoint};
use frontdesk_server::Config;
use frontdesk_server::engine::admin::Audit;
use frontdesk_server::routes::webhooks as render;
use frontdesk_server::webhooks::endpoints::{
    self, EndpointChangeError, EndpointPatch, NewEndpoint, ROTATION_WINDOW_SECS,
};
use frontdesk_store::{Store, StoreError};
use frontdesk_types::common::DeletedObject;
use frontdesk_types::webhook as wire;
use frontdesk_types::{MessageId, WebhookEndpointId};
use serde_json::json;
use serde_json::to_string_pretty as to_json;

use crate::Failure;
use crate::keys::open;
use text::{endpoint_line, print_attempts, print_messages};

#[derive(Subcommand)]
pub enum WebhooksCommand {
    /// Create an endpoint; prints its id and signing secret (shown only now)
    Create {
        /// Where events are POSTed: an http(s) URL
        url: String,
        /// A note for people: what receives these events
        #[arg(long)]
        description: Option<String>,
        /// Deliver only this event type (repeat for more) [default: all events]
        #[arg(long = "event", value_name = "TYPE")]
        events: Vec<String>,
        /// Create it disabled: nothing is delivered until `update --enable`
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        out: Output,
    },
    /// List endpoints (never their secrets)
    List {
        #[command(flatten)]
        out: Output,
    },
    /// Change an endpoint's URL, description, event filter or state
    Update {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        /// Where events are POSTed from now on
        #[arg(long)]
        url: Option<String>,
        /// A note for people: what receives these events
        #[arg(long)]
        description: Option<String>,
        /// Deliver only this event type (repeat for more); replaces the filter
        #[arg(long = "event", value_name = "TYPE")]
        events: Vec<String>,
        /// Deliver every event type (clears the filter)
        #[arg(long, conflicts_with = "events")]
        all_events: bool,
        /// Deliver again (also ends a failing run that disabled it)
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Stop delivering; messages are no longer queued for it
        #[arg(long)]
        disable: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Delete an endpoint with its deliveries and attempts
    Delete {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        #[command(flatten)]
        out: Output,
    },
    /// Replace the signing secret; the old one keeps signing for 24 h
    RotateSecret {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        #[command(flatten)]
        out: Output,
    },
    /// An endpoint's messages, newest first
    Messages {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        /// Only messages with this status
        #[arg(long, value_enum)]
        status: Option<Status>,
        /// At most this many (1 to 500)
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=500))]
        limit: i64,
        #[command(flatten)]
        out: Output,
    },
    /// The delivery attempts of one message to an endpoint, newest first
    Attempts {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        /// The message (msg_…), as `messages` lists it
        message: MessageId,
        #[command(flatten)]
        out: Output,
    },
    /// Attempt a message again now, whatever its status
    Resend {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        /// The message (msg_…), as `messages` lists it
        message: MessageId,
        #[command(flatten)]
        out: Output,
    },
    /// Attempt again every failed message created since a time
    Recover {
        /// The endpoint (ep_…)
        id: WebhookEndpointId,
        /// An RFC 3339 time (2025-01-31T09:00:00Z) or milliseconds since the epoch
        #[arg(long, value_parser = parse_since)]
        since: UnixMillis,
        #[command(flatten)]
        out: Output,
    },
}

/// `--format`, on every subcommand so that each can be scripted.
#[derive(Args)]
pub struct Output {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

impl Output {
    /// Print the JSON or the text, whichever was asked for.
    fn emit(&self, json: serde_json::Result<String>, text: impl FnOnce()) {
        match self.format {
            // The wire types are plain data: serializing them cannot fail.
            Format::Json => println!("{}", json.unwrap_or_default()),
            Format::Text => text(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines
    Text,
    /// The Backend API's JSON for the same request
    Json,
}

/// A delivery status, spelled as the Backend API's `status` parameter.
#[derive(Clone, Copy, ValueEnum)]
pub enum Status {
    Pending,
    Success,
    Fail,
}

impl From<Status> for DeliveryStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => Self::Pending,
            Status::Success => Self::Succeeded,
            Status::Fail => Self::Failed,
        }
    }
}

pub async fn run(cmd: WebhooksCommand, config: Config) -> Result<(), Failure> {
    // `open` takes the configuration; the address policy needs its section.
    let settings = config.webhooks.clone();
    let opened = open(config).await?;
    let store = opened.store.as_ref();
    let instance = store.instance().await?.ok_or(StoreError::NotFound)?;
    let policy = settings.addresses(instance.mode);
    // What the terminal changes is in the audit log as the command line's.
    let by = Audit::command_line();
    match cmd {
        WebhooksCommand::Create {
            url,
            description,
            events,
            disabled,
            out,
        } => {
            let new = NewEndpoint {
                url,
                description,
                filter_types: events,
                disabled,
                secret: None,
            };
            // The endpoint's id and URL are noted by `create`.
            let create = endpoints::create(store, policy, new);
            let e = by
                .around(
                    store,
                    AuditAction::WebhookEndpointCreated,
                    None,
                    json!({}),
                    create,
                )
                .await
                .map_err(|err| change_error(None, err))?;
            // The note goes to stderr so that stdout stays parseable.
            eprintln!(
                "created {}; its signing secret is shown only now \
                 (`frontdesk webhooks rotate-secret` replaces it)",
                e.id
            );
            out.emit(to_json(&render::endpoint(&e, true)), || {
                println!("{}\n{}", e.id, e.secret.expose());
            });
        }
        WebhooksCommand::List { out } => {
            let all = store.list_endpoints().await?;
            let data = all.iter().map(|e| render::endpoint(e, false)).collect();
            out.emit(to_json(&list(data)), || {
                all.iter().for_each(|e| println!("{}", endpoint_line(e)));
            });
        }
        WebhooksCommand::Update {
            id,
            url,
            description,
            events,
            all_events,
            enable,
            disable,
            out,
        } => {
            let patch = EndpointPatch {
                url,
                description,
                filter_types: (all_events || !events.is_empty()).then_some(events),
                disabled: (enable || disable).then_some(disable),
            };
            if patch.url.is_none()
                && patch.description.is_none()
                && patch.filter_types.is_none()
                && patch.disabled.is_none()
            {
                return Err(Failure::usage(
                    "nothing to change: give --url, --description, --event, --all-events, \
                     --enable or --disable"
                        .to_owned(),
                ));
            }
            let current = load(store, &id).await?;
            let e = endpoints::update(store, policy, current, patch)
                .await
                .map_err(|err| change_error(Some(&id), err))?;
            out.emit(to_json(&render::endpoint(&e, false)), || {
                println!("{}", endpoint_line(&e));
            });
        }
        WebhooksCommand::Delete { id, out } => {
            load(store, &id).await?;
            store
                .delete_endpoint(&id)
                .await
                .map_err(|err| change_error(Some(&id), err.into()))?;
            let deleted = DeletedObject::new("webhook_endpoint", id.as_str());
            out.emit(to_json(&deleted), || println!("deleted {id}"));
        }
        WebhooksCommand::RotateSecret { id, out } => {
            let current = load(store, &id).await?;
            let rotate = endpoints::rotate_secret(store, current, None);
            let at = Some(id.as_str());
            let e = by
                .around(
                    store,
                    AuditAction::WebhookSecretRotated,
                    at,
                    json!({}),
                    rotate,
                )
                .await
                .map_err(|err| change_error(Some(&id), err))?;
            // Receivers verify against either secret while they switch.
            eprintln!(
                "new signing secret for {id} (shown only now); the previous one keeps \
                 signing alongside it for {} h",
                ROTATION_WINDOW_SECS / 3600
            );
            let key = e.secret.expose();
            let secret = wire::WebhookSecret {
                object: "webhook_endpoint_secret".to_owned(),
                key: key.clone(),
            };
            out.emit(to_json(&secret), || println!("{key}"));
        }
        WebhooksCommand::Messages {
            id,
            status,
            limit,
            out,
        } => {
            load(store, &id).await?;
            let found = store
                .list_endpoint_messages(&id, status.map(Into::into), None, limit)
                .await?;
            let data = found.iter().map(render::message).collect();
            out.emit(to_json(&list(data)), || print_messages(&found));
        }
        WebhooksCommand::Attempts { id, message, out } => {
            load(store, &id).await?;
            let found = store
                .list_attempts(&id, std::slice::from_ref(&message))
                .await?;
            let data = found.iter().map(render::attempt).collect();
            out.emit(to_json(&list(data)), || print_attempts(&found));
        }
        WebhooksCommand::Resend { id, message, out } => {
            load(store, &id).await?;
            let resend = store.resend(&id, &message, UnixMillis::now());
            let detail = json!({"message_id": message.as_str()});
            let action = AuditAction::WebhookMessageReplayed;
            match by
                .around(store, action, Some(id.as_str()), detail, resend)
                .await
            {
                Ok(()) => {}
                Err(StoreError::NotFound) => {
                    return Err(Failure {
                        code: 1,
                        message: format!("no message {message} for webhook endpoint {id}"),
                    });
                }
                Err(e) => return Err(e.into()),
            }
            out.emit(to_json(&recovery(1)), || {
                println!("{message} will be attempted again");
            });
        }
        WebhooksCommand::Recover { id, since, out } => {
            load(store, &id).await?;
            let count = store.recover(&id, since, UnixMillis::now()).await?;
            out.emit(to_json(&recovery(count)), || {
                println!("{count} failed message(s) will be attempted again");
            });
        }
    }
    Ok(())
}

/// The endpoint, or exit code 1: a well-formed id that names nothing is not
/// a usage error, the endpoint may just have been deleted.
async fn load(store: &dyn Store, id: &WebhookEndpointId) -> Result<WebhookEndpoint, Failure> {
    store.get_endpoint(id).await?.ok_or_else(|| missing(id))
}

fn missing(id: &WebhookEndpointId) -> Failure {
    Failure {
        code: 1,
        message: format!("no webhook endpoint {id}"),
    }
}

/// A refused setting is the operator's to fix (exit 2), named as the flag
/// that carries it; a vanished endpoint is exit 1 like [`load`].
fn change_error(id: Option<&WebhookEndpointId>, e: EndpointChangeError) -> Failure {
    match e {
        EndpointChangeError::Invalid { field, source } => {
            let name = match field {
                "filter_types" => "--event",
                "description" => "--description",
                other => other,
            };
            Failure::usage(format!("{name}: {source}{}", address_hint(&source)))
        }
        EndpointChangeError::Store(StoreError::NotFound) => match id {
            Some(id) => missing(id),
            None => StoreError::NotFound.into(),
        },
        EndpointChangeError::Busy => Failure::usage(EndpointChangeError::Busy.to_string()),
        EndpointChangeError::Store(e) => e.into(),
    }
}

/// Which setting would permit a refused address, so that an operator testing
/// against a local receiver knows what to change (and that it is a choice).
fn address_hint(e: &EndpointError) -> &'static str {
    match e {
        EndpointError::Address(ip) => match AddressClass::of(*ip) {
            AddressClass::Loopback => " (a loopback address; webhooks.allow_loopback permits it)",
            AddressClass::Private => " (a private address; webhooks.allow_private permits it)",
            AddressClass::Public | AddressClass::Unroutable => "",
        },
        _ => "",
    }
}

fn recovery(count: u64) -> wire::Recovery {
    wire::Recovery {
        object: "webhook_recovery".to_owned(),
        count,
    }
}

/// The Backend API's list shape.
fn list<T>(data: Vec<T>) -> wire::List<T> {
    wire::List {
        total_count: data.len() as i64,
        data,
    }
}

/// `--since`: milliseconds since the epoch (what the API takes) or an
/// RFC 3339 time (what people type).
fn parse_since(s: &str) -> Result<UnixMillis, String> {
    let parsed = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        crate::rfc3339::parse(s)
    };
    parsed.map(UnixMillis).ok_or_else(|| {
        "expected an RFC 3339 time such as 2025-01-31T09:00:00Z, or milliseconds since the epoch"
            .to_owned()
    })
}
