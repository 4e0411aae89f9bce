//! Backend API: users (`/v1/users…`).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, patch, post};
use frontdesk_crypto::PasswordHasher;
use frontdesk_domain::entities::SessionStatus;
use frontdesk_domain::entities::{User, Verification, VerificationStatus};
use frontdesk_domain::metadata::{MAX_METADATA_BYTES, deep_merge};
use frontdesk_domain::{EmailAddress, NewPassword, UnixMillis};
use frontdesk_store::{EndSessions, UserFilter, UserOrderField, UserPatch, UserQuery};
use frontdesk_types::UserId;
use frontdesk_types::common::{DeletedObject, TotalCount};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render;
use crate::services::passwords;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", get(list).post(create))
        .route("/v1/users/count", get(count))
        .route(
            "/v1/users/{user_id}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/v1/users/{user_id}/metadata",
            patch(merge_metadata).put(replace_metadata),
        )
        .route("/v1/users/{user_id}/ban", post(ban))
        .route("/v1/users/{user_id}/unban", post(unban))
        .route("/v1/users/{user_id}/lock", post(lock))
        .route("/v1/users/{user_id}/unlock", post(unlock))
        .route("/v1/users/{user_id}/verify_password", post(verify_password))
}

/// A path id that is not a user id is simply a user that does not exist.
pub fn parse_user_id(raw: &str) -> ApiResult<UserId> {
    raw.parse().map_err(|_| ApiError::not_found("user"))
}

