//! Frontdesk's hosted pages in real Chromium (`e2e/hosted-pages.spec.mjs`):
//! sign-up with the code from the dev mailbox, handed to an app on another
//! origin by the handshake; the profile; sign-out; sign-in with a password
//! and with an email code; revoking a device from the profile page; a
//! password reset that ends the other session; two-step verification added
//! from the profile, then sign-ins with the app's code and a backup code
//! (once). Also checks that every input
//! is labelled, errors are tied to their fields, and pages fit a phone.
//!
//! Skips (with a printed reason) when `node`, `npm` or Chromium is missing.

use std::time::Duration;

use crate::both_backends;
use crate::browser::{BROWSER, ensure_node_modules, missing, run_spec, serve_page};
use crate::helpers::TestApp;

const SPEC_BUDGET: Duration = Duration::from_secs(90);

both_backends!(
    hosted_pages_sign_up_sign_in_reset_and_revoke_in_chromium,
    |c: &mut frontdesk_server::Config| {
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
        // One browser does many sign-ins from one IP within seconds; the
        // per-IP limits have their own tests (pages_security, sec_b3).
        c.frontend_create_rate_limit = 0;
        c.frontend_attempt_rate_limit = 0;
        // Frontdesk's default spelling of loopback, the app's too: another
        // origin (port), the same site.
        c.public_url = Some("http://localhost:0".to_owned());
    },
    |app: TestApp| async move {
        if let Some(why) = missing().await {
            frontdesk_testkit::skip("the hosted pages browser test", &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let _one_browser = BROWSER.lock().await;
        let (app_url, app_server) =
            serve_page("<!doctype html><title>App</title><p>The app</p>".to_owned()).await;
        let artifacts = tempfile::Builder::new()
            .prefix("frontdesk-pages-")
            .tempdir()
            .unwrap();
        let out = run_spec(
            "hosted-pages.spec.mjs",
            &[
                ("FRONTDESK_URL", app.state.instance.public_url.origin()),
                ("APP_URL", app_url.clone()),
                ("SECRET_KEY", app.secret_key.expose().to_owned()),
            ],
            artifacts.path(),
            SPEC_BUDGET,
        )
        .await;
        app_server.abort();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let kept = artifacts.keep();
            panic!(
                "hosted pages in Chromium failed ({}); artifacts in {}:\n{stdout}\n{stderr}",
                out.status,
                kept.display()
            );
        }
        assert!(
            stdout.lines().any(|l| l.trim() == "PASS"),
            "no PASS from the spec:\n{stdout}\n{stderr}"
        );
        println!("{stdout}");
        app.stop().await;
    }
);
