//! `/dashboard/audit`: what administrators did, newest first, in pages;
//! `/dashboard/audit.csv`: all of it as CSV (the export is itself an
//! entry). Both narrow to an action, an administrator or a target.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{AuditAction, AuditEvent};
use frontdesk_store::admin::AuditQuery;
use frontdesk_types::AuditEventId;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::super::page;
use super::{Section, datetime, frame, head};
use crate::engine::admin::Audit;
use crate::extract::Browser;
use crate::state::AppState;

const PAGE: i64 = 50;
/// Entries read per statement while exporting.
const EXPORT_CHUNK: i64 = 500;

/// Entries as a table: when, who, what, to whom, from where.
pub(super) fn table(events: &[AuditEvent]) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
            table {
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Administrator" } th scope="col" { "Action" }
                    th scope="col" { "Target" } th scope="col" { "From" }
                } }
                tbody {
                    @for e in events {
                        tr {
                            td class="nowrap" { (datetime(e.created_at)) }
                            td { a href=(filtered("actor", &e.actor.id)) { (e.actor.label) } }
                            td { a href=(filtered("action", e.action.as_str())) { code { (e.action.as_str()) } } }
                            td {
                                @match e.target_id.as_deref() {
                                    Some(t) if t.starts_with("user_") => a href=(format!("/dashboard/users/{t}")) { code { (t) } },
                                    Some(t) => code { (t) },
                                    None => "—",
                                }
                            }
                            td { (e.ip_address.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
    }
}

/// The log narrowed to one value of `param`.
fn filtered(param: &str, value: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair(param, value)
        .finish();
    format!("/dashboard/audit?{q}")
}

/// The page's query: filters, and where the page starts.
#[derive(Deserialize, Default)]
pub struct Cursor {
    /// `created_at.id` of the last entry of the previous page.
    before: Option<String>,
    /// Only this action (`user.banned`).
    action: Option<String>,
    /// Only this administrator (a user id, `cli`).
    actor: Option<String>,
    /// Only entries about this user, session or key.
    target: Option<String>,
}

impl Cursor {
    fn nonempty(v: &Option<String>) -> Option<String> {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// The filters as a store query (an unknown action finds nothing).
    fn query(&self, before: Option<(UnixMillis, AuditEventId)>, limit: i64) -> AuditQuery {
        AuditQuery {
            target_id: Self::nonempty(&self.target),
            action: Self::nonempty(&self.action),
            actor_id: Self::nonempty(&self.actor),
            before,
            limit,
        }
    }

    /// The filters as a query string (`&`-prefixed pairs), for the pager
    /// and the export.
    fn carried(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("action", &self.action),
            ("actor", &self.actor),
            ("target", &self.target),
        ] {
            if let Some(v) = Self::nonempty(v) {
                q.append_pair(k, &v);
            }
        }
        q.finish()
    }
}

fn parse_cursor(raw: Option<&str>) -> Option<(UnixMillis, AuditEventId)> {
    let (at, id) = raw?.split_once('.')?;
    Some((UnixMillis(at.parse().ok()?), id.parse().ok()?))
}

/// `GET /dashboard/audit`.
pub async fn show(
    State(state): State<AppState>,
    fapi: Browser,
    Query(cursor): Query<Cursor>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/audit").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let events = match state
        .store
        .list_audit(&cursor.query(parse_cursor(cursor.before.as_deref()), PAGE))
        .await
    {
        Ok(e) => e,
        Err(e) => return super::super::failed(&state, &fapi, "Audit log", e.into()),
    };
    let next = (events.len() as i64 == PAGE)
        .then(|| {
            events
                .last()
                .map(|e| format!("{}.{}", e.created_at.0, e.id))
        })
        .flatten();
    let carried = cursor.carried();
    let with = |extra: &str| {
        let q = [carried.as_str(), extra]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("&");
        if q.is_empty() {
            String::new()
        } else {
            format!("?{q}")
        }
    };
    let action = cursor.action.as_deref().unwrap_or("");
    let body = html! {
        (head(
            "Audit log",
            Some(html! { "Every change an administrator made, who made it and from where." }),
            Some(html! { a class="button secondary" href=(format!("/dashboard/audit.csv{}", with(""))) download { "Export CSV" } }),
        ))
        form class="toolbar" method="get" action="/dashboard/audit" role="search" aria-label="Filter the audit log" {
            div class="field narrow" {
                label for="f-action" { "Action" }
                select id="f-action" name="action" {
                    option value="" selected[action.is_empty()] { "Any" }
                    @for a in AuditAction::ALL {
                        option value=(a.as_str()) selected[action == a.as_str()] { (a.as_str()) }
                    }
                }
            }
            div class="field" {
                label for="f-actor" { "Administrator (user id, or cli)" }
                input id="f-actor" name="actor" type="text" value=(cursor.actor.as_deref().unwrap_or(""));
            }
            div class="field" {
                label for="f-target" { "Target (user, session or key id)" }
                input id="f-target" name="target" type="text" value=(cursor.target.as_deref().unwrap_or(""));
            }
            button type="submit" class="secondary" { "Filter" }
            @if !carried.is_empty() { a class="button secondary" href="/dashboard/audit" { "Clear" } }
        }
        @if events.is_empty() {
            div class="panel" { p { "Nothing yet." } }
        } @else {
            (table(&events))
        }
        nav class="pager" aria-label="Pages" {
            @if cursor.before.is_some() { a class="button secondary small" href=(format!("/dashboard/audit{}", with(""))) { "Newest" } }
            @if let Some(n) = next { a class="button secondary small" href=(format!("/dashboard/audit{}", with(&format!("before={n}")))) { "Older" } }
        }
    };
    let html = frame(&state, &operator, Section::Audit, "Audit log", body);
    page(&fapi, StatusCode::OK, None, html)
}

/// One CSV field, quoted when it must be, and defused against spreadsheet
/// formulas (OWASP: CSV injection) by a leading `'`.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn csv_row(e: &AuditEvent) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp(e.created_at.as_secs())
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    [
        e.id.as_str(),
        &time,
        &e.actor.id,
        &e.actor.label,
        e.action.as_str(),
        e.target_id.as_deref().unwrap_or(""),
        &e.detail.to_string(),
        e.ip_address.as_deref().unwrap_or(""),
        e.user_agent.as_deref().unwrap_or(""),
    ]
    .map(field)
    .join(",")
        + "\r\n"
}

/// `GET /dashboard/audit.csv`: every entry, newest first.
pub async fn export(
    State(state): State<AppState>,
    fapi: Browser,
    Query(filters): Query<Cursor>,
) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard/audit").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let by = Audit::of(&operator, &fapi);
    if let Err(e) = by
        .record(
            state.store.as_ref(),
            AuditAction::AuditExported,
            None,
            json!({"format": "csv", "filters": filters.carried()}),
        )
        .await
    {
        return super::super::failed(&state, &fapi, "Audit log", e.into());
    }
    let mut out = String::from(
        "id,created_at,actor_id,actor,action,target_id,detail,ip_address,user_agent\r\n",
    );
    let mut before = None;
    loop {
        let chunk = match state
            .store
            .list_audit(&filters.query(before.clone(), EXPORT_CHUNK))
            .await
        {
            Ok(c) => c,
            Err(e) => return super::super::failed(&state, &fapi, "Audit log", e.into()),
        };
        for e in &chunk {
            out.push_str(&csv_row(e));
        }
        match chunk.last() {
            Some(last) if chunk.len() as i64 == EXPORT_CHUNK => {
                before = Some((last.created_at, last.id.clone()));
            }
            _ => break,
        }
    }
    let res = (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"frontdesk-audit.csv\"",
            ),
        ],
        out,
    )
        .into_response();
    fapi.with_cookies(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn cursors_read_back() {
        let id = AuditEventId::generate();
        let raw = format!("123.{id}");
        assert_eq!(parse_cursor(Some(&raw)), Some((UnixMillis(123), id)));
        assert_eq!(parse_cursor(Some("x.y")), None);
    }
}
