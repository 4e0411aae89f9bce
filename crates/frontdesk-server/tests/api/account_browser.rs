//! `<UserProfile/>`'s Account page in Chromium with the real clerk-js and
//! `@clerk/ui` (`e2e/account.spec.mjs`): a second email address added and
//! verified, a profile image uploaded, the account deleted. The page and
//! its setup are those of `clerk_js.rs`.

use std::time::Duration;

use crate::both_backends;
use crate::browser::{BROWSER, e2e, ensure_node_modules, missing};
use crate::clerk_js::run_on_clerk_page;
use crate::helpers::{TestApp, user_with_password};

both_backends!(
    real_clerk_js_adds_an_address_an_image_and_deletes_the_account,
    |c: &mut frontdesk_server::Config| {
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
        c.bundles_dir = e2e().join("node_modules/@clerk");
    },
    |app: TestApp| async move {
        if let Some(why) = missing().await {
            frontdesk_testkit::skip("the account page browser test", &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let _one_browser = BROWSER.lock().await;
        let email = format!("account-e2e-{}@example.com", app.port);
        let password = "correct horse account page";
        user_with_password(&app, &email, password).await;
        let stdout = run_on_clerk_page(
            &app,
            "account.spec.mjs",
            &[
                ("EMAIL", email),
                ("PASSWORD", password.to_owned()),
                ("SECRET_KEY", app.secret_key.expose().to_owned()),
            ],
            Duration::from_secs(90),
        )
        .await;
        println!("{stdout}");
        app.stop().await;
    }
);
