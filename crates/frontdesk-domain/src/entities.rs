//! What Frontdesk stores, in Clerk's vocabulary.
//!
//! The shapes follow Clerk's objects so that rendering the Backend and Frontend
//! API JSON is a plain mapping, and leave room for what comes later without a
//! rewrite: identifications have their own table and a `Verification`, so phone
//! numbers and external (OAuth) accounts join as siblings of email addresses;
//! second factors (TOTP, backup codes, passkeys) hang off the user in their own
//! tables; sessions carry `actor` and an active organization id for
//! impersonation and organizations.

use frontdesk_types::{
    ClientId, EmailAddressId, InstanceId, SecretKeyId, SessionId, SigningKeyId, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{InstanceMode, UnixMillis};

/// The one instance a Frontdesk deployment serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: InstanceId,
    pub mode: InstanceMode,
    pub created_at: UnixMillis,
}

/// A Backend API secret key, as stored: only its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretKeyRecord {
    pub id: SecretKeyId,
    /// Lower-case hex SHA-256 of the key text.
    pub key_hash: String,
    /// The last four characters, to tell keys apart.
    pub hint: String,
    pub label: String,
    pub created_at: UnixMillis,
    pub revoked_at: Option<UnixMillis>,
}

/// An RSA signing key. The private half is PKCS#8 DER.
#[derive(Clone, PartialEq)]
pub struct SigningKeyRecord {
    pub id: SigningKeyId,
    pub private_pkcs8: Vec<u8>,
    pub created_at: UnixMillis,
    /// Set when a newer key took over signing. A retired key stays published
    /// in the JWKS until tokens it signed, and JWKS caches holding it, are gone.
    pub retired_at: Option<UnixMillis>,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("id", &self.id)
            .field("private_pkcs8", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

/// Clerk's verification states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Unverified,
    Verified,
    Failed,
    Expired,
    Transferable,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Transferable => "transferable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unverified" => Self::Unverified,
            "verified" => Self::Verified,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            "transferable" => Self::Transferable,
            _ => return None,
        })
    }
}

/// How an identification was (or is being) verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub status: VerificationStatus,
    /// e.g. `email_code`, `admin`, `from_oauth_github`.
    pub strategy: String,
    pub attempts: Option<i32>,
    pub expire_at: Option<UnixMillis>,
}

/// An email address belonging to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailAddressRecord {
    pub id: EmailAddressId,
    pub user_id: UserId,
    pub email_address: String,
    pub verification: Option<Verification>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// A user account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image_url: Option<String>,
    pub public_metadata: Value,
    pub private_metadata: Value,
    pub unsafe_metadata: Value,
    /// PHC string (`$argon2id$…`, `$2b$…`); `None` for passwordless users.
    pub password_digest: Option<String>,
    pub password_last_updated_at: Option<UnixMillis>,
    pub primary_email_address_id: Option<EmailAddressId>,
    pub banned: bool,
    /// Set while the account is locked out after too many failed attempts.
    pub locked_at: Option<UnixMillis>,
    pub failed_attempts: i32,
    pub last_sign_in_at: Option<UnixMillis>,
    pub last_active_at: Option<UnixMillis>,
    pub legal_accepted_at: Option<UnixMillis>,
    pub delete_self_enabled: bool,
    pub create_organization_enabled: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// Bumped by every change; a change computed from a copy is written only
    /// over the version it was computed from (compare-and-swap).
    pub version: i64,
    /// Which second factors the user has; kept with the user row, changed
    /// only in the transactions that change the factors themselves.
    pub mfa: Mfa,
    /// Loaded with the user: every lookup that renders a user needs them.
    pub email_addresses: Vec<EmailAddressRecord>,
    /// The user's verified passkeys, as the user row lists them (changed in
    /// the transactions that change the passkeys themselves).
    pub passkeys: Vec<PasskeySummary>,
    /// Accounts at other identity providers joined to the user, as the
    /// user row lists them (their tokens are kept apart, sealed).
    pub external_accounts: Vec<ExternalAccount>,
}

