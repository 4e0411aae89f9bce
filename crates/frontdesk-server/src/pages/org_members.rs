//! `/user/organizations/{org}`: one organization on the hosted pages, for
//! apps without clerk-js: its members and pending invitations, managed
//! within the viewer's role as `<OrganizationProfile/>` is (a member with
//! `org:sys_memberships:manage` invites, revokes, changes roles and
//! removes; one with `…:read` sees the members), and leaving it. Every
//! change goes through the same engine as the Frontend API.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::User;
use frontdesk_domain::organizations::{InvitationStatus, Role};
use frontdesk_store::org_invitations::{InvitationQuery, InvitationView};
use frontdesk_store::organizations::{MemberQuery, MembershipView};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Field, alert, csrf};
use super::profile::require;
use super::{CsrfToken, FormError, page, see_other, status_of};
use crate::engine::org_invitations::{self as invitations, InvitationRequest, Sender};
use crate::engine::organizations::{self as orgs, acting_member};
use crate::engine::users::parse_user_id;
use crate::error::ApiResult;
use crate::extract::{ApiBody as Form, Browser};
use crate::state::AppState;

const MEMBERS_READ: &str = "org:sys_memberships:read";
const MEMBERS_MANAGE: &str = "org:sys_memberships:manage";

#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
}

fn grants(m: &MembershipView, permission: &str) -> bool {
    m.permissions.iter().any(|p| p.as_str() == permission)
}

/// What the page shows: the members (who may see them), the pending
/// invitations and the roles to give (who may manage them).
async fn load(
    state: &AppState,
    me: &MembershipView,
) -> ApiResult<(Vec<MembershipView>, i64, Vec<InvitationView>, Vec<Role>)> {
    let org = &me.organization.id;
    let (members, total) = if grants(me, MEMBERS_READ) {
        let page = state
            .store
            .list_memberships(&MemberQuery {
                organization_id: Some(org.clone()),
                roles: Vec::new(),
                user_ids: Vec::new(),
                email_addresses: Vec::new(),
                query: None,
                descending: false,
                limit: 100,
                offset: 0,
            })
            .await?;
        (page.data, page.total_count)
    } else {
        (vec![me.clone()], 1)
    };
    if !grants(me, MEMBERS_MANAGE) {
        return Ok((members, total, Vec::new(), Vec::new()));
    }
    let pending = invitations::list(
        state,
        InvitationQuery {
            organization_id: Some(org.clone()),
            email_addresses: Vec::new(),
            statuses: vec![InvitationStatus::Pending],
            now: UnixMillis::now(),
            limit: 100,
            offset: 0,
        },
    )
    .await?
    .data;
    Ok((members, total, pending, state.store.roles().await?))
}

fn role_select(roles: &[Role], selected: &str, label: &str) -> Markup {
    html! {
        select name="role" aria-label=(label) {
            @for r in roles {
                option value=(r.key.as_str()) selected[r.key.as_str() == selected] { (r.name) }
            }
        }
    }
}

fn who(m: &MembershipView) -> String {
    let name = [&m.user.first_name, &m.user.last_name]
        .iter()
        .filter_map(|n| n.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        m.user.identifier.clone()
    } else {
        name
    }
}

