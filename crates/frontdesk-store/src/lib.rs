//! The storage port.
//!
//! One trait, [`Store`], split by aggregate, with one implementation per
//! database in its own crate (`frontdesk-store-sqlite`,
//! `frontdesk-store-postgres`) and one conformance suite
//! (`frontdesk-store-tests`) that both pass. Handlers hold an
//! `Arc<dyn Store>`, so nothing above this crate knows which database runs.
//!
//! Each method is one transaction: a method that changes several rows (a user
//! and its email addresses, a key rotation) commits all or nothing. When
//! webhooks arrive, the outbox row joins the same transaction as the change it
//! describes.

pub mod admin;
pub mod audit;
pub mod changes;
mod error;
pub mod org_domains;
pub mod org_invitations;
pub mod org_roles;
pub mod org_rows;
pub mod organizations;
pub mod query;
pub mod rows;
pub mod secrets;
pub mod sql;
pub mod webhook_rows;

use async_trait::async_trait;
use frontdesk_domain::entities::{
    BackupCodeSet, DevEmail, ExternalAccount, FlowRecord, ImageRecord, PasskeyRecord,
    ProviderTokens, SessionActivity, TotpRecord,
};
use frontdesk_domain::entities::{
    Client, EmailAddressRecord, Instance, SecretKeyRecord, Session, SessionStatus,
    SigningKeyRecord, User, Verification,
};
use frontdesk_domain::webhooks::{
    ClaimedDelivery, DeliveryAttempt, DeliveryOutcome, DeliveryStatus, EndpointMessage,
    OutboxEvent, WebhookEndpoint,
};
use frontdesk_domain::{AuthState, Lockout, UnixMillis};
use frontdesk_types::{
    ClientId, EmailAddressId, MessageId, SecretKeyId, SessionId, UserId, WebhookEndpointId,
};

pub use changes::{
    EndSessions, MailOutcome, NewSignIn, PatchedUser, PurgeCounts, PurgePolicy, QueuedMail,
    QuotaHit, SignInEvents, SignInOutcome, SignedIn, UserEvents, UserPatch,
};
pub use query::{
    Bind, Bounds, SessionQuery, UserFilter, UserOrderField, UserQuery, Window, like_anywhere,
};

pub use admin::AdminStore;

/// A UTC day in milliseconds: activity is counted per day.
pub const DAY_MS: i64 = 86_400_000;
pub use error::{Refusal, StoreError, StoreResult};
pub use org_domains::DomainStore;
pub use org_invitations::InvitationStore;
pub use org_roles::RoleStore;
pub use organizations::OrganizationStore;
pub use secrets::{Cipher, Resealed, SecretStore};

/// Everything Frontdesk persists.
pub trait Store:
    InstanceStore
    + KeyStore
    + UserStore
    + FactorStore
    + PasskeyStore
    + ExternalAccountStore
    + OrganizationStore
    + InvitationStore
    + DomainStore
    + AdminStore
    + RoleStore
    + SecretStore
    + ImageStore
    + ClientStore
    + SessionStore
    + FlowStore
    + WebhookStore
    + MailStore
    + UpkeepStore
{
}

impl<T> Store for T where
    T: InstanceStore
        + KeyStore
        + UserStore
        + FactorStore
        + PasskeyStore
        + ExternalAccountStore
        + OrganizationStore
        + InvitationStore
        + DomainStore
        + AdminStore
        + RoleStore
        + SecretStore
        + ImageStore
        + ClientStore
        + SessionStore
        + FlowStore
        + WebhookStore
        + MailStore
        + UpkeepStore
{
}

/// Renders the event for a session a method changed, inside that method's
/// transaction (the caller knows the wire shape; the store knows which rows
/// changed). `None` records no event.
pub type SessionEvents<'a> = &'a (dyn Fn(&Session) -> Option<OutboxEvent> + Send + Sync);