pub async fn load_user(state: &AppState, raw: &str) -> ApiResult<User> {
    let id = parse_user_id(raw)?;
    state
        .store
        .get_user(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

fn user_filter(q: &QueryParams) -> UserFilter {
    UserFilter {
        email_addresses: q.all("email_address"),
        user_ids: q.all("user_id"),
        external_ids: q.all("external_id"),
        usernames: q.all("username"),
        query: q.text("query"),
    }
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Vec<frontdesk_types::user::User>>> {
    let (limit, offset) = q.page()?;
    let order = q
        .text("order_by")
        .unwrap_or_else(|| "-created_at".to_owned());
    let (order_by, descending) = UserOrderField::parse(&order).ok_or_else(|| {
        ApiError::bad_param(
            "order_by",
            "form_param_value_invalid",
            format!("`order_by` cannot be `{order}`"),
        )
    })?;
    let query = UserQuery {
        filter: user_filter(&q),
        order_by,
        descending,
        limit,
        offset,
    };
    let now = UnixMillis::now();
    let users = state.store.list_users(&query).await?;
    Ok(ApiJson(
        users.iter().map(|u| render::user(&state, u, now)).collect(),
    ))
}

async fn count(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<TotalCount>> {
    Ok(ApiJson(TotalCount::new(
        state.store.count_users(&user_filter(&q)).await?,
    )))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let user = load_user(&state, &id).await?;
    Ok(ApiJson(render::user(&state, &user, UnixMillis::now())))
}

/// `Some(None)` when the field is present and null, `None` when absent.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
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

#[derive(Deserialize)]
struct CreateUser {
    #[serde(default)]
    email_address: Vec<String>,
    #[serde(default)]
    phone_number: Vec<String>,
    #[serde(default)]
    web3_wallet: Vec<String>,
    external_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_digest: Option<String>,
    password_hasher: Option<String>,
    #[serde(default)]
    skip_password_checks: bool,
    #[serde(default)]
    skip_password_requirement: bool,
    public_metadata: Option<Map<String, Value>>,
    private_metadata: Option<Map<String, Value>>,
    unsafe_metadata: Option<Map<String, Value>>,
    delete_self_enabled: Option<bool>,
    create_organization_enabled: Option<bool>,
    banned: Option<bool>,
    locked: Option<bool>,
}

fn check_username(name: &str) -> ApiResult<()> {
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

fn check_metadata(param: &str, m: &Map<String, Value>) -> ApiResult<()> {
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

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<CreateUser>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
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
        &state,
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
    Ok(ApiJson(render::user(&state, &user, now)))
}

/// Name the parameter behind a uniqueness conflict.
fn conflict_param(e: frontdesk_store::StoreError) -> ApiError {
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

#[derive(Deserialize)]
struct UpdateUser {
    #[serde(default, deserialize_with = "nullable")]
    external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    username: Option<Option<String>>,
    primary_email_address_id: Option<String>,
    password: Option<String>,
    password_digest: Option<String>,
    password_hasher: Option<String>,
    #[serde(default)]
    skip_password_checks: bool,
    #[serde(default)]
    sign_out_of_other_sessions: bool,
    public_metadata: Option<Map<String, Value>>,
    private_metadata: Option<Map<String, Value>>,
    unsafe_metadata: Option<Map<String, Value>>,
    delete_self_enabled: Option<bool>,
    create_organization_enabled: Option<bool>,
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<UpdateUser>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let id = parse_user_id(&id)?;
    if let Some(Some(name)) = &body.username {
        check_username(name)?;
    }
    check_metadata_objects(
        &body.public_metadata,
        &body.private_metadata,
        &body.unsafe_metadata,
    )?;
    let digest = password_digest(
        &state,
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
            let user = load_user(&state, id.as_str()).await?;
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
        match apply(&state, &id, &change).await {
            Err(frontdesk_store::StoreError::Stale) => continue,
            Err(frontdesk_store::StoreError::NotFound) => return Err(ApiError::not_found("user")),
            other => break other.map_err(conflict_param)?,
        }
    };
    Ok(ApiJson(render::user(
        &state,
        &done.user,
        done.user.updated_at,
    )))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let user = load_user(&state, &id).await?;
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
    Ok(ApiJson(DeletedObject::new("user", id.as_str())))
}

#[derive(Deserialize)]
struct MetadataPatch {
    public_metadata: Option<Map<String, Value>>,
    private_metadata: Option<Map<String, Value>>,
    unsafe_metadata: Option<Map<String, Value>>,
}

async fn merge_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<MetadataPatch>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let id = parse_user_id(&id)?;
    let merged = |stored: &Value, patch: &Option<Map<String, Value>>, param: &str| {
        patch
            .as_ref()
            .map(|p| {
                let mut obj = frontdesk_domain::metadata::as_object(stored);
                deep_merge(&mut obj, p);
                check_metadata(param, &obj)?;
                Ok::<_, ApiError>(Value::Object(obj))
            })
            .transpose()
    };
    // A merge is computed from the stored metadata and written only over
    // the version it was computed from; a concurrent change makes it merge
    // again, on top of that change (finding F2).
    loop {
        let user = load_user(&state, id.as_str()).await?;
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
        match apply(&state, &id, &change).await {
            Ok(done) => {
                return Ok(ApiJson(render::user(
                    &state,
                    &done.user,
                    done.user.updated_at,
                )));
            }
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
struct MetadataReplace {
    #[serde(default, deserialize_with = "nullable")]
    public_metadata: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "nullable")]
    private_metadata: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "nullable")]
    unsafe_metadata: Option<Option<Map<String, Value>>>,
}

/// `PUT /v1/users/{id}/metadata`: `@clerk/backend`'s `replaceUserMetadata()`,
/// and its deprecated `updateUser(id, { publicMetadata, … })`.
async fn replace_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<MetadataReplace>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let id = parse_user_id(&id)?;
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
    let done = apply(&state, &id, &change).await.map_err(not_found_user)?;
    Ok(ApiJson(render::user(
        &state,
        &done.user,
        done.user.updated_at,
    )))
}

fn not_found_user(e: frontdesk_store::StoreError) -> ApiError {
    match e {
        frontdesk_store::StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

/// Apply `change` to the user `id` and answer with the user it left.
async fn set(
    state: &AppState,
    id: &str,
    change: UserPatch,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let id = parse_user_id(id)?;
    let done = apply(state, &id, &change).await.map_err(not_found_user)?;
    Ok(ApiJson(render::user(
        state,
        &done.user,
        done.user.updated_at,
    )))
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

async fn ban(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let change = UserPatch {
        banned: Some(true),
        ..UserPatch::default()
    };
    set(&state, &id, revoking(change)).await
}

async fn unban(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let change = UserPatch {
        banned: Some(false),
        ..UserPatch::default()
    };
    set(&state, &id, change).await
}

async fn lock(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let change = UserPatch {
        locked: Some(true),
        ..UserPatch::default()
    };
    set(&state, &id, revoking(change)).await
}

async fn unlock(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let change = UserPatch {
        locked: Some(false),
        ..UserPatch::default()
    };
    set(&state, &id, change).await
}

#[derive(Deserialize)]
struct VerifyPassword {
    password: String,
}

async fn verify_password(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<VerifyPassword>,
) -> ApiResult<ApiJson<Value>> {
    let user = load_user(&state, &id).await?;
    if body.password.len() > frontdesk_domain::password::MAX_PASSWORD_CHARS * 4 {
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
    if passwords::verify(&state, &user, digest, &body.password).await? {
        Ok(ApiJson(json!({"verified": true})))
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
