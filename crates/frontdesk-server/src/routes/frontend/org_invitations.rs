//! Invitations in the Frontend API: an organization's, which its member
//! managers send, list and revoke from `<OrganizationProfile/>`, and the
//! signed-in user's own, which `<OrganizationSwitcher/>` and
//! `<OrganizationList/>` show and accept (protocol §4.1).

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::InvitationStatus;
use frontdesk_store::org_invitations::InvitationView;
use frontdesk_types::OrganizationInvitationId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope;
use super::me::current;
use super::organizations::acting;
use crate::engine::org_invitations::{self as invitations, InvitationRequest};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser, ListBody, QueryParams};
use crate::render::organizations::{InvitationFor, invitation};
use crate::routes::organizations::invitations::query;
use crate::state::AppState;

const MEMBERS_MANAGE: &str = "org:sys_memberships:manage";

fn shown(v: &InvitationView, audience: InvitationFor) -> Value {
    serde_json::to_value(invitation(v, audience, None, UnixMillis::now())).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct Invite {
    email_address: String,
    role: String,
}

/// `POST /v1/organizations/{org}/invitations`: one address.
pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
    ApiBody(body): ApiBody<Invite>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let request = InvitationRequest {
        email_address: body.email_address,
        role: body.role,
        ..InvitationRequest::default()
    };
    let made = invitations::invite(
        &state,
        &member.organization,
        &[request],
        Some(&member.membership.user_id),
        invitations::Sender::Member,
    )
    .await?;
    let body = made
        .first()
        .map(|s| shown(&s.view, InvitationFor::Organization));
    envelope(&state, &mut fapi, body).await
}

/// `POST /v1/organizations/{org}/invitations/bulk` (`<OrganizationProfile/>`'s
/// invite form): `email_address` repeated, one `role`; the answer's
/// `response` is a bare array (clerk-js maps over it).
pub async fn bulk(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
    ListBody(body): ListBody,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let emails: Vec<String> = match body.get("email_address") {
        Some(Value::Array(all)) => all.iter().filter_map(text).collect(),
        Some(one) => text(one).into_iter().collect(),
        None => Vec::new(),
    };
    let role = body
        .get("role")
        .and_then(text)
        .ok_or_else(|| ApiError::bad_param("role", "form_param_missing", "role is missing"))?;
    let requests: Vec<InvitationRequest> = emails
        .into_iter()
        .filter(|e| !e.trim().is_empty())
        .map(|email_address| InvitationRequest {
            email_address,
            role: role.clone(),
            ..InvitationRequest::default()
        })
        .collect();
    let made = invitations::invite(
        &state,
        &member.organization,
        &requests,
        Some(&member.membership.user_id),
        invitations::Sender::Member,
    )
    .await?;
    let list: Vec<Value> = made
        .iter()
        .map(|s| shown(&s.view, InvitationFor::Organization))
        .collect();
    envelope(&state, &mut fapi, list).await
}

/// `GET /v1/organizations/{org}/invitations` (`status` repeatable):
/// `{data, total_count}`.
pub async fn list(
    State(state): State<AppState>,
    fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let statuses = invitations::statuses(&q.all("status"))?;
    listed(state, fapi, q, org, statuses, true).await
}

/// `GET /v1/organizations/{org}/invitations/pending`: a bare array.
pub async fn pending(
    State(state): State<AppState>,
    fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    listed(state, fapi, q, org, vec![InvitationStatus::Pending], false).await
}

async fn listed(
    state: AppState,
    mut fapi: Browser,
    q: QueryParams,
    org: String,
    statuses: Vec<InvitationStatus>,
    paged: bool,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let query = query(&q, Some(member.organization.id), Vec::new(), statuses)?;
    let page = invitations::list(&state, query).await?;
    let data: Vec<Value> = page
        .data
        .iter()
        .map(|v| shown(v, InvitationFor::Organization))
        .collect();
    let body = if paged {
        json!({"data": data, "total_count": page.total_count})
    } else {
        json!(data)
    };
    envelope(&state, &mut fapi, body).await
}

pub async fn revoke(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, inv)): Path<(String, String)>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let revoked = invitations::revoke(&state, &member.organization, &inv).await?;
    let body = shown(&revoked, InvitationFor::Organization);
    envelope(&state, &mut fapi, body).await
}

/// `GET /v1/me/organization_invitations`: those to the user's verified
/// addresses, with the organization each is to.
pub async fn mine(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    // What the user's verified domains offer is made when they look.
    crate::engine::org_domains::enroll(&state, &user).await?;
    let emails = invitations::verified_addresses(&user);
    let statuses = invitations::statuses(&q.all("status"))?;
    let (data, total_count) = if emails.is_empty() {
        (Vec::new(), 0)
    } else {
        let page = invitations::list(&state, query(&q, None, emails, statuses)?).await?;
        let data = page
            .data
            .iter()
            .map(|v| shown(v, InvitationFor::Invitee))
            .collect();
        (data, page.total_count)
    };
    let body = json!({"data": data, "total_count": total_count});
    envelope(&state, &mut fapi, body).await
}

/// `POST /v1/me/organization_invitations/{inv}/accept`: the user joins; the
/// piggybacked client already lists the membership.
pub async fn accept(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(inv): Path<String>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let id: OrganizationInvitationId = inv
        .parse()
        .map_err(|_| ApiError::not_found("organization invitation"))?;
    let found = state
        .store
        .invitation(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization invitation"))?;
    let (accepted, _) = invitations::accept(&state, &found, &user).await?;
    let body = shown(&accepted, InvitationFor::Invitee);
    envelope(&state, &mut fapi, body).await
}
