//! Verified domains, requests to join and suggestions in the Frontend API:
//! what `<OrganizationProfile/>`'s domain pages and request list, and the
//! switcher's suggestions, call (protocol §4.1). With domains off the lists
//! are empty, as Clerk answers; the switcher asks on every open.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::organizations::{RequestStatus, SuggestionStatus};
use frontdesk_store::org_domains::DomainQuery;
use frontdesk_store::organizations::MembershipView;
use frontdesk_types::common::DeletedObject;
use serde::Deserialize;
use serde_json::json;

use super::envelope;
use super::me::current;
use super::organizations::acting;
use crate::engine::org_domains as domains;
use crate::engine::organizations as orgs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser, QueryParams, Upload};
use crate::render::org_domains::{domain, request, suggestion};
use crate::render::organizations::{Api, organization};
use crate::state::AppState;

const DOMAINS_READ: &str = "org:sys_domains:read";
const DOMAINS_MANAGE: &str = "org:sys_domains:manage";
const MEMBERS_MANAGE: &str = "org:sys_memberships:manage";
const PROFILE_MANAGE: &str = "org:sys_profile:manage";

fn domains_on(state: &AppState) -> bool {
    let settings = state.settings();
    settings.settings.organizations.enabled && settings.settings.organizations.domains_enabled
}

/// Refused unless the instance has verified domains on.
fn require_domains(state: &AppState) -> ApiResult<()> {
    if domains_on(state) {
        return Ok(());
    }
    Err(ApiError::client(
        axum::http::StatusCode::FORBIDDEN,
        frontdesk_types::ClerkError::new(
            "organization_domains_not_enabled",
            "Verified domains are not enabled",
            "Verified domains are not enabled for this instance.",
        ),
    ))
}

/// Whether the member's role grants `permission`. The lists answer a
/// member without it with nothing, as with domains off (no component
/// shows them an error for a list it asks for in passing).
fn grants(member: &MembershipView, permission: &str) -> bool {
    member.permissions.iter().any(|p| p.as_str() == permission)
}

fn empty_page() -> serde_json::Value {
    json!({"data": [], "total_count": 0})
}

/// `GET /v1/organizations/{org}/domains`: `verified`, `enrollment_mode`, the page.
pub async fn list(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, None).await?;
    if !domains_on(&state) || !grants(&member, DOMAINS_READ) {
        return envelope(&state, &mut fapi, empty_page()).await;
    }
    let (limit, offset) = q.page()?;
    let query = DomainQuery {
        organization_id: Some(member.organization.id),
        verified: q.parse::<bool>("verified")?,
        modes: q
            .text("enrollment_mode")
            .map(|m| domains::mode(&state, Some(&m)))
            .transpose()?
            .into_iter()
            .collect(),
        limit,
        offset,
        ..DomainQuery::default()
    };
    let page = domains::list(&state, &query).await?;
    let data: Vec<_> = page.data.iter().map(domain).collect();
    envelope(
        &state,
        &mut fapi,
        json!({"data": data, "total_count": page.total_count}),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct NewDomain {
    name: String,
    enrollment_mode: Option<String>,
}

/// `POST /v1/organizations/{org}/domains`: claimed unverified; the admin
/// proves it next with a code.
pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
    ApiBody(body): ApiBody<NewDomain>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(DOMAINS_MANAGE)).await?;
    require_domains(&state)?;
    let d = domains::create(
        &state,
        &member.organization,
        &body.name,
        body.enrollment_mode.as_deref(),
        false,
    )
    .await?;
    envelope(&state, &mut fapi, domain(&d)).await
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(DOMAINS_READ)).await?;
    let d = domains::load(&state, &member.organization, &id).await?;
    envelope(&state, &mut fapi, domain(&d)).await
}

pub async fn delete(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(DOMAINS_MANAGE)).await?;
    let d = domains::load(&state, &member.organization, &id).await?;
    let gone = domains::delete(&state, &d).await?;
    let body = DeletedObject::new("organization_domain", gone.domain.id.to_string());
    envelope(&state, &mut fapi, body).await
}

#[derive(Debug, Deserialize)]
pub struct ModeChange {
    enrollment_mode: String,
    #[serde(default, deserialize_with = "crate::extract::form_bool")]
    delete_pending: Option<bool>,
}