/// Liveness and the instance row.
#[async_trait]
pub trait InstanceStore: Send + Sync {
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    /// The instance, if one was created.
    async fn instance(&self) -> StoreResult<Option<Instance>>;

    /// Create the instance unless one exists, and return whichever is stored.
    /// Several nodes starting at once on one database agree on one instance.
    async fn ensure_instance(&self, candidate: &Instance) -> StoreResult<Instance>;

    /// An instance setting (a JSON document), by name.
    async fn setting(&self, name: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Set an instance setting, or remove it with `None`.
    async fn put_setting(
        &self,
        name: &str,
        value: Option<&serde_json::Value>,
        at: UnixMillis,
    ) -> StoreResult<()>;

    /// Compare-and-swap a setting: write `new` only if the setting still
    /// holds `expected` (`None`: only if it is absent). `false` means another
    /// writer came first; read again and redo the change on what it wrote.
    async fn swap_setting(
        &self,
        name: &str,
        expected: Option<&serde_json::Value>,
        new: &serde_json::Value,
        at: UnixMillis,
    ) -> StoreResult<bool>;
}

/// Backend API secret keys and JWT signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn insert_secret_key(&self, key: &SecretKeyRecord) -> StoreResult<()>;
    async fn list_secret_keys(&self) -> StoreResult<Vec<SecretKeyRecord>>;
    /// The unrevoked key with this hash.
    async fn find_active_secret_key(&self, key_hash: &str) -> StoreResult<Option<SecretKeyRecord>>;
    /// Revoke a key; `NotFound` if there is no such unrevoked key.
    async fn revoke_secret_key(&self, id: &SecretKeyId, at: UnixMillis) -> StoreResult<()>;

    /// All signing keys, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Insert `new` as the signing key and retire every other unretired key at
    /// `new.created_at`, atomically.
    async fn rotate_signing_key(&self, new: &SigningKeyRecord) -> StoreResult<()>;
    /// Insert `new` only if no unretired key exists; return the current one.
    /// Used on first start, where several nodes may race.
    async fn ensure_signing_key(&self, new: &SigningKeyRecord) -> StoreResult<SigningKeyRecord>;
}

/// Users and their identifications.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Insert a user with its email addresses. `Conflict` if an address (compared
    /// case-insensitively), the username or the external id is taken.
    async fn create_user(&self, user: &User, events: &[OutboxEvent]) -> StoreResult<()>;
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// Find the owner of an email address, case-insensitively.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Change the columns `patch` names (never the others), and end sessions
    /// if it asks, in one transaction; returns the user as the change left it.
    /// `NotFound` if there is no such user, `Stale` if `patch.if_version` no
    /// longer holds, `Conflict` if a unique value is taken.
    async fn patch_user(
        &self,
        id: &UserId,
        patch: &UserPatch,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<PatchedUser>;
    /// Count a failed password or code attempt against the account, locking it
    /// when the count reaches `lockout.max_attempts`, in one statement; a lock
    /// that lapsed starts a fresh count. `None` if there is no such user.
    async fn record_failed_attempt(
        &self,
        id: &UserId,
        lockout: &Lockout,
        at: UnixMillis,
    ) -> StoreResult<Option<AuthState>>;
    /// Replace a password digest by a stronger one of the same password, only
    /// if it is still `old` (a change made meanwhile wins). Bookkeeping: no
    /// version or `updated_at` change. Returns whether it was replaced.
    async fn upgrade_password_digest(&self, id: &UserId, old: &str, new: &str)
    -> StoreResult<bool>;
    /// Delete the user, its identifications and its sessions.
    async fn delete_user(&self, id: &UserId, events: &[OutboxEvent]) -> StoreResult<()>;
    /// A page of users, with their email addresses.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    async fn count_users(&self, filter: &UserFilter) -> StoreResult<i64>;
    /// Bring the text search's index up to date for up to `batch` users
    /// changed since it last was, in one transaction; how many. A database
    /// whose index follows each write has nothing to do (0). Searches are
    /// right either way: this only makes them fast.
    async fn index_user_search(&self, batch: i64) -> StoreResult<u64>;

    /// Add an email address to its user. `Conflict` if any user has it.
    async fn add_email(
        &self,
        email: &EmailAddressRecord,
        events: &[OutboxEvent],
    ) -> StoreResult<()>;
    async fn get_email(&self, id: &EmailAddressId) -> StoreResult<Option<EmailAddressRecord>>;
    /// Replace an email address's verification and `updated_at`.
    async fn update_email(
        &self,
        email: &EmailAddressRecord,
        events: &[OutboxEvent],
    ) -> StoreResult<()>;
    /// Record a pending code verification on an address that is not
    /// verified: `false`, and nothing written, when it is verified by now
    /// (a code tried meanwhile, an admin) or gone. One conditional update,
    /// so a code mailed late never un-verifies an address.
    async fn pend_email_verification(
        &self,
        id: &EmailAddressId,
        verification: &Verification,
        at: UnixMillis,
    ) -> StoreResult<bool>;
    /// Delete an email address; clears the user's primary pointer if it was primary.
    async fn delete_email(&self, id: &EmailAddressId, events: &[OutboxEvent]) -> StoreResult<()>;
}

