//! `/dashboard`: the instance at a glance — how many users, how many new,
//! banned and with two-step verification; sign-ups, sign-ins and active
//! users per day as charts drawn on the server (SVG, no script); webhook
//! delivery health; the latest administrator actions; and on a development
//! instance the mailbox (mail kept instead of sent).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_store::admin::{AuditQuery, DayActivity};
use frontdesk_store::{Bounds, DAY_MS, DeliveryCounts, UserFilter};
use maud::{Markup, html};

use super::super::page;
use super::{Section, frame, head};
use crate::error::ApiResult;
use crate::extract::Browser;
use crate::state::AppState;

const CHART_DAYS: i64 = 14;

struct Figures {
    total: i64,
    new_week: i64,
    banned: i64,
    two_step: i64,
    /// The last [`CHART_DAYS`] UTC days, oldest first, each day there.
    daily: Vec<DayActivity>,
    /// Webhook endpoints: (enabled, disabled, failing).
    endpoints: (usize, usize, usize),
    deliveries: DeliveryCounts,
}

async fn figures(state: &AppState, now: UnixMillis) -> ApiResult<Figures> {
    let count = |f: UserFilter| async move { state.store.count_users(&f).await };
    let today = now.0 - now.0.rem_euclid(DAY_MS);
    let from = today - (CHART_DAYS - 1) * DAY_MS;
    let had = state.store.daily_activity(UnixMillis(from)).await?;
    let daily = (0..CHART_DAYS)
        .map(|i| {
            let day = UnixMillis(from + i * DAY_MS);
            had.iter()
                .find(|d| d.day == day)
                .copied()
                .unwrap_or(DayActivity::quiet(day))
        })
        .collect();
    let endpoints = state.store.list_endpoints().await?;
    Ok(Figures {
        total: count(UserFilter::default()).await?,
        new_week: count(UserFilter {
            created: Bounds {
                after: Some(now.0 - 7 * DAY_MS),
                before: None,
            },
            ..UserFilter::default()
        })
        .await?,
        banned: count(UserFilter {
            banned: Some(true),
            ..UserFilter::default()
        })
        .await?,
        two_step: count(UserFilter {
            two_factor: Some(true),
            ..UserFilter::default()
        })
        .await?,
        daily,
        endpoints: (
            endpoints.iter().filter(|e| !e.disabled).count(),
            endpoints.iter().filter(|e| e.disabled).count(),
            endpoints
                .iter()
                .filter(|e| !e.disabled && e.failing_since.is_some())
                .count(),
        ),
        deliveries: state.store.delivery_counts().await?,
    })
}

/// A chart of one figure per day with its table (the figures as text).
fn per_day(id: &str, title: &str, column: &str, daily: &[(UnixMillis, i64)]) -> Markup {
    html! {
        section class="panel" aria-labelledby=(id) {
            h2 id=(id) { (title) }
            (chart(&format!("{title}, last {CHART_DAYS} days"), daily))
            details {
                summary { "As a table" }
                table {
                    thead { tr { th scope="col" { "Day" } th scope="col" { (column) } } }
                    tbody {
                        @for (day, n) in daily {
                            tr { td { (super::datetime(*day).get(..10).unwrap_or("")) } td { (n) } }
                        }
                    }
                }
            }
        }
    }
}

/// A bar chart of `(day, count)`, titled for screen readers (the table
/// under it has the figures as text) and with a title per bar.
fn chart(title: &str, daily: &[(UnixMillis, i64)]) -> Markup {
    let (width, height, pad) = (700.0_f64, 180.0_f64, 24.0_f64);
    let max = daily.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let slot = (width - pad) / daily.len().max(1) as f64;
    let bars: Vec<(String, String, String, String, String, String)> = daily
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let bar = (*n as f64 / max) * (height - 16.0);
            let x = pad + i as f64 * slot + slot * 0.15;
            let date = super::datetime(*day).get(5..10).unwrap_or("").to_owned();
            (
                format!("{x:.1}"),
                format!("{:.1}", height - bar),
                format!("{:.1}", slot * 0.7),
                format!("{bar:.1}"),
                format!("{:.1}", x + slot * 0.35),
                format!("{date}: {n}"),
            )
        })
        .collect();
    let view_box = format!("0 0 {width} {}", height + 20.0);
    html! {
        div class="chart" {
            svg viewBox=(view_box) role="img" aria-label=(title) focusable="false" {
                line class="axis" x1=(pad) y1=(height) x2=(width) y2=(height) {}
                @for (x, y, w, h, tx, label) in &bars {
                    rect class="bar" x=(x) y=(y) width=(w) height=(h) rx="2" { title { (label) } }
                    text x=(tx) y=(height + 14.0) text-anchor="middle" { (label.get(..5).unwrap_or("")) }
                }
                text x="0" y="12" { (max as i64) }
            }
        }
    }
}

