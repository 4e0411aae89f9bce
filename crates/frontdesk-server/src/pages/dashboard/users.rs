//! `/dashboard/users`: find a user. One search box that takes an id, an
//! address, a username, an external id or part of a name, and filters by
//! standing, second factor, last sign-in and age; pages of 25.
//!
//! Exact identifiers are looked up first, each through its unique index, so
//! that the common case (someone pasted an address or an id) stays fast on
//! any number of users; only when none matches does the search fall back to
//! matching part of a name or address.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::User;
use frontdesk_store::{Bounds, UserFilter, UserOrderField, UserQuery};
use maud::{Markup, html};
use serde::Deserialize;

use super::super::page;
use super::{Section, frame, head, maybe};
use crate::engine::admin;
use crate::error::ApiResult;
use crate::extract::Browser;
use crate::state::AppState;

const PAGE: i64 = 25;
const DAY_MS: i64 = 86_400_000;

/// The search form, as the query string carries it.
#[derive(Deserialize, Default, Clone)]
pub struct Search {
    #[serde(default)]
    q: String,
    /// `banned`, `locked`, `active` (neither), or anything else for all.
    #[serde(default)]
    status: String,
    /// `on`, `off`, or all.
    #[serde(default)]
    mfa: String,
    /// `1d`, `7d`, `30d` (signed in within), `stale` (not in 30 days).
    #[serde(default)]
    signed_in: String,
    /// `1d`, `7d`, `30d` (created within).
    #[serde(default)]
    created: String,
    #[serde(default)]
    page: u32,
}

fn within(choice: &str) -> Option<i64> {
    match choice {
        "1d" => Some(DAY_MS),
        "7d" => Some(7 * DAY_MS),
        "30d" => Some(30 * DAY_MS),
        _ => None,
    }
}

impl Search {
    /// The filters other than the text.
    fn filter(&self, now: UnixMillis) -> UserFilter {
        let (banned, locked) = match self.status.as_str() {
            "banned" => (Some(true), None),
            "locked" => (None, Some(true)),
            "active" => (Some(false), Some(false)),
            _ => (None, None),
        };
        let last_sign_in = match self.signed_in.as_str() {
            "stale" => Bounds {
                after: None,
                before: Some(now.0 - 30 * DAY_MS),
            },
            other => Bounds {
                after: within(other).map(|d| now.0 - d),
                before: None,
            },
        };
        UserFilter {
            banned,
            locked,
            two_factor: match self.mfa.as_str() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            },
            last_sign_in,
            created: Bounds {
                after: within(&self.created).map(|d| now.0 - d),
                before: None,
            },
            ..UserFilter::default()
        }
    }

    /// The query string of this search on another page.
    fn at_page(&self, page: u32) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("status", &self.status)
            .append_pair("mfa", &self.mfa)
            .append_pair("signed_in", &self.signed_in)
            .append_pair("created", &self.created)
            .append_pair("page", &page.to_string())
            .finish()
    }
}

/// Up to `PAGE + 1` users (the extra one says there is a next page).
async fn find(state: &AppState, search: &Search, now: UnixMillis) -> ApiResult<Vec<User>> {
    let base = search.filter(now);
    let text = search.q.trim();
    let query = |filter: UserFilter| UserQuery {
        filter,
        order_by: UserOrderField::CreatedAt,
        descending: true,
        limit: PAGE + 1,
        offset: i64::from(search.page) * PAGE,
    };
    if text.is_empty() {
        return Ok(state.store.list_users(&query(base)).await?);
    }
    let exact = [
        UserFilter {
            user_ids: vec![text.to_owned()],
            ..base.clone()
        },
        UserFilter {
            email_addresses: vec![text.to_owned()],
            ..base.clone()
        },
        UserFilter {
            usernames: vec![text.to_owned()],
            ..base.clone()
        },
        UserFilter {
            external_ids: vec![text.to_owned()],
            ..base.clone()
        },
    ];
    let mut found: Vec<User> = Vec::new();
    for filter in exact {
        for user in state.store.list_users(&query(filter)).await? {
            if !found.iter().any(|f| f.id == user.id) {
                found.push(user);
            }
        }
    }
    if !found.is_empty() {
        return Ok(found);
    }
    Ok(state
        .store
        .list_users(&query(UserFilter {
            query: Some(text.to_owned()),
            ..base
        }))
        .await?)
}

