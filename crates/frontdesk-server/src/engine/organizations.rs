//! Organizations (issue 17): creating one with its creator as the first
//! member, changing it, its members and their roles, for both APIs.
//!
//! The rules that need the current rows (the membership limit, someone
//! left to manage the members, slugs unique) are decided by the store in
//! the transaction that makes the change; here is what can be checked
//! from the request and the instance's roles and settings.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{
    Membership, OrgError, OrgName, OrgSlug, Organization, Role, RoleKey, system_roles,
};
use frontdesk_store::StoreError;
use frontdesk_store::organizations::{MembershipPatch, MembershipView, OrgPatch};
use frontdesk_types::{OrganizationId, OrganizationMembershipId, RoleId, UserId};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::engine::users::{check_metadata, load_user, merged, nullable};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Memberships or roles changed: a token minted for the answer to this
/// very request must read the session's claims afresh (the middleware
/// voids the mint cache only once the request has run).
pub fn claims_changed(state: &AppState) {
    state.mint_cache.invalidate();
}

/// Make `org` the session's active organization (`None`: the personal
/// workspace): refused (`organization_not_found_or_unauthorized`) unless
/// its user is a member, decided by the store in one statement.
pub async fn activate(
    state: &AppState,
    session: &frontdesk_types::SessionId,
    org: Option<&OrganizationId>,
) -> ApiResult<frontdesk_domain::entities::Session> {
    let s = state
        .store
        .set_active_organization(session, org, UnixMillis::now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => crate::services::tokens::not_a_member(),
            other => other.into(),
        })?;
    // The token in the answer is minted from the session as it is now.
    claims_changed(state);
    Ok(s)
}

/// The system roles, stored at first start on any number of nodes.
pub async fn ensure_system_roles(store: &dyn frontdesk_store::Store) -> Result<(), StoreError> {
    let now = UnixMillis::now();
    let roles: Vec<Role> = system_roles()
        .into_iter()
        .map(|(key, name, description, permissions)| Role {
            id: RoleId::generate(),
            key,
            name: name.to_owned(),
            description: description.to_owned(),
            permissions,
            created_at: now,
            updated_at: now,
        })
        .collect();
    store.ensure_roles(&roles).await?;
    super::org_roles::ensure_system_permissions(store).await
}

fn param_error(param: &str, e: OrgError) -> ApiError {
    ApiError::bad_param(param, "form_param_format_invalid", e.to_string())
}

/// The organization an id or a slug names (the Backend API takes both).
pub async fn load(state: &AppState, id_or_slug: &str) -> ApiResult<Organization> {
    let found = match id_or_slug.parse::<OrganizationId>() {
        Ok(id) => state.store.organization(&id).await?,
        Err(_) => state.store.organization_by_slug(id_or_slug).await?,
    };
    found.ok_or_else(|| ApiError::not_found("organization"))
}

/// The role `raw` names, if the instance has it.
pub async fn role(state: &AppState, raw: &str) -> ApiResult<Role> {
    let key = RoleKey::parse(raw).map_err(|e| param_error("role", e))?;
    state
        .store
        .roles()
        .await?
        .into_iter()
        .find(|r| r.key == key)
        .ok_or_else(|| {
            ApiError::bad_param(
                "role",
                "resource_not_found",
                format!("There is no role `{raw}` in this instance."),
            )
        })
}

/// A new organization, as both APIs take it.
#[derive(Debug, Default, Deserialize)]
pub struct NewOrganization {
    pub name: String,
    pub slug: Option<String>,
    /// The creator, who becomes its first member with the creator role.
    pub created_by: Option<String>,
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
    pub max_allowed_memberships: Option<i64>,
}

/// A slug that is free, from the name: the name's own, or that with a
/// random suffix when it is taken (as Clerk does for API-created ones).
async fn free_slug(state: &AppState, name: &OrgName) -> ApiResult<String> {
    let base = OrgSlug::from_name(name).map(String::from);
    if let Some(base) = &base
        && state.store.organization_by_slug(base).await?.is_none()
    {
        return Ok(base.clone());
    }
    let suffix = frontdesk_types::id::random_base62(6).to_lowercase();
    Ok(match base {
        Some(b) => format!("{b}-{suffix}"),
        None => format!("org-{suffix}"),
    })
}

