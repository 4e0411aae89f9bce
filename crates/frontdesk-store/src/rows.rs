//! Row types shared by both adapters.
//!
//! The schemas of the SQLite and PostgreSQL adapters use the same column names
//! and compatible types (INTEGER/BIGINT milliseconds, TEXT/JSONB metadata,
//! BLOB/BYTEA keys), so one `FromRow` struct per table decodes rows from either
//! database, and the conversion into domain entities — where stored text is
//! parsed back into typed ids and enums — is written once.

use frontdesk_domain::entities::{
    Client, DevEmail, EmailAddressRecord, ExternalAccount, FlowRecord, Instance, Mfa,
    PasskeyRecord, PasskeySummary, SecretKeyRecord, Session, SessionActivity, SessionStatus,
    SigningKeyRecord, TotpRecord, User, Verification, VerificationStatus,
};
use frontdesk_domain::{InstanceMode, UnixMillis};
use serde_json::Value;
use sqlx::types::Json;

use crate::StoreError;

pub(crate) fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} `{s}`")))
}

fn parse_opt<T: std::str::FromStr>(what: &str, s: Option<String>) -> Result<Option<T>, StoreError> {
    s.map(|s| parse(what, &s)).transpose()
}

pub(crate) fn ms(v: Option<i64>) -> Option<UnixMillis> {
    v.map(UnixMillis)
}

#[derive(Debug, sqlx::FromRow)]
pub struct InstanceRow {
    pub id: String,
    pub mode: String,
    pub created_at: i64,
}

