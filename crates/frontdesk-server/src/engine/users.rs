//! The administrator's account changes (the Backend API's `/v1/users…`):
//! create, change, merge or replace metadata, ban and lock, verify a
//! password, delete. Every change is one targeted store write; changes
//! computed from what is stored (a metadata merge, a new primary address)
//! are written only over the version they were computed from.

use frontdesk_crypto::PasswordHasher;
use frontdesk_domain::entities::{SessionStatus, User, Verification, VerificationStatus};
use frontdesk_domain::metadata::{MAX_METADATA_BYTES, deep_merge};
use frontdesk_domain::{EmailAddress, NewPassword, UnixMillis};
use frontdesk_store::{EndSessions, UserPatch};
use frontdesk_types::UserId;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::render;
use crate::services::passwords;
use crate::state::AppState;

/// A path id that is not a user id is simply a user that does not exist.
pub fn parse_user_id(raw: &str) -> ApiResult<UserId> {
    raw.parse().map_err(|_| ApiError::not_found("user"))
}

/// The user `raw` names, or "not found".
pub async fn load_user(state: &AppState, raw: &str) -> ApiResult<User> {
    let id = parse_user_id(raw)?;
    state
        .store
        .get_user(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

/// `Some(None)` when the field is present and null, `None` when absent.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Refuse oversized metadata objects before anything is written.
fn check_metadata_objects(
    public: &Option<Map<String, Value>>,
    private: &Option<Map<String, Value>>,
    unsafe_: &Option<Map<String, Value>>,
) -> ApiResult<()> {
    for (param, m) in [
        ("public_metadata", public),
        ("private_metadata", private),
        ("unsafe_metadata", unsafe_),
    ] {
        if let Some(m) = m {
            check_metadata(param, m)?;
        }
    }
    Ok(())
}

/// A new user, as Clerk's `POST /v1/users` describes it.
#[derive(Deserialize)]
pub struct NewUser {
    #[serde(default)]
    pub email_address: Vec<String>,
    #[serde(default)]
    pub phone_number: Vec<String>,
    #[serde(default)]
    pub web3_wallet: Vec<String>,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    #[serde(default)]
    pub skip_password_checks: bool,
    #[serde(default)]
    pub skip_password_requirement: bool,
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
    pub unsafe_metadata: Option<Map<String, Value>>,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    pub banned: Option<bool>,
    pub locked: Option<bool>,
}

pub(crate) fn check_username(name: &str) -> ApiResult<()> {
    frontdesk_domain::Username::parse(name)
        .map(drop)
        .map_err(|_| {
            ApiError::bad_param(
                "username",
                "form_username_invalid_character",
                "Usernames are 4 to 64 characters of letters, digits, `_`, `-` and `.`",
            )
        })
}

/// A first or last name by the same rule as everywhere else (no control or
/// invisible characters, at most 256 characters; empty clears it).
fn person_name(param: &str, raw: Option<String>) -> ApiResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(raw) => frontdesk_domain::PersonName::parse(&raw)
            .map(|n| n.map(frontdesk_domain::PersonName::into_string))
            .map_err(|e| {
                ApiError::bad_param(param, "form_param_format_invalid", format!("`{param}` {e}"))
            }),
    }
}

/// The user as a change left it, with `user.updated` and the events of the
/// sessions it ended rendered from that state.
async fn apply(
    state: &AppState,
    id: &UserId,
    patch: &UserPatch,
) -> Result<frontdesk_store::PatchedUser, frontdesk_store::StoreError> {
    let events = state.events();
    state
        .store
        .patch_user(id, patch, UnixMillis::now(), &|u, ended| {
            let mut out = vec![events.user_updated(u)];
            out.extend(ended.iter().filter_map(|s| events.session_ended(s, u)));
            out
        })
        .await
}