/// Create an organization, its creator (if any) its first member.
pub async fn create(state: &AppState, body: NewOrganization) -> ApiResult<Organization> {
    let settings = state.settings();
    let name = OrgName::parse(&body.name).map_err(|e| param_error("name", e))?;
    let slug = match body.slug.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => String::from(OrgSlug::parse(raw).map_err(|e| param_error("slug", e))?),
        None => free_slug(state, &name).await?,
    };
    let creator = match &body.created_by {
        Some(raw) => Some(load_user(state, raw).await?.id),
        None => None,
    };
    let metadata = |param: &str, m: &Option<Map<String, Value>>| -> ApiResult<Value> {
        let m = m.clone().unwrap_or_default();
        check_metadata(param, &m)?;
        Ok(Value::Object(m))
    };
    let max = body.max_allowed_memberships.unwrap_or(i64::from(
        settings.settings.organizations.max_allowed_memberships,
    ));
    if max < 0 {
        return Err(ApiError::bad_param(
            "max_allowed_memberships",
            "form_param_value_invalid",
            "`max_allowed_memberships` cannot be negative",
        ));
    }
    let now = UnixMillis::now();
    let org = Organization {
        id: OrganizationId::generate(),
        name: name.as_str().to_owned(),
        slug,
        image_url: None,
        public_metadata: metadata("public_metadata", &body.public_metadata)?,
        private_metadata: metadata("private_metadata", &body.private_metadata)?,
        max_allowed_memberships: max,
        admin_delete_enabled: settings.settings.organizations.admin_delete_enabled,
        members_count: 0,
        pending_invitations_count: 0,
        created_by: creator.clone(),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let first = match &creator {
        Some(user) => {
            let role = role(state, &settings.settings.organizations.creator_role).await?;
            Some(new_membership(&org.id, user, role.key, now))
        }
        None => None,
    };
    let derived = body.slug.as_deref().is_none_or(str::is_empty);
    match insert(state, &org, first.as_ref()).await {
        // A slug made from the name, taken by a create that raced this one:
        // the suffixed form, as when it was taken before.
        Err(StoreError::Conflict(c)) if derived && c == "organizations.slug" => {
            let suffix = frontdesk_types::id::random_base62(6).to_lowercase();
            let org = Organization {
                slug: format!("{}-{suffix}", org.slug),
                ..org
            };
            insert(state, &org, first.as_ref())
                .await
                .map_err(|e| slug_taken(e, "slug"))
        }
        other => other.map_err(|e| slug_taken(e, "slug")),
    }
}

/// Store a new organization with its first member and both events.
async fn insert(
    state: &AppState,
    org: &Organization,
    first: Option<&Membership>,
) -> Result<Organization, StoreError> {
    let events = state.events();
    state
        .store
        .create_organization(
            org,
            first,
            &|o| Some(events.organization("organization.created", o)),
            &|m| Some(events.membership("organizationMembership.created", m)),
        )
        .await
}

fn new_membership(
    org: &OrganizationId,
    user: &UserId,
    role: RoleKey,
    now: UnixMillis,
) -> Membership {
    Membership {
        id: OrganizationMembershipId::generate(),
        organization_id: org.clone(),
        user_id: user.clone(),
        role,
        public_metadata: json!({}),
        private_metadata: json!({}),
        created_at: now,
        updated_at: now,
    }
}

fn slug_taken(e: StoreError, param: &str) -> ApiError {
    match e {
        StoreError::Conflict(c) if c == "organizations.slug" => ApiError::bad_param(
            param,
            "form_identifier_exists",
            "This slug is already taken by another organization. Please try another one.",
        ),
        StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

/// A change to an organization (`PATCH /v1/organizations/{id}`).
#[derive(Debug, Default, Deserialize)]
pub struct OrgChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub max_allowed_memberships: Option<i64>,
    pub admin_delete_enabled: Option<bool>,
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "nullable")]
    pub image_url: Option<Option<String>>,
}