impl TryFrom<InstanceRow> for Instance {
    type Error = StoreError;
    fn try_from(r: InstanceRow) -> Result<Self, StoreError> {
        Ok(Instance {
            id: parse("instance id", &r.id)?,
            mode: parse::<InstanceMode>("instance mode", &r.mode)?,
            created_at: UnixMillis(r.created_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct SecretKeyRow {
    pub id: String,
    pub key_hash: String,
    pub hint: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl TryFrom<SecretKeyRow> for SecretKeyRecord {
    type Error = StoreError;
    fn try_from(r: SecretKeyRow) -> Result<Self, StoreError> {
        Ok(SecretKeyRecord {
            id: parse("secret key id", &r.id)?,
            key_hash: r.key_hash,
            hint: r.hint,
            label: r.label,
            created_at: UnixMillis(r.created_at),
            revoked_at: ms(r.revoked_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SigningKeyRow {
    pub id: String,
    pub private_pkcs8: Vec<u8>,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl TryFrom<SigningKeyRow> for SigningKeyRecord {
    type Error = StoreError;
    fn try_from(r: SigningKeyRow) -> Result<Self, StoreError> {
        Ok(SigningKeyRecord {
            id: parse("signing key id", &r.id)?,
            private_pkcs8: r.private_pkcs8,
            created_at: UnixMillis(r.created_at),
            retired_at: ms(r.retired_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image_url: Option<String>,
    pub public_metadata: Json<Value>,
    pub private_metadata: Json<Value>,
    pub unsafe_metadata: Json<Value>,
    pub password_digest: Option<String>,
    pub password_last_updated_at: Option<i64>,
    pub primary_email_address_id: Option<String>,
    pub banned: bool,
    pub locked_at: Option<i64>,
    pub failed_attempts: i32,
    pub last_sign_in_at: Option<i64>,
    pub last_active_at: Option<i64>,
    pub legal_accepted_at: Option<i64>,
    pub delete_self_enabled: bool,
    pub create_organization_enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub totp_enabled: bool,
    pub backup_code_enabled: bool,
    pub mfa_enabled_at: Option<i64>,
    pub mfa_disabled_at: Option<i64>,
    pub passkeys: Json<Vec<PasskeySummary>>,
    pub external_accounts: Json<Vec<ExternalAccount>>,
}

impl UserRow {
    /// The user with the email addresses that belong to it.
    pub fn into_user(self, emails: Vec<EmailRow>) -> Result<User, StoreError> {
        Ok(User {
            id: parse("user id", &self.id)?,
            external_id: self.external_id,
            username: self.username,
            first_name: self.first_name,
            last_name: self.last_name,
            image_url: self.image_url,
            public_metadata: self.public_metadata.0,
            private_metadata: self.private_metadata.0,
            unsafe_metadata: self.unsafe_metadata.0,
            password_digest: self.password_digest,
            password_last_updated_at: ms(self.password_last_updated_at),
            primary_email_address_id: parse_opt("email id", self.primary_email_address_id)?,
            banned: self.banned,
            locked_at: ms(self.locked_at),
            failed_attempts: self.failed_attempts,
            last_sign_in_at: ms(self.last_sign_in_at),
            last_active_at: ms(self.last_active_at),
            legal_accepted_at: ms(self.legal_accepted_at),
            delete_self_enabled: self.delete_self_enabled,
            create_organization_enabled: self.create_organization_enabled,
            created_at: UnixMillis(self.created_at),
            updated_at: UnixMillis(self.updated_at),
            version: self.version,
            mfa: Mfa {
                totp_enabled: self.totp_enabled,
                backup_code_enabled: self.backup_code_enabled,
                enabled_at: ms(self.mfa_enabled_at),
                disabled_at: ms(self.mfa_disabled_at),
            },
            email_addresses: emails
                .into_iter()
                .map(EmailAddressRecord::try_from)
                .collect::<Result<_, _>>()?,
            passkeys: self.passkeys.0,
            external_accounts: self.external_accounts.0,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct EmailRow {
    pub id: String,
    pub user_id: String,
    pub email_address: String,
    pub verification_status: Option<String>,
    pub verification_strategy: Option<String>,
    pub verification_attempts: Option<i32>,
    pub verification_expire_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<EmailRow> for EmailAddressRecord {
    type Error = StoreError;
    fn try_from(r: EmailRow) -> Result<Self, StoreError> {
        let verification = match (r.verification_status, r.verification_strategy) {
            (Some(status), Some(strategy)) => Some(Verification {
                status: VerificationStatus::parse(&status).ok_or_else(|| {
                    StoreError::Corrupt(format!("verification status `{status}`"))
                })?,
                strategy,
                attempts: r.verification_attempts,
                expire_at: ms(r.verification_expire_at),
            }),
            _ => None,
        };
        Ok(EmailAddressRecord {
            id: parse("email id", &r.id)?,
            user_id: parse("user id", &r.user_id)?,
            email_address: r.email_address,
            verification,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub token_hash: String,
    pub last_active_session_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(r: ClientRow) -> Result<Self, StoreError> {
        Ok(Client {
            id: parse("client id", &r.id)?,
            token_hash: r.token_hash,
            last_active_session_id: parse_opt("session id", r.last_active_session_id)?,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub status: String,
    pub last_active_at: i64,
    pub expire_at: i64,
    pub abandon_at: i64,
    pub last_active_organization_id: Option<String>,
    pub actor: Option<Json<Value>>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub device_type: Option<String>,
    pub is_mobile: bool,
    pub city: Option<String>,
    pub country: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_factor_verified_at: i64,
    pub second_factor_verified_at: Option<i64>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            id: parse("session id", &r.id)?,
            client_id: parse("client id", &r.client_id)?,
            user_id: parse("user id", &r.user_id)?,
            status: SessionStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("session status `{}`", r.status)))?,
            last_active_at: UnixMillis(r.last_active_at),
            expire_at: UnixMillis(r.expire_at),
            abandon_at: UnixMillis(r.abandon_at),
            last_active_organization_id: r.last_active_organization_id,
            actor: r.actor.map(|j| j.0),
            latest_activity: SessionActivity {
                ip_address: r.ip_address,
                user_agent: r.user_agent,
                browser_name: r.browser_name,
                browser_version: r.browser_version,
                device_type: r.device_type,
                is_mobile: r.is_mobile,
                city: r.city,
                country: r.country,
            },
            first_factor_verified_at: UnixMillis(r.first_factor_verified_at),
            second_factor_verified_at: ms(r.second_factor_verified_at),
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct FlowRow {
    pub id: String,
    pub client_id: String,
    pub kind: String,
    pub data: Json<Value>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl TryFrom<FlowRow> for FlowRecord {
    type Error = StoreError;
    fn try_from(r: FlowRow) -> Result<Self, StoreError> {
        Ok(FlowRecord {
            id: r.id,
            client_id: parse("client id", &r.client_id)?,
            kind: r.kind,
            data: r.data.0,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
            version: r.version,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct DevEmailRow {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
}

impl From<DevEmailRow> for DevEmail {
    fn from(r: DevEmailRow) -> Self {
        DevEmail {
            id: r.id,
            to_address: r.to_address,
            subject: r.subject,
            text_body: r.text_body,
            html_body: r.html_body,
            created_at: UnixMillis(r.created_at),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct QueuedMailRow {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
    pub give_up_at: i64,
    pub next_attempt_at: i64,
    pub attempts: i32,
}

impl From<QueuedMailRow> for crate::QueuedMail {
    fn from(r: QueuedMailRow) -> Self {
        Self {
            id: r.id,
            to_address: r.to_address,
            subject: r.subject,
            text_body: r.text_body,
            html_body: r.html_body,
            created_at: UnixMillis(r.created_at),
            give_up_at: UnixMillis(r.give_up_at),
            next_attempt_at: UnixMillis(r.next_attempt_at),
            attempts: r.attempts,
        }
    }
}

/// The lockout columns of a user, as a failed attempt left them.
#[derive(Debug, sqlx::FromRow)]
pub struct AuthStateRow {
    pub failed_attempts: i32,
    pub locked_at: Option<i64>,
    pub banned: bool,
}

impl From<AuthStateRow> for frontdesk_domain::AuthState {
    fn from(r: AuthStateRow) -> Self {
        Self {
            failed_attempts: r.failed_attempts,
            locked_at: ms(r.locked_at),
            banned: r.banned,
        }
    }
}

/// A session row joined with its client's `updated_at`.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionWithClientRow {
    #[sqlx(flatten)]
    pub session: SessionRow,
    pub client_updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub credential_id: Option<String>,
    pub credential: Option<String>,
    pub registration: Option<String>,
    pub rp_id: String,
    pub verified: bool,
    pub expire_at: i64,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl TryFrom<PasskeyRow> for PasskeyRecord {
    type Error = StoreError;
    fn try_from(r: PasskeyRow) -> Result<Self, StoreError> {
        Ok(PasskeyRecord {
            id: r.id,
            user_id: parse("user id", &r.user_id)?,
            name: r.name,
            credential_id: r.credential_id,
            credential: r.credential,
            registration: r.registration,
            rp_id: r.rp_id,
            verified: r.verified,
            expire_at: UnixMillis(r.expire_at),
            last_used_at: ms(r.last_used_at),
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
            version: r.version,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TotpRow {
    pub id: String,
    pub user_id: String,
    pub secret: String,
    pub verified: bool,
    pub last_used_step: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<TotpRow> for TotpRecord {
    type Error = StoreError;
    fn try_from(r: TotpRow) -> Result<Self, StoreError> {
        Ok(TotpRecord {
            id: r.id,
            user_id: parse("user id", &r.user_id)?,
            secret: r.secret,
            verified: r.verified,
            last_used_step: r.last_used_step,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}