/// An account at another identity provider ("Continue with Google")
/// joined to a user: who the provider says the person is. One provider
/// identity (`provider`, `provider_user_id`) belongs to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAccount {
    /// `eac_…`
    pub id: String,
    /// `oauth_google`, `oauth_custom_corp`, …
    pub provider: String,
    pub provider_user_id: String,
    /// The identification (`idn_…`) the user's email addresses link to.
    pub identification_id: String,
    pub email_address: Option<String>,
    /// Whether the provider vouched for the address (by its rule,
    /// [`crate::oauth::Provider::vouches_for`]).
    pub email_address_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image_url: Option<String>,
    pub username: Option<String>,
    /// Space-separated.
    pub approved_scopes: String,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// The tokens a provider gave for an external account: sealed at rest,
/// handed out only to the Backend API (`oauth_access_tokens`).
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<UnixMillis>,
    /// Space-separated.
    pub scopes: String,
}

impl std::fmt::Debug for ProviderTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderTokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A user's second factors, as the user row summarises them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mfa {
    /// A verified authenticator app.
    pub totp_enabled: bool,
    /// Unused backup codes remain.
    pub backup_code_enabled: bool,
    /// When the user last went from no second factor to one.
    pub enabled_at: Option<UnixMillis>,
    /// When the user last went from a second factor to none.
    pub disabled_at: Option<UnixMillis>,
}

impl Mfa {
    /// A real second factor exists (backup codes alone are not one: they
    /// recover a second factor, they do not replace it).
    pub fn two_factor_enabled(&self) -> bool {
        self.totp_enabled
    }
}

/// A verified passkey as `user.passkeys[]` shows it: what the user row keeps,
/// so that rendering a user needs no join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub id: String,
    pub name: String,
    pub last_used_at: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// A passkey: pending while its registration ceremony runs (`registration`
/// holds the ceremony's state), verified once the browser's credential
/// checked out (`credential` holds the public key and signature counter, as
/// webauthn-rs serialises them; the server crate owns that format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    pub id: String,
    pub user_id: UserId,
    pub name: String,
    /// The credential id (base64url, no padding) once verified; unique.
    pub credential_id: Option<String>,
    pub credential: Option<String>,
    pub registration: Option<String>,
    /// The relying party the credential is bound to (a registrable domain).
    pub rp_id: String,
    pub verified: bool,
    /// A pending registration is refused after this.
    pub expire_at: UnixMillis,
    pub last_used_at: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// Bumped by every use: a counter update is written only over the
    /// version it was computed from.
    pub version: i64,
}

impl PasskeyRecord {
    pub fn summary(&self) -> PasskeySummary {
        PasskeySummary {
            id: self.id.clone(),
            name: self.name.clone(),
            last_used_at: self.last_used_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A user's authenticator app secret. There is at most one per user:
/// pending (`verified: false`) until a code from the app confirms it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    pub id: String,
    pub user_id: UserId,
    /// Base32 (RFC 4648, no padding), as the user's app received it.
    pub secret: String,
    pub verified: bool,
    /// The last time step a code was accepted for; codes of that step and
    /// earlier are refused (RFC 6238 §5.2, no replay).
    pub last_used_step: Option<i64>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("secret", &"[redacted]")
            .field("verified", &self.verified)
            .field("last_used_step", &self.last_used_step)
            .finish()
    }
}

/// An uploaded profile image: checked to be PNG, JPEG, GIF or WebP by its
/// first bytes (never SVG, which can carry script), served as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    pub user_id: UserId,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub created_at: UnixMillis,
}

impl std::fmt::Debug for ImageRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageRecord")
            .field("id", &self.id)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A set of backup codes as stored: a salt shared by the set and each
/// code's argon2id hash under it, so that checking a code costs one hash
/// whatever the number of codes, and a database dump gives no code away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCodeSet {
    pub salt: String,
    pub hashes: Vec<String>,
}

