//! Instance administration (issue 18): who may use the dashboard, the
//! one-time link that makes the first administrator, and the actions an
//! administrator takes on users, each carried out by the same service the
//! Backend API calls, its audit entry written in the transaction of the
//! change ([`Audit::around`]).
//!
//! An administrator's session must have checked a second factor: a
//! password alone never opens the dashboard (OWASP ASVS 2.2 / NIST
//! 800-63B AAL2 for privileged accounts).

use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{Actor, AuditAction, AuditEvent};
use frontdesk_domain::entities::{SecretKeyRecord, Session, SessionStatus, User};
use frontdesk_store::admin::Revoked;
use frontdesk_store::{Store, StoreError, audit};
use frontdesk_types::{AuditEventId, UserId};
use serde_json::{Map, Value, json};
use std::future::Future;

use frontdesk_domain::flows::SecondFactor;
use frontdesk_domain::flows::reverify::Proven;

use super::{account, mfa, reverify, users};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::keys::KeyRingError;
use crate::state::AppState;

/// How long a printed setup link works.
pub const SETUP_LINK_TTL_MS: i64 = 24 * 3_600_000;

/// The path a setup link opens.
pub const SETUP_PATH: &str = "/dashboard/setup";

/// A signed-in administrator whose session checked a second factor.
pub struct Operator {
    pub session: Session,
    pub user: User,
}

/// What the dashboard may show a browser.
pub enum Access {
    Granted(Operator),
    SignedOut,
    /// Signed in, not an administrator.
    Refused(User),
    /// An administrator whose session has not checked a second factor;
    /// `has_factor` says whether they have one to check.
    NeedsSecondFactor {
        session: Session,
        user: User,
        has_factor: bool,
    },
}

/// Who did something and from where, for the audit log.
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor: Actor,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl Audit {
    /// An administrator in a browser.
    pub fn of(operator: &Operator, browser: &Browser) -> Self {
        Self {
            actor: Actor::admin(&operator.user.id, &label(&operator.user)),
            ip_address: browser.ip.map(|ip| ip.to_string()),
            user_agent: browser.activity.user_agent.clone(),
        }
    }

    /// An operator at the server's terminal.
    pub fn command_line() -> Self {
        Self {
            actor: Actor::command_line(),
            ip_address: None,
            user_agent: None,
        }
    }

    fn entry(&self, action: AuditAction, target: Option<&str>, detail: Value) -> AuditEvent {
        AuditEvent {
            id: AuditEventId::generate(),
            actor: self.actor.clone(),
            action,
            target_id: target.map(str::to_owned),
            detail,
            ip_address: self.ip_address.clone(),
            user_agent: self.user_agent.clone(),
            created_at: UnixMillis::now(),
        }
    }

    /// Write one entry on its own: `action` on `target`, described by
    /// `detail`. For what changes nothing stored (an export); a change is
    /// recorded by [`Audit::around`].
    pub async fn record(
        &self,
        store: &dyn Store,
        action: AuditAction,
        target: Option<&str>,
        detail: Value,
    ) -> Result<(), StoreError> {
        store
            .record_audit(&self.entry(action, target, detail))
            .await
    }

    /// Carry out `change` and record it in the transaction that commits it
    /// (see [`frontdesk_store::audit`]): the change and its entry are both
    /// stored or neither is. An action that succeeded without changing
    /// anything (a session that had ended already) is recorded on its own.
    pub async fn around<T, E: From<StoreError>>(
        &self,
        store: &dyn Store,
        action: AuditAction,
        target: Option<&str>,
        detail: Value,
        change: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.around_when(store, action, target, detail, change, |_| true)
            .await
    }

    /// [`Audit::around`] for a change that may answer "nothing to do"
    /// (`done` false): then nothing is recorded.
    pub async fn around_when<T, E: From<StoreError>>(
        &self,
        store: &dyn Store,
        action: AuditAction,
        target: Option<&str>,
        detail: Value,
        change: impl Future<Output = Result<T, E>>,
        done: impl FnOnce(&T) -> bool,
    ) -> Result<T, E> {
        let (out, unwritten) = audit::recorded(self.entry(action, target, detail), change).await;
        let value = out?;
        if let Some(entry) = unwritten
            && done(&value)
        {
            store.record_audit(&entry).await?;
        }
        Ok(value)
    }
}

/// How a user is named in the log: their primary address, else their id.
pub fn label(user: &User) -> String {
    user.primary_email()
        .map(|e| e.email_address.clone())
        .unwrap_or_else(|| user.id.to_string())
}

