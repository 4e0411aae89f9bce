//! `/user/organizations`: the signed-in user's organizations on the hosted
//! pages, for apps without clerk-js (the Rust SDK's): which one this session
//! has active, switching to another or to the personal account, and
//! creating one. With `redirect_url`, a switch goes back to the app through
//! the handshake, so the app's next request already carries the new
//! organization in its session token.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout::{self, Field, alert, csrf, hidden};
use super::profile::require;
use super::{CsrfToken, FormError, Next, page, see_other, signed_in, status_of};
use crate::engine::organizations as orgs;
use crate::extract::{ApiBody as Form, Browser};
use crate::state::AppState;
use frontdesk_domain::entities::{Session, User};
use frontdesk_types::OrganizationId;

#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
    #[serde(flatten)]
    next: Next,
}

async fn render(
    state: &AppState,
    token: &CsrfToken,
    fapi: &Browser,
    (session, user): (&Session, &User),
    next: &Next,
    done: Option<&str>,
    error: Option<&FormError>,
) -> Response {
    let memberships = match state.store.user_memberships(&user.id, 100, 0).await {
        Ok(p) => p.data,
        Err(e) => {
            let e = FormError::from_api(e.into());
            let body = layout::message(state, "Organizations", &e.message);
            return page(fapi, e.status, Some(&e), body);
        }
    };
    let active = session.last_active_organization_id.as_deref();
    let settings = state.settings();
    let can_create = settings.settings.organizations.enabled && user.create_organization_enabled;
    let notice = match done {
        Some("switched") => Some("Switched."),
        Some("created") => Some("Your organization was created, and is active now."),
        Some("left") => Some("You left the organization."),
        _ => None,
    };
    let switch = |id: &str, label: &str| {
        html! {
            form method="post" action="/user/organizations/activate" {
                (csrf(token))
                (hidden("organization_id", Some(id)))
                (hidden("redirect_url", next.raw(state).as_deref()))
                button class="secondary" type="submit" aria-label=(format!("Switch to {label}")) { "Switch" }
            }
        }
    };
    let body = layout::wide_shell(
        state,
        "Organizations",
        html! {
            (layout::notice(notice))
            (alert(error.map(|e| e.message.as_str())))
            table {
                caption class="hint" { "Where this browser works: your personal account or an organization" }
                thead { tr { th scope="col" { "Organization" } th scope="col" { "Role" } th scope="col" { span class="optional" { "Action" } } } }
                tbody {
                    tr {
                        td { "Personal account" }
                        td { "—" }
                        td { @if active.is_none() { span class="badge" { "Active" } } @else { (switch("", "your personal account")) } }
                    }
                    @for m in &memberships {
                        @let id = m.organization.id.as_str();
                        tr {
                            td { a href=(format!("/user/organizations/{id}")) { (m.organization.name) } br; span class="hint" { (m.organization.slug) } }
                            td { (if m.role_name.is_empty() { m.membership.role.as_str() } else { m.role_name.as_str() }) }
                            td { @if active == Some(id) { span class="badge" { "Active" } } @else { (switch(id, &m.organization.name)) } }
                        }
                    }
                }
            }
            @if can_create {
                h2 { "Create an organization" }
                form method="post" action="/user/organizations" novalidate {
                    (csrf(token))
                    (hidden("redirect_url", next.raw(state).as_deref()))
                    (Field::new("name", "Name", "text", "organization").error(error.and_then(|e| e.on("name"))).render())
                    div class="actions" { button class="primary" type="submit" { "Create organization" } }
                }
            }
            p class="links" { a href="/user" { "Your account" } }
        },
    );
    page(fapi, status_of(error), error, body)
}

/// `GET /user/organizations`.
pub async fn show(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Query(shown): Query<Shown>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    render(
        &state,
        &token,
        &fapi,
        (&session, &user),
        &shown.next,
        shown.done.as_deref(),
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ActivateForm {
    #[serde(default)]
    organization_id: String,
    #[serde(flatten)]
    next: Next,
}

/// Where a change ends: back to the app (through the handshake) when it
/// asked, else this page with what was done.
fn done(state: &AppState, fapi: &Browser, next: &Next, what: &str) -> Response {
    if next.raw(state).is_some() {
        return signed_in(state, fapi, next);
    }
    see_other(fapi, &format!("/user/organizations?done={what}"))
}

/// `POST /user/organizations/activate` (`organization_id` empty: personal).
pub async fn activate(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<ActivateForm>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let org = match form.organization_id.as_str() {
        "" => Ok(None),
        raw => raw
            .parse::<OrganizationId>()
            .map(Some)
            .map_err(|_| crate::services::tokens::not_a_member()),
    };
    let switched = match org {
        Ok(org) => orgs::activate(&state, &session.id, org.as_ref()).await,
        Err(e) => Err(e),
    };
    match switched {
        Ok(_) => done(&state, &fapi, &form.next, "switched"),
        Err(e) => {
            let e = FormError::from_api(e);
            render(
                &state,
                &token,
                &fapi,
                (&session, &user),
                &form.next,
                None,
                Some(&e),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    next: Next,
}

/// `POST /user/organizations`: create one, its creator's session in it.
pub async fn create(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Form(form): Form<CreateForm>,
) -> Response {
    let (session, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let allowed = if user.create_organization_enabled {
        orgs::require_enabled(&state)
    } else {
        Err(crate::error::ApiError::bad_param(
            "name",
            "not_allowed_access",
            "You cannot create organizations.",
        ))
    };
    let made = match allowed {
        Ok(()) => {
            let new = orgs::NewOrganization {
                name: form.name.clone(),
                created_by: Some(user.id.to_string()),
                ..orgs::NewOrganization::default()
            };
            match orgs::create(&state, new).await {
                Ok(org) => orgs::activate(&state, &session.id, Some(&org.id))
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(()) => done(&state, &fapi, &form.next, "created"),
        Err(e) => {
            let e = FormError::from_api(e);
            render(
                &state,
                &token,
                &fapi,
                (&session, &user),
                &form.next,
                None,
                Some(&e),
            )
            .await
        }
    }
}
