//! The signed-in user's own email addresses (`<UserProfile/>`'s Account
//! tab, `/v1/me/email_addresses…`): add one, prove it with a mailed code,
//! make it primary, remove it; and deleting one's own account.
//!
//! A code is tried on a stored [`EmailVerification`] under compare-and-swap
//! (the same transition as sign-in codes: five tries, ten minutes, once);
//! wrong codes also count toward the account's lockout.

use frontdesk_domain::entities::{EmailAddressRecord, User, Verification, VerificationStatus};
use frontdesk_domain::flows::{CodeOutcome, CodeStrategy, EmailVerification};
use frontdesk_domain::{EmailAddress, UnixMillis};
use frontdesk_store::{StoreError, UserPatch};
use frontdesk_types::{EmailAddressId, UserId};

use super::{code_error, flows};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::services::credentials::{self, Credential, Denied};
use crate::services::mail::Purpose;
use crate::services::{codes, mail};
use crate::state::AppState;

fn not_found() -> ApiError {
    ApiError::not_found("email address")
}

/// One of the user's addresses, by its id.
pub fn own<'u>(user: &'u User, raw_id: &str) -> ApiResult<&'u EmailAddressRecord> {
    user.email_addresses
        .iter()
        .find(|e| e.id.as_str() == raw_id)
        .ok_or_else(not_found)
}

/// Add an unverified address. `email.created` is not sent: no mail yet.
pub async fn add(state: &AppState, user: &User, raw: &str) -> ApiResult<EmailAddressRecord> {
    let address: EmailAddress = raw.parse().map_err(|e| {
        ApiError::bad_param(
            "email_address",
            "form_param_format_invalid",
            format!("`{raw}` {e}"),
        )
    })?;
    let now = UnixMillis::now();
    let record = EmailAddressRecord {
        id: EmailAddressId::generate(),
        user_id: user.id.clone(),
        email_address: address.as_str().to_owned(),
        verification: None,
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .add_email(&record, &[])
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::identifier_taken("email_address", "email address"),
            other => other.into(),
        })?;
    Ok(record)
}

fn already_verified() -> ApiError {
    ApiError::bad_param(
        "email_address",
        "verification_already_verified",
        "This email address is already verified.",
    )
}

fn pending(expire_at: UnixMillis, attempts: i32) -> Verification {
    Verification {
        status: VerificationStatus::Unverified,
        strategy: CodeStrategy::EmailCode.as_str().to_owned(),
        attempts: Some(attempts),
        expire_at: Some(expire_at),
    }
}

