//! Instance administration (issue 18): who may use the dashboard, the
//! one-time link that makes the first administrator, and the actions an
//! administrator takes on users, each carried out by the same service the
//! Backend API calls and then written to the audit log.
//!
//! An administrator's session must have checked a second factor: a
//! password alone never opens the dashboard (OWASP ASVS 2.2 / NIST
//! 800-63B AAL2 for privileged accounts).

use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{Actor, ActorToken, ActorTokenStatus, AuditAction, AuditEvent};
use frontdesk_domain::entities::{Session, SessionStatus, User};
use frontdesk_store::{Store, StoreError};
use frontdesk_types::{ActorTokenId, AuditEventId, UserId};
use serde_json::{Map, Value, json};

use frontdesk_domain::flows::SecondFactor;
use frontdesk_domain::flows::reverify::Proven;

use super::{account, mfa, reverify, users};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
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

    /// Write one entry: `action` on `target`, described by `detail`.
    pub async fn record(
        &self,
        store: &dyn Store,
        action: AuditAction,
        target: Option<&str>,
        detail: Value,
    ) -> Result<(), StoreError> {
        store
            .record_audit(&AuditEvent {
                id: AuditEventId::generate(),
                actor: self.actor.clone(),
                action,
                target_id: target.map(str::to_owned),
                detail,
                ip_address: self.ip_address.clone(),
                user_agent: self.user_agent.clone(),
                created_at: UnixMillis::now(),
            })
            .await
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
    let made = state
        .store
        .redeem_setup_token(&hash, &user.id, UnixMillis::now())
        .await?;
    if made {
        by.record(
            state.store.as_ref(),
            AuditAction::AdminSetUp,
            Some(user.id.as_str()),
            json!({}),
        )
        .await?;
    }
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
    let made = store
        .grant_admin(&user.id, &by.actor.id, UnixMillis::now())
        .await?;
    if made {
        by.record(
            store,
            AuditAction::AdminGranted,
            Some(user.id.as_str()),
            json!({"email_address": label(&user)}),
        )
        .await?;
    }
    Ok(Some((user.id, made)))
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
        }
    }

    /// Actions that would shut an administrator out of the dashboard
    /// they are using.
    fn locks_out(self) -> bool {
        matches!(
            self,
            Self::Ban | Self::Lock | Self::Delete | Self::ResetMfa | Self::SignOutEverywhere
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
    match action {
        UserAction::Ban => drop(users::set_standing(state, id, users::Standing::Ban).await?),
        UserAction::Unban => drop(users::set_standing(state, id, users::Standing::Unban).await?),
        UserAction::Lock => drop(users::set_standing(state, id, users::Standing::Lock).await?),
        UserAction::Unlock => drop(users::set_standing(state, id, users::Standing::Unlock).await?),
        UserAction::ResetMfa => mfa::disable_all(state, &target.id).await?,
        UserAction::SignOutEverywhere => drop(users::sign_out_everywhere(state, id).await?),
        UserAction::Delete => drop(users::delete(state, id).await?),
    }
    by.record(
        state.store.as_ref(),
        action.audited_as(),
        Some(id),
        json!({"user": label(target)}),
    )
    .await?;
    Ok(())
}

/// End one of `target`'s sessions.
pub async fn revoke_session(
    state: &AppState,
    by: &Audit,
    target: &User,
    session_id: &str,
) -> ApiResult<Session> {
    let ended = account::revoke(state, target, session_id).await?;
    by.record(
        state.store.as_ref(),
        AuditAction::SessionRevoked,
        Some(target.id.as_str()),
        json!({"session_id": ended.id.as_str(), "status": SessionStatus::Revoked.as_str()}),
    )
    .await?;
    Ok(ended)
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
    users::update(state, &target.id, changes).await?;
    by.record(
        state.store.as_ref(),
        AuditAction::UserPasswordSet,
        Some(target.id.as_str()),
        json!({"user": label(target)}),
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
    let user = users::replace_metadata(state, &target.id, body).await?;
    by.record(
        state.store.as_ref(),
        AuditAction::UserMetadataReplaced,
        Some(target.id.as_str()),
        // Which fields, never their values: private metadata may hold
        // what the log should not.
        json!({"fields": changed}),
    )
    .await?;
    Ok(user)
}

/// How long an actor token works, and the longest session it starts, by
/// default (Clerk's).
pub const ACTOR_TOKEN_TTL_SECS: i64 = 3600;
pub const ACTOR_SESSION_MAX_SECS: i64 = 1800;

/// A new actor token for `user_id`, acted by `actor` (`{"sub": …}` at
/// least), and its text: the only copy, in the URL that spends it.
pub async fn create_actor_token(
    state: &AppState,
    user_id: &str,
    actor: Value,
    expires_in_secs: Option<i64>,
    session_max_secs: Option<i64>,
) -> ApiResult<(ActorToken, String)> {
    let user = users::load_user(state, user_id).await?;
    let sub = actor.get("sub").and_then(Value::as_str).unwrap_or("");
    if !actor.is_object() || sub.is_empty() {
        return Err(ApiError::bad_param(
            "actor",
            "form_param_missing",
            "`actor` must be an object with a `sub`: the id of who acts.",
        ));
    }
    let positive = |v: Option<i64>, default: i64, param: &str| match v {
        None => Ok(default),
        Some(n) if (1..=30 * 86_400).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_param(
            param,
            "form_param_value_invalid",
            format!("`{param}` must be between 1 and 2592000 seconds"),
        )),
    };
    let ttl = positive(expires_in_secs, ACTOR_TOKEN_TTL_SECS, "expires_in_seconds")?;
    let max = positive(
        session_max_secs,
        ACTOR_SESSION_MAX_SECS,
        "session_max_duration_in_seconds",
    )?;
    let now = UnixMillis::now();
    let text = frontdesk_types::id::random_base62(32);
    let token = ActorToken {
        id: ActorTokenId::generate(),
        user_id: user.id,
        actor,
        status: ActorTokenStatus::Pending,
        session_max_secs: max,
        expire_at: now.plus_secs(ttl),
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .insert_actor_token(&token, &frontdesk_crypto::sha256_hex(text.as_bytes()))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("user"),
            other => other.into(),
        })?;
    Ok((token, text))
}

