//! The dashboard over plain HTTP (issue 18): the first administrator made
//! by the one-time link a start prints, a second factor before any page,
//! finding a user among many (by address, id, external id, part of a name,
//! and filters), and acting on them — sign out a device, ban, edit
//! metadata (bad JSON refused, nothing lost), set a password, delete —
//! each through the Backend API's services, each in the audit log, which
//! exports as CSV. The design system's stylesheet keeps text readable
//! whatever the brand colour.

use frontdesk_crypto::totp::{TotpSecret, code_at, step_at};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, json, user_with_password};
use crate::pages_security::{hosted_sign_in, location, page, post_form};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_attempt_rate_limit = 0;
    c.frontend_create_rate_limit = 0;
}

fn code_now(secret: &str) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    code_at(&TotpSecret::from_base32(secret).unwrap(), step_at(secs), 6)
}

/// Turn on an authenticator app from the hosted profile; one of the
/// backup codes shown then (the app's code of this time step is spent).
pub(crate) async fn add_app(b: &reqwest::Client, app: &TestApp) -> String {
    let (_, token) = page(b, app, "/user").await;
    let res = post_form(
        b,
        app,
        "/user/two-step/start",
        &[("csrf_token", &token)],
        &[],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let start = html.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let secret = html[start..start + html[start..].find('<').unwrap()].to_owned();
    let res = post_form(
        b,
        app,
        "/user/two-step/verify",
        &[("csrf_token", &token), ("code", &code_now(&secret))],
        &[],
    )
    .await;
    assert_eq!(res.status(), 200, "the backup codes page");
    let html = res.text().await.unwrap();
    let start = html.find("id=\"backup-codes\"><li><code>").unwrap()
        + "id=\"backup-codes\"><li><code>".len();
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// A user with a password, made an administrator; their id.
pub(crate) async fn admin_user(app: &TestApp, email: &str) -> String {
    let id = user_with_password(app, email, PASSWORD).await;
    app.state
        .store
        .grant_admin(
            &id.parse().unwrap(),
            "test",
            frontdesk_domain::UnixMillis::now(),
        )
        .await
        .unwrap();
    id
}

/// An administrator signed in with a second factor: their browser and id.
pub(crate) async fn operator(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let id = admin_user(app, email).await;
    let (b, _) = hosted_sign_in(app, email, PASSWORD).await;
    add_app(&b, app).await;
    (b, id)
}

async fn get(b: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    b.get(app.url(path)).send().await.unwrap()
}

/// Every entry of `action`, newest first.
pub(crate) async fn audit_entries(
    app: &TestApp,
    action: &str,
) -> Vec<frontdesk_domain::admin::AuditEvent> {
    app.state
        .store
        .list_audit(&frontdesk_store::admin::AuditQuery {
            action: Some(action.to_owned()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

pub(crate) async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.state
        .store
        .list_audit(&frontdesk_store::admin::AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action.as_str().to_owned())
        .collect()
}

both_backends!(
    the_first_administrator_comes_from_the_printed_link,
    fast,
    |app: TestApp| async move {
        let store = app.state.store.as_ref();
        let link = frontdesk_server::engine::admin::setup_link(store, &app.base)
            .await
            .unwrap()
            .expect("no administrator yet: a link");
        let path = link.strip_prefix(&app.base).unwrap().to_owned();
        let token = path.split("token=").nth(1).unwrap().to_owned();

        // Signed out: sign up first, and come back to the link.
        let anonymous = crate::pages_security::browser();
        let res = get(&anonymous, &app, &path).await;
        assert_eq!(res.status(), 303);
        assert!(
            location(&res).starts_with("/sign-up?redirect_url="),
            "{}",
            location(&res)
        );

        user_with_password(&app, "root@example.com", PASSWORD).await;
        let (b, _) = hosted_sign_in(&app, "root@example.com", PASSWORD).await;
        let res = get(&b, &app, "/dashboard").await;
        assert_eq!(res.status(), 403, "not an administrator yet");
        assert!(res.text().await.unwrap().contains("Administrators only"));

        let (html, csrf) = page(&b, &app, &path).await;
        assert!(html.contains("Become the administrator"), "{html}");
        let res = post_form(
            &b,
            &app,
            "/dashboard/setup",
            &[("csrf_token", &csrf), ("token", &token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/dashboard");

        // A password alone does not open the dashboard.
        let res = get(&b, &app, "/dashboard").await;
        assert_eq!(
            location_or_none(&res).as_deref(),
            Some("/dashboard/verify"),
            "{}",
            res.text().await.unwrap()
        );
        let (html, _) = page_html(&b, &app, "/dashboard/verify").await;
        assert!(
            html.contains("Administrators need two-step verification"),
            "{html}"
        );
        add_app(&b, &app).await;
        let res = get(&b, &app, "/dashboard").await;
        assert_eq!(res.status(), 200, "adding the app proved it");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Sign-ups per day")
                && html.contains("admin.set_up")
                && html.contains("Mailbox (development)"),
            "{html}"
        );

        // The link works once; no second link while there is an administrator.
        user_with_password(&app, "late@example.com", PASSWORD).await;
        let (late, _) = hosted_sign_in(&app, "late@example.com", PASSWORD).await;
        let (_, csrf) = page(&late, &app, &path).await;
        let res = post_form(
            &late,
            &app,
            "/dashboard/setup",
            &[("csrf_token", &csrf), ("token", &token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 410);
        assert!(
            frontdesk_server::engine::admin::setup_link(store, &app.base)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.list_admins().await.unwrap().len(), 1);
    }
);

both_backends!(
    a_session_steps_up_with_its_app_before_the_dashboard,
    fast,
    |app: TestApp| async move {
        // Signed in on one device before the app existed; the app added on
        // another: the first device's session has not checked it.
        admin_user(&app, "ops@example.com").await;
        let (b, _) = hosted_sign_in(&app, "ops@example.com", PASSWORD).await;
        let (other, _) = hosted_sign_in(&app, "ops@example.com", PASSWORD).await;
        let backup = add_app(&other, &app).await;

        let res = get(&b, &app, "/dashboard/users").await;
        assert_eq!(location(&res), "/dashboard/verify");
        let (html, csrf) = page(&b, &app, "/dashboard/verify").await;
        assert!(
            html.contains("Code from your authenticator app") || html.contains("authenticator app"),
            "{html}"
        );
        let res = post_form(
            &b,
            &app,
            "/dashboard/verify",
            &[("csrf_token", &csrf), ("code", "000000")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422, "a wrong code");
        assert_eq!(
            location_or_none(&get(&b, &app, "/dashboard/users").await),
            Some("/dashboard/verify".to_owned())
        );
        let res = post_form(
            &b,
            &app,
            "/dashboard/verify",
            &[("csrf_token", &csrf), ("code", &backup)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/dashboard");
        assert_eq!(get(&b, &app, "/dashboard/users").await.status(), 200);
    }
);

fn location_or_none(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
}

both_backends!(
    an_administrator_finds_users_and_acts_on_them,
    fast,
    |app: TestApp| async move {
        let (b, me) = operator(&app, "admin@example.com").await;
        for i in 0..30 {
            let (status, body) = app
                .post_json(
                    "/v1/users",
                    json!({"email_address": [format!("crowd{i}@example.com")], "first_name": "Crowd", "last_name": format!("Member{i}")}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let (_, grace) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["grace@example.com"], "password": PASSWORD,
                       "first_name": "Grace", "last_name": "Hopper", "external_id": "crm-42"}),
            )
            .await;
        let gid = grace["id"].as_str().unwrap().to_owned();

        let listed = |html: &str| html.contains("grace@example.com");
        for q in [
            "grace@example.com",
            "crm-42",
            gid.as_str(),
            "Hopp",
            "GRACE@EXAMPLE.COM",
        ] {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("q", q)
                .finish();
            let (html, _) = page_html(&b, &app, &format!("/dashboard/users?{query}")).await;
            assert!(listed(&html), "found by {q}");
            assert!(
                !html.contains("crowd1@example.com"),
                "only the match for {q}"
            );
        }
        let (html, _) = page_html(&b, &app, "/dashboard/users").await;
        assert!(html.contains("Next"), "32 users: more than a page");
        let (html, _) = page_html(&b, &app, "/dashboard/users?status=banned").await;
        assert!(!listed(&html));

        // Grace signs in twice; one device is signed out from the dashboard.
        let (_, s1) = hosted_sign_in(&app, "grace@example.com", PASSWORD).await;
        let (_, s2) = hosted_sign_in(&app, "grace@example.com", PASSWORD).await;
        let detail = format!("/dashboard/users/{gid}");
        let (html, csrf) = page(&b, &app, &detail).await;
        assert!(html.contains(&format!("/sessions/{s1}/revoke")), "{html}");
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/sessions/{s1}/revoke"),
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(location(&res), format!("{detail}?done=revoked"));
        let s = json(app.bapi_get(&format!("/v1/sessions/{s1}")).await).await;
        assert_eq!(s["status"], "revoked");

        // Bad metadata is refused with what was typed kept; good is stored.
        let bad = "{\"plan\": pro}";
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/metadata"),
            &[
                ("csrf_token", &csrf),
                ("public_metadata", bad),
                ("private_metadata", "{}"),
                ("unsafe_metadata", "{}"),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("public_metadata is not valid JSON"), "{html}");
        assert!(
            html.contains("{&quot;plan&quot;: pro}"),
            "the text typed is kept"
        );
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/metadata"),
            &[
                ("csrf_token", &csrf),
                ("public_metadata", "{\"plan\": \"pro\"}"),
                ("private_metadata", "{\"crm\": 42}"),
                ("unsafe_metadata", ""),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let user = json(app.bapi_get(&format!("/v1/users/{gid}")).await).await;
        assert_eq!(user["public_metadata"], json!({"plan": "pro"}));
        assert_eq!(user["private_metadata"], json!({"crm": 42}));

        // A weak password is refused; a good one signs her out everywhere.
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/password"),
            &[("csrf_token", &csrf), ("password", "short")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/password"),
            &[
                ("csrf_token", &csrf),
                ("password", "another long passphrase"),
            ],
            &[],
        )
        .await;
        assert_eq!(location(&res), format!("{detail}?done=password"));
        let s = json(app.bapi_get(&format!("/v1/sessions/{s2}")).await).await;
        assert_ne!(s["status"], "active", "signed out everywhere");

        // Ban: the Backend API sees it, the filter finds her.
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/action"),
            &[("csrf_token", &csrf), ("action", "ban")],
            &[],
        )
        .await;
        assert_eq!(location(&res), format!("{detail}?done=ban"));
        let user = json(app.bapi_get(&format!("/v1/users/{gid}")).await).await;
        assert_eq!(user["banned"], true);
        let (html, _) = page_html(&b, &app, "/dashboard/users?status=banned").await;
        assert!(listed(&html) && !html.contains("crowd2@example.com"));
        let banned = json(app.bapi_get("/v1/users?banned=true").await).await;
        assert_eq!(
            banned.as_array().unwrap().len(),
            1,
            "the Backend API's filter too"
        );
        assert_eq!(app.bapi_get("/v1/users?banned=maybe").await.status(), 422);

        // Not on oneself.
        let res = post_form(
            &b,
            &app,
            &format!("/dashboard/users/{me}/action"),
            &[("csrf_token", &csrf), ("action", "ban")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let myself = json(app.bapi_get(&format!("/v1/users/{me}")).await).await;
        assert_eq!(myself["banned"], false);

        // Delete.
        let res = post_form(
            &b,
            &app,
            &format!("{detail}/action"),
            &[("csrf_token", &csrf), ("action", "delete")],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/dashboard/users");
        assert_eq!(
            app.bapi_get(&format!("/v1/users/{gid}")).await.status(),
            404
        );

        // Every action is in the log, with where it came from, and exports.
        let actions = audit_actions(&app).await;
        for a in [
            "session.revoked",
            "user.metadata_replaced",
            "user.password_set",
            "user.banned",
            "user.deleted",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        let (html, _) = page_html(&b, &app, "/dashboard/audit").await;
        assert!(
            html.contains("user.banned") && html.contains("127.0.0.1"),
            "{html}"
        );
        let res = get(&b, &app, "/dashboard/audit.csv").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = res.text().await.unwrap();
        assert!(
            csv.starts_with("id,created_at,actor_id,actor,action,target_id"),
            "{csv}"
        );
        assert!(csv.contains(",admin@example.com,user.banned,"), "{csv}");
        assert!(
            !csv.contains("another long passphrase"),
            "no secret in the log"
        );
        assert!(
            audit_actions(&app)
                .await
                .iter()
                .any(|a| a == "audit.exported")
        );
    }
);

pub(crate) async fn page_html(b: &reqwest::Client, app: &TestApp, path: &str) -> (String, u16) {
    let res = get(b, app, path).await;
    let status = res.status().as_u16();
    (res.text().await.unwrap(), status)
}

both_backends!(
    nothing_changes_without_an_administrators_checked_session,
    fast,
    |app: TestApp| async move {
        let target = user_with_password(&app, "target@example.com", PASSWORD).await;
        let anonymous = crate::pages_security::browser();
        let res = get(&anonymous, &app, "/dashboard/users").await;
        assert_eq!(location(&res), "/sign-in?redirect_url=%2Fdashboard%2Fusers");

        user_with_password(&app, "plain@example.com", PASSWORD).await;
        let (b, _) = hosted_sign_in(&app, "plain@example.com", PASSWORD).await;
        let (_, csrf) = page(&b, &app, "/user").await;
        let res = post_form(
            &b,
            &app,
            &format!("/dashboard/users/{target}/action"),
            &[("csrf_token", &csrf), ("action", "ban")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403, "not an administrator");
        let res = post_form(
            &b,
            &app,
            &format!("/dashboard/users/{target}/action"),
            &[("action", "ban")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403, "no CSRF token");
        assert_eq!(get(&b, &app, "/dashboard/audit.csv").await.status(), 403);
        let user = json(app.bapi_get(&format!("/v1/users/{target}")).await).await;
        assert_eq!(user["banned"], false);
        assert!(audit_actions(&app).await.is_empty());
    }
);

both_backends!(
    the_stylesheet_keeps_text_readable_on_any_brand_colour,
    fast,
    |app: TestApp| async move {
        let css = get(&app.http, &app, "/assets/frontdesk.css")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            css.contains("--fd-on-primary: #ffffff"),
            "white on the default indigo"
        );
        assert!(css.contains("prefers-color-scheme: dark"), "a dark scheme");
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"branding": {"primary_color": "#ffff00"}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let css = get(&app.http, &app, "/assets/frontdesk.css")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            css.contains("--fd-primary: #ffff00; --fd-on-primary: #000000"),
            "{}",
            &css[..200]
        );
        let light = css
            .split("--fd-on-primary: #000000; --fd-link: ")
            .nth(1)
            .unwrap();
        assert_ne!(
            &light[..7],
            "#ffff00",
            "yellow links would be unreadable on white"
        );
    }
);
