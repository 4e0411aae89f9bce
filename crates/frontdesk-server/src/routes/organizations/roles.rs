//! Backend API: the instance's organization roles and permissions
//! (`/v1/organization_roles…`, `/v1/organization_permissions…`), as
//! `@clerk/backend`'s `OrganizationRoleAPI` and `OrganizationPermissionAPI`
//! call them.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use frontdesk_domain::organizations::{Permission, Role};
use frontdesk_types::common::DeletedObject;
use frontdesk_types::organization::{Paginated, Permission as WirePermission, Role as WireRole};

use crate::engine::org_roles::{
    self as roles, NewPermission, NewRole, PermissionChanges, RoleChanges, catalog,
};
use crate::error::{ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render::organizations::{permission, role};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization_roles", get(list_roles).post(create_role))
        .route(
            "/v1/organization_roles/{role}",
            get(show_role).patch(update_role).delete(delete_role),
        )
        .route(
            "/v1/organization_roles/{role}/permissions/{permission}",
            post(give).delete(take),
        )
        .route(
            "/v1/organization_permissions",
            get(list_permissions).post(create_permission),
        )
        .route(
            "/v1/organization_permissions/{permission}",
            get(show_permission)
                .patch(update_permission)
                .delete(delete_permission),
        )
}

/// Narrowed by `query` (key or name) and paged, in the stored order.
fn page<T, W>(
    all: Vec<T>,
    q: &QueryParams,
    text: impl Fn(&T) -> String,
    render: impl Fn(&T) -> W,
) -> ApiResult<Paginated<W>> {
    let (limit, offset) = q.page()?;
    let wanted = q.text("query").map(|s| s.to_lowercase());
    let kept: Vec<T> = all
        .into_iter()
        .filter(|t| {
            wanted
                .as_ref()
                .is_none_or(|w| text(t).to_lowercase().contains(w))
        })
        .collect();
    Ok(Paginated {
        total_count: kept.len() as i64,
        data: kept
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(render)
            .collect(),
    })
}

/// A page of the instance's roles (both APIs list them).
pub async fn roles_page(state: &AppState, q: &QueryParams) -> ApiResult<Paginated<WireRole>> {
    let catalog = catalog(state).await?;
    page(
        state.store.roles().await?,
        q,
        |r: &Role| format!("{} {}", r.key, r.name),
        |r| role(r, &catalog),
    )
}

async fn with_catalog(state: &AppState, r: Role) -> ApiResult<ApiJson<WireRole>> {
    Ok(ApiJson(role(&r, &catalog(state).await?)))
}

async fn list_roles(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Paginated<WireRole>>> {
    Ok(ApiJson(roles_page(&state, &q).await?))
}

async fn create_role(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<NewRole>,
) -> ApiResult<ApiJson<WireRole>> {
    let created = roles::create_role(&state, body).await?;
    with_catalog(&state, created).await
}

async fn show_role(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WireRole>> {
    let found = state
        .store
        .roles()
        .await?
        .into_iter()
        .find(|r| r.id.as_str() == id)
        .ok_or_else(|| crate::error::ApiError::not_found("role"))?;
    with_catalog(&state, found).await
}

async fn update_role(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<RoleChanges>,
) -> ApiResult<ApiJson<WireRole>> {
    let updated = roles::update_role(&state, &id, body).await?;
    with_catalog(&state, updated).await
}

async fn delete_role(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let gone = roles::delete_role(&state, &id).await?;
    Ok(ApiJson(DeletedObject::new("role", gone.id.to_string())))
}

async fn give(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, permission)): Path<(String, String)>,
) -> ApiResult<ApiJson<WireRole>> {
    let updated = roles::assign(&state, &id, &permission, true).await?;
    with_catalog(&state, updated).await
}

async fn take(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, permission)): Path<(String, String)>,
) -> ApiResult<ApiJson<WireRole>> {
    let updated = roles::assign(&state, &id, &permission, false).await?;
    with_catalog(&state, updated).await
}

async fn list_permissions(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Paginated<WirePermission>>> {
    Ok(ApiJson(page(
        state.store.permissions().await?,
        &q,
        |p: &Permission| format!("{} {}", p.key, p.name),
        permission,
    )?))
}

async fn create_permission(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<NewPermission>,
) -> ApiResult<ApiJson<WirePermission>> {
    Ok(ApiJson(permission(
        &roles::create_permission(&state, body).await?,
    )))
}

async fn show_permission(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WirePermission>> {
    let found = state
        .store
        .permissions()
        .await?
        .into_iter()
        .find(|p| p.id.as_str() == id)
        .ok_or_else(|| crate::error::ApiError::not_found("permission"))?;
    Ok(ApiJson(permission(&found)))
}

async fn update_permission(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<PermissionChanges>,
) -> ApiResult<ApiJson<WirePermission>> {
    Ok(ApiJson(permission(
        &roles::update_permission(&state, &id, body).await?,
    )))
}

async fn delete_permission(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let gone = roles::delete_permission(&state, &id).await?;
    Ok(ApiJson(DeletedObject::new(
        "permission",
        gone.id.to_string(),
    )))
}