/// A user's name, or a dash.
pub(super) fn name(user: &User) -> String {
    let parts: Vec<&str> = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        user.username.clone().unwrap_or_else(|| "—".to_owned())
    } else {
        parts.join(" ")
    }
}

/// Badges for what is unusual about a user.
pub(super) fn badges(user: &User) -> Markup {
    html! {
        @if user.banned { span class="badge badge-danger" { "Banned" } " " }
        @if user.locked_at.is_some() { span class="badge badge-warning" { "Locked" } " " }
        @if user.mfa.totp_enabled { span class="badge badge-success" { "Two-step" } " " }
    }
}

fn select(name: &str, label: &str, current: &str, options: &[(&str, &str)]) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field narrow" {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                @for (value, text) in options {
                    option value=(value) selected[*value == current] { (text) }
                }
            }
        }
    }
}

/// `GET /dashboard/users`.
pub async fn show(
    State(state): State<AppState>,
    fapi: Browser,
    Query(search): Query<Search>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/users").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let now = UnixMillis::now();
    let mut users = match find(&state, &search, now).await {
        Ok(u) => u,
        Err(e) => return super::super::failed(&state, &fapi, "Users", e),
    };
    let more = users.len() as i64 > PAGE;
    users.truncate(PAGE as usize);
    let body = html! {
        (head("Users", Some(html! { "Find a user by address, name, username, id or external id." }), None))
        form class="toolbar" method="get" action="/dashboard/users" role="search" {
            div class="field" {
                label for="f-q" { "Search" }
                input id="f-q" type="search" name="q" value=(search.q) autocomplete="off"
                    placeholder="ada@example.com, user_…, Lovelace";
            }
            (select("status", "Status", &search.status, &[("", "Any"), ("active", "Active"), ("banned", "Banned"), ("locked", "Locked")]))
            (select("mfa", "Two-step", &search.mfa, &[("", "Any"), ("on", "On"), ("off", "Off")]))
            (select("signed_in", "Last sign-in", &search.signed_in, &[("", "Any time"), ("1d", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("stale", "Not in 30 days")]))
            (select("created", "Created", &search.created, &[("", "Any time"), ("1d", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]))
            button type="submit" { "Search" }
        }
        @if users.is_empty() {
            div class="panel" { p { "No user matches." } }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                table {
                    caption class="sr-only" { "Users" }
                    thead { tr { th scope="col" { "User" } th scope="col" { "Status" } th scope="col" { "Last sign-in" } th scope="col" { "Created" } } }
                    tbody {
                        @for u in &users {
                            tr {
                                td {
                                    a href=(format!("/dashboard/users/{}", u.id)) { (admin::label(u)) }
                                    br;
                                    span class="muted" { (name(u)) " · " code { (u.id) } }
                                }
                                td { (badges(u)) }
                                td class="nowrap" { (maybe(u.last_sign_in_at)) }
                                td class="nowrap" { (super::datetime(u.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if search.page > 0 {
                a class="button secondary small" href=(format!("/dashboard/users?{}", search.at_page(search.page - 1))) { "Previous" }
            }
            @if more {
                a class="button secondary small" href=(format!("/dashboard/users?{}", search.at_page(search.page + 1))) { "Next" }
            }
        }
    };
    let html = frame(&state, &operator, Section::Users, "Users", body);
    page(&fapi, StatusCode::OK, None, html)
}
