//! Instance settings live in the database: edited through Clerk's Backend
//! API endpoints and Frontdesk's `/v1/instance/settings`, validated as a
//! whole, shown by `/v1/environment` at once on every node, and in force
//! for sign-up, sign-in and CORS without a restart.

use frontdesk_server::Application;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    TestApp, assert_response, dev_browser, error_code, fapi_post, json, spawn_with,
};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
}

async fn patch(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let res = app.bapi(Method::PATCH, path, Some(body)).await;
    let status = res.status().as_u16();
    let body = if status == 204 {
        Value::Null
    } else {
        json(res).await
    };
    (status, body)
}

async fn environment(app: &TestApp) -> Value {
    json(app.get("/v1/environment").await).await
}

both_backends!(
    clerks_instance_endpoints_edit_the_stored_settings,
    |app: TestApp| async move {
        let origin = "https://app.example.test";
        let (status, _) = patch(
            &app,
            "/v1/instance",
            json!({"allowed_origins": [origin], "support_email": "help@example.test", "test_mode": false}),
        )
        .await;
        assert_eq!(status, 204);
        let instance = json(app.bapi_get("/v1/instance").await).await;
        assert_response("get", "/instance", 200, &instance);
        assert_eq!(instance["allowed_origins"], json!([app.base, origin]));

        // In force at once: the new origin gets credentialed CORS.
        let res = app
            .http
            .get(app.url("/v1/environment"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["access-control-allow-origin"], origin);

        let (status, restrictions) = patch(
            &app,
            "/v1/instance/restrictions",
            json!({"block_email_subaddresses": true}),
        )
        .await;
        assert_eq!(status, 200, "{restrictions}");
        assert_response("patch", "/instance/restrictions", 200, &restrictions);
        assert_eq!(restrictions["block_email_subaddresses"], true);

        let orgs = json(app.bapi_get("/v1/instance/organization_settings").await).await;
        assert_response("get", "/instance/organization_settings", 200, &orgs);
        let (status, orgs) = patch(
            &app,
            "/v1/instance/organization_settings",
            json!({"max_allowed_memberships": 25, "domains_enrollment_modes": ["automatic_invitation"]}),
        )
        .await;
        assert_eq!(status, 200, "{orgs}");
        assert_response("patch", "/instance/organization_settings", 200, &orgs);
        assert_eq!(orgs["max_allowed_memberships"], 25);

        // The whole document shows every change.
        let all = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(all["support_email"], "help@example.test");
        assert_eq!(all["test_mode"], false);
        assert_eq!(all["restrictions"]["block_email_subaddresses"], true);
        assert_eq!(all["organizations"]["max_allowed_memberships"], 25);
        app.stop().await;
    }
);

both_backends!(
    settings_that_cannot_be_are_refused_and_nothing_changes,
    |app: TestApp| async move {
        let before = json(app.bapi_get("/v1/instance/settings").await).await;
        for (path, body, param) in [
            ("/v1/instance", json!({"hibp": true}), "hibp"),
            (
                "/v1/instance",
                json!({"allowed_origins": ["not an origin"]}),
                "allowed_origins",
            ),
            (
                "/v1/instance/restrictions",
                json!({"allowlist": true}),
                "restrictions.allowlist",
            ),
            (
                "/v1/instance/organization_settings",
                json!({"domains_enrollment_modes": ["by_magic"]}),
                "domains_enrollment_modes",
            ),
            (
                "/v1/instance/settings",
                json!({"passwords": {"min_length": 6}}),
                "passwords.min_length",
            ),
            (
                "/v1/instance/settings",
                json!({"sessions": {"lifetime_secs": "forever"}}),
                "settings",
            ),
        ] {
            let (status, body) = patch(&app, path, body.clone()).await;
            assert_eq!(status, 422, "{path} {body}");
            assert_eq!(error_code(&body), "form_param_value_invalid", "{body}");
            assert_eq!(body["errors"][0]["meta"]["param_name"], param, "{body}");
        }
        let (status, body) = patch(&app, "/v1/instance", json!({"no_such_setting": 1})).await;
        assert_eq!(status, 422, "{body}");
        error_code(&body);
        let after = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(before, after, "a refused change changes nothing");
        app.stop().await;
    }
);

both_backends!(
    a_change_on_one_node_shows_on_another_without_a_restart,
    fast,
    |app: TestApp| async move {
        let mut config = (*app.state.config).clone();
        config.port = 0;
        let other = spawn_with(config, tempfile::tempdir().unwrap()).await;
        assert_eq!(
            environment(&other).await["user_settings"]["password_settings"]["min_length"],
            8
        );
        let (status, _) = patch(
            &app,
            "/v1/instance/settings",
            json!({"passwords": {"min_length": 12}, "branding": {"application_name": "Acme"},
                   "sign_up": {"first_name": {"required": true}}}),
        )
        .await;
        assert_eq!(status, 200);
        // The other node reads the database for the environment.
        let env = environment(&other).await;
        assert_eq!(env["user_settings"]["password_settings"]["min_length"], 12);
        assert_eq!(env["display_config"]["application_name"], "Acme");
        assert_eq!(
            env["user_settings"]["attributes"]["first_name"]["required"],
            true
        );
        // And its hosted pages render from the settings.
        let page = other.get("/sign-up").await.text().await.unwrap();
        assert!(page.contains("Acme"), "the hosted page shows the new name");
        assert!(page.contains("At least 12 characters"));
        other.stop().await;
        app.stop().await;
    }
);

/// A sign-up through the Frontend API with a `+clerk_test` address (code
/// 424242 in test mode): the attempt after verification.
async fn sign_up(app: &TestApp, db: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let (status, body) = fapi_post(app, db, "/v1/client/sign_ups", form).await;
    if status != 200 {
        return (status, body);
    }
    let id = body["response"]["id"].as_str().unwrap().to_owned();
    let (status, body) = fapi_post(
        app,
        db,
        &format!("/v1/client/sign_ups/{id}/prepare_verification"),
        &[("strategy", "email_code")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    fapi_post(
        app,
        db,
        &format!("/v1/client/sign_ups/{id}/attempt_verification"),
        &[("strategy", "email_code"), ("code", "424242")],
    )
    .await
}

both_backends!(
    sign_up_follows_the_password_policy_and_required_fields,
    fast,
    |app: TestApp| async move {
        let (status, _) = patch(
            &app,
            "/v1/instance/settings",
            json!({"passwords": {"min_length": 14}, "sign_up": {"first_name": {"required": true}}}),
        )
        .await;
        assert_eq!(status, 200);
        let db = dev_browser(&app).await;
        let (status, body) = sign_up(
            &app,
            &db,
            &[
                ("email_address", "short+clerk_test@example.test"),
                ("password", "twelve chars"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "form_password_length_too_short");

        let (status, body) = sign_up(
            &app,
            &db,
            &[
                ("email_address", "named+clerk_test@example.test"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let attempt = &body["response"];
        assert_eq!(attempt["status"], "missing_requirements", "{attempt}");
        assert_eq!(attempt["missing_fields"], json!(["first_name"]));
        assert_eq!(
            attempt["required_fields"],
            json!(["email_address", "password", "first_name"])
        );
        let id = attempt["id"].as_str().unwrap();
        // Giving the missing field completes the sign-up, as on Clerk.
        let (status, body) = fapi_post(
            &app,
            &db,
            &format!("/v1/client/sign_ups/{id}?_method=PATCH"),
            &[("first_name", "Ada")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete", "{body}");
        assert!(body["response"]["created_user_id"].is_string());
        app.stop().await;
    }
);

both_backends!(
    restricted_sign_ups_subaddresses_and_email_codes_follow_the_settings,
    fast,
    |app: TestApp| async move {
        let db = dev_browser(&app).await;
        let (status, _) = patch(
            &app,
            "/v1/instance/restrictions",
            json!({"block_email_subaddresses": true}),
        )
        .await;
        assert_eq!(status, 200);
        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[("email_address", "ada+tag@example.test")],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "form_email_address_blocked");

        let (status, _) = patch(
            &app,
            "/v1/instance/settings",
            json!({"sign_up": {"mode": "restricted"}, "sign_in": {"email_code": false}}),
        )
        .await;
        assert_eq!(status, 200);
        let env = environment(&app).await;
        assert_eq!(env["user_settings"]["sign_up"]["mode"], "restricted");
        assert_eq!(
            env["user_settings"]["attributes"]["email_address"]["first_factors"],
            json!([])
        );
        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[("email_address", "ada@example.test")],
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "sign_up_mode_restricted");

        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("identifier", "ada@example.test")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let factors: Vec<&str> = body["response"]["supported_first_factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["strategy"].as_str().unwrap())
            .collect();
        assert_eq!(factors, ["password", "reset_password_email_code"]);
        let id = body["response"]["id"].as_str().unwrap();
        let (status, body) = fapi_post(
            &app,
            &db,
            &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
            &[("strategy", "email_code")],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "strategy_for_user_invalid");
        app.stop().await;
    }
);

both_backends!(
    parallel_changes_to_different_settings_all_land,
    |app: TestApp| async move {
        let origins: Vec<String> = (0..20)
            .map(|i| format!("https://app{i}.example.test"))
            .collect();
        // Twenty administrators at once, each changing a setting of their own
        // through the whole-document endpoint, and one through Clerk's.
        let changes = (0..20).map(|i| {
            let body = json!({"organizations": {"domains_enrollment_modes": []},
                              "branding": {"application_name": format!("App {i}")}});
            let app = &app;
            async move { patch(app, "/v1/instance/settings", body).await.0 }
        });
        let (statuses, (clerk, _)) = tokio::join!(
            join_all(changes),
            patch(&app, "/v1/instance", json!({"allowed_origins": origins}))
        );
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(clerk, 204);
        let all = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(all["allowed_origins"], json!(origins), "no change was lost");
        assert!(
            all["branding"]["application_name"]
                .as_str()
                .unwrap()
                .starts_with("App ")
        );
        app.stop().await;
    }
);

#[tokio::test]
async fn the_configuration_seeds_the_first_start_and_the_database_wins_after() {
    let dir = tempfile::tempdir().unwrap();
    let (mut config, _) = crate::helpers::fresh_config(crate::helpers::Backend::Sqlite, &dir)
        .await
        .unwrap();
    config.min_password_length = 10;
    config.branding.application_name = "From the file".to_owned();
    let first = Application::build(config.clone()).await.unwrap();
    let settings = first.state().settings();
    assert_eq!(settings.settings.passwords.min_length, 10);
    assert_eq!(settings.settings.branding.application_name, "From the file");
    let store = first.state().store.clone();
    let seed = frontdesk_server::services::settings::seed_from(&config, config.mode);
    frontdesk_server::services::settings::update(store.as_ref(), &seed, |s| {
        s.passwords.min_length = 16;
        Ok::<_, ()>(())
    })
    .await
    .unwrap()
    .unwrap();
    drop(first);
    // Restarted with the same file: the stored setting stands.
    let second = Application::build(config).await.unwrap();
    assert_eq!(second.state().settings().settings.passwords.min_length, 16);
    assert_eq!(
        second.state().settings().settings.branding.application_name,
        "From the file"
    );
}