/// Accounts at other identity providers joined to users (issue 16), their
/// tokens (sealed at rest) and each provider's client secret (sealed). The
/// user row's `external_accounts` list changes in the same transaction as
/// the accounts it lists; a provider identity belongs to one user (a unique
/// index decides between two sign-ins racing to join it).
#[async_trait]
pub trait ExternalAccountStore: Send + Sync {
    /// Join `account` to `user_id` with its `tokens`: the user as it is
    /// then (version moved on, `events` recorded). `Conflict` if the
    /// provider identity belongs to a user already; `NotFound` if the user
    /// is gone.
    async fn link_external_account(
        &self,
        user_id: &UserId,
        account: &ExternalAccount,
        tokens: Option<&ProviderTokens>,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<User>;
    /// The user a provider identity belongs to.
    async fn external_account_owner(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<UserId>>;
    /// Replace an account's tokens (a later sign-in with it).
    async fn store_provider_tokens(
        &self,
        account_id: &str,
        tokens: &ProviderTokens,
        at: UnixMillis,
    ) -> StoreResult<()>;
    /// The tokens of a user's accounts at `provider`, by account id.
    async fn provider_tokens(
        &self,
        user_id: &UserId,
        provider: &str,
    ) -> StoreResult<Vec<(String, ProviderTokens)>>;
    /// Remove one of a user's external accounts: the user as it is then,
    /// `None` if the account was not theirs.
    async fn unlink_external_account(
        &self,
        user_id: &UserId,
        account_id: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>>;
    /// Set (or with `None` remove) a provider's client secret.
    async fn set_client_secret(
        &self,
        strategy: &str,
        secret: Option<&str>,
        at: UnixMillis,
    ) -> StoreResult<()>;
    async fn client_secret(&self, strategy: &str) -> StoreResult<Option<String>>;
}

/// Passkeys: WebAuthn credentials, registered in two steps (a pending row
/// holding the ceremony's state, then the verified credential) and used by
/// one conditional update each (the signature counter is written only over
/// the version it was checked against). The user row's `passkeys` list
/// changes in the same transaction as the passkeys it lists.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Keep a pending registration; the user's expired pending ones go.
    async fn create_pending_passkey(&self, passkey: &PasskeyRecord) -> StoreResult<()>;
    /// A user's passkey, pending or verified.
    async fn passkey(&self, user_id: &UserId, id: &str) -> StoreResult<Option<PasskeyRecord>>;
    /// The verified passkey with this credential id (base64url).
    async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<PasskeyRecord>>;
    /// A user's verified passkeys.
    async fn passkeys_of(&self, user_id: &UserId) -> StoreResult<Vec<PasskeyRecord>>;
    /// Verify the pending passkey `id` with its credential, if it is still
    /// pending and unexpired at `at`. `None` when it is not; `Conflict` when
    /// the credential is registered already.
    async fn verify_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        credential_id: &str,
        credential: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<(User, PasskeyRecord)>>;
    /// Record a sign-in with the passkey: its new `credential` (counter),
    /// written only over `version`. `false` when it changed meanwhile (a
    /// parallel use, a deletion).
    async fn use_passkey(
        &self,
        id: &str,
        version: i64,
        credential: &str,
        at: UnixMillis,
    ) -> StoreResult<bool>;
    /// Rename a verified passkey.
    async fn rename_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        name: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<(User, PasskeyRecord)>>;
    /// Delete a passkey (pending or verified). `None` if there was none.
    async fn delete_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>>;
}

/// Second factors: a user's authenticator app and backup codes.
///
/// Each decision is one statement on the current row: a TOTP code is
/// accepted only for a step after the last accepted one, a backup code only
/// while unused, so parallel requests cannot spend one code twice. The user
/// row's summary (`User::mfa`) changes in the same transaction as the factor.
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// The user's authenticator app secret, verified or pending.
    async fn totp(&self, user_id: &UserId) -> StoreResult<Option<TotpRecord>>;
    /// Keep `totp` as the user's pending secret, replacing a pending one;
    /// `false` (nothing written) when the user already has a verified one.
    async fn put_pending_totp(&self, totp: &TotpRecord) -> StoreResult<bool>;
    /// Accept a code of `step` from the user's verified app: `true` only if
    /// no code of that step or a later one was accepted before.
    async fn spend_totp_step(
        &self,
        user_id: &UserId,
        step: i64,
        at: UnixMillis,
    ) -> StoreResult<bool>;
    /// Confirm the pending secret `totp_id` with a code of `step`, turning the
    /// app on and, with `backup`, replacing the backup codes, in one
    /// transaction. `None` if that secret is no longer pending or the step
    /// was spent.
    async fn enable_totp(
        &self,
        user_id: &UserId,
        totp_id: &str,
        step: i64,
        backup: Option<&BackupCodeSet>,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>>;
    /// Remove the user's app (pending or verified) and, with it, the backup
    /// codes (they recover a factor that is gone). `None` if there was none.
    async fn delete_totp(
        &self,
        user_id: &UserId,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>>;
    /// Replace the user's backup codes with `set`. `NotFound` if no user.
    async fn replace_backup_codes(
        &self,
        user_id: &UserId,
        set: &BackupCodeSet,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<User>;
    /// Remove the user's backup codes. `None` if there were none.
    async fn delete_backup_codes(
        &self,
        user_id: &UserId,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>>;
    /// The salt of the user's unused backup codes, if any remain.
    async fn backup_code_salt(&self, user_id: &UserId) -> StoreResult<Option<String>>;
    /// Spend the unused backup code with this hash, once. When it was the
    /// last one, the user row stops offering backup codes.
    async fn spend_backup_code(
        &self,
        user_id: &UserId,
        code_hash: &str,
        at: UnixMillis,
    ) -> StoreResult<bool>;
}

/// Profile images, one per user.
#[async_trait]
pub trait ImageStore: Send + Sync {
    /// Keep `image` as its user's profile image (the earlier one goes) and
    /// point the user's `image_url` at `url`, in one transaction; the user
    /// as left. `NotFound` if there is no such user.
    async fn set_profile_image(
        &self,
        image: &ImageRecord,
        url: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<User>;
    async fn image(&self, id: &str) -> StoreResult<Option<ImageRecord>>;
    /// Remove the user's profile image (uploaded or set by URL). `None` if
    /// there was none.
    async fn remove_profile_image(
        &self,
        user_id: &UserId,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>>;

    /// Keep `logo` as its organization's logo (the earlier one goes) and
    /// point the organization's `image_url` at `url`, in one transaction;
    /// the organization as left. `NotFound` if it is gone.
    async fn set_organization_logo(
        &self,
        logo: &organizations::LogoRecord,
        url: &str,
        at: UnixMillis,
        events: organizations::OrgEvents<'_>,
    ) -> StoreResult<frontdesk_domain::organizations::Organization>;

    /// Remove the organization's logo (uploaded or set by URL); `None` if
    /// it had none.
    async fn remove_organization_logo(
        &self,
        org: &frontdesk_types::OrganizationId,
        at: UnixMillis,
        events: organizations::OrgEvents<'_>,
    ) -> StoreResult<Option<frontdesk_domain::organizations::Organization>>;

    /// An uploaded logo, by id: its content type and bytes.
    async fn organization_logo(&self, id: &str) -> StoreResult<Option<(String, Vec<u8>)>>;
}

/// Clients (browsers).
#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn create_client(&self, client: &Client) -> StoreResult<()>;
    async fn get_client(&self, id: &ClientId) -> StoreResult<Option<Client>>;
    async fn find_client_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Client>>;
    /// Give a client a new token (the old one stops identifying it);
    /// `NotFound` if there is no such client.
    async fn set_client_token(&self, id: &ClientId, token_hash: &str) -> StoreResult<()>;
    /// A page of clients, newest first.
    async fn list_clients(&self, limit: i64, offset: i64) -> StoreResult<Vec<Client>>;
}

/// Sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Insert a session and make it the client's active one, bumping the
    /// client's `updated_at`.
    async fn create_session(&self, session: &Session, events: &[OutboxEvent]) -> StoreResult<()>;
    async fn get_session(&self, id: &SessionId) -> StoreResult<Option<Session>>;
    /// A session with its client's `updated_at`, in one round trip: what
    /// minting a token needs (tokens must not predate the client's change).
    async fn session_for_token(&self, id: &SessionId)
    -> StoreResult<Option<(Session, UnixMillis)>>;
    async fn list_sessions_for_user(&self, user_id: &UserId) -> StoreResult<Vec<Session>>;
    /// A page of sessions, newest first.
    async fn list_sessions(&self, query: &SessionQuery) -> StoreResult<Vec<Session>>;
    /// End every live session of a user (ban, password reset), returning them.
    async fn end_user_sessions(
        &self,
        user_id: &UserId,
        status: SessionStatus,
        at: UnixMillis,
        events: SessionEvents<'_>,
    ) -> StoreResult<Vec<Session>>;
    /// Move a live session to `status` (ended, revoked, removed…), bumping the
    /// client's `updated_at`. `NotFound` if the session is unknown or no longer live.
    async fn end_session(
        &self,
        id: &SessionId,
        status: SessionStatus,
        at: UnixMillis,
        events: SessionEvents<'_>,
    ) -> StoreResult<Session>;
    /// Sign a user in on a client, unless the user is banned or locked at
    /// that moment: clear the failure count, set `last_sign_in_at`, end the
    /// client's other live sessions, insert the new one and (optionally) give
    /// the client a new token, all in one transaction.
    async fn sign_in(&self, req: &NewSignIn<'_>, at: UnixMillis) -> StoreResult<SignInOutcome>;
    /// Make the user's pending sessions active (their task is done: a
    /// second factor was added), returning them.
    async fn activate_pending_sessions(
        &self,
        user_id: &UserId,
        at: UnixMillis,
    ) -> StoreResult<Vec<Session>>;
    /// Record that a factor was checked again on a live session
    /// (re-verification): each given time replaces the stored one.
    /// `NotFound` if the session is not live.
    async fn record_factor_check(
        &self,
        id: &SessionId,
        first: Option<UnixMillis>,
        second: Option<UnixMillis>,
        at: UnixMillis,
    ) -> StoreResult<Session>;
    /// Record activity on a live session: `last_active_at`, a new `abandon_at`
    /// and the device seen; make it the client's active session. `NotFound`
    /// if the session is not live.
    async fn touch_session(
        &self,
        id: &SessionId,
        at: UnixMillis,
        abandon_at: UnixMillis,
        activity: &SessionActivity,
    ) -> StoreResult<Session>;
}

/// Sign-in and sign-up attempts, and the development mailbox.
///
/// Attempts are short-lived documents owned by a client; they are stored as
/// JSON so that new strategies (TOTP, passkeys, OAuth) add fields, not
/// migrations.
#[async_trait]
pub trait FlowStore: Send + Sync {
    /// Insert a new attempt (at its `version`, normally 0).
    async fn insert_flow(&self, flow: &FlowRecord) -> StoreResult<()>;
    /// Write an attempt back over the version it was read at, returning it
    /// with its new version; `Stale` if another write came first.
    async fn update_flow(&self, flow: &FlowRecord) -> StoreResult<FlowRecord>;
    async fn get_flow(&self, id: &str) -> StoreResult<Option<FlowRecord>>;
    /// Keep the directives of a production handshake behind a nonce (its hash).
    async fn insert_handshake_nonce(
        &self,
        id: &str,
        directives: &serde_json::Value,
        expire_at: UnixMillis,
        at: UnixMillis,
    ) -> StoreResult<()>;
    /// The directives behind a nonce, once: the row is deleted as it is read.
    async fn take_handshake_nonce(
        &self,
        id: &str,
        now: UnixMillis,
    ) -> StoreResult<Option<serde_json::Value>>;
    /// The attempt of `kind` a client last started or acted on: its
    /// current sign-in or sign-up.
    async fn latest_flow(
        &self,
        client_id: &ClientId,
        kind: &str,
    ) -> StoreResult<Option<FlowRecord>>;
    /// The development mailbox, newest first (see [`MailStore::queue_mail`]).
    async fn list_dev_emails(&self, limit: i64) -> StoreResult<Vec<DevEmail>>;
}

/// Webhook endpoints and the outbox of messages to deliver to them.
///
/// Messages enter through the `events` of the methods above (or
/// [`WebhookStore::enqueue`] for events with no row of their own). A delivery
/// is one message for one endpoint; workers on any number of nodes claim due
/// deliveries with a lease, so each is attempted by one worker at a time and
/// one whose worker died is claimed again when the lease runs out.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_endpoint(&self, endpoint: &WebhookEndpoint) -> StoreResult<()>;
    async fn get_endpoint(&self, id: &WebhookEndpointId) -> StoreResult<Option<WebhookEndpoint>>;
    /// All endpoints, oldest first.
    async fn list_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Replace an endpoint's settings if it is still as read (its
    /// `updated_at` is `read_at`): `Ok(false)`, nothing written, when it
    /// changed meanwhile (the caller reads it again and reapplies its
    /// change); `NotFound` if it is gone. `failing_since` belongs to the
    /// delivery workers and is only cleared, when the endpoint is re-enabled.
    async fn update_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        read_at: UnixMillis,
    ) -> StoreResult<bool>;
    /// Delete an endpoint with its deliveries and attempts.
    async fn delete_endpoint(&self, id: &WebhookEndpointId) -> StoreResult<()>;

    /// Record events that belong to no other write (`email.created`).
    async fn enqueue(&self, events: &[OutboxEvent]) -> StoreResult<()>;

    /// Claim up to `limit` deliveries to `endpoint` due at `now`, oldest
    /// first, hiding them from other claims until `lease_until`.
    async fn claim_deliveries(
        &self,
        endpoint: &WebhookEndpointId,
        limit: i64,
        now: UnixMillis,
        lease_until: UnixMillis,
        lease: &str,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Log attempts and move their deliveries on, in one transaction. An
    /// outcome whose lease is no longer the delivery's only logs its attempt.
    /// Success clears the endpoint's `failing_since`; failure sets it if unset.
    async fn complete_deliveries(&self, outcomes: &[DeliveryOutcome]) -> StoreResult<()>;
    /// Disable enabled endpoints failing since before `before`, returning them.
    async fn disable_failing_endpoints(
        &self,
        before: UnixMillis,
        at: UnixMillis,
    ) -> StoreResult<Vec<WebhookEndpoint>>;

    /// An endpoint's messages, newest first, optionally of one status and
    /// older than a message id (paging).
    async fn list_endpoint_messages(
        &self,
        endpoint: &WebhookEndpointId,
        status: Option<DeliveryStatus>,
        before: Option<&MessageId>,
        limit: i64,
    ) -> StoreResult<Vec<EndpointMessage>>;
    /// The attempts of some messages at an endpoint, newest first (one
    /// query for a page of messages).
    async fn list_attempts(
        &self,
        endpoint: &WebhookEndpointId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<DeliveryAttempt>>;
    /// Attempt a message again now, whatever its status (keeping its id);
    /// `NotFound` if it was never meant for the endpoint.
    async fn resend(
        &self,
        endpoint: &WebhookEndpointId,
        message: &MessageId,
        now: UnixMillis,
    ) -> StoreResult<()>;
    /// Attempt again every failed message created since `since`; returns how many.
    async fn recover(
        &self,
        endpoint: &WebhookEndpointId,
        since: UnixMillis,
        now: UnixMillis,
    ) -> StoreResult<u64>;
    /// Deliveries per status over all endpoints (benchmarks, fault tests, metrics).
    async fn delivery_counts(&self) -> StoreResult<DeliveryCounts>;
    /// The earliest `next_attempt_at` among pending deliveries of enabled endpoints.
    async fn next_due(&self) -> StoreResult<Option<UnixMillis>>;
    /// Delete messages created before `before` with no pending delivery.
    async fn purge_messages(&self, before: UnixMillis) -> StoreResult<u64>;
}

/// Outgoing mail, queued by requests and sent by a worker in every node.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// In one transaction: queue `mail` for SMTP, keep `dev_copy` in the
    /// development mailbox, record `events`. Any of them may be absent; the
    /// transaction is made either way, so that the work (and time) of a
    /// request does not tell whether anything was sent.
    async fn queue_mail(
        &self,
        mail: Option<&QueuedMail>,
        dev_copy: Option<&DevEmail>,
        events: &[OutboxEvent],
    ) -> StoreResult<()>;
    /// Claim up to `limit` messages due at `now`, hiding them from other
    /// claims until `lease_until`.
    async fn claim_mail(
        &self,
        limit: i64,
        now: UnixMillis,
        lease_until: UnixMillis,
        lease: &str,
    ) -> StoreResult<Vec<QueuedMail>>;
    /// Record how a claimed message's delivery ended; ignored if the lease
    /// is no longer the message's.
    async fn finish_mail(&self, id: &str, lease: &str, outcome: MailOutcome) -> StoreResult<()>;
}

/// Counters and clean-up.
#[async_trait]
pub trait UpkeepStore: Send + Sync {
    /// One more hit on the fixed-window counter `name` (a new window starts
    /// when the last one began `window_secs` or more before `now`).
    async fn hit_quota(
        &self,
        name: &str,
        window_secs: i64,
        now: UnixMillis,
    ) -> StoreResult<QuotaHit>;
    /// Delete what has outlived its use: old attempts, anonymous clients,
    /// expired nonces and quota windows, mail past its give-up time.
    async fn purge(&self, policy: &PurgePolicy) -> StoreResult<PurgeCounts>;
}

/// Deliveries per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub succeeded: i64,
    pub failed: i64,
}
