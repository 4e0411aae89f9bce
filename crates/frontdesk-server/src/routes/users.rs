//! Backend API: users (`/v1/users…`), the wire of [`crate::engine::users`].

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, patch, post};
use frontdesk_domain::UnixMillis;
use frontdesk_store::{Bounds, UserFilter, UserOrderField, UserQuery};
use frontdesk_types::common::{DeletedObject, TotalCount};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::users::{
    self, MetadataMerge, MetadataReplace, NewUser, Standing, UserChanges, parse_user_id,
};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render;
use crate::state::AppState;

pub use crate::engine::users::load_user;

type UserJson = ApiJson<frontdesk_types::user::User>;

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

fn user_filter(q: &QueryParams) -> ApiResult<UserFilter> {
    let bounds = |name: &str| -> ApiResult<Bounds> {
        Ok(Bounds {
            after: q.parse(&format!("{name}_after"))?,
            before: q.parse(&format!("{name}_before"))?,
        })
    };
    Ok(UserFilter {
        email_addresses: q.all("email_address"),
        user_ids: q.all("user_id"),
        external_ids: q.all("external_id"),
        usernames: q.all("username"),
        query: q.text("query"),
        banned: q.parse("banned")?,
        created: bounds("created_at")?,
        last_sign_in: bounds("last_sign_in_at")?,
        last_active: bounds("last_active_at")?,
        ..UserFilter::default()
    })
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
        filter: user_filter(&q)?,
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
        state.store.count_users(&user_filter(&q)?).await?,
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

/// The user as a change left it.
fn changed(state: &AppState, user: &frontdesk_domain::entities::User) -> UserJson {
    ApiJson(render::user(state, user, user.updated_at))
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<NewUser>,
) -> ApiResult<UserJson> {
    let user = users::create(&state, body).await?;
    Ok(ApiJson(render::user(&state, &user, UnixMillis::now())))
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<UserChanges>,
) -> ApiResult<UserJson> {
    let user = users::update(&state, &parse_user_id(&id)?, body).await?;
    Ok(changed(&state, &user))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let id = users::delete(&state, &id).await?;
    Ok(ApiJson(DeletedObject::new("user", id.as_str())))
}

async fn merge_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<MetadataMerge>,
) -> ApiResult<UserJson> {
    let user = users::merge_metadata(&state, &parse_user_id(&id)?, body).await?;
    Ok(changed(&state, &user))
}

/// `PUT /v1/users/{id}/metadata`: `@clerk/backend`'s `replaceUserMetadata()`,
/// and its deprecated `updateUser(id, { publicMetadata, … })`.
async fn replace_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<MetadataReplace>,
) -> ApiResult<UserJson> {
    let user = users::replace_metadata(&state, &parse_user_id(&id)?, body).await?;
    Ok(changed(&state, &user))
}

async fn standing(state: &AppState, id: &str, standing: Standing) -> ApiResult<UserJson> {
    let user = users::set_standing(state, id, standing).await?;
    Ok(changed(state, &user))
}

async fn ban(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<UserJson> {
    standing(&state, &id, Standing::Ban).await
}

async fn unban(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<UserJson> {
    standing(&state, &id, Standing::Unban).await
}

async fn lock(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<UserJson> {
    standing(&state, &id, Standing::Lock).await
}

async fn unlock(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<UserJson> {
    standing(&state, &id, Standing::Unlock).await
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
    users::verify_password(&state, &id, &body.password).await?;
    Ok(ApiJson(json!({"verified": true})))
}
