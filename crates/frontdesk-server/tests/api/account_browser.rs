//! `<UserProfile/>`'s Account page in Chromium with the real clerk-js and
//! `@clerk/ui` (`e2e/account.spec.mjs`): a second email address added and
//! verified, a profile image uploaded, the account deleted. The page and
//! its setup are those of `clerk_js.rs`.

use std::time::Duration;

use crate::both_backends;
use crate::clerk_js::{on_clerk_page, run_for_user};
use crate::helpers::TestApp;

both_backends!(
    real_clerk_js_adds_an_address_an_image_and_deletes_the_account,
    on_clerk_page,
    |app: TestApp| async move {
        let email = format!("account-e2e-{}@example.com", app.port);
        run_for_user(
            app,
            "the account page browser test",
            "account.spec.mjs",
            email,
            "correct horse account page",
            Duration::from_secs(90),
        )
        .await;
    }
);