pub(crate) fn check_metadata(param: &str, m: &Map<String, Value>) -> ApiResult<()> {
    let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_METADATA_BYTES {
        return Err(ApiError::bad_param(
            param,
            "form_metadata_too_large",
            format!("`{param}` may be at most {MAX_METADATA_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A new password from `password`, or an imported digest; checks as Clerk does.
async fn password_digest(
    state: &AppState,
    password: Option<&str>,
    digest: Option<(String, Option<String>)>,
    skip_checks: bool,
) -> ApiResult<Option<String>> {
    match (password, digest) {
        (Some(_), Some(_)) => Err(ApiError::bad_param(
            "password_digest",
            "form_param_value_invalid",
            "Send either `password` or `password_digest`, not both",
        )),
        (Some(pw), None) => {
            // `skip_password_checks` is for imports: only the hard limits stay.
            let parsed = if skip_checks {
                NewPassword::parse(pw, 0)
                    .map_err(|e| ApiError::bad_param("password", e.code(), e.to_string()))?
            } else {
                passwords::parse_new(state, pw, "password", &[])?
            };
            Ok(Some(passwords::hash(state, &parsed).await?))
        }
        (None, Some((digest, hasher))) => {
            let hasher = hasher.ok_or_else(|| {
                ApiError::bad_param(
                    "password_hasher",
                    "form_param_missing",
                    "`password_hasher` is required with `password_digest`",
                )
            })?;
            PasswordHasher::check_import(&hasher, &digest).map_err(|e| {
                ApiError::bad_param(
                    "password_digest",
                    "form_param_format_invalid",
                    e.to_string(),
                )
            })?;
            Ok(Some(digest))
        }
        (None, None) => Ok(None),
    }
}

/// Create a user as an administrator does: addresses verified, password
/// checked (or an imported digest), metadata within limits.
pub async fn create(state: &AppState, body: NewUser) -> ApiResult<User> {
    if !body.phone_number.is_empty() || !body.web3_wallet.is_empty() {
        let param = if body.phone_number.is_empty() {
            "web3_wallet"
        } else {
            "phone_number"
        };
        return Err(ApiError::bad_param(
            param,
            "form_param_unknown",
            format!("`{param}` identifiers are not supported yet"),
        ));
    }
    let now = UnixMillis::now();
    let mut user = User::new(now);
    let mut seen = std::collections::HashSet::new();
    for raw in &body.email_address {
        let email: EmailAddress = raw.parse().map_err(|e| {
            ApiError::bad_param(
                "email_address",
                "form_param_format_invalid",
                format!("`{raw}` {e}"),
            )
        })?;
        if !seen.insert(email.normalized()) {
            return Err(ApiError::bad_param(
                "email_address",
                "form_param_duplicate",
                format!("`{raw}` is listed twice"),
            ));
        }
        if state
            .store
            .find_user_by_email(email.as_str())
            .await?
            .is_some()
        {
            return Err(ApiError::identifier_taken("email_address", "email address"));
        }
        let verified = Verification {
            status: VerificationStatus::Verified,
            strategy: "admin".into(),
            attempts: None,
            expire_at: None,
        };
        user.add_email(&email, Some(verified), now);
    }
    if let Some(name) = &body.username {
        check_username(name)?;
    }
    if user.email_addresses.is_empty() && body.username.is_none() && body.external_id.is_none() {
        return Err(ApiError::bad_param(
            "email_address",
            "form_data_missing",
            "A user needs an email address, a username or an external id",
        ));
    }
    check_metadata_objects(
        &body.public_metadata,
        &body.private_metadata,
        &body.unsafe_metadata,
    )?;
    let digest = password_digest(
        state,
        body.password.as_deref(),
        body.password_digest
            .clone()
            .map(|d| (d, body.password_hasher.clone())),
        body.skip_password_checks,
    )
    .await?;
    if digest.is_none() && !body.skip_password_requirement && body.password_hasher.is_some() {
        return Err(ApiError::bad_param(
            "password_digest",
            "form_param_missing",
            "`password_digest` is required with `password_hasher`",
        ));
    }
    user.password_last_updated_at = digest.as_ref().map(|_| now);
    user.password_digest = digest;
    user.external_id = body.external_id;
    user.first_name = person_name("first_name", body.first_name)?;
    user.last_name = person_name("last_name", body.last_name)?;
    user.username = body.username;
    user.public_metadata = Value::Object(body.public_metadata.unwrap_or_default());
    user.private_metadata = Value::Object(body.private_metadata.unwrap_or_default());
    user.unsafe_metadata = Value::Object(body.unsafe_metadata.unwrap_or_default());
    user.delete_self_enabled = body.delete_self_enabled.unwrap_or(true);
    user.create_organization_enabled = body.create_organization_enabled.unwrap_or(true);
    user.banned = body.banned.unwrap_or(false);
    user.locked_at = body.locked.unwrap_or(false).then_some(now);
    state
        .store
        .create_user(&user, &[state.events().user_created(&user)])
        .await
        .map_err(conflict_param)?;
    Ok(user)
}

/// Name the parameter behind a uniqueness conflict.
pub(crate) fn conflict_param(e: frontdesk_store::StoreError) -> ApiError {
    match &e {
        frontdesk_store::StoreError::Conflict(what) if what.contains("username") => {
            ApiError::identifier_taken("username", "username")
        }
        frontdesk_store::StoreError::Conflict(what) if what.contains("external_id") => {
            ApiError::identifier_taken("external_id", "external id")
        }
        frontdesk_store::StoreError::Conflict(_) => {
            ApiError::identifier_taken("email_address", "email address")
        }
        _ => e.into(),
    }
}

/// Changes to a user, as Clerk's `PATCH /v1/users/{id}` describes them
/// (absent: unchanged; `null`: cleared).
#[derive(Deserialize, Default)]
pub struct UserChanges {
    #[serde(default, deserialize_with = "nullable")]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub username: Option<Option<String>>,
    pub primary_email_address_id: Option<String>,
    pub password: Option<String>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    #[serde(default)]
    pub skip_password_checks: bool,
    #[serde(default)]
    pub sign_out_of_other_sessions: bool,
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
    pub unsafe_metadata: Option<Map<String, Value>>,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
}

/// Change a user's fields; a new primary address must be one of theirs and
/// verified, checked and written as one compare-and-swap.
pub async fn update(state: &AppState, id: &UserId, body: UserChanges) -> ApiResult<User> {
    if let Some(Some(name)) = &body.username {
        check_username(name)?;
    }
    check_metadata_objects(
        &body.public_metadata,
        &body.private_metadata,
        &body.unsafe_metadata,
    )?;
    let digest = password_digest(
        state,
        body.password.as_deref(),
        body.password_digest.map(|d| (d, body.password_hasher)),
        body.skip_password_checks,
    )
    .await?;
    let end_sessions =
        (digest.is_some() && body.sign_out_of_other_sessions).then_some(EndSessions {
            status: SessionStatus::Revoked,
            except: None,
        });
    let mut change = UserPatch {
        external_id: body.external_id,
        first_name: body
            .first_name
            .map(|v| person_name("first_name", v))
            .transpose()?,
        last_name: body
            .last_name
            .map(|v| person_name("last_name", v))
            .transpose()?,
        username: body.username,
        public_metadata: body.public_metadata.map(Value::Object),
        private_metadata: body.private_metadata.map(Value::Object),
        unsafe_metadata: body.unsafe_metadata.map(Value::Object),
        password_digest: digest.map(Some),
        delete_self_enabled: body.delete_self_enabled,
        create_organization_enabled: body.create_organization_enabled,
        end_sessions,
        ..UserPatch::default()
    };
    // Which addresses may be primary depends on the user's current ones: the
    // check and the write are one compare-and-swap on the user's version.
    let done = loop {
        if let Some(primary) = &body.primary_email_address_id {
            let user = load_user(state, id.as_str()).await?;
            let email = user
                .email_addresses
                .iter()
                .find(|e| e.id.as_str() == primary)
                .ok_or_else(|| {
                    ApiError::bad_param(
                        "primary_email_address_id",
                        "form_param_value_invalid",
                        "No such email address on this user",
                    )
                })?;
            if !render::is_verified(email) {
                return Err(ApiError::bad_param(
                    "primary_email_address_id",
                    "form_param_value_invalid",
                    "Only a verified email address can be primary",
                ));
            }
            change.primary_email_address_id = Some(email.id.clone());
            change.if_version = Some(user.version);
        }
        match apply(state, id, &change).await {
            Err(frontdesk_store::StoreError::Stale) => continue,
            Err(frontdesk_store::StoreError::NotFound) => return Err(ApiError::not_found("user")),
            other => break other.map_err(conflict_param)?,
        }
    };
    Ok(done.user)
}

/// Delete a user (and with it their sessions), with `user.deleted`.
pub async fn delete(state: &AppState, raw_id: &str) -> ApiResult<UserId> {
    let user = load_user(state, raw_id).await?;
    let id = user.id.clone();
    let event = state.events().user_deleted(&user);
    state
        .store
        .delete_user(&id, &[event])
        .await
        .map_err(|e| match e {
            frontdesk_store::StoreError::NotFound => ApiError::not_found("user"),
            other => other.into(),
        })?;
    Ok(id)
}

/// Metadata to deep-merge into the stored metadata.
#[derive(Deserialize)]
pub struct MetadataMerge {
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
    pub unsafe_metadata: Option<Map<String, Value>>,
}

/// `stored` with `patch` deep-merged into it (`null` deletes a key),
/// checked for size; `None` without a patch.
pub(crate) fn merged(
    stored: &Value,
    patch: &Option<Map<String, Value>>,
    param: &str,
) -> ApiResult<Option<Value>> {
    patch
        .as_ref()
        .map(|p| {
            let mut obj = frontdesk_domain::metadata::as_object(stored);
            deep_merge(&mut obj, p);
            check_metadata(param, &obj)?;
            Ok::<_, ApiError>(Value::Object(obj))
        })
        .transpose()
}

/// Deep-merge metadata into the stored metadata (`null` deletes a key).
pub async fn merge_metadata(state: &AppState, id: &UserId, body: MetadataMerge) -> ApiResult<User> {
    // A merge is computed from the stored metadata and written only over
    // the version it was computed from; a concurrent change makes it merge
    // again, on top of that change (finding F2).
    loop {
        let user = load_user(state, id.as_str()).await?;
        let change = UserPatch {
            public_metadata: merged(
                &user.public_metadata,
                &body.public_metadata,
                "public_metadata",
            )?,
            private_metadata: merged(
                &user.private_metadata,
                &body.private_metadata,
                "private_metadata",
            )?,
            unsafe_metadata: merged(
                &user.unsafe_metadata,
                &body.unsafe_metadata,
                "unsafe_metadata",
            )?,
            if_version: Some(user.version),
            ..UserPatch::default()
        };
        match apply(state, id, &change).await {
            Ok(done) => return Ok(done.user),
            Err(frontdesk_store::StoreError::Stale) => continue,
            Err(frontdesk_store::StoreError::NotFound) => return Err(ApiError::not_found("user")),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `PUT` body: a field that is present replaces the stored value in full (no
/// merging at any level); an absent field is left alone. `null` clears the
/// field (stored as `{}`, which is how an empty field renders anyway).
#[derive(Deserialize)]
pub struct MetadataReplace {
    #[serde(default, deserialize_with = "nullable")]
    pub public_metadata: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub private_metadata: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub unsafe_metadata: Option<Option<Map<String, Value>>>,
}

/// `PUT /v1/users/{id}/metadata`: `@clerk/backend`'s `replaceUserMetadata()`,
/// and its deprecated `updateUser(id, { publicMetadata, … })`.
pub async fn replace_metadata(
    state: &AppState,
    id: &UserId,
    body: MetadataReplace,
) -> ApiResult<User> {
    let mut replaced: [Option<Value>; 3] = [None, None, None];
    for (slot, (given, param)) in replaced.iter_mut().zip([
        (body.public_metadata, "public_metadata"),
        (body.private_metadata, "private_metadata"),
        (body.unsafe_metadata, "unsafe_metadata"),
    ]) {
        if let Some(given) = given {
            let obj = given.unwrap_or_default();
            check_metadata(param, &obj)?;
            *slot = Some(Value::Object(obj));
        }
    }
    let [public_metadata, private_metadata, unsafe_metadata] = replaced;
    let change = UserPatch {
        public_metadata,
        private_metadata,
        unsafe_metadata,
        ..UserPatch::default()
    };
    let done = apply(state, id, &change).await.map_err(not_found_user)?;
    Ok(done.user)
}

fn not_found_user(e: frontdesk_store::StoreError) -> ApiError {
    match e {
        frontdesk_store::StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

/// Revoke every live session along with the change: banned and locked users
/// are signed out everywhere at once (security.md D7, finding F13).
fn revoking(change: UserPatch) -> UserPatch {
    UserPatch {
        end_sessions: Some(EndSessions {
            status: SessionStatus::Revoked,
            except: None,
        }),
        ..change
    }
}

/// An administrator's decision on whether a user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Banned: every session revoked, sign-in refused until unbanned.
    Ban,
    Unban,
    /// Locked (as after too many failed attempts): every session revoked.
    Lock,
    Unlock,
}

/// Ban, unban, lock or unlock a user; banning and locking revoke every live
/// session in the same transaction (security.md D7, finding F13).
pub async fn set_standing(state: &AppState, raw_id: &str, standing: Standing) -> ApiResult<User> {
    set_standing_keeping(state, raw_id, standing, false).await
}

/// [`set_standing`]; with `keep_an_admin`, a ban that would leave the
/// instance no administrator who can sign in is refused, decided in the
/// ban's transaction (the dashboard's: two administrators banning each
/// other at once cannot both succeed).
pub async fn set_standing_keeping(
    state: &AppState,
    raw_id: &str,
    standing: Standing,
    keep_an_admin: bool,
) -> ApiResult<User> {
    let id = parse_user_id(raw_id)?;
    let change = match standing {
        Standing::Ban => revoking(UserPatch {
            banned: Some(true),
            keep_an_admin,
            ..UserPatch::default()
        }),
        Standing::Unban => UserPatch {
            banned: Some(false),
            ..UserPatch::default()
        },
        Standing::Lock => revoking(UserPatch {
            locked: Some(true),
            ..UserPatch::default()
        }),
        Standing::Unlock => UserPatch {
            locked: Some(false),
            ..UserPatch::default()
        },
    };
    let done = apply(state, &id, &change).await.map_err(not_found_user)?;
    Ok(done.user)
}

/// End every live session of the user (the dashboard's "sign out
/// everywhere"), in one transaction with the user's `updated_at`.
pub async fn sign_out_everywhere(state: &AppState, raw_id: &str) -> ApiResult<User> {
    let id = parse_user_id(raw_id)?;
    let done = apply(state, &id, &revoking(UserPatch::default()))
        .await
        .map_err(not_found_user)?;
    Ok(done.user)
}

/// Whether `password` is the user's (no failure is counted: the caller is
/// the app, with its secret key).
pub async fn verify_password(state: &AppState, raw_id: &str, password: &str) -> ApiResult<()> {
    let user = load_user(state, raw_id).await?;
    if password.len() > frontdesk_domain::password::MAX_PASSWORD_CHARS * 4 {
        return Err(incorrect_password());
    }
    if user.password_digest.is_none() {
        return Err(ApiError::bad_param(
            "password",
            "password_not_set",
            "This user has no password",
        ));
    }
    let digest = user.password_digest.clone();
    if passwords::verify(state, &user, digest, password).await? {
        Ok(())
    } else {
        Err(incorrect_password())
    }
}

fn incorrect_password() -> ApiError {
    ApiError::bad_param(
        "password",
        "incorrect_password",
        "Password is incorrect. Try again, or use another method.",
    )
}
