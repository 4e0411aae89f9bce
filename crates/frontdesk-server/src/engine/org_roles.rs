//! The instance's organization roles and permissions (issue 17): the system
//! ones (stored at first start, fixed) and the instance's own, which the
//! Backend API creates, renames, gives and takes permissions and deletes.
//!
//! Rules kept here, on what the request names: system roles keep their
//! keys and their system permissions and are never deleted; the creator
//! role and the domains' default role are not deleted either (the
//! settings name them); system permissions are not edited. What needs the
//! current rows (a role held by members, a key taken) is the store's.

use std::collections::HashMap;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{
    OrgError, Permission, PermissionKey, Role, RoleKey, SYSTEM_PERMISSIONS, system_roles,
};
use frontdesk_store::StoreError;
use frontdesk_store::org_roles::{PermissionPatch, RolePatch};
use frontdesk_types::{PermissionId, RoleId};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The system permissions, stored at first start on any number of nodes
/// (they get ids like any other, so roles can be given them by id).
pub async fn ensure_system_permissions(
    store: &dyn frontdesk_store::Store,
) -> Result<(), StoreError> {
    let now = UnixMillis::now();
    let all: Vec<Permission> = SYSTEM_PERMISSIONS
        .iter()
        .filter_map(|(key, name, description)| {
            Some(Permission {
                id: PermissionId::generate(),
                key: PermissionKey::parse(key).ok()?,
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    store.ensure_permissions(&all).await
}

/// Every permission by key: what roles are rendered with.
pub async fn catalog(state: &AppState) -> ApiResult<HashMap<PermissionKey, Permission>> {
    Ok(state
        .store
        .permissions()
        .await?
        .into_iter()
        .map(|p| (p.key.clone(), p))
        .collect())
}

fn is_system_role(key: &RoleKey) -> bool {
    system_roles().iter().any(|(k, ..)| k == key)
}

fn param(name: &str, e: OrgError) -> ApiError {
    ApiError::bad_param(name, "form_param_format_invalid", e.to_string())
}

fn refused(param: &str, message: &str) -> ApiError {
    ApiError::bad_param(param, "form_param_value_invalid", message)
}

/// Permissions named by id (as Clerk's API takes them) or by key.
async fn permission_keys(state: &AppState, named: &[String]) -> ApiResult<Vec<PermissionKey>> {
    let all = state.store.permissions().await?;
    let mut keys: Vec<PermissionKey> = Vec::new();
    for n in named {
        let found = all
            .iter()
            .find(|p| p.id.as_str() == n || p.key.as_str() == n)
            .ok_or_else(|| {
                ApiError::bad_param(
                    "permissions",
                    "resource_not_found",
                    format!("There is no permission `{n}` in this instance."),
                )
            })?;
        if !keys.contains(&found.key) {
            keys.push(found.key.clone());
        }
    }
    Ok(keys)
}

async fn load_role(state: &AppState, id: &str) -> ApiResult<Role> {
    let id: RoleId = id.parse().map_err(|_| ApiError::not_found("role"))?;
    state
        .store
        .role(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("role"))
}

async fn load_permission(state: &AppState, id: &str) -> ApiResult<Permission> {
    let all = state.store.permissions().await?;
    all.into_iter()
        .find(|p| p.id.as_str() == id)
        .ok_or_else(|| ApiError::not_found("permission"))
}

fn store_error(e: StoreError, what: &str) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::bad_param(
            "key",
            "duplicate_record",
            format!("There is a {what} with this key already."),
        ),
        StoreError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// A new role (`POST /v1/organization_roles`).
#[derive(Debug, Deserialize)]
pub struct NewRole {
    pub name: String,
    pub key: String,
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

pub async fn create_role(state: &AppState, body: NewRole) -> ApiResult<Role> {
    let key = RoleKey::parse(&body.key).map_err(|e| param("key", e))?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(refused("name", "`name` cannot be empty"));
    }
    let now = UnixMillis::now();
    let role = Role {
        id: RoleId::generate(),
        key,
        name: name.to_owned(),
        description: body.description.unwrap_or_default(),
        permissions: permission_keys(state, &body.permissions).await?,
        created_at: now,
        updated_at: now,
    };
    let catalog = catalog(state).await?;
    let events = state.events();
    state
        .store
        .create_role(&role, &|r| Some(events.role("role.created", r, &catalog)))
        .await
        .map_err(|e| store_error(e, "role"))
}

/// A change to a role (`PATCH /v1/organization_roles/{id}`).
#[derive(Debug, Default, Deserialize)]
pub struct RoleChanges {
    pub name: Option<String>,
    pub key: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<Vec<String>>,
}

pub async fn update_role(state: &AppState, id: &str, c: RoleChanges) -> ApiResult<Role> {
    let role = load_role(state, id).await?;
    let key = c
        .key
        .as_deref()
        .map(|k| RoleKey::parse(k).map_err(|e| param("key", e)))
        .transpose()?;
    let permissions = match &c.permissions {
        Some(named) => Some(permission_keys(state, named).await?),
        None => None,
    };
    if is_system_role(&role.key) {
        if key.as_ref().is_some_and(|k| k != &role.key) {
            return Err(refused("key", "A system role keeps its key."));
        }
        let system = |ks: &[PermissionKey]| {
            let mut s: Vec<_> = ks.iter().filter(|k| k.is_system()).cloned().collect();
            s.sort();
            s
        };
        if permissions
            .as_ref()
            .is_some_and(|p| system(p) != system(&role.permissions))
        {
            return Err(refused(
                "permissions",
                "A system role keeps its system permissions; custom ones can be given and taken.",
            ));
        }
    }
    let patch = RolePatch {
        key,
        name: c
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        description: c.description,
        permissions,
        ..RolePatch::default()
    };
    write_role(state, &role, &patch).await
}

async fn write_role(state: &AppState, role: &Role, patch: &RolePatch) -> ApiResult<Role> {
    let catalog = catalog(state).await?;
    let events = state.events();
    state
        .store
        .update_role(&role.id, patch, UnixMillis::now(), &|r| {
            Some(events.role("role.updated", r, &catalog))
        })
        .await
        .map_err(|e| store_error(e, "role"))
}

/// Give a role one permission (by id), or take it away.
pub async fn assign(state: &AppState, role: &str, permission: &str, give: bool) -> ApiResult<Role> {
    let role = load_role(state, role).await?;
    let permission = load_permission(state, permission).await?;
    if is_system_role(&role.key) && permission.key.is_system() {
        return Err(refused(
            "permission_id",
            "A system role keeps its system permissions.",
        ));
    }
    if give && role.permissions.contains(&permission.key) {
        return Err(ApiError::client(
            axum::http::StatusCode::CONFLICT,
            frontdesk_types::ClerkError::new(
                "duplicate_record",
                "The role has this permission already",
                format!("The role `{}` has `{}` already.", role.key, permission.key),
            ),
        ));
    }
    let patch = if give {
        RolePatch {
            add: Some(permission.key),
            ..RolePatch::default()
        }
    } else {
        RolePatch {
            remove: Some(permission.key),
            ..RolePatch::default()
        }
    };
    write_role(state, &role, &patch).await
}

pub async fn delete_role(state: &AppState, id: &str) -> ApiResult<Role> {
    let role = load_role(state, id).await?;
    let settings = state.settings();
    let o = &settings.settings.organizations;
    if is_system_role(&role.key)
        || role.key.as_str() == o.creator_role
        || role.key.as_str() == o.domains_default_role
    {
        return Err(ApiError::client(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            frontdesk_types::ClerkError::new(
                "role_in_use",
                "This role cannot be deleted",
                "System roles, the creator role and the domains' default role cannot be deleted.",
            ),
        ));
    }
    let events = state.events();
    state
        .store
        .delete_role(&role.id, &|r| Some(events.role_deleted(r)))
        .await
        .map_err(|e| store_error(e, "role"))
}

/// A new permission (`POST /v1/organization_permissions`).
#[derive(Debug, Deserialize)]
pub struct NewPermission {
    pub name: String,
    pub key: String,
    pub description: Option<String>,
}

pub async fn create_permission(state: &AppState, body: NewPermission) -> ApiResult<Permission> {
    let key = PermissionKey::parse_custom(&body.key).map_err(|e| param("key", e))?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(refused("name", "`name` cannot be empty"));
    }
    let now = UnixMillis::now();
    let p = Permission {
        id: PermissionId::generate(),
        key,
        name: name.to_owned(),
        description: body.description.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    let events = state.events();
    state
        .store
        .create_permission(&p, &|p| Some(events.permission("permission.created", p)))
        .await
        .map_err(|e| store_error(e, "permission"))
}

#[derive(Debug, Default, Deserialize)]
pub struct PermissionChanges {
    pub name: Option<String>,
    pub key: Option<String>,
    pub description: Option<String>,
}

pub async fn update_permission(
    state: &AppState,
    id: &str,
    c: PermissionChanges,
) -> ApiResult<Permission> {
    let p = load_permission(state, id).await?;
    let patch = PermissionPatch {
        key: c
            .key
            .as_deref()
            .map(|k| PermissionKey::parse_custom(k).map_err(|e| param("key", e)))
            .transpose()?,
        name: c
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        description: c.description,
    };
    // The roles' events name the permission as it will be.
    let mut catalog = catalog(state).await?;
    let renamed = Permission {
        key: patch.key.clone().unwrap_or_else(|| p.key.clone()),
        name: patch.name.clone().unwrap_or_else(|| p.name.clone()),
        description: patch
            .description
            .clone()
            .unwrap_or_else(|| p.description.clone()),
        ..p.clone()
    };
    catalog.insert(renamed.key.clone(), renamed);
    let events = state.events();
    state
        .store
        .update_permission(
            &p.id,
            &patch,
            UnixMillis::now(),
            &|p| Some(events.permission("permission.updated", p)),
            &|r| Some(events.role("role.updated", r, &catalog)),
        )
        .await
        .map_err(|e| store_error(e, "permission"))
}

pub async fn delete_permission(state: &AppState, id: &str) -> ApiResult<Permission> {
    let p = load_permission(state, id).await?;
    let catalog = catalog(state).await?;
    let events = state.events();
    state
        .store
        .delete_permission(&p.id, &|p| Some(events.permission_deleted(p)), &|r| {
            Some(events.role("role.updated", r, &catalog))
        })
        .await
        .map_err(|e| store_error(e, "permission"))
}
