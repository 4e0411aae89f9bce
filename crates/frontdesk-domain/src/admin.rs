//! Instance administration (issue 18): what an administrator can do from the
//! dashboard, and the audit record each action leaves.
//!
//! An action is a closed set, so the log can be filtered and exported by it
//! and a typo cannot invent a new kind of entry; its text form is what the
//! log stores and shows (`user.banned`).

use frontdesk_types::{ActorTokenId, AuditEventId, UserId};
use serde_json::Value;

use crate::UnixMillis;

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// Something an administrator did.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            pub const ALL: &[Self] = &[$(Self::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    /// Became an administrator through the one-time link of a first start.
    AdminSetUp => "admin.set_up",
    /// Made an administrator (by another, or from the command line).
    AdminGranted => "admin.granted",
    /// No longer an administrator.
    AdminRevoked => "admin.revoked",
    UserBanned => "user.banned",
    UserUnbanned => "user.unbanned",
    UserLocked => "user.locked",
    UserUnlocked => "user.unlocked",
    UserDeleted => "user.deleted",
    UserPasswordSet => "user.password_set",
    /// Every second factor removed.
    UserMfaReset => "user.mfa_reset",
    UserMetadataReplaced => "user.metadata_replaced",
    SessionRevoked => "session.revoked",
    /// Every live session of one user.
    SessionsRevoked => "user.sessions_revoked",
    /// An actor token was made to sign in as the user.
    UserImpersonated => "user.impersonated",
    /// Instance settings changed (the paths, never the values).
    SettingsChanged => "settings.changed",
    SecretKeyCreated => "key.secret_created",
    SecretKeyRevoked => "key.secret_revoked",
    SigningKeyRotated => "key.signing_rotated",
    WebhookEndpointCreated => "webhook.endpoint_created",
    WebhookSecretRotated => "webhook.secret_rotated",
    /// A message sent to an endpoint again.
    WebhookMessageReplayed => "webhook.message_replayed",
    /// A member of an organization given another role.
    OrganizationMemberRoleChanged => "organization.member_role_changed",
    /// The log itself was exported.
    AuditExported => "audit.exported",
}

/// Who acts: an administrator's user id and address at the time, or the
/// command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub label: String,
}

impl Actor {
    pub fn admin(id: &UserId, label: &str) -> Self {
        Self {
            id: id.as_str().to_owned(),
            label: label.to_owned(),
        }
    }

    /// An operator at the server's terminal (`frontdesk admin …`).
    pub fn command_line() -> Self {
        Self {
            id: "cli".to_owned(),
            label: "command line".to_owned(),
        }
    }
}

/// One entry of the audit log: who did what to whom, when and from where.
/// The actor is copied, not referenced, so the entry outlives their account.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub actor: Actor,
    pub action: AuditAction,
    /// The id of what was acted on (a user, a session), if anything.
    pub target_id: Option<String>,
    /// What changed, as the action describes it (never a secret).
    pub detail: Value,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: UnixMillis,
}

/// Where an actor token is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorTokenStatus {
    Pending,
    /// Used: a session was started with it (once).
    Accepted,
    Revoked,
}

impl ActorTokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "revoked" => Self::Revoked,
            _ => return None,
        })
    }
}

/// Clerk's actor token: a one-time link that signs a browser in as
/// `user_id` with `actor` in the session (and the `act` claim of its
/// tokens), for at most `session_max_secs`. Stored by the hash of its
/// text; the text is shown once, when it is made.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorToken {
    pub id: ActorTokenId,
    pub user_id: UserId,
    /// At least `{"sub": …}`: who acts.
    pub actor: Value,
    pub status: ActorTokenStatus,
    pub session_max_secs: i64,
    /// Unused after this, it no longer works.
    pub expire_at: UnixMillis,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_text() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
        }
        assert_eq!(AuditAction::parse("user.exploded"), None);
    }
}
