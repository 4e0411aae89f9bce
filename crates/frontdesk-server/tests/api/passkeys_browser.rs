//! Passkeys in Chromium with the real clerk-js and `@clerk/ui` and a
//! virtual platform authenticator (`e2e/passkeys.spec.mjs`): register one
//! in `<UserProfile/>`, sign in with it alone, remove it. The page and its
//! setup are those of `clerk_js.rs` (the page at `localhost`). The same on
//! the hosted pages (`e2e/hosted-passkeys.spec.mjs`).

use std::time::Duration;

use crate::both_backends;
use crate::browser::run_hosted_spec;
use crate::clerk_js::{on_clerk_page, run_for_user};
use crate::helpers::TestApp;

both_backends!(
    real_clerk_js_registers_a_passkey_and_signs_in_with_it,
    on_clerk_page,
    |app: TestApp| async move {
        let email = format!("passkey-e2e-{}@example.com", app.port);
        run_for_user(
            app,
            "the passkeys browser test",
            "passkeys.spec.mjs",
            email,
            "correct horse passkey",
            Duration::from_secs(90),
        )
        .await;
    }
);

both_backends!(
    hosted_pages_add_a_passkey_and_sign_in_with_it,
    |c: &mut frontdesk_server::Config| {
        on_clerk_page(c);
        // Browsers refuse IP-address relying parties: Frontdesk at localhost.
        c.public_url = Some("http://localhost:0".to_owned());
    },
    |app: TestApp| async move {
        let email = format!("hosted-passkey-{}@example.com", app.port);
        run_hosted_spec(
            app,
            "the hosted passkeys browser test",
            "hosted-passkeys.spec.mjs",
            email,
            "correct horse hosted passkey",
            Duration::from_secs(60),
        )
        .await;
    }
);
