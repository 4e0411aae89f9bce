//! Backend API: users (`/v1/users…`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use frontdesk_crypto::PasswordHasher;
use frontdesk_domain::entities::SessionStatus;
use frontdesk_domain::entities::{User, Verification, VerificationStatus};
use frontdesk_domain::metadata::{MAX_METADATA_BYTES, deep_merge};
use frontdesk_domain::{EmailAddress, NewPassword, UnixMillis};
use frontdesk_store::{UserFilter, UserOrderField, UserQuery};
use frontdesk_types::common::{DeletedObject, TotalCount};
use frontdesk_types::{ClerkError, UserId};
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

fn taken(param: &str, what: &str) -> ApiError {
    ApiError::client(
        StatusCode::UNPROCESSABLE_ENTITY,
        ClerkError::new(
            "form_identifier_exists",
            format!("That {what} is taken. Please try another."),
            format!("That {what} is taken. Please try another."),
        )
        .with_param(param),
    )
}

fn check_username(name: &str) -> ApiResult<()> {
    let ok = (4..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_param(
            "username",
            "form_username_invalid_character",
            "Usernames are 4 to 64 characters of letters, digits, `_`, `-` and `.`",
        ))
    }
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
            return Err(taken("email_address", "email address"));
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
    user.first_name = body.first_name;
    user.last_name = body.last_name;
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
            taken("username", "username")
        }
        frontdesk_store::StoreError::Conflict(what) if what.contains("external_id") => {
            taken("external_id", "external id")
        }
        frontdesk_store::StoreError::Conflict(_) => taken("email_address", "email address"),
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
    let mut user = load_user(&state, &id).await?;
    let now = UnixMillis::now();
    if let Some(v) = body.external_id {
        user.external_id = v;
    }
    if let Some(v) = body.first_name {
        user.first_name = v;
    }
    if let Some(v) = body.last_name {
        user.last_name = v;
    }
    if let Some(v) = body.username {
        if let Some(name) = &v {
            check_username(name)?;
        }
        user.username = v;
    }
    if let Some(primary) = body.primary_email_address_id {
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
        user.primary_email_address_id = Some(email.id.clone());
    }
    check_metadata_objects(
        &body.public_metadata,
        &body.private_metadata,
        &body.unsafe_metadata,
    )?;
    if let Some(m) = body.public_metadata {
        user.public_metadata = Value::Object(m);
    }
    if let Some(m) = body.private_metadata {
        user.private_metadata = Value::Object(m);
    }
    if let Some(m) = body.unsafe_metadata {
        user.unsafe_metadata = Value::Object(m);
    }
    if let Some(v) = body.delete_self_enabled {
        user.delete_self_enabled = v;
    }
    if let Some(v) = body.create_organization_enabled {
        user.create_organization_enabled = v;
    }
    let digest = password_digest(
        &state,
        body.password.as_deref(),
        body.password_digest.map(|d| (d, body.password_hasher)),
        body.skip_password_checks,
    )
    .await?;
    let password_changed = digest.is_some();
    if let Some(d) = digest {
        user.password_digest = Some(d);
        user.password_last_updated_at = Some(now);
    }
    user.updated_at = now;
    let events = state.events();
    state
        .store
        .update_user(&user, &[events.user_updated(&user)])
        .await
        .map_err(conflict_param)?;
    if password_changed && body.sign_out_of_other_sessions {
        state
            .store
            .end_user_sessions(&user.id, SessionStatus::Revoked, now, &|s| {
                events.session_ended(s, &user)
            })
            .await?;
    }
    Ok(ApiJson(render::user(&state, &user, now)))
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
    let mut user = load_user(&state, &id).await?;
    let merge =
        |target: &mut Value, patch: &Option<Map<String, Value>>, param: &str| -> ApiResult<()> {
            if let Some(p) = patch {
                let mut obj = frontdesk_domain::metadata::as_object(target);
                deep_merge(&mut obj, p);
                check_metadata(param, &obj)?;
                *target = Value::Object(obj);
            }
            Ok(())
        };
    merge(
        &mut user.public_metadata,
        &body.public_metadata,
        "public_metadata",
    )?;
    merge(
        &mut user.private_metadata,
        &body.private_metadata,
        "private_metadata",
    )?;
    merge(
        &mut user.unsafe_metadata,
        &body.unsafe_metadata,
        "unsafe_metadata",
    )?;
    user.updated_at = UnixMillis::now();
    state
        .store
        .update_user(&user, &[state.events().user_updated(&user)])
        .await?;
    Ok(ApiJson(render::user(&state, &user, user.updated_at)))
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
    let mut user = load_user(&state, &id).await?;
    for (target, given, param) in [
        (
            &mut user.public_metadata,
            body.public_metadata,
            "public_metadata",
        ),
        (
            &mut user.private_metadata,
            body.private_metadata,
            "private_metadata",
        ),
        (
            &mut user.unsafe_metadata,
            body.unsafe_metadata,
            "unsafe_metadata",
        ),
    ] {
        if let Some(given) = given {
            let obj = given.unwrap_or_default();
            check_metadata(param, &obj)?;
            *target = Value::Object(obj);
        }
    }
    user.updated_at = UnixMillis::now();
    state
        .store
        .update_user(&user, &[state.events().user_updated(&user)])
        .await?;
    Ok(ApiJson(render::user(&state, &user, user.updated_at)))
}

/// Apply `change` to a user and save it.
async fn set(
    state: &AppState,
    id: &str,
    change: impl FnOnce(&mut User, UnixMillis),
) -> ApiResult<User> {
    let mut user = load_user(state, id).await?;
    let now = UnixMillis::now();
    change(&mut user, now);
    user.updated_at = now;
    state
        .store
        .update_user(&user, &[state.events().user_updated(&user)])
        .await?;
    Ok(user)
}

async fn ban(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let user = set(&state, &id, |u, _| u.banned = true).await?;
    // A banned user is signed out everywhere at once.
    state
        .store
        .end_user_sessions(&user.id, SessionStatus::Revoked, user.updated_at, &|s| {
            state.events().session_ended(s, &user)
        })
        .await?;
    Ok(ApiJson(render::user(&state, &user, user.updated_at)))
}

async fn unban(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let user = set(&state, &id, |u, _| u.banned = false).await?;
    Ok(ApiJson(render::user(&state, &user, user.updated_at)))
}

async fn lock(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let user = set(&state, &id, |u, now| u.locked_at = Some(now)).await?;
    Ok(ApiJson(render::user(&state, &user, user.updated_at)))
}

async fn unlock(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::user::User>> {
    let user = set(&state, &id, |u, _| {
        u.locked_at = None;
        u.failed_attempts = 0;
    })
    .await?;
    Ok(ApiJson(render::user(&state, &user, user.updated_at)))
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
    let mut user = load_user(&state, &id).await?;
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
    if passwords::verify(&state, &mut user, &body.password).await? {
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