pub async fn update(
    state: &AppState,
    org: &Organization,
    c: OrgChanges,
) -> ApiResult<Organization> {
    let name = c
        .name
        .as_deref()
        .map(|n| OrgName::parse(n).map_err(|e| param_error("name", e)))
        .transpose()?;
    let slug = c
        .slug
        .as_deref()
        .map(|s| OrgSlug::parse(s).map_err(|e| param_error("slug", e)))
        .transpose()?;
    if c.max_allowed_memberships.is_some_and(|m| m < 0) {
        return Err(ApiError::bad_param(
            "max_allowed_memberships",
            "form_param_value_invalid",
            "`max_allowed_memberships` cannot be negative",
        ));
    }
    let replace = |param: &str, m: &Option<Map<String, Value>>| {
        m.as_ref()
            .map(|m| check_metadata(param, m).map(|()| Value::Object(m.clone())))
            .transpose()
    };
    let patch = OrgPatch {
        name: name.map(String::from),
        slug: slug.map(String::from),
        image_url: c.image_url,
        max_allowed_memberships: c.max_allowed_memberships,
        admin_delete_enabled: c.admin_delete_enabled,
        public_metadata: replace("public_metadata", &c.public_metadata)?,
        private_metadata: replace("private_metadata", &c.private_metadata)?,
        expected_version: None,
    };
    write(state, &org.id, &patch).await.map_err(org_error)
}

async fn write(
    state: &AppState,
    id: &OrganizationId,
    patch: &OrgPatch,
) -> Result<Organization, StoreError> {
    let events = state.events();
    state
        .store
        .update_organization(id, patch, UnixMillis::now(), &|o| {
            Some(events.organization("organization.updated", o))
        })
        .await
}

fn org_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("organization"),
        other => slug_taken(other, "slug"),
    }
}

/// Metadata to deep-merge (`null` deletes a key).
#[derive(Debug, Default, Deserialize)]
pub struct MetadataMerge {
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
}

/// Deep-merge metadata, computed from the stored row and written only over
/// its version: a concurrent change makes it merge again on top.
pub async fn merge_metadata(
    state: &AppState,
    id: &OrganizationId,
    body: MetadataMerge,
) -> ApiResult<Organization> {
    loop {
        let org = state
            .store
            .organization(id)
            .await?
            .ok_or_else(|| ApiError::not_found("organization"))?;
        let patch = OrgPatch {
            public_metadata: merged(
                &org.public_metadata,
                &body.public_metadata,
                "public_metadata",
            )?,
            private_metadata: merged(
                &org.private_metadata,
                &body.private_metadata,
                "private_metadata",
            )?,
            expected_version: Some(org.version),
            ..OrgPatch::default()
        };
        match write(state, id, &patch).await {
            Err(StoreError::Stale) => continue,
            other => return other.map_err(org_error),
        }
    }
}

pub async fn delete(state: &AppState, org: &Organization) -> ApiResult<()> {
    let event = state.events().organization_deleted(org);
    state
        .store
        .delete_organization(&org.id, &[event])
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("organization"),
            other => other.into(),
        })?;
    claims_changed(state);
    Ok(())
}

/// Make `user` a member of `org` with `role`.
pub async fn add_member(
    state: &AppState,
    org: &Organization,
    user: &UserId,
    role_key: &str,
) -> ApiResult<MembershipView> {
    let role = role(state, role_key).await?;
    let m = new_membership(&org.id, user, role.key, UnixMillis::now());
    let events = state.events();
    let view = state
        .store
        .add_membership(&m, &|v| {
            Some(events.membership("organizationMembership.created", v))
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::bad_param(
                "user_id",
                "already_a_member_in_organization",
                "The user is already a member of this organization.",
            ),
            StoreError::NotFound => ApiError::not_found("user"),
            other => other.into(),
        })?;
    claims_changed(state);
    Ok(view)
}

