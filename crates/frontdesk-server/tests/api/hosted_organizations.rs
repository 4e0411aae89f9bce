//! The hosted `/user/organizations` page over plain HTTP (for apps without
//! clerk-js): the user's organizations with the session's active one, a
//! switch (refused for an organization the user is not in), back to the
//! personal account, and creating one, which becomes active; with
//! `redirect_url`, a switch returns to the app through the handshake. One
//! organization's page: its members and invitations managed by an admin
//! (invite, revoke, change a role, remove), read by a member, left.
//! `examples/rust-seed` drives the same page in Chromium.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, json, user_with_password};
use crate::organizations_frontend::enable_organizations;
use crate::pages_security::{hosted_sign_in, location, page, post_form};

const PASSWORD: &str = "correct horse battery staple";

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_attempt_rate_limit = 0;
    c.frontend_create_rate_limit = 0;
}

async fn active_org(app: &TestApp, sid: &str) -> Option<String> {
    let s = json(app.bapi_get(&format!("/v1/sessions/{sid}")).await).await;
    s["last_active_organization_id"].as_str().map(str::to_owned)
}

both_backends!(
    the_hosted_page_lists_switches_and_creates_organizations,
    fast,
    |app: TestApp| async move {
        enable_organizations(&app).await;
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let (_, acme) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Acme", "created_by": ada}),
            )
            .await;
        let (_, other) = app
            .post_json("/v1/organizations", json!({"name": "Other"}))
            .await;
        let (acme, other) = (acme["id"].as_str().unwrap(), other["id"].as_str().unwrap());
        let (b, sid) = hosted_sign_in(&app, "ada@example.com", PASSWORD).await;

        let (html, token) = page(&b, &app, "/user").await;
        assert!(
            html.contains("href=\"/user/organizations\""),
            "linked from /user"
        );
        let (html, _) = page(&b, &app, "/user/organizations").await;
        assert!(html.contains("Acme") && !html.contains("Other"), "{html}");
        assert!(html.contains("Switch to Acme"), "{html}");

        let res = post_form(
            &b,
            &app,
            "/user/organizations/activate",
            &[("csrf_token", &token), ("organization_id", acme)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/user/organizations?done=switched");
        assert_eq!(active_org(&app, &sid).await.as_deref(), Some(acme));
        let res = post_form(
            &b,
            &app,
            "/user/organizations/activate",
            &[("csrf_token", &token), ("organization_id", other)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403, "not a member");
        assert_eq!(
            active_org(&app, &sid).await.as_deref(),
            Some(acme),
            "unchanged"
        );
        let res = post_form(
            &b,
            &app,
            "/user/organizations/activate",
            &[("csrf_token", &token), ("organization_id", "")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(active_org(&app, &sid).await, None, "personal");

        // Back to an app through the handshake.
        let res = post_form(
            &b,
            &app,
            "/user/organizations/activate",
            &[
                ("csrf_token", &token),
                ("organization_id", acme),
                ("redirect_url", "http://localhost:3000/org"),
            ],
            &[],
        )
        .await;
        assert!(
            location(&res).starts_with("/v1/client/handshake?redirect_url="),
            "{}",
            location(&res)
        );

        // Create: the new one is active.
        let res = post_form(
            &b,
            &app,
            "/user/organizations",
            &[("csrf_token", &token), ("name", "Beta")],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/user/organizations?done=created");
        let beta = json(app.bapi_get("/v1/organizations?query=beta").await).await;
        let beta_id = beta["data"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(beta["data"][0]["created_by"], ada.as_str());
        assert_eq!(active_org(&app, &sid).await, Some(beta_id));
        let res = post_form(
            &b,
            &app,
            "/user/organizations",
            &[("csrf_token", &token), ("name", "")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let res = post_form(
            &b,
            &app,
            "/user/organizations/activate",
            &[("organization_id", acme)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403, "CSRF");
    }
);

both_backends!(
    the_hosted_page_of_an_organization_manages_members_and_invitations,
    fast,
    |app: TestApp| async move {
        enable_organizations(&app).await;
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let bob = user_with_password(&app, "bob@example.com", PASSWORD).await;
        let (_, acme) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Acme", "created_by": ada}),
            )
            .await;
        let acme = acme["id"].as_str().unwrap().to_owned();
        let (status, _) = app
            .post_json(
                &format!("/v1/organizations/{acme}/memberships"),
                json!({"user_id": bob, "role": "org:member"}),
            )
            .await;
        assert_eq!(status, 200);
        let base = format!("/user/organizations/{acme}");
        let (a, _) = hosted_sign_in(&app, "ada@example.com", PASSWORD).await;

        // Linked from the list; the admin sees members, roles and a form.
        let (html, token) = page(&a, &app, "/user/organizations").await;
        assert!(html.contains(&format!("href=\"{base}\"")), "{html}");
        let (html, _) = page(&a, &app, &base).await;
        assert!(html.contains("2 members"), "{html}");
        assert!(html.contains("Remove bob@example.com"), "{html}");
        assert!(html.contains("No pending invitations."), "{html}");

        // Invite, see it pending, revoke it.
        let send = [
            ("csrf_token", token.as_str()),
            ("email_address", "carol@example.com"),
            ("role", "org:member"),
        ];
        let res = post_form(&a, &app, &format!("{base}/invitations"), &send, &[]).await;
        assert_eq!(location(&res), format!("{base}?done=invited"));
        let pending = json(
            app.bapi_get(&format!(
                "/v1/organizations/{acme}/invitations?status=pending"
            ))
            .await,
        )
        .await;
        assert_eq!(pending["total_count"], 1, "{pending}");
        let inv = pending["data"][0]["id"].as_str().unwrap().to_owned();
        let (html, _) = page(&a, &app, &base).await;
        assert!(
            html.contains("Revoke the invitation to carol@example.com"),
            "{html}"
        );
        let res = post_form(&a, &app, &format!("{base}/invitations"), &send, &[]).await;
        assert_eq!(res.status(), 422, "one pending invitation per address");
        let res = post_form(
            &a,
            &app,
            &format!("{base}/invitations/{inv}/revoke"),
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(location(&res), format!("{base}?done=revoked"));

        // Roles change; the last admin cannot be removed or leave.
        let res = post_form(
            &a,
            &app,
            &format!("{base}/members/{bob}/role"),
            &[("csrf_token", &token), ("role", "org:admin")],
            &[],
        )
        .await;
        assert_eq!(location(&res), format!("{base}?done=role"));
        let m = json(
            app.bapi_get(&format!(
                "/v1/organizations/{acme}/memberships?user_id={bob}"
            ))
            .await,
        )
        .await;
        assert_eq!(m["data"][0]["role"], "org:admin");
        let res = post_form(
            &a,
            &app,
            &format!("{base}/members/{bob}/role"),
            &[("csrf_token", &token), ("role", "org:member")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);

        // A member reads the list but manages nothing.
        let (b, _) = hosted_sign_in(&app, "bob@example.com", PASSWORD).await;
        let (html, bob_token) = page(&b, &app, &base).await;
        assert!(
            html.contains("2 members") && !html.contains("Send invitation"),
            "{html}"
        );
        let res = post_form(
            &b,
            &app,
            &format!("{base}/members/{ada}/remove"),
            &[("csrf_token", &bob_token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403);
        let res = post_form(
            &a,
            &app,
            &format!("{base}/leave"),
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403, "the last admin stays");

        // Bob is removed; then he sees nothing of it.
        let res = post_form(
            &a,
            &app,
            &format!("{base}/members/{bob}/remove"),
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(location(&res), format!("{base}?done=removed"));
        let res = b.get(app.url(&base)).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let res = post_form(
            &a,
            &app,
            &format!("{base}/leave"),
            &[("csrf_token", "")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403, "CSRF");
    }
);
