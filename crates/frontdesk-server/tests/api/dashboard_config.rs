//! The dashboard's configuration pages (issue 18): settings changed by one
//! form through the Backend API's settings service (email codes off and
//! clerk-js's environment stops offering them at once; a bad number refused
//! with nothing changed), secret keys made, shown once and revoked (dead at
//! once), the signing key rotated (the old one still published), each in
//! the audit log; the organizations, their members, invitations and roles.

use serde_json::json;

use crate::both_backends;
use crate::dashboard::{audit_actions, audit_entries, fast, operator, page_html};
use crate::helpers::{TestApp, json};
use crate::pages_security::{location, page, post_form};

both_backends!(
    settings_and_keys_are_changed_from_the_dashboard,
    fast,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        let env = json(app.get("/v1/environment").await).await;
        let factors = |env: &serde_json::Value| {
            env["user_settings"]["attributes"]["email_address"]["first_factors"].clone()
        };
        assert_eq!(factors(&env), json!(["email_code"]));

        // Email codes off: clerk-js stops offering them at once.
        let (html, csrf) = page(&b, &app, "/dashboard/settings").await;
        assert!(html.contains("Email code"), "{html}");
        let form = |min: &'static str| {
            vec![
                ("csrf_token", csrf.clone()),
                ("application_name", "Acme".to_owned()),
                ("primary_color", "#0a7d33".to_owned()),
                ("passkey", "on".to_owned()),
                ("mfa_totp", "on".to_owned()),
                ("mfa_backup_codes", "on".to_owned()),
                ("min_length", min.to_owned()),
                ("lifetime_hours", "168".to_owned()),
                ("inactivity_minutes", "0".to_owned()),
                ("allowed_origins", "http://localhost:3000\n".to_owned()),
            ]
        };
        let res = b
            .post(app.url("/dashboard/settings"))
            .form(&form("twelve"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "a length that is not a number");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Minimum length must be a whole number")
        );
        let res = b
            .post(app.url("/dashboard/settings"))
            .form(&form("12"))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        let env = json(app.get("/v1/environment").await).await;
        assert_eq!(factors(&env), json!([]), "email codes no longer offered");
        assert_eq!(env["display_config"]["application_name"], "Acme");
        let all = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(all["passwords"]["min_length"], 12);
        assert_eq!(all["sessions"]["lifetime_secs"], 168 * 3600);
        assert_eq!(all["allowed_origins"], json!(["http://localhost:3000"]));
        let paths = app
            .state
            .store
            .list_audit(&frontdesk_store::admin::AuditQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()[0]
            .detail["paths"]
            .clone();
        assert!(
            paths
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "sign_in.email_code"),
            "{paths}"
        );
        // Saved again as shown: nothing changed, nothing recorded.
        let saved = audit_entries(&app, "settings.changed").await.len();
        let res = b
            .post(app.url("/dashboard/settings"))
            .form(&form("12"))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        assert_eq!(
            audit_entries(&app, "settings.changed").await.len(),
            saved,
            "a save that changes nothing is no entry"
        );

        // A secret key made (shown once, and it works), then revoked.
        let (_, csrf) = page(&b, &app, "/dashboard/keys").await;
        let res = post_form(
            &b,
            &app,
            "/dashboard/keys/secret",
            &[("csrf_token", &csrf), ("label", "ci")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let marker = "id=\"new-secret-key\">";
        let start = html.find(marker).unwrap() + marker.len();
        let key = html[start..start + html[start..].find('<').unwrap()].to_owned();
        let with_key = |k: &str| {
            app.http
                .get(app.url("/v1/users/count"))
                .bearer_auth(k.to_owned())
                .send()
        };
        assert_eq!(with_key(&key).await.unwrap().status(), 200);
        let id = app
            .state
            .store
            .list_secret_keys()
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.label == "ci")
            .unwrap()
            .id;
        let res = post_form(
            &b,
            &app,
            &format!("/dashboard/keys/secret/{id}/revoke"),
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/dashboard/keys?done=revoked");
        assert_eq!(
            with_key(&key).await.unwrap().status(),
            401,
            "revoked at once"
        );

        // Rotate the signing key: new tokens by the new key, the old still published.
        let before = json(app.get("/.well-known/jwks.json").await).await["keys"]
            .as_array()
            .unwrap()
            .len();
        let res = post_form(
            &b,
            &app,
            "/dashboard/keys/signing/rotate",
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/dashboard/keys?done=rotated");
        let after = json(app.get("/.well-known/jwks.json").await).await["keys"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(after, before + 1);
        // Each entry names what its change made, written with the change.
        let created = &audit_entries(&app, "key.secret_created").await[0];
        assert_eq!(created.target_id.as_deref(), Some(id.as_str()));
        assert_eq!(created.detail["label"], "ci");
        let revoked = &audit_entries(&app, "key.secret_revoked").await[0];
        assert_eq!(revoked.target_id.as_deref(), Some(id.as_str()));
        let rotated = &audit_entries(&app, "key.signing_rotated").await[0];
        let active = app.state.store.signing_keys().await.unwrap();
        let active = active.iter().find(|k| k.retired_at.is_none()).unwrap();
        assert_eq!(rotated.target_id.as_deref(), Some(active.id.as_str()));
        let actions = audit_actions(&app).await;
        for a in [
            "key.secret_created",
            "key.secret_revoked",
            "key.signing_rotated",
            "settings.changed",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
    }
);

both_backends!(
    organizations_are_listed_with_members_invitations_and_roles,
    fast,
    |app: TestApp| async move {
        crate::organizations_frontend::enable_organizations(&app).await;
        let (b, me) = operator(&app, "admin@example.com").await;
        let (status, org) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Acme Rockets", "created_by": me}),
            )
            .await;
        assert_eq!(status, 200, "{org}");
        let id = org["id"].as_str().unwrap();
        let (status, body) = app
            .post_json(
                &format!("/v1/organizations/{id}/invitations"),
                json!({"email_address": "wile@example.com", "role": "org:member", "inviter_user_id": me}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (html, status) = page_html(&b, &app, "/dashboard/organizations?q=rocket").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Acme Rockets") && html.contains("org:admin"),
            "{html}"
        );
        let (html, _) = page_html(&b, &app, "/dashboard/organizations?q=nothing-like-it").await;
        assert!(html.contains("No organization matches."));
        let (html, status) = page_html(&b, &app, &format!("/dashboard/organizations/{id}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("admin@example.com"), "the creator, a member");
        assert!(
            html.contains("wile@example.com") && html.contains("pending"),
            "{html}"
        );
        let (_, status) = page_html(&b, &app, "/dashboard/organizations/org_missing").await;
        assert_eq!(status, 404);

        // A member's role changed from the dashboard, through the service
        // the Backend API calls: never leaving the organization without an
        // admin.
        let coyote =
            crate::helpers::user_with_password(&app, "coyote@example.com", "acme rockets 123")
                .await;
        let (status, body) = app
            .post_json(
                &format!("/v1/organizations/{id}/memberships"),
                json!({"user_id": coyote, "role": "org:member"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (html, csrf) = page(&b, &app, &format!("/dashboard/organizations/{id}")).await;
        assert!(html.contains("Change role of coyote@example.com"), "{html}");
        let set = |user: String, role: &'static str| {
            let (b, app, csrf, id) = (&b, &app, csrf.clone(), id.to_owned());
            async move {
                post_form(
                    b,
                    app,
                    &format!("/dashboard/organizations/{id}/members/{user}/role"),
                    &[("csrf_token", &csrf), ("role", role)],
                    &[],
                )
                .await
            }
        };
        let res = set(coyote.clone(), "org:admin").await;
        assert_eq!(
            location(&res),
            format!("/dashboard/organizations/{id}?done=role")
        );
        let res = set(me.clone(), "org:member").await;
        assert_eq!(res.status(), 303, "another admin is left");
        let res = set(coyote.clone(), "org:member").await;
        assert!(
            res.status().is_client_error(),
            "the last admin stays one: {}",
            res.status()
        );
        let roles = json(
            app.bapi_get(&format!("/v1/organizations/{id}/memberships"))
                .await,
        )
        .await;
        let role_of = |user: &str| {
            roles["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["public_user_data"]["user_id"] == user)
                .unwrap()["role"]
                .clone()
        };
        assert_eq!(role_of(&coyote), "org:admin");
        assert_eq!(role_of(&me), "org:member");
        let actions = audit_actions(&app).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "organization.member_role_changed")
                .count(),
            2,
            "{actions:?}"
        );
    }
);

fn fast_hooks(c: &mut frontdesk_server::Config) {
    fast(c);
    c.webhooks.poll_interval_ms = 20;
}

both_backends!(
    webhooks_are_added_rotated_and_replayed_from_the_dashboard,
    fast_hooks,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        let receiver = crate::receiver::Receiver::ok().await;
        let (_, csrf) = page(&b, &app, "/dashboard/webhooks").await;
        let res = post_form(
            &b,
            &app,
            "/dashboard/webhooks",
            &[("csrf_token", &csrf), ("url", "ftp://example.com/x")],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422, "not an http(s) URL");
        let res = post_form(
            &b,
            &app,
            "/dashboard/webhooks",
            &[
                ("csrf_token", &csrf),
                ("url", &receiver.url),
                ("description", "CRM sync"),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let to = location(&res);
        let id = to
            .strip_prefix("/dashboard/webhooks/")
            .and_then(|r| r.strip_suffix("?done=created"))
            .unwrap()
            .to_owned();

        let (status, _) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["hooked@example.com"]}),
            )
            .await;
        assert_eq!(status, 200);
        let first = receiver.event("user.created").await;
        let msg = first.svix_id().to_owned();
        let (html, _) = page_html(&b, &app, &format!("/dashboard/webhooks/{id}")).await;
        assert!(
            html.contains(&msg) && html.contains("user.created"),
            "{html}"
        );

        let (_, csrf) = page(&b, &app, &format!("/dashboard/webhooks/{id}")).await;
        let res = post_form(
            &b,
            &app,
            &format!("/dashboard/webhooks/{id}/messages/{msg}/replay"),
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(
            location(&res),
            format!("/dashboard/webhooks/{id}?done=replayed")
        );
        receiver
            .wait_until("the message again", |log| {
                log.iter().filter(|r| r.svix_id() == msg).count() >= 2
            })
            .await;

        let path = format!("/v1/webhooks/endpoints/{id}/secret");
        let before = json(app.bapi_get(&path).await).await["key"].clone();
        let res = post_form(
            &b,
            &app,
            &format!("/dashboard/webhooks/{id}/rotate"),
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(
            location(&res),
            format!("/dashboard/webhooks/{id}?done=rotated")
        );
        assert_ne!(json(app.bapi_get(&path).await).await["key"], before);
        let endpoint = app
            .state
            .store
            .get_endpoint(&id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let created = &audit_entries(&app, "webhook.endpoint_created").await[0];
        assert_eq!(created.target_id.as_deref(), Some(id.as_str()));
        assert_eq!(created.detail["url"], endpoint.url.as_str());
        let replayed = &audit_entries(&app, "webhook.message_replayed").await[0];
        assert_eq!(replayed.target_id.as_deref(), Some(id.as_str()));
        assert_eq!(replayed.detail["message_id"], msg.as_str());
        let actions = audit_actions(&app).await;
        for a in [
            "webhook.endpoint_created",
            "webhook.message_replayed",
            "webhook.secret_rotated",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
    }
);