/// The URL that spends an actor token: Frontdesk's ticket endpoint, which
/// signs the browser that opens it in as the user.
pub fn actor_token_url(state: &AppState, text: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("ticket", text)
        .finish();
    format!(
        "{}/v1/tickets/accept?{q}",
        state.instance.public_url.origin()
    )
}

/// Revoke a pending actor token; one that is not pending is returned as it
/// is (Clerk answers with the token).
pub async fn revoke_actor_token(state: &AppState, raw_id: &str) -> ApiResult<ActorToken> {
    let id: ActorTokenId = raw_id
        .parse()
        .map_err(|_| ApiError::not_found("actor token"))?;
    if let Some(t) = state
        .store
        .revoke_actor_token(&id, UnixMillis::now())
        .await?
    {
        return Ok(t);
    }
    state
        .store
        .actor_token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("actor token"))
}

/// Spend an actor token's text, if it is one that works.
pub async fn accept_actor_token(state: &AppState, text: &str) -> ApiResult<Option<ActorToken>> {
    if text.is_empty() || text.len() > 128 {
        return Ok(None);
    }
    Ok(state
        .store
        .accept_actor_token(
            &frontdesk_crypto::sha256_hex(text.as_bytes()),
            UnixMillis::now(),
        )
        .await?)
}

/// The dashboard's "impersonate": an actor token for `target` acted by the
/// administrator, recorded; its URL.
pub async fn impersonate(
    state: &AppState,
    operator: &Operator,
    by: &Audit,
    target: &User,
) -> ApiResult<(ActorToken, String)> {
    if target.id == operator.user.id {
        return Err(ApiError::bad_param(
            "user_id",
            "form_param_value_invalid",
            "You are signed in as yourself already.",
        ));
    }
    let actor = json!({"sub": operator.user.id.as_str()});
    let (token, text) = create_actor_token(state, target.id.as_str(), actor, None, None).await?;
    by.record(
        state.store.as_ref(),
        AuditAction::UserImpersonated,
        Some(target.id.as_str()),
        json!({"actor_token_id": token.id.as_str(), "session_max_secs": token.session_max_secs}),
    )
    .await?;
    Ok((token, actor_token_url(state, &text)))
}
