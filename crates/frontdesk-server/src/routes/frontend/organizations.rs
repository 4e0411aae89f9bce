//! `/v1/organizations…` for the signed-in user: what `<CreateOrganization/>`,
//! `<OrganizationSwitcher/>` and `<OrganizationProfile/>` call (protocol
//! §4.1). Each call acts as the user's membership of the organization and
//! within its role's permissions, the same system permissions clerk-js
//! gates its UI on (`org:sys_profile:manage` to rename, `…:delete` to
//! delete, `org:sys_memberships:read`/`manage` for the members).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_types::ClerkError;
use frontdesk_types::common::DeletedObject;
use serde::Deserialize;
use serde_json::json;

use super::envelope;
use super::me::current;
use crate::engine::organizations::{self as orgs, acting_member};
use crate::engine::users::{load_user, parse_user_id};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser, QueryParams};
use crate::render::organizations::{Api, membership, organization};
use crate::routes::organizations::members::member_query;
use crate::routes::organizations::roles::roles_page;
use crate::state::AppState;
use frontdesk_store::organizations::MembershipView;

const PROFILE_MANAGE: &str = "org:sys_profile:manage";
const PROFILE_DELETE: &str = "org:sys_profile:delete";
const MEMBERS_READ: &str = "org:sys_memberships:read";
const MEMBERS_MANAGE: &str = "org:sys_memberships:manage";

/// The signed-in user's membership of `org`, when it grants `needs`
/// (`None`: any member): who every call below acts as.
pub(super) async fn acting(
    state: &AppState,
    fapi: &Browser,
    q: &QueryParams,
    org: &str,
    needs: Option<&str>,
) -> ApiResult<MembershipView> {
    let (_, user) = current(state, fapi, q).await?;
    acting_member(state, org, &user.id, needs).await
}

#[derive(Debug, Deserialize)]
pub struct Create {
    name: String,
    slug: Option<String>,
}

/// `POST /v1/organizations` (`clerk.createOrganization`): the user becomes
/// its first member, with the instance's creator role.
pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<Response> {
    orgs::require_enabled(&state)?;
    let (_, user) = current(&state, &fapi, &q).await?;
    if !user.create_organization_enabled {
        return Err(ApiError::client(
            StatusCode::FORBIDDEN,
            ClerkError::new(
                "not_allowed_access",
                "You cannot create organizations",
                "Creating organizations is turned off for this user (`create_organization_enabled`).",
            ),
        ));
    }
    let new = orgs::NewOrganization {
        name: body.name,
        slug: body.slug,
        created_by: Some(user.id.to_string()),
        ..orgs::NewOrganization::default()
    };
    let org = orgs::create(&state, new).await?;
    envelope(&state, &mut fapi, organization(&org, Api::Frontend)).await
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, None).await?;
    envelope(
        &state,
        &mut fapi,
        organization(&member.organization, Api::Frontend),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct Update {
    name: Option<String>,
    slug: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
    ApiBody(body): ApiBody<Update>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(PROFILE_MANAGE)).await?;
    let changes = orgs::OrgChanges {
        name: body.name,
        slug: body.slug,
        ..orgs::OrgChanges::default()
    };
    let org = orgs::update(&state, &member.organization, changes).await?;
    envelope(&state, &mut fapi, organization(&org, Api::Frontend)).await
}

/// Deleting needs the permission and the organization's consent to being
/// deleted by its admins (`admin_delete_enabled`).
pub async fn delete(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(PROFILE_DELETE)).await?;
    if !member.organization.admin_delete_enabled {
        return Err(ApiError::client(
            StatusCode::FORBIDDEN,
            ClerkError::new(
                "not_allowed_access",
                "This organization cannot be deleted by its members",
                "Deleting this organization by its admins is turned off (`admin_delete_enabled`).",
            ),
        ));
    }
    orgs::delete(&state, &member.organization).await?;
    let gone = DeletedObject::new("organization", member.organization.id.to_string());
    envelope(&state, &mut fapi, gone).await
}

/// `GET /v1/organizations/{org}/memberships`: always `{data, total_count}`
/// (clerk-js pages through members).
pub async fn members(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_READ)).await?;
    let page = state
        .store
        .list_memberships(&member_query(Some(member.organization.id), &q)?)
        .await?;
    let data: Vec<_> = page
        .data
        .iter()
        .map(|v| membership(v, Api::Frontend))
        .collect();
    let body = json!({"data": data, "total_count": page.total_count});
    envelope(&state, &mut fapi, body).await
}

#[derive(Debug, Deserialize)]
pub struct NewMember {
    user_id: String,
    role: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
    ApiBody(body): ApiBody<NewMember>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let added = load_user(&state, &body.user_id).await?;
    let view = orgs::add_member(&state, &member.organization, &added.id, &body.role).await?;
    envelope(&state, &mut fapi, membership(&view, Api::Frontend)).await
}

#[derive(Debug, Deserialize)]
pub struct RoleChange {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, member_id)): Path<(String, String)>,
    ApiBody(body): ApiBody<RoleChange>,
) -> ApiResult<Response> {
    let actor = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let target = parse_user_id(&member_id)?;
    let view = orgs::change_role(&state, &actor.organization.id, &target, &body.role).await?;
    envelope(&state, &mut fapi, membership(&view, Api::Frontend)).await
}

pub async fn remove_member(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, member_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let actor = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let target = parse_user_id(&member_id)?;
    let view = orgs::remove_member(&state, &actor.organization.id, &target).await?;
    envelope(&state, &mut fapi, membership(&view, Api::Frontend)).await
}

/// `GET /v1/organizations/{org}/roles`: the roles a member can be given.
pub async fn roles(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    acting(&state, &fapi, &q, &org, None).await?;
    let page = roles_page(&state, &q).await?;
    envelope(&state, &mut fapi, page).await
}
