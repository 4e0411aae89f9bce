//! Backend API: memberships (`/v1/organizations/{org}/memberships…`) and a
//! user's memberships.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, patch};
use frontdesk_domain::organizations::RoleKey;
use frontdesk_store::organizations::{MemberQuery, MembershipView, Page};
use frontdesk_types::OrganizationId;
use frontdesk_types::organization::{OrganizationMembership, Paginated};
use serde::Deserialize;

use crate::engine::organizations as orgs;
use crate::engine::users::{load_user, parse_user_id};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render::organizations::{Api, membership};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/organizations/{org}/memberships",
            get(list).post(create),
        )
        .route(
            "/v1/organizations/{org}/memberships/{user_id}",
            patch(update).delete(remove),
        )
        .route(
            "/v1/organizations/{org}/memberships/{user_id}/metadata",
            patch(update_metadata),
        )
        .route("/v1/organization_memberships", get(instance_list))
        .route("/v1/users/{user_id}/organization_memberships", get(of_user))
}

type MembershipJson = ApiJson<OrganizationMembership>;
type MembershipPage = ApiJson<Paginated<OrganizationMembership>>;

fn page(p: Page<MembershipView>) -> MembershipPage {
    ApiJson(Paginated {
        data: p.data.iter().map(|v| membership(v, Api::Backend)).collect(),
        total_count: p.total_count,
    })
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    q: QueryParams,
) -> ApiResult<MembershipPage> {
    let org = orgs::load(&state, &org).await?;
    let query = member_query(Some(org.id), &q)?;
    Ok(page(state.store.list_memberships(&query).await?))
}

/// `GET /v1/organization_memberships`: every membership of the instance
/// (`getInstanceOrganizationMembershipList`), with the same filters.
async fn instance_list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<MembershipPage> {
    let query = member_query(None, &q)?;
    Ok(page(state.store.list_memberships(&query).await?))
}

/// The members of `org` (`None`: of every organization) a list asks for:
/// `role`, `user_id`, `email_address` (each repeatable), `query`,
/// `order_by`, the page. Both APIs take the same parameters.
pub fn member_query(org: Option<OrganizationId>, q: &QueryParams) -> ApiResult<MemberQuery> {
    let (limit, offset) = q.page()?;
    let descending = match q.text("order_by").as_deref() {
        None | Some("-created_at") => true,
        Some("created_at" | "+created_at") => false,
        Some(other) => {
            return Err(ApiError::bad_param(
                "order_by",
                "form_param_value_invalid",
                format!("`order_by` cannot be `{other}`"),
            ));
        }
    };
    let roles = q
        .all("role")
        .iter()
        .map(|r| {
            RoleKey::parse(r).map_err(|e| {
                ApiError::bad_param("role", "form_param_format_invalid", e.to_string())
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let user_ids = q
        .all("user_id")
        .iter()
        .map(|u| parse_user_id(u))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(MemberQuery {
        organization_id: org,
        roles,
        user_ids,
        email_addresses: q.all("email_address"),
        query: q.text("query"),
        descending,
        limit,
        offset,
    })
}

#[derive(Debug, Deserialize)]
struct NewMembership {
    user_id: String,
    role: String,
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    ApiBody(body): ApiBody<NewMembership>,
) -> ApiResult<MembershipJson> {
    let org = orgs::load(&state, &org).await?;
    let user = load_user(&state, &body.user_id).await?;
    let view = orgs::add_member(&state, &org, &user.id, &body.role).await?;
    Ok(ApiJson(membership(&view, Api::Backend)))
}

#[derive(Debug, Deserialize)]
struct RoleChange {
    role: String,
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    ApiBody(body): ApiBody<RoleChange>,
) -> ApiResult<MembershipJson> {
    let org = orgs::load(&state, &org).await?;
    let user = parse_user_id(&user)?;
    let view = orgs::change_role(&state, &org.id, &user, &body.role).await?;
    Ok(ApiJson(membership(&view, Api::Backend)))
}

/// `PATCH …/memberships/{user_id}/metadata`: deep-merge (`null` deletes a
/// key), as for users and organizations.
async fn update_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    ApiBody(body): ApiBody<orgs::MetadataMerge>,
) -> ApiResult<MembershipJson> {
    let org = orgs::load(&state, &org).await?;
    let user = parse_user_id(&user)?;
    let view = orgs::merge_member_metadata(&state, &org.id, &user, body).await?;
    Ok(ApiJson(membership(&view, Api::Backend)))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult<MembershipJson> {
    let org = orgs::load(&state, &org).await?;
    let user = parse_user_id(&user)?;
    let view = orgs::remove_member(&state, &org.id, &user).await?;
    Ok(ApiJson(membership(&view, Api::Backend)))
}

async fn of_user(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(user): Path<String>,
    q: QueryParams,
) -> ApiResult<MembershipPage> {
    let user = load_user(&state, &user).await?;
    let (limit, offset) = q.page()?;
    Ok(page(
        state
            .store
            .user_memberships(&user.id, limit, offset)
            .await?,
    ))
}
