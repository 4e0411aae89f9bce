//! Webhook events, built where a change is made and handed to the store with
//! it, so that the event and the change commit together (the outbox).
//!
//! The envelope is Clerk's: `{data, object: "event", type, timestamp,
//! instance_id, event_attributes}`, `data` being the Backend API object after
//! the change (Clerk's deleted-object shape for `user.deleted`; the session
//! with its `user` for `session.*`).

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionStatus, User};
use std::collections::HashMap;

use frontdesk_domain::organizations::{Organization, Permission, PermissionKey, Role};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_store::org_invitations::InvitationView;
use frontdesk_store::organizations::MembershipView;
use frontdesk_types::{MessageId, UserId};
use serde::Serialize;
use serde_json::{Value, json};

use crate::render;
use crate::render::organizations::Api;
use crate::state::AppState;

tokio::task_local! {
    /// The request being served, for `event_attributes.http_request`; set by
    /// the `observe` middleware around every request.
    pub static REQUEST: RequestMeta;
}

/// Who made the request that caused an event.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_ip: String,
    pub user_agent: String,
}

/// Builds events for one instance.
pub struct Events<'a> {
    state: &'a AppState,
    now: UnixMillis,
}

impl AppState {
    /// The event builder, stamped with the current time.
    pub fn events(&self) -> Events<'_> {
        Events {
            state: self,
            now: UnixMillis::now(),
        }
    }
}

