//! Backend API: an organization's verified domains
//! (`/v1/organizations/{org}/domains…`, `/v1/organization_domains`) and its
//! logo. The operator's word proves a domain (`verified`, which
//! `@clerk/backend` sends as `true` unless told otherwise).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use frontdesk_domain::organizations::EnrollmentMode;
use frontdesk_store::org_domains::DomainQuery;
use frontdesk_types::OrganizationId;
use frontdesk_types::common::DeletedObject;
use frontdesk_types::organization::{Organization, OrganizationDomain, Paginated};
use serde::Deserialize;

use crate::engine::images;
use crate::engine::org_domains as domains;
use crate::engine::organizations as orgs;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams, Upload};
use crate::render::org_domains::domain;
use crate::render::organizations::{Api, organization};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organizations/{org}/domains", get(list).post(create))
        .route(
            "/v1/organizations/{org}/domains/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/v1/organization_domains", get(instance_list))
        .route(
            "/v1/organizations/{org}/logo",
            put(set_logo)
                .delete(remove_logo)
                .layer(axum::extract::DefaultBodyLimit::max(
                    images::MAX_IMAGE_BYTES + 64 * 1024,
                )),
        )
}

type DomainJson = ApiJson<OrganizationDomain>;
type DomainPage = ApiJson<Paginated<OrganizationDomain>>;

/// `enrollment_mode` filters: each value included, or excluded with `-`.
fn mode_filters(q: &QueryParams) -> ApiResult<(Vec<EnrollmentMode>, Vec<EnrollmentMode>)> {
    let (mut modes, mut excluded) = (Vec::new(), Vec::new());
    for raw in q.all("enrollment_mode").iter().flat_map(|m| m.split(',')) {
        let (list, name) = match raw.strip_prefix('-') {
            Some(name) => (&mut excluded, name),
            None => (&mut modes, raw),
        };
        // Clerk's fourth mode (enterprise SSO by domain) is not
        // Frontdesk's: no domain has it, so filtering on it is harmless.
        if name == "enterprise_sso" {
            continue;
        }
        list.push(EnrollmentMode::parse(name).ok_or_else(|| {
            ApiError::bad_param(
                "enrollment_mode",
                "form_param_value_invalid",
                format!("`enrollment_mode` cannot be `{name}`"),
            )
        })?);
    }
    Ok((modes, excluded))
}

fn query(org: Option<OrganizationId>, q: &QueryParams) -> ApiResult<DomainQuery> {
    let (limit, offset) = q.page()?;
    let (modes, excluded) = mode_filters(q)?;
    Ok(DomainQuery {
        organization_id: org,
        verified: q.parse::<bool>("verified")?,
        modes,
        excluded,
        names: q.all("domains"),
        query: q.text("query"),
        limit,
        offset,
    })
}

fn page(
    p: frontdesk_store::organizations::Page<frontdesk_store::org_domains::DomainView>,
) -> DomainPage {
    ApiJson(Paginated {
        data: p.data.iter().map(domain).collect(),
        total_count: p.total_count,
    })
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    q: QueryParams,
) -> ApiResult<DomainPage> {
    let org = orgs::load(&state, &org).await?;
    Ok(page(
        domains::list(&state, &query(Some(org.id), &q)?).await?,
    ))
}

/// `GET /v1/organization_domains`: the instance's, `organization_id` to narrow.
async fn instance_list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<DomainPage> {
    let org = match q.text("organization_id") {
        Some(id) => Some(orgs::load(&state, &id).await?.id),
        None => None,
    };
    Ok(page(domains::list(&state, &query(org, &q)?).await?))
}

#[derive(Debug, Deserialize)]
struct NewDomain {
    name: String,
    enrollment_mode: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::form_bool")]
    verified: Option<bool>,
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    ApiBody(body): ApiBody<NewDomain>,
) -> ApiResult<DomainJson> {
    let org = orgs::load(&state, &org).await?;
    let d = domains::create(
        &state,
        &org,
        &body.name,
        body.enrollment_mode.as_deref(),
        body.verified.unwrap_or(true),
    )
    .await?;
    Ok(ApiJson(domain(&d)))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<DomainJson> {
    let org = orgs::load(&state, &org).await?;
    Ok(ApiJson(domain(&domains::load(&state, &org, &id).await?)))
}

#[derive(Debug, Deserialize)]
struct DomainChanges {
    enrollment_mode: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::form_bool")]
    verified: Option<bool>,
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
    ApiBody(body): ApiBody<DomainChanges>,
) -> ApiResult<DomainJson> {
    let org = orgs::load(&state, &org).await?;
    let d = domains::load(&state, &org, &id).await?;
    let d = domains::update(
        &state,
        &d,
        body.enrollment_mode.as_deref(),
        body.verified,
        false,
    )
    .await?;
    Ok(ApiJson(domain(&d)))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let org = orgs::load(&state, &org).await?;
    let d = domains::load(&state, &org, &id).await?;
    let gone = domains::delete(&state, &d).await?;
    Ok(ApiJson(DeletedObject::new(
        "organization_domain",
        gone.domain.id.to_string(),
    )))
}

/// `PUT /v1/organizations/{org}/logo` (`updateOrganizationLogo`): multipart
/// `file` (and `uploader_user_id`, which changes nothing here).
async fn set_logo(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    upload: Result<Upload, ApiError>,
) -> ApiResult<ApiJson<Organization>> {
    let org = orgs::load(&state, &org).await?;
    let o = images::set_logo(&state, &org, upload?.file().await?).await?;
    Ok(ApiJson(organization(&o, Api::Backend)))
}

async fn remove_logo(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult<ApiJson<Organization>> {
    let org = orgs::load(&state, &org).await?;
    Ok(ApiJson(organization(
        &images::remove_logo(&state, &org).await?,
        Api::Backend,
    )))
}
