//! `/dashboard/organizations`: the instance's organizations (search, pages
//! of 25) and its roles; `/dashboard/organizations/{id}`: one
//! organization's members and invitations, and a member's role changed
//! through the service the Backend API calls (recorded). The rest changes
//! through the Backend API or by the organization's own admins on their
//! pages.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_store::org_invitations::InvitationQuery;
use frontdesk_store::organizations::{MemberQuery, OrgOrder, OrgQuery};
use maud::html;
use serde::Deserialize;

use super::super::layout::{csrf, notice};
use super::super::{CsrfToken, page, see_other};
use super::{Section, datetime, frame, head};
use crate::engine::admin::{self, Audit};
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

const PAGE: i64 = 25;

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: u32,
}

/// `GET /dashboard/organizations`.
pub async fn show(
    State(state): State<AppState>,
    fapi: Browser,
    Query(search): Query<Search>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/organizations").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let query = OrgQuery {
        query: Some(search.q.trim().to_owned()).filter(|q| !q.is_empty()),
        user_ids: Vec::new(),
        organization_ids: Vec::new(),
        order_by: OrgOrder::default(),
        descending: true,
        limit: PAGE,
        offset: i64::from(search.page) * PAGE,
    };
    let (orgs, roles) = match (
        state.store.list_organizations(&query).await,
        state.store.roles().await,
    ) {
        (Ok(o), Ok(r)) => (o, r),
        (Err(e), _) | (_, Err(e)) => {
            return super::super::failed(&state, &fapi, "Organizations", e.into());
        }
    };
    let more = (i64::from(search.page) + 1) * PAGE < orgs.total_count;
    let at_page = |p: u32| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &search.q)
            .append_pair("page", &p.to_string())
            .finish()
    };
    let body = html! {
        (head("Organizations", Some(html! { (orgs.total_count) " in all." }), None))
        form class="toolbar" method="get" action="/dashboard/organizations" role="search" {
            div class="field" {
                label for="f-q" { "Search" }
                input id="f-q" type="search" name="q" value=(search.q) placeholder="Name, slug or org_…";
            }
            button type="submit" { "Search" }
        }
        @if orgs.data.is_empty() {
            div class="panel" { p { "No organization matches." } }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    thead { tr { th scope="col" { "Organization" } th scope="col" { "Members" } th scope="col" { "Pending invitations" } th scope="col" { "Created" } } }
                    tbody {
                        @for o in &orgs.data {
                            tr {
                                td { a href=(format!("/dashboard/organizations/{}", o.id)) { (o.name) } br; span class="muted" { (o.slug) " · " code { (o.id) } } }
                                td { (o.members_count) }
                                td { (o.pending_invitations_count) }
                                td class="nowrap" { (datetime(o.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if search.page > 0 { a class="button secondary small" href=(format!("/dashboard/organizations?{}", at_page(search.page - 1))) { "Previous" } }
            @if more { a class="button secondary small" href=(format!("/dashboard/organizations?{}", at_page(search.page + 1))) { "Next" } }
        }
        section class="panel" aria-labelledby="h-roles" {
            h2 id="h-roles" { "Roles" }
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    thead { tr { th scope="col" { "Role" } th scope="col" { "Key" } th scope="col" { "Permissions" } } }
                    tbody {
                        @for r in &roles {
                            tr {
                                td { (r.name) }
                                td { code { (r.key.as_str()) } }
                                td { @for p in &r.permissions { code { (p.as_str()) } " " } }
                            }
                        }
                    }
                }
            }
        }
    };
    let html = frame(
        &state,
        &operator,
        Section::Organizations,
        "Organizations",
        body,
    );
    page(&fapi, StatusCode::OK, None, html)
}

#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
}

/// `GET /dashboard/organizations/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let here = format!("/dashboard/organizations/{id}");
    let operator = match super::require(&state, &fapi, &here).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let org = match crate::engine::organizations::load(&state, &id).await {
        Ok(o) => o,
        Err(e) => return super::super::failed(&state, &fapi, "Organization", e),
    };
    let members = state
        .store
        .list_memberships(&MemberQuery {
            organization_id: Some(org.id.clone()),
            roles: Vec::new(),
            user_ids: Vec::new(),
            email_addresses: Vec::new(),
            query: None,
            descending: false,
            limit: 100,
            offset: 0,
        })
        .await;
    let invitations = state
        .store
        .list_invitations(&InvitationQuery {
            organization_id: Some(org.id.clone()),
            email_addresses: Vec::new(),
            statuses: Vec::new(),
            now: UnixMillis::now(),
            limit: 100,
            offset: 0,
        })
        .await;
    let (members, invitations, roles) = match (members, invitations, state.store.roles().await) {
        (Ok(m), Ok(i), Ok(r)) => (m, i, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return super::super::failed(&state, &fapi, "Organization", e.into());
        }
    };
    let done = (shown.done.as_deref() == Some("role")).then_some("The member's role was changed.");
    let body = html! {
        (head(&org.name, Some(html! { (org.slug) " · " code { (org.id) } }), None))
        (notice(done))
        dl class="stats" {
            div class="stat" { dt { "Members" } dd { (org.members_count) } }
            div class="stat" { dt { "Pending invitations" } dd { (org.pending_invitations_count) } }
            div class="stat" { dt { "Member limit" } dd { @if org.max_allowed_memberships == 0 { "None" } @else { (org.max_allowed_memberships) } } }
        }
        section class="panel" aria-labelledby="h-members" {
            h2 id="h-members" { "Members" }
            @if members.data.is_empty() {
                p class="muted" { "No members." }
            } @else {
                div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                    table {
                        thead { tr { th scope="col" { "Member" } th scope="col" { "Role" } th scope="col" { "Joined" } } }
                        tbody {
                            @for m in &members.data {
                                tr {
                                    td { a href=(format!("/dashboard/users/{}", m.user.user_id)) { (if m.user.identifier.is_empty() { m.user.user_id.to_string() } else { m.user.identifier.clone() }) } }
                                    td {
                                        form class="role-form" method="post" action=(format!("/dashboard/organizations/{}/members/{}/role", org.id, m.user.user_id)) {
                                            (csrf(&token))
                                            label class="sr-only" for=(format!("role-{}", m.user.user_id)) { "Role of " (m.user.identifier) }
                                            select id=(format!("role-{}", m.user.user_id)) name="role" {
                                                @for r in &roles {
                                                    option value=(r.key.as_str()) selected[r.key == m.membership.role] { (r.name) }
                                                }
                                            }
                                            button class="secondary small" type="submit" aria-label=(format!("Change role of {}", m.user.identifier)) { "Change role" }
                                        }
                                    }
                                    td class="nowrap" { (datetime(m.membership.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section class="panel" aria-labelledby="h-invitations" {
            h2 id="h-invitations" { "Invitations" }
            @if invitations.data.is_empty() {
                p class="muted" { "No invitations." }
            } @else {
                div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                    table {
                        thead { tr { th scope="col" { "Address" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Expires" } } }
                        tbody {
                            @for i in &invitations.data {
                                tr {
                                    td { (i.invitation.email_address) }
                                    td { code { (i.invitation.role.as_str()) } }
                                    td { span class="badge" { (i.invitation.status.as_str()) } }
                                    td class="nowrap" { (datetime(i.invitation.expires_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let html = frame(&state, &operator, Section::Organizations, &org.name, body);
    page(&fapi, StatusCode::OK, None, html)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /dashboard/organizations/{id}/members/{user}/role`.
pub async fn change_role(
    State(state): State<AppState>,
    fapi: Browser,
    Path((id, user)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let here = format!("/dashboard/organizations/{id}");
    let operator = match super::require(&state, &fapi, &here).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    let result = async {
        let org = crate::engine::organizations::load(&state, &id).await?;
        let user = user
            .parse()
            .map_err(|_| crate::error::ApiError::not_found("organization membership"))?;
        admin::change_member_role(&state, &by, &org.id, &user, form.role.trim()).await?;
        Ok::<_, crate::error::ApiError>(org.id)
    }
    .await;
    match result {
        Ok(org) => see_other(&fapi, &format!("/dashboard/organizations/{org}?done=role")),
        Err(e) => super::super::failed(&state, &fapi, "Organization", e),
    }
}
