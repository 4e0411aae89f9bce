//! Compatibility with the real `svix` npm package and `@clerk/backend`'s
//! `verifyWebhook`: runs `compat/webhooks.test.mjs` (a `node:test` suite
//! pinned to exact package versions by `compat/package-lock.json`), which
//! registers an endpoint on a live server, creates, updates and deletes a
//! user through `@clerk/backend`, and verifies every delivery with both
//! libraries (and that a tampered body is refused by both).
//!
//! Skips (with a printed reason) when `node` or `npm` is not on `PATH`.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::node::run_compat_suite;

both_backends!(
    svix_and_clerk_backend_verify_delivered_webhooks,
    |c: &mut frontdesk_server::Config| {
        c.backend_rate_limit = Some(0);
        c.webhooks.poll_interval_ms = 20;
    },
    |app: TestApp| async move {
        run_compat_suite(&app, "webhooks.test.mjs").await;
        app.stop().await;
    }
);
