//! `/dashboard/organizations`: the instance's organizations (search, pages
//! of 25) and its roles; `/dashboard/organizations/{id}`: one
//! organization's members and invitations. Read here; changed through the
//! Backend API or by the organization's own admins on their pages.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_store::org_invitations::InvitationQuery;
use frontdesk_store::organizations::{MemberQuery, OrgOrder, OrgQuery};
use maud::html;
use serde::Deserialize;

use super::super::page;
use super::{Section, datetime, frame, head};
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

/// `GET /dashboard/organizations/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
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
    let (members, invitations) = match (members, invitations) {
        (Ok(m), Ok(i)) => (m, i),
        (Err(e), _) | (_, Err(e)) => {
            return super::super::failed(&state, &fapi, "Organization", e.into());
        }
    };
    let body = html! {
        (head(&org.name, Some(html! { (org.slug) " · " code { (org.id) } }), None))
        div class="stats" {
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
                                    td { (if m.role_name.is_empty() { m.membership.role.as_str().to_owned() } else { m.role_name.clone() }) }
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