/// Whether this browser may use the dashboard.
pub async fn access(state: &AppState, browser: &Browser) -> ApiResult<Access> {
    let Ok((session, user)) = account::signed_in(state, browser, None).await else {
        return Ok(Access::SignedOut);
    };
    if !state.store.is_admin(&user.id).await? {
        return Ok(Access::Refused(user));
    }
    if session.second_factor_verified_at.is_none() {
        let has_factor = user.mfa.totp_enabled;
        return Ok(Access::NeedsSecondFactor {
            session,
            user,
            has_factor,
        });
    }
    Ok(Access::Granted(Operator { session, user }))
}

/// Check an administrator's second factor (an app's code or a backup
/// code) and record it on their session, which opens the dashboard. A
/// wrong code counts toward the account's lockout like any other.
pub async fn step_up(
    state: &AppState,
    session: &Session,
    user: &User,
    code: &str,
) -> ApiResult<()> {
    let code = code.trim();
    let factor = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        SecondFactor::Totp
    } else {
        SecondFactor::BackupCode
    };
    mfa::check(state, &user.id, factor, code, UnixMillis::now()).await??;
    reverify::proven(state, session, Proven::Second).await?;
    Ok(())
}

/// A new one-time link that makes the first administrator, when the
/// instance has none; the link replaces any printed before it. The token
/// is stored hashed and shown only in the returned URL.
pub async fn setup_link(store: &dyn Store, origin: &str) -> Result<Option<String>, StoreError> {
    if !store.list_admins().await?.is_empty() {
        return Ok(None);
    }
    let token = frontdesk_types::id::random_base62(32);
    let now = UnixMillis::now();
    store
        .replace_setup_token(
            &frontdesk_crypto::sha256_hex(token.as_bytes()),
            now,
            UnixMillis(now.0 + SETUP_LINK_TTL_MS),
        )
        .await?;
    Ok(Some(format!("{origin}{SETUP_PATH}?token={token}")))
}

/// Spend a setup link for the signed-in `user`: `false` when the link is
/// spent, expired or replaced, or the instance has an administrator.
pub async fn redeem(state: &AppState, token: &str, user: &User, by: &Audit) -> ApiResult<bool> {
    if token.is_empty() || token.len() > 128 {
        return Ok(false);
    }
    let hash = frontdesk_crypto::sha256_hex(token.as_bytes());
    let store = state.store.as_ref();
    let made = by
        .around_when(
            store,
            AuditAction::AdminSetUp,
            Some(user.id.as_str()),
            json!({}),
            store.redeem_setup_token(&hash, &user.id, UnixMillis::now()),
            |made| *made,
        )
        .await?;
    Ok(made)
}

/// Make the user with address `email` an administrator (`frontdesk admin
/// create`); `false` when they were one.
pub async fn grant_by_email(
    store: &dyn Store,
    email: &str,
    by: &Audit,
) -> Result<Option<(UserId, bool)>, StoreError> {
    let Some(user) = store.find_user_by_email(email).await? else {
        return Ok(None);
    };
    let made = by
        .around_when(
            store,
            AuditAction::AdminGranted,
            Some(user.id.as_str()),
            json!({"email_address": label(&user)}),
            store.grant_admin(&user.id, &by.actor.id, UnixMillis::now()),
            |made| *made,
        )
        .await?;
    Ok(Some((user.id, made)))
}

/// Make the user with address `email` a user again (`frontdesk admin
/// revoke`), recorded when it happened; `None` when no user has it.
pub async fn revoke_by_email(
    store: &dyn Store,
    email: &str,
    by: &Audit,
) -> Result<Option<(UserId, Revoked)>, StoreError> {
    let Some(user) = store.find_user_by_email(email).await? else {
        return Ok(None);
    };
    let outcome = by
        .around_when(
            store,
            AuditAction::AdminRevoked,
            Some(user.id.as_str()),
            json!({"user": label(&user)}),
            store.revoke_admin(&user.id),
            |outcome| *outcome == Revoked::Done,
        )
        .await?;
    Ok(Some((user.id, outcome)))
}

/// What an administrator can do to a user with one button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Ban,
    Unban,
    Lock,
    Unlock,
    ResetMfa,
    SignOutEverywhere,
    Delete,
    /// Open the dashboard to the user (behind a second factor, as for any
    /// administrator).
    MakeAdmin,
    /// Close it again; never to the last administrator.
    RevokeAdmin,
}

