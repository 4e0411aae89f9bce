//! Compatibility with the real `@clerk/backend` npm package: runs
//! `compat/backend.test.mjs` (a `node:test` suite pinned to an exact SDK
//! version by `compat/package-lock.json`) against a live server configured
//! with nothing but `CLERK_API_URL` and `CLERK_SECRET_KEY`.
//!
//! `compat/organizations.test.mjs` does the same for its organization
//! methods (issue 17).
//!
//! Skips (with a printed reason) when `node` or `npm` is not on `PATH`.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::node::run_compat_suite;

both_backends!(
    clerk_backend_sdk_works_with_only_api_url_and_secret_key,
    |c: &mut frontdesk_server::Config| {
        c.backend_rate_limit = Some(0);
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
    },
    |app: TestApp| async move {
        run_compat_suite(&app, "backend.test.mjs").await;
        app.stop().await;
    }
);

both_backends!(
    clerk_backend_organization_methods_work,
    |c: &mut frontdesk_server::Config| {
        c.backend_rate_limit = Some(0);
    },
    |app: TestApp| async move {
        run_compat_suite(&app, "organizations.test.mjs").await;
        app.stop().await;
    }
);