/// `POST …/domains/{d}/update_enrollment_mode`.
pub async fn update_mode(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
    ApiBody(body): ApiBody<ModeChange>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(DOMAINS_MANAGE)).await?;
    require_domains(&state)?;
    let d = domains::load(&state, &member.organization, &id).await?;
    let d = domains::update(
        &state,
        &d,
        Some(&body.enrollment_mode),
        None,
        body.delete_pending.unwrap_or(false),
    )
    .await?;
    envelope(&state, &mut fapi, domain(&d)).await
}

#[derive(Debug, Deserialize)]
pub struct Prepare {
    affiliation_email_address: String,
}

/// `POST …/domains/{d}/prepare_affiliation_verification`: mail a code to
/// an address at the domain.
pub async fn prepare(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(DOMAINS_MANAGE)).await?;
    require_domains(&state)?;
    let d = domains::load(&state, &member.organization, &id).await?;
    let d = domains::prepare_affiliation(&state, &d, &body.affiliation_email_address).await?;
    envelope(&state, &mut fapi, domain(&d)).await
}

#[derive(Debug, Deserialize)]
pub struct Attempt {
    code: String,
}

/// `POST …/domains/{d}/attempt_affiliation_verification`.
pub async fn attempt(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
    ApiBody(body): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(DOMAINS_MANAGE)).await?;
    require_domains(&state)?;
    let d = domains::attempt_affiliation(&state, &member.organization, &id, &body.code).await?;
    envelope(&state, &mut fapi, domain(&d)).await
}

/// `GET /v1/organizations/{org}/membership_requests` (`status`, the page).
pub async fn requests(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, None).await?;
    if !domains_on(&state) || !grants(&member, MEMBERS_MANAGE) {
        return envelope(&state, &mut fapi, empty_page()).await;
    }
    let statuses = domains::statuses(&q.all("status"), RequestStatus::parse)?;
    let (limit, offset) = q.page()?;
    let page = domains::requests(&state, &member.organization, &statuses, limit, offset).await?;
    let data: Vec<_> = page.data.iter().map(request).collect();
    envelope(
        &state,
        &mut fapi,
        json!({"data": data, "total_count": page.total_count}),
    )
    .await
}

async fn decide(
    state: AppState,
    mut fapi: Browser,
    q: QueryParams,
    org: String,
    id: String,
    accept: bool,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(MEMBERS_MANAGE)).await?;
    let (decided, _) = domains::decide(&state, &member.organization, &id, accept).await?;
    envelope(&state, &mut fapi, request(&decided)).await
}

/// `POST …/membership_requests/{req}/accept`: the user joins.
pub async fn accept_request(
    State(state): State<AppState>,
    fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    decide(state, fapi, q, org, id, true).await
}

pub async fn reject_request(
    State(state): State<AppState>,
    fapi: Browser,
    q: QueryParams,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    decide(state, fapi, q, org, id, false).await
}

/// `GET /v1/me/organization_suggestions` (`status`, the page): what the
/// user's verified domains offer, made when they look.
pub async fn suggestions(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let statuses = domains::statuses(&q.all("status"), SuggestionStatus::parse)?;
    let (limit, offset) = q.page()?;
    let page = domains::suggestions(&state, &user, &statuses, limit, offset).await?;
    let data: Vec<_> = page.data.iter().map(suggestion).collect();
    envelope(
        &state,
        &mut fapi,
        json!({"data": data, "total_count": page.total_count}),
    )
    .await
}

/// `POST /v1/me/organization_suggestions/{id}/accept`: ask to join.
pub async fn accept_suggestion(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let s = domains::accept_suggestion(&state, &user, &id).await?;
    envelope(&state, &mut fapi, suggestion(&s)).await
}

/// `PUT /v1/organizations/{org}/logo` (multipart `file`).
pub async fn set_logo(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
    upload: Result<Upload, ApiError>,
) -> ApiResult<Response> {
    // Who is asking first: a caller who may not is told that, whatever it sent.
    let member = acting(&state, &fapi, &q, &org, Some(PROFILE_MANAGE)).await?;
    let bytes = upload?.file().await?;
    let o = crate::engine::images::set_logo(&state, &member.organization, bytes).await?;
    orgs::claims_changed(&state);
    envelope(&state, &mut fapi, organization(&o, Api::Frontend)).await
}

/// `DELETE /v1/organizations/{org}/logo`.
pub async fn remove_logo(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let member = acting(&state, &fapi, &q, &org, Some(PROFILE_MANAGE)).await?;
    let o = crate::engine::images::remove_logo(&state, &member.organization).await?;
    envelope(&state, &mut fapi, organization(&o, Api::Frontend)).await
}