impl UserAction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ban" => Self::Ban,
            "unban" => Self::Unban,
            "lock" => Self::Lock,
            "unlock" => Self::Unlock,
            "reset-mfa" => Self::ResetMfa,
            "sign-out" => Self::SignOutEverywhere,
            "delete" => Self::Delete,
            "make-admin" => Self::MakeAdmin,
            "revoke-admin" => Self::RevokeAdmin,
            _ => return None,
        })
    }

    fn audited_as(self) -> AuditAction {
        match self {
            Self::Ban => AuditAction::UserBanned,
            Self::Unban => AuditAction::UserUnbanned,
            Self::Lock => AuditAction::UserLocked,
            Self::Unlock => AuditAction::UserUnlocked,
            Self::ResetMfa => AuditAction::UserMfaReset,
            Self::SignOutEverywhere => AuditAction::SessionsRevoked,
            Self::Delete => AuditAction::UserDeleted,
            Self::MakeAdmin => AuditAction::AdminGranted,
            Self::RevokeAdmin => AuditAction::AdminRevoked,
        }
    }

    /// Actions that would shut an administrator out of the dashboard
    /// they are using.
    fn locks_out(self) -> bool {
        matches!(
            self,
            Self::Ban
                | Self::Lock
                | Self::Delete
                | Self::ResetMfa
                | Self::SignOutEverywhere
                | Self::RevokeAdmin
        )
    }
}

/// Carry out `action` on `target` and record it.
pub async fn act_on_user(
    state: &AppState,
    operator: &Operator,
    by: &Audit,
    target: &User,
    action: UserAction,
) -> ApiResult<()> {
    if action.locks_out() && target.id == operator.user.id {
        return Err(ApiError::bad_param(
            "user_id",
            "form_param_value_invalid",
            "You cannot do this to your own account from the dashboard.",
        ));
    }
    let id = target.id.as_str();
    by.around(
        state.store.as_ref(),
        action.audited_as(),
        Some(id),
        json!({"user": label(target)}),
        carry_out(state, by, target, action),
    )
    .await
}

/// What `act_on_user` does, by the services the Backend API uses.
async fn carry_out(
    state: &AppState,
    by: &Audit,
    target: &User,
    action: UserAction,
) -> ApiResult<()> {
    let id = target.id.as_str();
    match action {
        UserAction::Ban => {
            let ban = users::set_standing_keeping(state, id, users::Standing::Ban, true);
            drop(ban.await?);
        }
        UserAction::Unban => drop(users::set_standing(state, id, users::Standing::Unban).await?),
        UserAction::Lock => drop(users::set_standing(state, id, users::Standing::Lock).await?),
        UserAction::Unlock => drop(users::set_standing(state, id, users::Standing::Unlock).await?),
        UserAction::ResetMfa => mfa::disable_all(state, &target.id).await?,
        UserAction::SignOutEverywhere => drop(users::sign_out_everywhere(state, id).await?),
        UserAction::Delete => {
            // An administrator goes in two steps: the role first, where
            // the store keeps one who can sign in, then the account.
            if state.store.is_admin(&target.id).await? {
                return Err(ApiError::bad_param(
                    "user_id",
                    "form_param_value_invalid",
                    "This user is an administrator: revoke their administrator role first.",
                ));
            }
            drop(users::delete(state, id).await?);
        }
        UserAction::MakeAdmin => {
            let made = state
                .store
                .grant_admin(&target.id, &by.actor.id, UnixMillis::now())
                .await?;
            if !made {
                return Err(ApiError::bad_param(
                    "user_id",
                    "form_param_value_invalid",
                    "This user is an administrator already.",
                ));
            }
        }
        UserAction::RevokeAdmin => match state.store.revoke_admin(&target.id).await? {
            Revoked::Done => {}
            Revoked::NotAnAdmin => {
                return Err(ApiError::bad_param(
                    "user_id",
                    "form_param_value_invalid",
                    "This user is not an administrator.",
                ));
            }
            Revoked::LastAdmin => {
                return Err(ApiError::bad_param(
                    "user_id",
                    "form_param_value_invalid",
                    "An instance keeps at least one administrator who can sign in.",
                ));
            }
        },
    }
    Ok(())
}

/// End one of `target`'s sessions.
pub async fn revoke_session(
    state: &AppState,
    by: &Audit,
    target: &User,
    session_id: &str,
) -> ApiResult<Session> {
    by.around(
        state.store.as_ref(),
        AuditAction::SessionRevoked,
        Some(target.id.as_str()),
        json!({"session_id": session_id, "status": SessionStatus::Revoked.as_str()}),
        account::revoke(state, target, session_id),
    )
    .await
}

