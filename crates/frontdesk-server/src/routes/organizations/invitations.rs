//! Backend API: invitations to organizations
//! (`/v1/organizations/{org}/invitations…`), the instance's and a user's,
//! as `@clerk/backend`'s `OrganizationAPI` calls them.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::InvitationStatus;
use frontdesk_store::org_invitations::{InvitationQuery, InvitationView};
use frontdesk_store::organizations::Page;
use frontdesk_types::OrganizationId;
use frontdesk_types::organization::{OrganizationInvitation, Paginated};
use serde_json::Value;

use crate::engine::org_invitations::{self as invitations, InvitationRequest, Sent};
use crate::engine::organizations::{self as orgs, acting_member};
use crate::engine::users::load_user;
use crate::error::{ApiJson, ApiResult};
use crate::extract::{BackendCaller, ListBody, QueryParams, parse_value};
use crate::render::organizations::{InvitationFor, invitation};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/organizations/{org}/invitations",
            get(list).post(create),
        )
        .route("/v1/organizations/{org}/invitations/bulk", post(bulk))
        .route("/v1/organizations/{org}/invitations/pending", get(pending))
        .route("/v1/organizations/{org}/invitations/{inv}", get(show))
        .route(
            "/v1/organizations/{org}/invitations/{inv}/revoke",
            post(revoke),
        )
        .route("/v1/organization_invitations", get(instance_list))
        .route("/v1/users/{user_id}/organization_invitations", get(of_user))
}

type InvitationJson = ApiJson<OrganizationInvitation>;
type InvitationPage = ApiJson<Paginated<OrganizationInvitation>>;

fn one(v: &InvitationView, url: Option<String>) -> OrganizationInvitation {
    invitation(v, InvitationFor::Backend, url, UnixMillis::now())
}

/// A page; `across` organizations, each says which it is to.
fn page(p: Page<InvitationView>, across: bool) -> InvitationPage {
    let audience = if across {
        InvitationFor::BackendAcross
    } else {
        InvitationFor::Backend
    };
    let now = UnixMillis::now();
    ApiJson(Paginated {
        data: p
            .data
            .iter()
            .map(|v| invitation(v, audience, None, now))
            .collect(),
        total_count: p.total_count,
    })
}

fn sent(s: Vec<Sent>) -> Vec<OrganizationInvitation> {
    s.into_iter().map(|s| one(&s.view, Some(s.url))).collect()
}

/// The inviter named (`inviter_user_id`), who must be able to manage the
/// organization's members (Clerk: "must be an administrator").
async fn inviter(
    state: &AppState,
    org: &OrganizationId,
    r: &InvitationRequest,
) -> ApiResult<Option<frontdesk_types::UserId>> {
    match r.inviter_user_id.as_deref().filter(|u| !u.is_empty()) {
        Some(raw) => {
            let user = load_user(state, raw).await?;
            acting_member(
                state,
                org.as_str(),
                &user.id,
                Some("org:sys_memberships:manage"),
            )
            .await?;
            Ok(Some(user.id))
        }
        None => Ok(None),
    }
}

/// The requests of a body: one object, or (bulk) an array of them.
fn requests(body: Value) -> ApiResult<Vec<InvitationRequest>> {
    match body {
        Value::Array(all) => all.into_iter().map(parse_value).collect(),
        one => Ok(vec![parse_value(one)?]),
    }
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    ListBody(body): ListBody,
) -> ApiResult<InvitationJson> {
    let org = orgs::load(&state, &org).await?;
    let request: InvitationRequest = parse_value(body)?;
    let from = inviter(&state, &org.id, &request).await?;
    let mut made = invitations::invite(
        &state,
        &org,
        &[request],
        from.as_ref(),
        invitations::Sender::App,
    )
    .await?;
    let first = made.remove(0);
    Ok(ApiJson(one(&first.view, Some(first.url))))
}

/// `POST …/invitations/bulk`: a JSON array, all or none; the inviter of
/// the first names the inviter of all (one caller sends them).
async fn bulk(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    ListBody(body): ListBody,
) -> ApiResult<InvitationPage> {
    let org = orgs::load(&state, &org).await?;
    let all = requests(body)?;
    let from = match all.first() {
        Some(r) => inviter(&state, &org.id, r).await?,
        None => None,
    };
    let made = sent(
        invitations::invite(&state, &org, &all, from.as_ref(), invitations::Sender::App).await?,
    );
    let total_count = made.len() as i64;
    Ok(ApiJson(Paginated {
        data: made,
        total_count,
    }))
}

/// The invitations a list asks for (its page), of `org` or to `emails`;
/// the Frontend API's lists take the same.
pub fn query(
    q: &QueryParams,
    org: Option<OrganizationId>,
    emails: Vec<String>,
    statuses: Vec<InvitationStatus>,
) -> ApiResult<InvitationQuery> {
    let (limit, offset) = q.page()?;
    Ok(InvitationQuery {
        organization_id: org,
        email_addresses: emails,
        statuses,
        now: UnixMillis::now(),
        limit,
        offset,
    })
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    q: QueryParams,
) -> ApiResult<InvitationPage> {
    let org = orgs::load(&state, &org).await?;
    let statuses = invitations::statuses(&q.all("status"))?;
    let query = query(&q, Some(org.id), Vec::new(), statuses)?;
    Ok(page(invitations::list(&state, query).await?, false))
}

async fn pending(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(org): Path<String>,
    q: QueryParams,
) -> ApiResult<InvitationPage> {
    let org = orgs::load(&state, &org).await?;
    let query = query(
        &q,
        Some(org.id),
        Vec::new(),
        vec![InvitationStatus::Pending],
    )?;
    Ok(page(invitations::list(&state, query).await?, false))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, inv)): Path<(String, String)>,
) -> ApiResult<InvitationJson> {
    let org = orgs::load(&state, &org).await?;
    let found = invitations::load(&state, &org, &inv).await?;
    Ok(ApiJson(one(&found, None)))
}

async fn revoke(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((org, inv)): Path<(String, String)>,
) -> ApiResult<InvitationJson> {
    let org = orgs::load(&state, &org).await?;
    let revoked = invitations::revoke(&state, &org, &inv).await?;
    Ok(ApiJson(one(&revoked, None)))
}

async fn instance_list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<InvitationPage> {
    let statuses = invitations::statuses(&q.all("status"))?;
    let query = query(&q, None, Vec::new(), statuses)?;
    Ok(page(invitations::list(&state, query).await?, true))
}

/// A user's invitations: those to their verified addresses.
async fn of_user(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(user): Path<String>,
    q: QueryParams,
) -> ApiResult<InvitationPage> {
    let user = load_user(&state, &user).await?;
    let emails = invitations::verified_addresses(&user);
    if emails.is_empty() {
        return Ok(ApiJson(Paginated {
            data: Vec::new(),
            total_count: 0,
        }));
    }
    let statuses = invitations::statuses(&q.all("status"))?;
    let query = query(&q, None, emails, statuses)?;
    Ok(page(invitations::list(&state, query).await?, true))
}
