//! The targeted changes the store makes, each in one transaction.
//!
//! Nothing above the store writes a whole row back: a caller says which
//! columns change (a [`UserPatch`]), or asks for a decision the database takes
//! on its current row ([`NewSignIn`]: "sign in unless banned or locked";
//! counting a failed attempt), and receives the row as that statement left it.
//! A copy read before an `.await` (an argon2 wait, a mail send) therefore
//! never overwrites what another request committed meanwhile.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionStatus, User};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_types::{EmailAddressId, SessionId, UserId};
use serde_json::Value;

/// Columns of a user to change; `None` leaves a column as it is. Every patch
/// sets `updated_at` and bumps the version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    pub external_id: Option<Option<String>>,
    /// Also updates the case-folded copy the uniqueness rule is on.
    pub username: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    pub unsafe_metadata: Option<Value>,
    /// A new digest also sets `password_last_updated_at`.
    pub password_digest: Option<Option<String>>,
    pub primary_email_address_id: Option<EmailAddressId>,
    pub banned: Option<bool>,
    /// `true` locks now; `false` unlocks and clears the failure count.
    pub locked: Option<bool>,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    /// Write only if the user is still at this version (the patch was
    /// computed from a copy at that version); otherwise `StoreError::Stale`.
    pub if_version: Option<i64>,
    /// End the user's live sessions in the same transaction (ban, lock,
    /// password change with "sign out of other devices").
    pub end_sessions: Option<EndSessions>,
    /// Refuse (`Refused(LastAdmin)`) a change that would leave the instance
    /// administrators of whom none can sign in: the dashboard's ban, which
    /// two administrators may aim at each other at once.
    pub keep_an_admin: bool,
}

/// Which of a user's live sessions a change ends, and as what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSessions {
    pub status: SessionStatus,
    /// A session to keep (the one making the change).
    pub except: Option<SessionId>,
}

/// A user as a patch left it, and the sessions it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchedUser {
    pub user: User,
    pub ended: Vec<Session>,
}

/// Renders the events of a user change from the rows as the change left them,
/// inside its transaction.
pub type UserEvents<'a> = &'a (dyn Fn(&User, &[Session]) -> Vec<OutboxEvent> + Send + Sync);

/// Renders the events of a sign-in (the new session, the sessions of the
/// browser it ended) from the rows as the sign-in left them.
pub type SignInEvents<'a> =
    &'a (dyn Fn(&User, &Session, &[Session]) -> Vec<OutboxEvent> + Send + Sync);

/// Sign a user in on a client: the decision (not banned, not locked) and its
/// effects in one transaction.
pub struct NewSignIn<'a> {
    pub user_id: &'a UserId,
    /// The session to create (its client is the browser signing in).
    pub session: &'a Session,
    /// Locks set at or before this moment have lapsed.
    pub lock_lapsed_before: UnixMillis,
    /// Give the client this token (its hash): the token the browser held
    /// before signing in identifies nothing afterwards (session fixation).
    pub new_client_token_hash: Option<&'a str>,
    pub events: SignInEvents<'a>,
}

/// What a sign-in decided.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInOutcome {
    /// The user was allowed in.
    SignedIn(Box<SignedIn>),
    Banned,
    Locked {
        locked_at: UnixMillis,
    },
    /// The user was deleted meanwhile.
    UserGone,
}

/// A sign-in that was allowed: failures cleared, `last_sign_in_at` set, the
/// client's other live sessions ended, the new session active.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
    pub ended: Vec<Session>,
}

/// A fixed-window counter after one more hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaHit {
    /// Hits in the current window, this one included.
    pub hits: i32,
    pub window_start: UnixMillis,
}

impl QuotaHit {
    /// Whether the hit is within `limit`; if not, seconds until the window ends.
    pub fn check(&self, limit: i32, window_secs: i64, now: UnixMillis) -> Result<(), u64> {
        if self.hits <= limit {
            return Ok(());
        }
        let end = self.window_start.plus_secs(window_secs);
        Err(((end.0 - now.0).max(0) as u64).div_ceil(1000).max(1))
    }
}

/// A message waiting for the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: UnixMillis,
    /// Not worth sending after this (the code in it has expired).
    pub give_up_at: UnixMillis,
    pub next_attempt_at: UnixMillis,
    /// Attempts started, this claim included.
    pub attempts: i32,
}

/// How a claimed message's delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    /// Delivered, or given up: the row goes.
    Done,
    /// Try again at this time.
    RetryAt(UnixMillis),
}

/// What the periodic clean-up removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgePolicy {
    pub now: UnixMillis,
    /// Sign-in and sign-up attempts created before this.
    pub flows_created_before: UnixMillis,
    /// Clients that never had a session, unchanged since before this.
    pub anonymous_clients_before: UnixMillis,
    /// Quota windows that started before this.
    pub quotas_before: UnixMillis,
}

/// Rows removed by a clean-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub flows: u64,
    pub clients: u64,
    pub nonces: u64,
    pub quotas: u64,
    pub mail: u64,
}