/// Set `target`'s password (checked as any new password is) and sign them
/// out everywhere.
pub async fn set_password(
    state: &AppState,
    by: &Audit,
    target: &User,
    password: &str,
) -> ApiResult<()> {
    let changes = users::UserChanges {
        password: Some(password.to_owned()),
        sign_out_of_other_sessions: true,
        ..users::UserChanges::default()
    };
    by.around(
        state.store.as_ref(),
        AuditAction::UserPasswordSet,
        Some(target.id.as_str()),
        json!({"user": label(target)}),
        users::update(state, &target.id, changes),
    )
    .await?;
    Ok(())
}

/// Replace the metadata fields given (`Some`), each a JSON object.
pub async fn replace_metadata(
    state: &AppState,
    by: &Audit,
    target: &User,
    fields: [Option<Map<String, Value>>; 3],
) -> ApiResult<User> {
    let changed: Vec<&str> = ["public", "private", "unsafe"]
        .into_iter()
        .zip(&fields)
        .filter(|(_, f)| f.is_some())
        .map(|(name, _)| name)
        .collect();
    let [public, private, unsafe_] = fields;
    let body = users::MetadataReplace {
        public_metadata: public.map(Some),
        private_metadata: private.map(Some),
        unsafe_metadata: unsafe_.map(Some),
    };
    by.around(
        state.store.as_ref(),
        AuditAction::UserMetadataReplaced,
        Some(target.id.as_str()),
        // Which fields, never their values: private metadata may hold
        // what the log should not.
        json!({"fields": changed}),
        users::replace_metadata(state, &target.id, body),
    )
    .await
}

/// A new secret key named `label`; the key's text, shown once.
pub async fn create_secret_key(
    state: &AppState,
    by: &Audit,
    label: &str,
) -> ApiResult<frontdesk_domain::SecretKey> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::bad_param(
            "label",
            "form_param_value_invalid",
            "Name the key (up to 100 characters), so that you know later where it is used.",
        ));
    }
    let mode = state.instance.instance.mode;
    let (key, _) = store_secret_key(state.store.as_ref(), mode, by, label).await?;
    Ok(key)
}

/// Store a new secret key named `label`, recorded in its transaction (the
/// dashboard's and `frontdesk keys secret create`'s); the key's text is in
/// the returned key only.
pub async fn store_secret_key(
    store: &dyn Store,
    mode: frontdesk_domain::InstanceMode,
    by: &Audit,
    label: &str,
) -> Result<(frontdesk_domain::SecretKey, SecretKeyRecord), StoreError> {
    let (key, record) = crate::admin::new_secret_key(mode, label);
    by.around(
        store,
        AuditAction::SecretKeyCreated,
        Some(record.id.as_str()),
        json!({"label": label, "hint": record.hint}),
        store.insert_secret_key(&record),
    )
    .await?;
    Ok((key, record))
}

/// Revoke a secret key: it stops working on this node at once, on the
/// others within seconds.
pub async fn revoke_secret_key(state: &AppState, by: &Audit, raw_id: &str) -> ApiResult<()> {
    let id: frontdesk_types::SecretKeyId = raw_id
        .parse()
        .map_err(|_| ApiError::not_found("secret key"))?;
    by.around(
        state.store.as_ref(),
        AuditAction::SecretKeyRevoked,
        Some(id.as_str()),
        json!({}),
        state.revoke_secret_key(&id),
    )
    .await
    .map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("secret key"),
        other => other.into(),
    })
}

/// A new signing key signs from now on; the old one stays published for
/// tokens it signed. In force on this node at once.
pub async fn rotate_signing_key(state: &AppState, by: &Audit) -> ApiResult<()> {
    let store = state.store.as_ref();
    store_signing_key(store, by)
        .await
        .map_err(ApiError::internal)?;
    state
        .keys
        .refresh(store)
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}

/// A new signing key, recorded in the transaction that retires the old
/// one (the dashboard's and `frontdesk keys rotate`'s); its id.
pub async fn store_signing_key(
    store: &dyn Store,
    by: &Audit,
) -> Result<frontdesk_types::SigningKeyId, KeyRingError> {
    let (_, record) = frontdesk_crypto::SigningKey::generate(UnixMillis::now())?;
    by.around(
        store,
        AuditAction::SigningKeyRotated,
        Some(record.id.as_str()),
        json!({}),
        store.rotate_signing_key(&record),
    )
    .await?;
    Ok(record.id)
}