/// Mail a code to one of the user's unverified addresses.
pub async fn prepare(
    state: &AppState,
    browser: &mut Browser,
    user: &User,
    raw_id: &str,
) -> ApiResult<EmailAddressRecord> {
    let email = own(user, raw_id)?.clone();
    if crate::render::is_verified(&email) {
        return Err(already_verified());
    }
    let client = browser.ensure_client(state).await?;
    let now = UnixMillis::now();
    let id = email.id.to_string();
    if flows::load::<EmailVerification>(state, browser, &id)
        .await
        .is_err()
    {
        let fresh = EmailVerification::new(id.clone(), user.id.to_string());
        match flows::insert(state, &client.id, &fresh, now).await {
            // Another browser (or request) of this user started one: this
            // browser cannot use it, so it is not found below either way.
            Ok(()) | Err(ApiError::Client { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let (_, issued) = flows::change::<EmailVerification, _>(state, browser, &id, |v| {
        let (challenge, code) = codes::issue(
            state,
            &v.id,
            &email.email_address,
            CodeStrategy::EmailCode,
            v.challenge.as_ref(),
            now,
        )?;
        let expire_at = challenge.expire_at;
        v.code_sent(challenge);
        Ok::<_, ApiError>((code, expire_at))
    })
    .await?;
    let (code, expire_at) = issued?;
    let updated = EmailAddressRecord {
        verification: Some(pending(expire_at, 0)),
        updated_at: now,
        ..email
    };
    // Conditional: a code tried while this one was issued may have verified
    // the address; it stays verified and no mail goes out.
    let pended = state
        .store
        .pend_email_verification(&updated.id, &pending(expire_at, 0), now)
        .await?;
    if !pended {
        return Err(already_verified());
    }
    mail::send_code(state, &updated.email_address, &code, Purpose::SignUp, true).await?;
    Ok(updated)
}

/// Try the mailed code; a right one verifies the address.
pub async fn attempt(
    state: &AppState,
    browser: &mut Browser,
    user: &User,
    raw_id: &str,
    code: &str,
) -> ApiResult<EmailAddressRecord> {
    let email = own(user, raw_id)?.clone();
    let id = email.id.to_string();
    let now = UnixMillis::now();
    let (v, outcome) = flows::change::<EmailVerification, _>(state, browser, &id, |v| {
        let salt = v.id.clone();
        v.try_code(|c| codes::matches(&salt, c, code), now)
    })
    .await?;
    let attempts = v.challenge.as_ref().map_or(0, |c| c.attempts);
    match outcome {
        CodeOutcome::Verified => {
            let verified = EmailAddressRecord {
                verification: Some(Verification {
                    status: VerificationStatus::Verified,
                    strategy: CodeStrategy::EmailCode.as_str().to_owned(),
                    attempts: Some(attempts),
                    expire_at: v.challenge.as_ref().map(|c| c.expire_at),
                }),
                updated_at: now,
                ..email
            };
            let after = state
                .store
                .get_user(&user.id)
                .await?
                .ok_or_else(|| ApiError::not_found("user"))?;
            let mut shown = after.clone();
            if let Some(slot) = shown
                .email_addresses
                .iter_mut()
                .find(|e| e.id == verified.id)
            {
                *slot = verified.clone();
            }
            let event = state.events().user_updated(&shown);
            state.store.update_email(&verified, &[event]).await?;
            Ok(verified)
        }
        CodeOutcome::Incorrect | CodeOutcome::Failed => {
            Err(match credentials::count_failure(state, &user.id).await? {
                Denied::Incorrect => code_error(outcome),
                other => other.error(state, Credential::Code),
            })
        }
        other => Err(code_error(other)),
    }
}

/// Make a verified address the primary one.
pub async fn make_primary(state: &AppState, user: &User, raw_id: &str) -> ApiResult<User> {
    let email = own(user, raw_id)?;
    if !crate::render::is_verified(email) {
        return Err(ApiError::bad_param(
            "primary_email_address_id",
            "form_param_value_invalid",
            "Only a verified email address can be primary.",
        ));
    }
    let events = state.events();
    let patch = UserPatch {
        primary_email_address_id: Some(email.id.clone()),
        ..UserPatch::default()
    };
    Ok(state
        .store
        .patch_user(&user.id, &patch, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?
        .user)
}

/// Remove an address; never the primary one (the account would have no
/// address to sign in with or to be reached at).
pub async fn remove(state: &AppState, user: &User, raw_id: &str) -> ApiResult<EmailAddressId> {
    let email = own(user, raw_id)?;
    if user.primary_email_address_id.as_ref() == Some(&email.id) {
        return Err(ApiError::bad_param(
            "email_address",
            "primary_email_address_cannot_be_deleted",
            "Make another address primary before removing this one.",
        ));
    }
    let mut left = user.clone();
    left.email_addresses.retain(|e| e.id != email.id);
    let event = state.events().user_updated(&left);
    state
        .store
        .delete_email(&email.id, &[event])
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(),
            other => other.into(),
        })?;
    Ok(email.id.clone())
}

/// Delete one's own account, when it may delete itself (Clerk's
/// `delete_self_enabled`): the user, their sessions, `user.deleted`.
pub async fn delete_self(state: &AppState, user: &User) -> ApiResult<UserId> {
    if !user.delete_self_enabled {
        return Err(ApiError::client(
            axum::http::StatusCode::FORBIDDEN,
            frontdesk_types::ClerkError::new(
                "delete_self_not_enabled",
                "Deleting your account is not allowed",
                "This account cannot be deleted by its owner; ask an administrator.",
            ),
        ));
    }
    super::users::delete(state, user.id.as_str()).await
}
