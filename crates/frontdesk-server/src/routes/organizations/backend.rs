//! Backend API: organizations (`/v1/organizations…`), as `@clerk/backend`'s
//! `OrganizationAPI` calls them.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, patch};
use frontdesk_store::organizations::{OrgOrder, OrgQuery};
use frontdesk_types::common::DeletedObject;
use frontdesk_types::organization::{Organization, Paginated};

use crate::engine::organizations::{self as orgs, MetadataMerge, NewOrganization, OrgChanges};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render::organizations::{Api, organization};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organizations", get(list).post(create))
        .route(
            "/v1/organizations/{org}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/v1/organizations/{org}/metadata",
            patch(merge_metadata).put(replace_metadata),
        )
}

type OrgJson = ApiJson<Organization>;

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Paginated<Organization>>> {
    let (limit, offset) = q.page()?;
    let order = q
        .text("order_by")
        .unwrap_or_else(|| "-created_at".to_owned());
    let (order_by, descending) = OrgOrder::parse(&order).ok_or_else(|| {
        ApiError::bad_param(
            "order_by",
            "form_param_value_invalid",
            format!("`order_by` cannot be `{order}`"),
        )
    })?;
    fn ids<T: std::str::FromStr>(q: &QueryParams, name: &str) -> ApiResult<Vec<T>> {
        q.all(name)
            .iter()
            .map(|raw| {
                raw.parse().map_err(|_| {
                    ApiError::bad_param(
                        name,
                        "form_param_format_invalid",
                        format!("`{raw}` is not a valid `{name}`"),
                    )
                })
            })
            .collect()
    }
    let query = OrgQuery {
        query: q.text("query"),
        user_ids: ids(&q, "user_id")?,
        organization_ids: ids(&q, "organization_id")?,
        order_by,
        descending,
        limit,
        offset,
    };
    let page = state.store.list_organizations(&query).await?;
    Ok(ApiJson(Paginated {
        data: page
            .data
            .iter()
            .map(|o| organization(o, Api::Backend))
            .collect(),
        total_count: page.total_count,
    }))
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<NewOrganization>,
) -> ApiResult<OrgJson> {
    let org = orgs::create(&state, body).await?;
    Ok(ApiJson(organization(&org, Api::Backend)))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<OrgJson> {
    let org = orgs::load(&state, &id).await?;
    Ok(ApiJson(organization(&org, Api::Backend)))
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<OrgChanges>,
) -> ApiResult<OrgJson> {
    let org = orgs::load(&state, &id).await?;
    let org = orgs::update(&state, &org, body).await?;
    Ok(ApiJson(organization(&org, Api::Backend)))
}

async fn merge_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<MetadataMerge>,
) -> ApiResult<OrgJson> {
    let org = orgs::load(&state, &id).await?;
    let org = orgs::merge_metadata(&state, &org.id, body).await?;
    Ok(ApiJson(organization(&org, Api::Backend)))
}

/// `PUT …/metadata`: the given metadata replace the stored ones; omitted
/// ones stay.
async fn replace_metadata(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<MetadataMerge>,
) -> ApiResult<OrgJson> {
    let org = orgs::load(&state, &id).await?;
    let changes = OrgChanges {
        public_metadata: body.public_metadata,
        private_metadata: body.private_metadata,
        ..OrgChanges::default()
    };
    let org = orgs::update(&state, &org, changes).await?;
    Ok(ApiJson(organization(&org, Api::Backend)))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let org = orgs::load(&state, &id).await?;
    orgs::delete(&state, &org).await?;
    Ok(ApiJson(DeletedObject::new(
        "organization",
        org.id.to_string(),
    )))
}