impl Events<'_> {
    fn envelope(&self, event_type: &str, data: Value) -> OutboxEvent {
        let attributes = REQUEST
            .try_with(
                |r| json!({"http_request": {"client_ip": r.client_ip, "user_agent": r.user_agent}}),
            )
            .unwrap_or_else(|_| json!({}));
        let body = json!({
            "data": data,
            "event_attributes": attributes,
            "instance_id": self.state.instance.instance.id,
            "object": "event",
            "timestamp": self.now.0,
            "type": event_type,
        });
        OutboxEvent {
            id: MessageId::generate(),
            event_type: event_type.to_owned(),
            payload: body.to_string(),
            created_at: self.now,
        }
    }

    fn object(value: impl Serialize) -> Value {
        serde_json::to_value(value).unwrap_or(Value::Null)
    }

    pub fn user_created(&self, u: &User) -> OutboxEvent {
        self.envelope(
            "user.created",
            Self::object(render::user(self.state, u, self.now)),
        )
    }

    pub fn user_updated(&self, u: &User) -> OutboxEvent {
        self.envelope(
            "user.updated",
            Self::object(render::user(self.state, u, self.now)),
        )
    }

    pub fn user_deleted(&self, u: &User) -> OutboxEvent {
        let mut data = json!({"object": "user", "id": u.id, "deleted": true});
        if let Some(external) = &u.external_id {
            data["external_id"] = json!(external);
        }
        self.envelope("user.deleted", data)
    }

    /// `organization.created` / `.updated`: the Backend API organization.
    pub fn organization(&self, event_type: &str, o: &Organization) -> OutboxEvent {
        self.envelope(
            event_type,
            Self::object(render::organization(o, Api::Backend)),
        )
    }

    pub fn organization_deleted(&self, o: &Organization) -> OutboxEvent {
        self.envelope(
            "organization.deleted",
            json!({"object": "organization", "id": o.id, "slug": o.slug, "deleted": true}),
        )
    }

    /// `organizationMembership.*`: the membership, also for `.deleted`
    /// (Clerk sends the membership as it was, not a deleted object).
    pub fn membership(&self, event_type: &str, m: &MembershipView) -> OutboxEvent {
        self.envelope(
            event_type,
            Self::object(render::membership(m, Api::Backend)),
        )
    }

    /// `organizationInvitation.created` / `.revoked`: the invitation with
    /// the organization it is to.
    pub fn invitation(&self, event_type: &str, v: &InvitationView) -> OutboxEvent {
        let body = render::organizations::invitation(
            v,
            render::organizations::InvitationFor::Backend,
            None,
            self.now,
        );
        self.envelope(event_type, Self::object(body))
    }

    /// `organizationInvitation.accepted`: the invitation, who accepted it,
    /// and (as Clerk's schema has it) the organization under `data`.
    pub fn invitation_accepted(&self, v: &InvitationView, user: &UserId) -> OutboxEvent {
        let mut body = Self::object(render::organizations::invitation(
            v,
            render::organizations::InvitationFor::Backend,
            None,
            self.now,
        ));
        if let Value::Object(map) = &mut body {
            map.insert("user_id".to_owned(), json!(user));
            let org = Self::object(render::organizations::public_organization(&v.organization));
            map.insert("data".to_owned(), json!({"public_organization_data": org}));
        }
        self.envelope("organizationInvitation.accepted", body)
    }

    /// `role.created` / `.updated`: the role with its permissions, named
    /// as `catalog` has them.
    pub fn role(
        &self,
        event_type: &str,
        r: &Role,
        catalog: &HashMap<PermissionKey, Permission>,
    ) -> OutboxEvent {
        self.envelope(
            event_type,
            Self::object(render::organizations::role(r, catalog)),
        )
    }

    pub fn role_deleted(&self, r: &Role) -> OutboxEvent {
        self.envelope(
            "role.deleted",
            json!({"object": "role", "id": r.id, "deleted": true}),
        )
    }

    pub fn permission(&self, event_type: &str, p: &Permission) -> OutboxEvent {
        self.envelope(
            event_type,
            Self::object(render::organizations::permission(p)),
        )
    }

    pub fn permission_deleted(&self, p: &Permission) -> OutboxEvent {
        self.envelope(
            "permission.deleted",
            json!({"object": "permission", "id": p.id, "deleted": true}),
        )
    }

    /// `organizationDomain.created` / `.updated`: the domain.
    pub fn domain(
        &self,
        event_type: &str,
        d: &frontdesk_store::org_domains::DomainView,
    ) -> OutboxEvent {
        self.envelope(event_type, Self::object(render::org_domains::domain(d)))
    }

    pub fn domain_deleted(&self, d: &frontdesk_store::org_domains::DomainView) -> OutboxEvent {
        self.envelope(
            "organizationDomain.deleted",
            json!({"object": "organization_domain", "id": d.domain.id, "deleted": true}),
        )
    }

    pub fn session_created(&self, s: &Session, u: &User) -> OutboxEvent {
        self.session_event("session.created", s, u)
    }

    /// The event for a session that moved to `status`, if Clerk has one.
    pub fn session_ended(&self, s: &Session, u: &User) -> Option<OutboxEvent> {
        let event_type = match s.status {
            SessionStatus::Ended => "session.ended",
            SessionStatus::Removed => "session.removed",
            SessionStatus::Revoked => "session.revoked",
            _ => return None,
        };
        Some(self.session_event(event_type, s, u))
    }

    fn session_event(&self, event_type: &str, s: &Session, u: &User) -> OutboxEvent {
        let mut data = Self::object(render::session(s, self.now));
        // The webhook schema's Session predates session tasks and allows no
        // other members.
        if let Some(fields) = data.as_object_mut() {
            fields.remove("tasks");
        }
        data["user"] = Self::object(render::user(self.state, u, self.now));
        self.envelope(event_type, data)
    }

    /// `email.created`: a message Frontdesk sent (or, without SMTP, kept).
    pub fn email_created(&self, mail: &SentMail<'_>) -> OutboxEvent {
        let data = json!({
            "object": "email",
            "id": mail.id,
            "slug": mail.slug,
            "from_email_name": mail.from_name,
            "reply_to_email_name": null,
            "to_email_address": mail.to,
            "email_address_id": null,
            "user_id": null,
            "subject": mail.subject,
            "body": mail.html,
            "body_plain": mail.text,
            "status": mail.status,
            "data": {},
            "delivered_by_clerk": false,
        });
        self.envelope("email.created", data)
    }
}

/// What `email.created` tells about a message.
pub struct SentMail<'a> {
    pub id: &'a str,
    /// The template (`verification_code`, `reset_password_code`, …).
    pub slug: &'a str,
    pub from_name: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub html: &'a str,
    pub text: &'a str,
    /// `delivered`, or `queued` when no SMTP server is configured.
    pub status: &'a str,
}
