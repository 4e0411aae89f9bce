//! Step-up in Chromium with the real clerk-js and `@clerk/ui`
//! (`e2e/reverify.spec.mjs`): a stale session adds an email address in
//! `<UserProfile/>`, is refused with `session_reverification_required`,
//! proves its password in `<UserVerification/>`, and the retried call goes
//! through. The spec asks the test to age the session (`age-session`).

use std::time::Duration;

use crate::both_backends;
use crate::clerk_js::{on_clerk_page, run_for_user};
use crate::helpers::TestApp;

both_backends!(
    real_clerk_js_asks_again_in_user_verification_and_retries,
    on_clerk_page,
    |app: TestApp| async move {
        let email = format!("reverify-e2e-{}@example.com", app.port);
        run_for_user(
            app,
            "the step-up browser test",
            "reverify.spec.mjs",
            email,
            "correct horse step up",
            Duration::from_secs(90),
        )
        .await;
    }
);