impl User {
    /// Whether the user could still sign in without the external account
    /// `account_id`: a password, a passkey, another external account, or
    /// (where the instance mails sign-in codes) a verified address. Removing
    /// the last way would lock the person out of their own account.
    pub fn signs_in_without(&self, account_id: &str, email_code: bool) -> bool {
        let verified_email = self.email_addresses.iter().any(|e| {
            e.verification
                .as_ref()
                .is_some_and(|v| v.status == VerificationStatus::Verified)
        });
        self.password_digest.is_some()
            || !self.passkeys.is_empty()
            || self.external_accounts.iter().any(|a| a.id != account_id)
            || (email_code && verified_email)
    }

    /// A new user with empty metadata and no identifications.
    pub fn new(now: UnixMillis) -> Self {
        Self {
            id: UserId::generate(),
            external_id: None,
            username: None,
            first_name: None,
            last_name: None,
            image_url: None,
            public_metadata: Value::Object(Default::default()),
            private_metadata: Value::Object(Default::default()),
            unsafe_metadata: Value::Object(Default::default()),
            password_digest: None,
            password_last_updated_at: None,
            primary_email_address_id: None,
            banned: false,
            locked_at: None,
            failed_attempts: 0,
            last_sign_in_at: None,
            last_active_at: None,
            legal_accepted_at: None,
            delete_self_enabled: true,
            create_organization_enabled: true,
            created_at: now,
            updated_at: now,
            version: 0,
            mfa: Mfa::default(),
            email_addresses: Vec::new(),
            passkeys: Vec::new(),
            external_accounts: Vec::new(),
        }
    }

    /// The primary email address, if any.
    pub fn primary_email(&self) -> Option<&EmailAddressRecord> {
        let id = self.primary_email_address_id.as_ref()?;
        self.email_addresses.iter().find(|e| &e.id == id)
    }

    /// Add an email address; the first one becomes primary.
    pub fn add_email(
        &mut self,
        address: &crate::EmailAddress,
        verification: Option<Verification>,
        now: UnixMillis,
    ) -> EmailAddressId {
        let id = EmailAddressId::generate();
        self.email_addresses.push(EmailAddressRecord {
            id: id.clone(),
            user_id: self.id.clone(),
            email_address: address.as_str().to_owned(),
            verification,
            created_at: now,
            updated_at: now,
        });
        if self.primary_email_address_id.is_none() {
            self.primary_email_address_id = Some(id.clone());
        }
        id
    }
}

/// A browser or device. Sessions belong to a client; the browser proves which
/// client it is with a token (the `__client` cookie or the dev browser JWT)
/// whose hash is stored here.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: ClientId,
    pub token_hash: String,
    pub last_active_session_id: Option<SessionId>,
    pub created_at: UnixMillis,
    /// Bumped on every change to the client's sessions; reported to apps as
    /// `__client_uat`, and no session token may be issued before it.
    pub updated_at: UnixMillis,
}

/// Clerk's session statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Ended,
    Expired,
    Removed,
    Revoked,
    Abandoned,
    Pending,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Ended => "ended",
            Self::Expired => "expired",
            Self::Removed => "removed",
            Self::Revoked => "revoked",
            Self::Abandoned => "abandoned",
            Self::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "ended" => Self::Ended,
            "expired" => Self::Expired,
            "removed" => Self::Removed,
            "revoked" => Self::Revoked,
            "abandoned" => Self::Abandoned,
            "pending" => Self::Pending,
            _ => return None,
        })
    }

    /// Whether a session in this status can still be used to mint tokens.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Active | Self::Pending)
    }
}

/// What the server last saw of the device behind a session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionActivity {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub device_type: Option<String>,
    pub is_mobile: bool,
    pub city: Option<String>,
    pub country: Option<String>,
}

