//! Security rules of the Frontend API, one test each (security.md groups B, D).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, json};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
}

async fn dev_browser(app: &TestApp) -> String {
    json(
        app.http
            .post(app.url("/v1/dev_browser"))
            .send()
            .await
            .unwrap(),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn post(
    app: &TestApp,
    db: &str,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut req = app
        .http
        .post(app.url(&format!("{path}{sep}__clerk_db_jwt={db}")))
        .form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, json(res).await)
}

both_backends!(
    sec_b3_starting_sign_ins_is_limited_per_ip,
    fast,
    |app: TestApp| async move {
        let db = dev_browser(&app).await;
        for i in 0..5 {
            let (status, _, body) = post(
                &app,
                &db,
                "/v1/client/sign_ins",
                &[("identifier", "a@example.com")],
                &[("x-forwarded-for", &format!("10.0.0.{i}"))],
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        // Rotating X-Forwarded-For without a trusted proxy changes nothing.
        let (status, headers, body) = post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("identifier", "a@example.com")],
            &[("x-forwarded-for", "10.9.9.9")],
        )
        .await;
        assert_eq!(status, 429, "{body}");
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=10).contains(&retry));
        assert_eq!(body["errors"][0]["code"], "too_many_requests");
        let (status, _, _) = post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[("email_address", "b@example.com")],
            &[],
        )
        .await;
        assert_eq!(status, 429, "sign-ups share the budget");
        app.stop().await;
    }
);

both_backends!(
    sec_b3_attempts_are_limited_per_ip,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.frontend_create_rate_limit = 0;
    },
    |app: TestApp| async move {
        let db = dev_browser(&app).await;
        let (_, _, body) = post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("identifier", "a@example.com")],
            &[],
        )
        .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/client/sign_ins/{id}/attempt_first_factor");
        for _ in 0..3 {
            let (status, _, _) = post(
                &app,
                &db,
                &path,
                &[("strategy", "password"), ("password", "wrong password!")],
                &[],
            )
            .await;
            assert_eq!(status, 422);
        }
        let (status, headers, _) = post(
            &app,
            &db,
            &path,
            &[("strategy", "password"), ("password", "wrong password!")],
            &[],
        )
        .await;
        assert_eq!(status, 429);
        assert!(headers.contains_key("retry-after"));
        app.stop().await;
    }
);

both_backends!(
    sec_b1_ten_failures_lock_the_account_across_case_variants,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.frontend_create_rate_limit = 0;
        c.frontend_attempt_rate_limit = 0;
    },
    |app: TestApp| async move {
        let (_, user) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["lock@example.com"], "password": "the right password"}),
            )
            .await;
        let uid = user["id"].as_str().unwrap().to_owned();
        let db = dev_browser(&app).await;
        for i in 0..10 {
            let identifier = if i % 2 == 0 {
                "lock@example.com"
            } else {
                "LOCK@Example.com"
            };
            let (status, _, _) = post(
                &app,
                &db,
                "/v1/client/sign_ins",
                &[
                    ("identifier", identifier),
                    ("password", "wrong password!"),
                    ("strategy", "password"),
                ],
                &[],
            )
            .await;
            // The failure that locks the account already says so.
            assert_eq!(status, if i < 9 { 422 } else { 403 }, "failure {i}");
        }
        let (status, _, body) = post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[
                ("identifier", "lock@example.com"),
                ("password", "the right password"),
                ("strategy", "password"),
            ],
            &[],
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["errors"][0]["code"], "user_locked");
        assert!(body["client"].is_null() || body["client"]["sessions"] == json!([]));
        let locked = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(locked["locked"], true);
        assert!(locked["lockout_expires_in_seconds"].as_i64().unwrap() > 3500);
        let (status, _) = app
            .post_json(&format!("/v1/users/{uid}/unlock"), json!({}))
            .await;
        assert_eq!(status, 200);
        let (status, _, body) = post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[
                ("identifier", "lock@example.com"),
                ("password", "the right password"),
                ("strategy", "password"),
            ],
            &[],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        app.stop().await;
    }
);

