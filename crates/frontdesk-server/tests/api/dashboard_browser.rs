//! The operator's day on the dashboard in Chromium (`e2e/dashboard.spec.mjs`):
//! an administrator's first sign-in sent to add an authenticator app, a
//! webhook endpoint added, one user found among many, her device signed
//! out and her browser signed out with it, her ban and her refused
//! sign-in, another impersonated (on the hosted pages, and in an app's
//! page where clerk-js sees the actor and `act`), email codes turned off
//! and clerk-js no longer offering them, the signing key rotated, the
//! day's webhooks received signed and one replayed, the audit log
//! narrowed to one action; then a
//! screenshot of every dashboard and hosted page at desktop and phone sizes
//! into `e2e/artifacts/screenshots/<database>/`, each checked with axe-core
//! for serious WCAG 2.2 A/AA violations.

use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

const PASSWORD: &str = "correct horse battery staple";

both_backends!(
    the_operators_day_in_chromium,
    crate::clerk_js::on_clerk_page,
    |app: TestApp| async move {
        let admin = format!("admin-{}@example.com", app.port);
        let target = format!("grace-{}@example.com", app.port);
        crate::dashboard::admin_user(&app, &admin).await;
        crate::helpers::user_with_password(&app, &target, PASSWORD).await;
        let other = format!("alan-{}@example.com", app.port);
        let other_id = crate::helpers::user_with_password(&app, &other, PASSWORD).await;
        // An organization of his, for its dashboard page.
        let (status, org) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Acme Rockets", "created_by": other_id}),
            )
            .await;
        assert_eq!(status, 200, "{org}");
        let org_page = format!("/dashboard/organizations/{}", org["id"].as_str().unwrap());
        for i in 0..40 {
            let (status, body) = app
                .post_json(
                    "/v1/users",
                    json!({"email_address": [format!("crowd{i}-{}@example.com", app.port)],
                           "first_name": "Crowd", "last_name": format!("Member {i}")}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let database = if app.state.config.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let shots = crate::node::repo_root()
            .join("e2e/artifacts/screenshots")
            .join(database);
        // An app's own page with the real clerk-js, to see it stop
        // offering a method the dashboard turns off.
        let (page_url, page_server) = crate::clerk_js::clerk_page(&app).await;
        crate::browser::run_page_spec(
            app,
            "the dashboard browser test",
            "dashboard.spec.mjs",
            vec![
                ("ADMIN_EMAIL", admin),
                ("TARGET_EMAIL", target),
                ("OTHER_EMAIL", other),
                ("PASSWORD", PASSWORD.to_owned()),
                ("SCREENSHOTS_DIR", shots.display().to_string()),
                ("PAGE_URL", page_url),
                ("ORG_PAGE", org_page),
            ],
            std::time::Duration::from_secs(300),
        )
        .await;
        page_server.abort();
    }
);
