//! Second factors: the user's authenticator app (TOTP, RFC 6238) and backup
//! codes — enrolled from their profile, checked at sign-in.
//!
//! Every check ends in one conditional statement in the store: a TOTP code
//! is accepted only for a time step after the last accepted one, a backup
//! code only while unused. Two requests with one code therefore get one
//! yes. Wrong codes count toward the account's lockout, like passwords.

use frontdesk_crypto::backup;
use frontdesk_crypto::totp::{self, TotpSecret};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{BackupCodeSet, TotpRecord, User};
use frontdesk_domain::flows::SecondFactor;
use frontdesk_types::UserId;

use crate::error::{ApiError, ApiResult};
use crate::services::credentials::{self, Credential, Denied};
use crate::services::passwords;
use crate::state::AppState;

/// The second factors a sign-in asks of `user` on this instance (empty:
/// none). Backup codes only stand in for an app that is on.
pub fn second_factors(state: &AppState, user: &User) -> Vec<SecondFactor> {
    let rules = state.settings().settings.mfa;
    if !(rules.totp && user.mfa.totp_enabled) {
        return Vec::new();
    }
    let mut out = vec![SecondFactor::Totp];
    if rules.backup_codes && user.mfa.backup_code_enabled {
        out.push(SecondFactor::BackupCode);
    }
    out
}

/// Whether `user` must add a second factor before their session is active
/// (the instance requires one and they have none).
pub fn setup_required(state: &AppState, user: &User) -> bool {
    state.settings().settings.mfa.required && second_factors(state, user).is_empty()
}

/// The key of the session task that asks for a second factor.
pub const SETUP_TASK: &str = "setup-mfa";

fn unix_secs(now: UnixMillis) -> u64 {
    u64::try_from(now.as_secs()).unwrap_or(0)
}

/// The step `code` is right for, given the stored secret (and steps spent).
fn matching_step(record: &TotpRecord, code: &str, now: UnixMillis) -> ApiResult<Option<i64>> {
    let secret = TotpSecret::from_base32(&record.secret)
        .map_err(|_| ApiError::internal("a stored TOTP secret is not base32"))?;
    let last = record.last_used_step.and_then(|s| u64::try_from(s).ok());
    Ok(totp::verify(&secret, code, unix_secs(now), last).and_then(|s| i64::try_from(s).ok()))
}

/// Check a code from the user's app at sign-in, spending its step.
pub async fn check_totp(
    state: &AppState,
    user_id: &UserId,
    code: &str,
    now: UnixMillis,
) -> ApiResult<bool> {
    let Some(record) = state.store.totp(user_id).await?.filter(|t| t.verified) else {
        return Ok(false);
    };
    match matching_step(&record, code, now)? {
        Some(step) => Ok(state.store.spend_totp_step(user_id, step, now).await?),
        None => Ok(false),
    }
}

/// Spend one of the user's backup codes.
pub async fn spend_backup_code(
    state: &AppState,
    user_id: &UserId,
    code: &str,
    now: UnixMillis,
) -> ApiResult<bool> {
    let Some(salt) = state.store.backup_code_salt(user_id).await? else {
        return Ok(false);
    };
    let typed = backup::normalize(code);
    if typed.len() != backup::CODE_LEN {
        return Ok(false);
    }
    let hash = passwords::derive(state, vec![typed], &salt)
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("no derivation"))?;
    Ok(state.store.spend_backup_code(user_id, &hash, now).await?)
}

/// Check a second factor (a wrong one counts toward lockout); `Ok(Err)` is
/// the refusal to show.
pub async fn check(
    state: &AppState,
    user_id: &UserId,
    factor: SecondFactor,
    code: &str,
    now: UnixMillis,
) -> ApiResult<Result<(), ApiError>> {
    // Every factor is named here, so that a new one does not compile until
    // it says how it is checked.
    let right = match factor {
        SecondFactor::Totp => check_totp(state, user_id, code, now).await?,
        SecondFactor::BackupCode => spend_backup_code(state, user_id, code, now).await?,
    };
    if right {
        return Ok(Ok(()));
    }
    Ok(Err(refused(state, user_id).await?))
}

/// Count a wrong code against the account and say why it was refused.
pub async fn refused(state: &AppState, user_id: &UserId) -> ApiResult<ApiError> {
    Ok(match credentials::count_failure(state, user_id).await? {
        Denied::Incorrect => super::code_error(frontdesk_domain::flows::CodeOutcome::Incorrect),
        other => other.error(state, Credential::Code),
    })
}

fn not_offered() -> ApiError {
    ApiError::bad_param(
        "strategy",
        "feature_not_enabled",
        "Authenticator apps are not enabled on this instance.",
    )
}

