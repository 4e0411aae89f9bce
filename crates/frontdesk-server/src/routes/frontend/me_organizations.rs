//! `/v1/me/organization_memberships…`: the signed-in user's organizations
//! as `<OrganizationSwitcher/>` and `<OrganizationList/>` page through them,
//! and leaving one (never as the last member who can manage the members).

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_types::OrganizationId;
use frontdesk_types::common::DeletedObject;
use serde_json::json;

use super::envelope;
use super::me::current;
use crate::engine::organizations as orgs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Browser, QueryParams};
use crate::render::organizations::{Api, membership};
use crate::state::AppState;

/// `GET /v1/me/organization_memberships`: `{data, total_count}` when paged
/// (`paginated`, `limit` or `offset`, as clerk-js asks), else the list.
pub async fn list(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let (limit, offset) = q.page()?;
    let page = state
        .store
        .user_memberships(&user.id, limit, offset)
        .await?;
    let data: Vec<_> = page
        .data
        .iter()
        .map(|v| membership(v, Api::Frontend))
        .collect();
    let paged = ["paginated", "limit", "offset"]
        .iter()
        .any(|p| q.text(p).is_some());
    let body = if paged {
        json!({"data": data, "total_count": page.total_count})
    } else {
        json!(data)
    };
    envelope(&state, &mut fapi, body).await
}

/// `DELETE /v1/me/organization_memberships/{org}`: leave it.
pub async fn leave(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let org: OrganizationId = org
        .parse()
        .map_err(|_| ApiError::not_found("organization membership"))?;
    let left = orgs::remove_member(&state, &org, &user.id).await?;
    let body = DeletedObject::new("organization_membership", left.membership.id.to_string());
    envelope(&state, &mut fapi, body).await
}

/// The user's memberships as the Frontend API's `User` embeds them
/// (`user.organization_memberships`): what clerk-js finds the active
/// organization in. The first 500, oldest first.
pub async fn embedded(
    state: &AppState,
    user: &frontdesk_types::UserId,
) -> ApiResult<Vec<serde_json::Value>> {
    let page = state.store.user_memberships(user, 500, 0).await?;
    Ok(page
        .data
        .iter()
        .map(|v| serde_json::to_value(membership(v, Api::Frontend)).unwrap_or_default())
        .collect())
}