both_backends!(
    me_names_password_and_devices,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.frontend_create_rate_limit = 0;
        c.frontend_attempt_rate_limit = 0;
    },
    |app: TestApp| async move {
        app.post_json(
            "/v1/users",
            json!({"email_address": ["me@example.com"], "password": "the first password"}),
        )
        .await;
        let laptop = dev_browser(&app).await;
        let phone = dev_browser(&app).await;
        let sign_in = |db: String| {
            let app = &app;
            async move {
                let (s, _, body) = post(
                    app,
                    &db,
                    "/v1/client/sign_ins",
                    &[
                        ("identifier", "me@example.com"),
                        ("password", "the first password"),
                        ("strategy", "password"),
                    ],
                    &[],
                )
                .await;
                assert_eq!(s, 200, "{body}");
                body["response"]["created_session_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let laptop_sid = sign_in(laptop.clone()).await;
        let phone_sid = sign_in(phone.clone()).await;

        let me = json(
            app.http
                .get(app.url(&format!("/v1/me?__clerk_db_jwt={laptop}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            me["response"]["email_addresses"][0]["email_address"],
            "me@example.com"
        );
        let (s, _, me) = post(
            &app,
            &laptop,
            "/v1/me?_method=PATCH",
            &[("first_name", "Ada"), ("last_name", "Byron")],
            &[],
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            (
                me["response"]["first_name"].as_str(),
                me["response"]["last_name"].as_str()
            ),
            (Some("Ada"), Some("Byron"))
        );

        let active = json(
            app.http
                .get(app.url(&format!("/v1/me/sessions/active?__clerk_db_jwt={laptop}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let ids: Vec<&str> = active["response"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&laptop_sid.as_str()) && ids.contains(&phone_sid.as_str()));

        let (s, _, err) = post(
            &app,
            &laptop,
            "/v1/me/change_password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "the second password"),
            ],
            &[],
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(err["errors"][0]["meta"]["param_name"], "current_password");
        let (s, _, _) = post(
            &app,
            &laptop,
            "/v1/me/change_password",
            &[
                ("current_password", "the first password"),
                ("new_password", "the second password"),
                ("sign_out_of_other_sessions", "true"),
            ],
            &[],
        )
        .await;
        assert_eq!(s, 200);
        let (s, _, _) = post(
            &app,
            &phone,
            &format!("/v1/client/sessions/{phone_sid}/tokens"),
            &[],
            &[],
        )
        .await;
        assert_eq!(s, 401, "other devices were signed out");
        let (s, _, _) = post(
            &app,
            &laptop,
            &format!("/v1/client/sessions/{laptop_sid}/tokens"),
            &[],
            &[],
        )
        .await;
        assert_eq!(s, 200, "this device stays signed in");

        // Sign out another device from this one.
        let tablet = dev_browser(&app).await;
        let (_, _, body) = post(
            &app,
            &tablet,
            "/v1/client/sign_ins",
            &[
                ("identifier", "me@example.com"),
                ("password", "the second password"),
                ("strategy", "password"),
            ],
            &[],
        )
        .await;
        let tablet_sid = body["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, _, revoked) = post(
            &app,
            &laptop,
            &format!("/v1/me/sessions/{tablet_sid}/revoke"),
            &[],
            &[],
        )
        .await;
        assert_eq!(s, 200, "{revoked}");
        assert_eq!(revoked["response"]["status"], "revoked");
        let (s, _, _) = post(
            &app,
            &tablet,
            &format!("/v1/client/sessions/{tablet_sid}/tokens"),
            &[],
            &[],
        )
        .await;
        assert_eq!(s, 401);
        let (s, _, _) = post(&app, &phone, "/v1/me/sessions/sess_x/revoke", &[], &[]).await;
        assert_eq!(s, 401, "signed-out browsers cannot manage sessions");
        app.stop().await;
    }
);