/// `GET /dashboard`.
pub async fn show(State(state): State<AppState>, fapi: Browser) -> Response {
    let operator = match super::require(&state, &fapi, "/dashboard").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let now = UnixMillis::now();
    let recent = state
        .store
        .list_audit(&AuditQuery {
            target_id: None,
            before: None,
            limit: 5,
            ..AuditQuery::default()
        })
        .await;
    let development = state.instance.instance.mode == frontdesk_domain::InstanceMode::Development;
    let mailbox = if development {
        state.store.list_dev_emails(5).await
    } else {
        Ok(Vec::new())
    };
    let (f, recent, mailbox) = match (figures(&state, now).await, recent, mailbox) {
        (Ok(f), Ok(r), Ok(m)) => (f, r, m),
        (Err(e), _, _) => return super::super::failed(&state, &fapi, "Dashboard", e),
        (_, Err(e), _) | (_, _, Err(e)) => {
            return super::super::failed(&state, &fapi, "Dashboard", e.into());
        }
    };
    let series = |pick: fn(&DayActivity) -> i64| -> Vec<(UnixMillis, i64)> {
        f.daily.iter().map(|d| (d.day, pick(d))).collect()
    };
    let body = html! {
        (head("Overview", None, Some(html! { a class="button" href="/dashboard/users" { "Find a user" } })))
        dl class="stats" {
            div class="stat" { dt { "Users" } dd { (f.total) } }
            div class="stat" { dt { "New in 7 days" } dd { (f.new_week) } }
            div class="stat" { dt { "With two-step verification" } dd { (f.two_step) } }
            div class="stat" { dt { "Banned" } dd { (f.banned) } }
        }
        div class="grid" {
            (per_day("h-signups", "Sign-ups per day", "Sign-ups", &series(|d| d.sign_ups)))
            (per_day("h-signins", "Sign-ins per day", "Sign-ins", &series(|d| d.sign_ins)))
            (per_day("h-active", "Active users per day", "Active users", &series(|d| d.active_users)))
            section class="panel" aria-labelledby="h-hooks" {
                h2 id="h-hooks" { "Webhook deliveries" }
                @let (on, off, failing) = f.endpoints;
                dl class="facts" {
                    dt { "Endpoints" } dd { (on) " enabled" @if off > 0 { ", " (off) " disabled" } }
                    dt { "Failing now" } dd {
                        @if failing > 0 { span class="badge badge-warning" { (failing) " failing" } } @else { "None" }
                    }
                    dt { "Delivered" } dd { (f.deliveries.succeeded) }
                    dt { "Waiting or retrying" } dd { (f.deliveries.pending) }
                    dt { "Given up" } dd { (f.deliveries.failed) }
                }
                p class="links" { a href="/dashboard/webhooks" { "Endpoints and messages" } }
            }
        }
        @if development {
            section class="panel" aria-labelledby="h-mailbox" {
                h2 id="h-mailbox" { "Mailbox (development)" }
                p class="muted" { "Mail kept instead of sent, newest first; `frontdesk mail` prints it too." }
                @if mailbox.is_empty() {
                    p class="muted" { "Empty." }
                } @else {
                    div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on small screens)" {
                        table {
                            thead { tr { th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "When" } } }
                            tbody {
                                @for m in &mailbox {
                                    tr { td { (m.to_address) } td { (m.subject) } td class="nowrap" { (super::datetime(m.created_at)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section class="panel" aria-labelledby="h-recent" {
            h2 id="h-recent" { "Recent administrator actions" }
            @if recent.is_empty() {
                p class="muted" { "None yet." }
            } @else {
                (super::audit::table(&recent))
                p class="links" { a href="/dashboard/audit" { "The whole audit log" } }
            }
        }
    };
    let html = frame(&state, &operator, Section::Overview, "Overview", body);
    page(&fapi, StatusCode::OK, None, html)
}