/// A signed-in user on a client.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub status: SessionStatus,
    pub last_active_at: UnixMillis,
    /// Hard end of the session (Clerk's maximum lifetime).
    pub expire_at: UnixMillis,
    /// End after inactivity; pushed forward by activity.
    pub abandon_at: UnixMillis,
    pub last_active_organization_id: Option<String>,
    /// Impersonation: who is acting as the user (`{"sub": …}`), if anyone.
    pub actor: Option<Value>,
    pub latest_activity: SessionActivity,
    /// When a first factor was last checked for this session (sign-in, or
    /// re-verification): the first age of the token's `fva` claim.
    pub first_factor_verified_at: UnixMillis,
    /// When a second factor was last checked, if ever: the second age.
    pub second_factor_verified_at: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Session {
    /// The status as of `now`: a stored `active` session past its
    /// `expire_at`/`abandon_at` is reported as expired/abandoned even before a
    /// sweeper rewrites the row.
    /// The token's `fva` claim: whole minutes since each factor was checked,
    /// -1 for a factor never checked in this session.
    pub fn factor_ages(&self, now: UnixMillis) -> [i64; 2] {
        let minutes = |at: UnixMillis| (now.0 - at.0).max(0) / 60_000;
        [
            minutes(self.first_factor_verified_at),
            self.second_factor_verified_at.map_or(-1, minutes),
        ]
    }

    pub fn status_at(&self, now: UnixMillis) -> SessionStatus {
        match self.status {
            SessionStatus::Active | SessionStatus::Pending if now >= self.expire_at => {
                SessionStatus::Expired
            }
            SessionStatus::Active | SessionStatus::Pending if now >= self.abandon_at => {
                SessionStatus::Abandoned
            }
            s => s,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_last_way_to_sign_in_stays() {
        let now = UnixMillis(1);
        let account = |id: &str| ExternalAccount {
            id: id.to_owned(),
            provider: "oauth_google".to_owned(),
            provider_user_id: id.to_owned(),
            identification_id: format!("idn_{id}"),
            email_address: None,
            email_address_verified: false,
            first_name: None,
            last_name: None,
            image_url: None,
            username: None,
            approved_scopes: String::new(),
            created_at: now,
            updated_at: now,
        };
        let mut user = User::new(now);
        user.external_accounts = vec![account("eac_1")];
        assert!(!user.signs_in_without("eac_1", true), "nothing else");
        user.external_accounts.push(account("eac_2"));
        assert!(user.signs_in_without("eac_1", true), "another provider");
        user.external_accounts.truncate(1);
        let email: crate::EmailAddress = "ada@example.com".parse().unwrap();
        user.add_email(
            &email,
            Some(Verification {
                status: VerificationStatus::Verified,
                strategy: "from_oauth_google".to_owned(),
                attempts: None,
                expire_at: None,
            }),
            now,
        );
        assert!(
            user.signs_in_without("eac_1", true),
            "a code to a verified address"
        );
        assert!(
            !user.signs_in_without("eac_1", false),
            "not where codes are off"
        );
        user.password_digest = Some("$argon2id$…".to_owned());
        assert!(user.signs_in_without("eac_1", false), "a password");
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            SessionStatus::Active,
            SessionStatus::Ended,
            SessionStatus::Expired,
            SessionStatus::Removed,
            SessionStatus::Revoked,
            SessionStatus::Abandoned,
            SessionStatus::Pending,
        ] {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn sessions_lapse_by_clock() {
        let now = UnixMillis(1_000_000);
        let s = Session {
            id: SessionId::generate(),
            client_id: ClientId::generate(),
            user_id: UserId::generate(),
            status: SessionStatus::Active,
            last_active_at: now,
            expire_at: now.plus_secs(100),
            abandon_at: now.plus_secs(50),
            last_active_organization_id: None,
            actor: None,
            latest_activity: SessionActivity::default(),
            first_factor_verified_at: now,
            second_factor_verified_at: None,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(s.status_at(now), SessionStatus::Active);
        assert_eq!(s.status_at(now.plus_secs(60)), SessionStatus::Abandoned);
        assert_eq!(s.status_at(now.plus_secs(100)), SessionStatus::Expired);
    }
}

/// A sign-in or sign-up attempt, as stored: the attempt itself is a JSON
/// document owned by the flow's code (see `frontdesk_domain::flows`).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    pub id: String,
    pub client_id: ClientId,
    /// `sign_in` or `sign_up`.
    pub kind: String,
    pub data: Value,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// Bumped by every write; a write over another version is refused, so
    /// parallel steps of one attempt (code tries) are each counted.
    pub version: i64,
}

/// An email as sent, kept in the development mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevEmail {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: UnixMillis,
}
