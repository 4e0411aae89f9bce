//! Two-step verification in Chromium with the real clerk-js and `@clerk/ui`:
//! add an authenticator app in `<UserProfile/>`, sign in with password +
//! app code, then with a backup code, once (`e2e/mfa.spec.mjs`); and, on an
//! instance that requires it, the `setup-mfa` session task in
//! `<TaskSetupMFA/>` (`e2e/mfa-required.spec.mjs`). The page and its setup
//! are those of `clerk_js.rs`.

use std::time::Duration;

use crate::both_backends;
use crate::clerk_js::{on_clerk_page, run_for_user};
use crate::helpers::TestApp;

both_backends!(
    real_clerk_js_adds_an_app_and_signs_in_with_two_factors,
    on_clerk_page,
    |app: TestApp| async move {
        let email = format!("mfa-e2e-{}@example.com", app.port);
        run_for_user(
            app,
            "the two-step verification browser test",
            "mfa.spec.mjs",
            email,
            "correct horse two steps",
            Duration::from_secs(90),
        )
        .await;
    }
);

both_backends!(
    real_clerk_js_completes_the_setup_mfa_task,
    on_clerk_page,
    |app: TestApp| async move {
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                "/v1/instance/settings",
                Some(serde_json::json!({"mfa": {"required": true}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let email = format!("mfa-required-{}@example.com", app.port);
        run_for_user(
            app,
            "the required two-step verification browser test",
            "mfa-required.spec.mjs",
            email,
            "correct horse required steps",
            Duration::from_secs(60),
        )
        .await;
    }
);