/// Start (or restart) adding an app: a new pending secret. Refused when the
/// user already has a verified one (Clerk: one per user).
pub async fn create_totp(state: &AppState, user: &User) -> ApiResult<TotpRecord> {
    if !state.settings().settings.mfa.totp {
        return Err(not_offered());
    }
    let now = UnixMillis::now();
    let record = TotpRecord {
        id: format!("totp_{}", frontdesk_types::id::random_base62(24)),
        user_id: user.id.clone(),
        secret: TotpSecret::generate().to_base32(),
        verified: false,
        last_used_step: None,
        created_at: now,
        updated_at: now,
    };
    if !state.store.put_pending_totp(&record).await? {
        return Err(ApiError::bad_param(
            "totp",
            "totp_already_enabled",
            "An authenticator app is already set up. Remove it to add another.",
        ));
    }
    Ok(record)
}

/// The `otpauth://` URI an app scans: issuer the application's name, account
/// the user's email address (else username, else id).
pub fn uri(state: &AppState, user: &User, record: &TotpRecord) -> ApiResult<String> {
    let secret = TotpSecret::from_base32(&record.secret)
        .map_err(|_| ApiError::internal("a stored TOTP secret is not base32"))?;
    let issuer = state.settings().settings.branding.application_name.clone();
    let account = user
        .primary_email()
        .map(|e| e.email_address.clone())
        .or_else(|| user.username.clone())
        .unwrap_or_else(|| user.id.to_string());
    Ok(secret.otpauth_uri(&issuer, &account))
}

/// A new set of backup codes: the codes to show once, and the set to store.
async fn new_backup_codes(state: &AppState) -> ApiResult<(Vec<String>, BackupCodeSet)> {
    let codes = backup::generate();
    let salt = backup::new_salt();
    let hashes = passwords::derive(state, codes.clone(), &salt).await?;
    Ok((codes, BackupCodeSet { salt, hashes }))
}

/// Confirm the pending app with a code from it. Returns the confirmed
/// record, the backup codes to show (when the instance offers them) and the
/// user as left. A wrong code counts toward lockout.
pub async fn verify_totp(
    state: &AppState,
    user: &User,
    code: &str,
) -> ApiResult<(TotpRecord, Option<Vec<String>>, User)> {
    let now = UnixMillis::now();
    let pending = state
        .store
        .totp(&user.id)
        .await?
        .filter(|t| !t.verified)
        .ok_or_else(|| {
            ApiError::bad_param(
                "code",
                "verification_not_pending",
                "There is no authenticator app being added. Start again.",
            )
        })?;
    let Some(step) = matching_step(&pending, code, now)? else {
        return Err(refused(state, &user.id).await?);
    };
    let backup = if state.settings().settings.mfa.backup_codes {
        Some(new_backup_codes(state).await?)
    } else {
        None
    };
    let events = state.events();
    let updated = state
        .store
        .enable_totp(
            &user.id,
            &pending.id,
            step,
            backup.as_ref().map(|(_, set)| set),
            now,
            &|u, _| vec![events.user_updated(u)],
        )
        .await?
        .ok_or_else(|| super::code_error(frontdesk_domain::flows::CodeOutcome::Incorrect))?;
    // A session waiting for a second factor has one now.
    state.store.activate_pending_sessions(&user.id, now).await?;
    let record = TotpRecord {
        verified: true,
        last_used_step: Some(step),
        updated_at: now,
        ..pending
    };
    Ok((record, backup.map(|(codes, _)| codes), updated))
}

/// Remove every second factor of the user (Clerk's `DELETE
/// /v1/users/{id}/mfa`, the dashboard's "reset two-step verification").
pub async fn disable_all(state: &AppState, user_id: &UserId) -> ApiResult<()> {
    delete_totp(state, user_id).await?;
    delete_backup_codes(state, user_id).await?;
    Ok(())
}

/// Remove the app, and the backup codes with it.
pub async fn delete_totp(state: &AppState, user_id: &UserId) -> ApiResult<Option<(String, User)>> {
    let id = state.store.totp(user_id).await?.map(|t| t.id);
    let events = state.events();
    let user = state
        .store
        .delete_totp(user_id, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?;
    Ok(id.zip(user))
}

/// Replace the user's backup codes (offered once a real second factor is
/// on). Returns the codes to show once, and the user as left.
pub async fn regenerate_backup_codes(
    state: &AppState,
    user: &User,
) -> ApiResult<(Vec<String>, User)> {
    if !state.settings().settings.mfa.backup_codes {
        return Err(ApiError::bad_param(
            "strategy",
            "feature_not_enabled",
            "Backup codes are not enabled on this instance.",
        ));
    }
    if !user.mfa.two_factor_enabled() {
        return Err(ApiError::bad_param(
            "strategy",
            "no_second_factors",
            "Add an authenticator app before creating backup codes.",
        ));
    }
    let (codes, set) = new_backup_codes(state).await?;
    let events = state.events();
    let updated = state
        .store
        .replace_backup_codes(&user.id, &set, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?;
    Ok((codes, updated))
}

/// Remove the user's backup codes (Backend API).
pub async fn delete_backup_codes(state: &AppState, user_id: &UserId) -> ApiResult<Option<User>> {
    let events = state.events();
    Ok(state
        .store
        .delete_backup_codes(user_id, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?)
}
