//! The signed-in user's own account: who is signed in on this browser, their
//! names and password, and the sessions on their devices.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionStatus, User};
use frontdesk_store::{EndSessions, SessionQuery, UserPatch};
use frontdesk_types::SessionId;

use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::services::credentials::{self, Credential};
use crate::services::{passwords, sessions};
use crate::state::AppState;

/// The live session `session_id` (else the client's active one) of the
/// caller's client, and its user; 401 when signed out.
pub async fn signed_in(
    state: &AppState,
    browser: &Browser,
    session_id: Option<&str>,
) -> ApiResult<(Session, User)> {
    let signed_out = || ApiError::unauthorized("You are signed out.");
    let client = browser.client.as_ref().ok_or_else(signed_out)?;
    let id: SessionId = match session_id {
        Some(raw) => raw.parse().map_err(|_| signed_out())?,
        None => client
            .last_active_session_id
            .clone()
            .ok_or_else(signed_out)?,
    };
    let now = UnixMillis::now();
    let session = state
        .store
        .get_session(&id)
        .await?
        .filter(|s| s.client_id == client.id && s.status_at(now).is_live())
        .ok_or_else(signed_out)?;
    let user = state
        .store
        .get_user(&session.user_id)
        .await?
        .ok_or_else(signed_out)?;
    Ok((session, user))
}

fn name(param: &str, v: &str) -> ApiResult<Option<String>> {
    frontdesk_domain::PersonName::parse(v)
        .map(|n| n.map(frontdesk_domain::PersonName::into_string))
        .map_err(|e| {
            ApiError::bad_param(param, "form_param_format_invalid", format!("{param} {e}"))
        })
}

/// Change the user's names (`None`: unchanged; empty: cleared), and only them.
pub async fn rename(
    state: &AppState,
    user: &User,
    first_name: Option<String>,
    last_name: Option<String>,
) -> ApiResult<User> {
    let patch = UserPatch {
        first_name: first_name
            .as_deref()
            .map(|v| name("first_name", v))
            .transpose()?,
        last_name: last_name
            .as_deref()
            .map(|v| name("last_name", v))
            .transpose()?,
        ..UserPatch::default()
    };
    let events = state.events();
    let done = state
        .store
        .patch_user(&user.id, &patch, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?;
    Ok(done.user)
}

/// Set (or, where it is optional, clear) the signed-in `user`'s username,
/// on an instance that offers usernames; one taken by another account is
/// refused by the store's unique index, not by a read before the write.
pub async fn set_username(state: &AppState, user: &User, raw: &str) -> ApiResult<User> {
    let rule = state.settings().settings.sign_up.username;
    if !rule.enabled {
        return Err(ApiError::bad_param(
            "username",
            "form_param_unknown",
            "Usernames are not enabled on this instance.",
        ));
    }
    let value = raw.trim();
    let username = if value.is_empty() {
        if rule.required {
            return Err(ApiError::bad_param(
                "username",
                "form_param_missing",
                "Enter a username.",
            ));
        }
        None
    } else {
        super::users::check_username(value)?;
        Some(value.to_owned())
    };
    let patch = UserPatch {
        username: Some(username),
        ..UserPatch::default()
    };
    let events = state.events();
    let done = state
        .store
        .patch_user(&user.id, &patch, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await
        .map_err(super::users::conflict_param)?;
    Ok(done.user)
}

/// Replace the password of the signed-in `user`, who proves they know the
/// current one (a wrong one counts toward the account's lockout, like any
/// other failed password: finding F16); with `sign_out_others`, every other
/// session is revoked in the same transaction.
pub async fn set_password(
    state: &AppState,
    session: &Session,
    user: &User,
    current_password: &str,
    new_password: &str,
    sign_out_others: bool,
) -> ApiResult<User> {
    let new = passwords::parse_new(
        state,
        new_password,
        "new_password",
        &passwords::context_of(user),
    )?;
    if user.password_digest.is_some() {
        if let Err(denied) =
            credentials::check_password(state, Some(&user.id), current_password).await?
        {
            return Err(denied.error(state, Credential::CurrentPassword));
        }
        if let Err(denied) = credentials::standing(state, &user.id).await? {
            return Err(denied.error(state, Credential::CurrentPassword));
        }
    }
    let patch = UserPatch {
        password_digest: Some(Some(passwords::hash(state, &new).await?)),
        end_sessions: sign_out_others.then(|| EndSessions {
            status: SessionStatus::Revoked,
            except: Some(session.id.clone()),
        }),
        ..UserPatch::default()
    };
    let events = state.events();
    let done = state
        .store
        .patch_user(&user.id, &patch, UnixMillis::now(), &|u, ended| {
            let mut out = vec![events.user_updated(u)];
            out.extend(ended.iter().filter_map(|s| events.session_ended(s, u)));
            out
        })
        .await?;
    Ok(done.user)
}

/// The user's live sessions, on every device.
pub async fn live_sessions(state: &AppState, user: &User) -> ApiResult<Vec<Session>> {
    let now = UnixMillis::now();
    Ok(state
        .store
        .list_sessions(&SessionQuery {
            user_id: Some(user.id.clone()),
            client_id: None,
            status: Some(SessionStatus::Active),
            limit: 100,
            offset: 0,
        })
        .await?
        .into_iter()
        .filter(|s| s.status_at(now).is_live())
        .collect())
}

/// Revoke the user's session `id` (any of their devices).
pub async fn revoke(state: &AppState, user: &User, id: &str) -> ApiResult<Session> {
    let id: SessionId = id.parse().map_err(|_| ApiError::not_found("session"))?;
    let target = state
        .store
        .get_session(&id)
        .await?
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    match sessions::end(state, &target, SessionStatus::Revoked, UnixMillis::now()).await {
        Ok(s) => Ok(s),
        Err(frontdesk_store::StoreError::NotFound) => Ok(target),
        Err(e) => Err(e.into()),
    }
}

/// End every live session of a client.
pub async fn end_client_sessions(
    state: &AppState,
    client_id: &frontdesk_types::ClientId,
    status: SessionStatus,
) -> ApiResult<()> {
    let now = UnixMillis::now();
    let live = state
        .store
        .list_sessions(&SessionQuery {
            user_id: None,
            client_id: Some(client_id.clone()),
            status: Some(SessionStatus::Active),
            limit: 500,
            offset: 0,
        })
        .await?;
    for s in live {
        match crate::services::sessions::end(state, &s, status, now).await {
            Ok(_) | Err(frontdesk_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
