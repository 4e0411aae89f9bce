//! Two-step verification in Chromium with the real clerk-js and `@clerk/ui`
//! (`e2e/mfa.spec.mjs`): add an authenticator app in `<UserProfile/>`, sign
//! in with password + app code, then with a backup code, once. The page and
//! its setup are those of `clerk_js.rs`.

use std::time::Duration;

use crate::both_backends;
use crate::browser::{BROWSER, e2e, ensure_node_modules, missing};
use crate::clerk_js::run_on_clerk_page;
use crate::helpers::{TestApp, user_with_password};

both_backends!(
    real_clerk_js_adds_an_app_and_signs_in_with_two_factors,
    |c: &mut frontdesk_server::Config| {
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
        // Four sign-ins from one address in seconds; the limits have their own tests.
        c.frontend_attempt_rate_limit = 0;
        c.frontend_create_rate_limit = 0;
        c.bundles_dir = e2e().join("node_modules/@clerk");
    },
    |app: TestApp| async move {
        if let Some(why) = missing().await {
            frontdesk_testkit::skip("the two-step verification browser test", &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let _one_browser = BROWSER.lock().await;
        let email = format!("mfa-e2e-{}@example.com", app.port);
        let password = "correct horse two steps";
        user_with_password(&app, &email, password).await;
        let stdout = run_on_clerk_page(
            &app,
            "mfa.spec.mjs",
            &[("EMAIL", email), ("PASSWORD", password.to_owned())],
            Duration::from_secs(90),
        )
        .await;
        println!("{stdout}");
        app.stop().await;
    }
);

both_backends!(
    real_clerk_js_completes_the_setup_mfa_task,
    |c: &mut frontdesk_server::Config| {
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
        c.bundles_dir = e2e().join("node_modules/@clerk");
    },
    |app: TestApp| async move {
        if let Some(why) = missing().await {
            frontdesk_testkit::skip("the required two-step verification browser test", &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let _one_browser = BROWSER.lock().await;
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                "/v1/instance/settings",
                Some(serde_json::json!({"mfa": {"required": true}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let email = format!("mfa-required-{}@example.com", app.port);
        let password = "correct horse required steps";
        user_with_password(&app, &email, password).await;
        let stdout = run_on_clerk_page(
            &app,
            "mfa-required.spec.mjs",
            &[("EMAIL", email), ("PASSWORD", password.to_owned())],
            Duration::from_secs(60),
        )
        .await;
        println!("{stdout}");
        app.stop().await;
    }
);