async fn render(
    state: &AppState,
    token: &CsrfToken,
    fapi: &Browser,
    user: &User,
    org: &str,
    done: Option<&str>,
    error: Option<&FormError>,
) -> Response {
    let me = match acting_member(state, org, &user.id, None).await {
        Ok(m) => m,
        Err(e) => {
            let e = FormError::from_api(e);
            let body = layout::message(state, "Organization", &e.message);
            return page(fapi, e.status, Some(&e), body);
        }
    };
    let (members, total, pending, roles) = match load(state, &me).await {
        Ok(v) => v,
        Err(e) => {
            let e = FormError::from_api(e);
            let body = layout::message(state, "Organization", &e.message);
            return page(fapi, e.status, Some(&e), body);
        }
    };
    let manage = grants(&me, MEMBERS_MANAGE);
    let base = format!("/user/organizations/{}", me.organization.id);
    let notice = match done {
        Some("invited") => Some("The invitation was sent."),
        Some("revoked") => Some("The invitation was revoked."),
        Some("role") => Some("The role was changed."),
        Some("removed") => Some("The member was removed."),
        _ => None,
    };
    let body = layout::wide_shell(
        state,
        &me.organization.name,
        html! {
            (layout::notice(notice))
            (alert(error.map(|e| e.message.as_str())))
            table {
                caption class="hint" { (total) " member" @if total != 1 { "s" } }
                thead { tr {
                    th scope="col" { "Member" }
                    th scope="col" { "Role" }
                    @if manage { th scope="col" { span class="optional" { "Action" } } }
                } }
                tbody {
                    @for m in &members {
                        @let uid = m.membership.user_id.as_str();
                        @let label = who(m);
                        tr {
                            td { (label) br; span class="hint" { (m.user.identifier) } }
                            @if manage && uid != user.id.as_str() {
                                td {
                                    form method="post" action=(format!("{base}/members/{uid}/role")) class="inline" {
                                        (csrf(token))
                                        (role_select(&roles, m.membership.role.as_str(), &format!("Role of {label}")))
                                        button class="secondary" type="submit" { "Change" }
                                    }
                                }
                                td {
                                    form method="post" action=(format!("{base}/members/{uid}/remove")) {
                                        (csrf(token))
                                        button class="danger" type="submit" aria-label=(format!("Remove {label}")) { "Remove" }
                                    }
                                }
                            } @else {
                                td { (if m.role_name.is_empty() { m.membership.role.as_str() } else { m.role_name.as_str() }) }
                                @if manage { td { span class="hint" { "You" } } }
                            }
                        }
                    }
                }
            }
            @if manage {
                h2 { "Invitations" }
                @if pending.is_empty() {
                    p class="hint" { "No pending invitations." }
                } @else {
                    table {
                        thead { tr { th scope="col" { "Address" } th scope="col" { "Role" } th scope="col" { span class="optional" { "Action" } } } }
                        tbody {
                            @for i in &pending {
                                @let address = &i.invitation.email_address;
                                tr {
                                    td { (address) }
                                    td { (if i.role_name.is_empty() { i.invitation.role.as_str() } else { i.role_name.as_str() }) }
                                    td {
                                        form method="post" action=(format!("{base}/invitations/{}/revoke", i.invitation.id)) {
                                            (csrf(token))
                                            button class="secondary" type="submit" aria-label=(format!("Revoke the invitation to {address}")) { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form method="post" action=(format!("{base}/invitations")) novalidate {
                    (csrf(token))
                    (Field::new("email_address", "Invite by email address", "email", "off").error(error.and_then(|e| e.on("email_address"))).render())
                    label { "Role " (role_select(&roles, "org:member", "Role of the invited member")) }
                    div class="actions" { button class="primary" type="submit" { "Send invitation" } }
                }
            }
            h2 { "Leave" }
            form method="post" action=(format!("{base}/leave")) {
                (csrf(token))
                button class="danger" type="submit" { "Leave " (me.organization.name) }
            }
            p class="links" { a href="/user/organizations" { "Your organizations" } }
        },
    );
    page(fapi, status_of(error), error, body)
}

/// `GET /user/organizations/{org}`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(org): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    render(
        &state,
        &token,
        &fapi,
        &user,
        &org,
        shown.done.as_deref(),
        None,
    )
    .await
}

/// Run `change` as the signed-in member with `needs`; back to the page
/// with what was done, or the page again with why not.
async fn act<F, Fut>(
    state: AppState,
    token: CsrfToken,
    fapi: Browser,
    org: String,
    needs: Option<&str>,
    what: &str,
    change: F,
) -> Response
where
    F: FnOnce(AppState, MembershipView) -> Fut,
    Fut: std::future::Future<Output = ApiResult<()>>,
{
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let result = match acting_member(&state, &org, &user.id, needs).await {
        Ok(me) => change(state.clone(), me).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) if what == "left" => see_other(&fapi, "/user/organizations?done=left"),
        Ok(()) => see_other(&fapi, &format!("/user/organizations/{org}?done={what}")),
        Err(e) => {
            let e = FormError::from_api(e);
            render(&state, &token, &fapi, &user, &org, None, Some(&e)).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    role: String,
}

/// `POST /user/organizations/{org}/invitations`: mailed with its link.
pub async fn invite(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(org): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    act(
        state,
        token,
        fapi,
        org,
        Some(MEMBERS_MANAGE),
        "invited",
        |state, me| async move {
            let request = InvitationRequest {
                email_address: form.email_address,
                role: form.role,
                ..InvitationRequest::default()
            };
            invitations::invite(
                &state,
                &me.organization,
                &[request],
                Some(&me.membership.user_id),
                Sender::Member,
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

/// `POST /user/organizations/{org}/invitations/{inv}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path((org, inv)): Path<(String, String)>,
) -> Response {
    act(
        state,
        token,
        fapi,
        org,
        Some(MEMBERS_MANAGE),
        "revoked",
        |state, me| async move {
            invitations::revoke(&state, &me.organization, &inv)
                .await
                .map(|_| ())
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /user/organizations/{org}/members/{user_id}/role`.
pub async fn change_role(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path((org, member)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    act(
        state,
        token,
        fapi,
        org,
        Some(MEMBERS_MANAGE),
        "role",
        |state, me| async move {
            let member = parse_user_id(&member)?;
            orgs::change_role(&state, &me.organization.id, &member, &form.role)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST /user/organizations/{org}/members/{user_id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path((org, member)): Path<(String, String)>,
) -> Response {
    act(
        state,
        token,
        fapi,
        org,
        Some(MEMBERS_MANAGE),
        "removed",
        |state, me| async move {
            let member = parse_user_id(&member)?;
            orgs::remove_member(&state, &me.organization.id, &member)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST /user/organizations/{org}/leave` (never as the last member who
/// can manage the members).
pub async fn leave(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(org): Path<String>,
) -> Response {
    act(
        state,
        token,
        fapi,
        org,
        None,
        "left",
        |state, me| async move {
            orgs::remove_member(&state, &me.organization.id, &me.membership.user_id)
                .await
                .map(|_| ())
        },
    )
    .await
}