/// Give a member another role (never leaving the organization without
/// someone who can manage its members: the store decides that).
pub async fn change_role(
    state: &AppState,
    org: &OrganizationId,
    user: &UserId,
    role_key: &str,
) -> ApiResult<MembershipView> {
    let patch = MembershipPatch {
        role: Some(role(state, role_key).await?.key),
        ..MembershipPatch::default()
    };
    let events = state.events();
    let view = state
        .store
        .update_membership(org, user, &patch, UnixMillis::now(), &|v| {
            Some(events.membership("organizationMembership.updated", v))
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("organization membership"),
            other => other.into(),
        })?;
    claims_changed(state);
    Ok(view)
}

/// Deep-merge a membership's metadata, computed from the stored row and
/// written only while it still holds what was read: a concurrent change
/// makes it merge again on top.
pub async fn merge_member_metadata(
    state: &AppState,
    org: &OrganizationId,
    user: &UserId,
    body: MetadataMerge,
) -> ApiResult<MembershipView> {
    let not_found = || ApiError::not_found("organization membership");
    loop {
        let current = state
            .store
            .membership(org, user)
            .await?
            .ok_or_else(not_found)?
            .membership;
        let patch = MembershipPatch {
            public_metadata: merged(
                &current.public_metadata,
                &body.public_metadata,
                "public_metadata",
            )?,
            private_metadata: merged(
                &current.private_metadata,
                &body.private_metadata,
                "private_metadata",
            )?,
            if_metadata: Some((current.public_metadata, current.private_metadata)),
            ..MembershipPatch::default()
        };
        let events = state.events();
        match state
            .store
            .update_membership(org, user, &patch, UnixMillis::now(), &|v| {
                Some(events.membership("organizationMembership.updated", v))
            })
            .await
        {
            Err(StoreError::Stale) => continue,
            Err(StoreError::NotFound) => return Err(not_found()),
            other => return Ok(other?),
        }
    }
}

pub async fn remove_member(
    state: &AppState,
    org: &OrganizationId,
    user: &UserId,
) -> ApiResult<MembershipView> {
    let events = state.events();
    let view = state
        .store
        .remove_membership(org, user, &|v| {
            Some(events.membership("organizationMembership.deleted", v))
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("organization membership"),
            other => other.into(),
        })?;
    claims_changed(state);
    Ok(view)
}

/// The signed-in user's membership of the organization `id` names, when it
/// grants `needs` (a system permission such as `org:sys_memberships:manage`;
/// `None`: any member). The Frontend API acts for a member, within the
/// permissions of their role as stored now: an organization the user is
/// not in is not found, a permission the role lacks is refused.
pub async fn acting_member(
    state: &AppState,
    id: &str,
    user: &UserId,
    needs: Option<&str>,
) -> ApiResult<MembershipView> {
    let org: OrganizationId = id
        .parse()
        .map_err(|_| ApiError::not_found("organization"))?;
    let member = state
        .store
        .membership(&org, user)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    if let Some(needs) = needs
        && !member.permissions.iter().any(|p| p.as_str() == needs)
    {
        return Err(ApiError::client(
            axum::http::StatusCode::FORBIDDEN,
            frontdesk_types::ClerkError::new(
                "not_allowed_access",
                "You are not authorized to perform this request",
                format!("Your role in this organization does not grant `{needs}`."),
            ),
        ));
    }
    Ok(member)
}

/// Refused unless the instance has organizations on (Clerk's answer to the
/// Frontend API on an instance without them).
pub fn require_enabled(state: &AppState) -> ApiResult<()> {
    if state.settings().settings.organizations.enabled {
        return Ok(());
    }
    Err(ApiError::client(
        axum::http::StatusCode::FORBIDDEN,
        frontdesk_types::ClerkError::new(
            "organization_not_enabled_in_instance",
            "Organizations are not enabled",
            "The organizations feature is not enabled for this instance.",
        ),
    ))
}