/// Change the instance settings by a JSON merge patch, recording which
/// settings changed (their paths; values may be secrets).
pub async fn change_settings(state: &AppState, by: &Audit, patch: Value) -> ApiResult<()> {
    // Client secrets are kept apart from the document compared below: a
    // secret sent is a change of its own (its path, never its value).
    let secrets: Vec<String> = patch
        .get("social")
        .and_then(Value::as_object)
        .map(|social| {
            social
                .iter()
                .filter(|(_, c)| c.get("client_secret").is_some())
                .map(|(s, _)| format!("social.{s}.client_secret"))
                .collect()
        })
        .unwrap_or_default();
    // The paths are those between the stored document and the one written
    // over it, on the compare-and-swap's last round; nothing changed,
    // nothing recorded.
    let observe = |before: &Value, after: &Value| {
        let mut changed = Vec::new();
        differences("", before, after, &mut changed);
        changed.extend(secrets.iter().cloned());
        audit::withdraw(changed.is_empty());
        audit::amend(|e| e.detail = json!({ "paths": changed }));
    };
    by.around(
        state.store.as_ref(),
        AuditAction::SettingsChanged,
        None,
        json!({}),
        super::settings::patch_observed(state, patch, observe),
    )
    .await?;
    Ok(())
}

/// A webhook endpoint at `url` (checked as the Backend API checks it).
pub async fn create_endpoint(
    state: &AppState,
    by: &Audit,
    url: &str,
    description: &str,
) -> ApiResult<frontdesk_domain::webhooks::WebhookEndpoint> {
    let store = state.store.as_ref();
    let create = crate::webhooks::endpoints::create(
        store,
        state.webhooks.policy,
        crate::webhooks::endpoints::NewEndpoint {
            url: url.trim().to_owned(),
            description: Some(description.trim().to_owned()).filter(|d| !d.is_empty()),
            filter_types: Vec::new(),
            disabled: false,
            secret: None,
        },
    );
    // The endpoint's id and URL as stored are filled in by `create`.
    let entry = by.around(
        store,
        AuditAction::WebhookEndpointCreated,
        None,
        json!({}),
        create,
    );
    Ok(entry.await?)
}

/// A new signing secret for an endpoint; the old one keeps signing beside
/// it for a day, as Svix does.
pub async fn rotate_endpoint_secret(
    state: &AppState,
    by: &Audit,
    endpoint: frontdesk_domain::webhooks::WebhookEndpoint,
) -> ApiResult<()> {
    let id = endpoint.id.clone();
    let store = state.store.as_ref();
    by.around(
        store,
        AuditAction::WebhookSecretRotated,
        Some(id.as_str()),
        json!({}),
        crate::webhooks::endpoints::rotate_secret(store, endpoint, None),
    )
    .await?;
    Ok(())
}

/// Send a message to an endpoint again (its attempts start over).
pub async fn replay_message(
    state: &AppState,
    by: &Audit,
    endpoint: &frontdesk_types::WebhookEndpointId,
    message: &frontdesk_types::MessageId,
) -> ApiResult<()> {
    let store = state.store.as_ref();
    by.around(
        store,
        AuditAction::WebhookMessageReplayed,
        Some(endpoint.as_str()),
        json!({"message_id": message.as_str()}),
        store.resend(endpoint, message, UnixMillis::now()),
    )
    .await
    .map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("webhook message"),
        other => other.into(),
    })
}

/// Give a member of an organization another role, as the Backend API's
/// `PATCH …/memberships/{user_id}` does (the store keeps someone who can
/// manage members), and record it.
pub async fn change_member_role(
    state: &AppState,
    by: &Audit,
    org: &frontdesk_types::OrganizationId,
    user: &UserId,
    role: &str,
) -> ApiResult<()> {
    let role = super::organizations::role(state, role).await?.key;
    by.around(
        state.store.as_ref(),
        AuditAction::OrganizationMemberRoleChanged,
        Some(user.as_str()),
        json!({"organization_id": org.as_str(), "role": role.as_str()}),
        super::organizations::change_role(state, org, user, role.as_str()),
    )
    .await?;
    Ok(())
}

/// The dotted paths at which `a` and `b` differ, down to the leaves.
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                differences(
                    &p,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (x, y) if x != y => out.push(path.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_the_leaves_that_changed() {
        let mut out = Vec::new();
        differences(
            "",
            &json!({"a": {"b": 1, "c": 2}, "d": true}),
            &json!({"a": {"b": 1, "c": 3}, "d": false, "e": 1}),
            &mut out,
        );
        assert_eq!(out, ["a.c", "d", "e"]);
    }
}
