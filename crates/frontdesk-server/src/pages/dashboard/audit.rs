//! `/dashboard/audit`: what administrators did, newest first, in pages;
//! `/dashboard/audit.csv`: all of it as CSV (the export is itself an
//! entry).

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
                            td { (e.actor.label) }
                            td { code { (e.action.as_str()) } }
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

#[derive(Deserialize, Default)]
pub struct Cursor {
    /// `created_at.id` of the last entry of the previous page.
    before: Option<String>,
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
        .list_audit(&AuditQuery {
            target_id: None,
            before: parse_cursor(cursor.before.as_deref()),
            limit: PAGE,
        })
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
    let body = html! {
        (head(
            "Audit log",
            Some(html! { "Every change an administrator made, who made it and from where." }),
            Some(html! { a class="button secondary" href="/dashboard/audit.csv" download { "Export CSV" } }),
        ))
        @if events.is_empty() {
            div class="panel" { p { "Nothing yet." } }
        } @else {
            (table(&events))
        }
        nav class="pager" aria-label="Pages" {
            @if cursor.before.is_some() { a class="button secondary small" href="/dashboard/audit" { "Newest" } }
            @if let Some(n) = next { a class="button secondary small" href=(format!("/dashboard/audit?before={n}")) { "Older" } }
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
pub async fn export(State(state): State<AppState>, fapi: Browser) -> Response {
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
            json!({"format": "csv"}),
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
            .list_audit(&AuditQuery {
                target_id: None,
                before: before.clone(),
                limit: EXPORT_CHUNK,
            })
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
