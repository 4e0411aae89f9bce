//! How credentials are handled, one security rule per test (security.md A1–A3,
//! B5, D1): length rules counted in characters, no truncation, absurd inputs
//! refused before any hashing, the same work for unknown accounts as for
//! known ones, and client tokens stored only as hashes.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code, json};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_create_rate_limit = 0;
    c.frontend_attempt_rate_limit = 0;
}

async fn dev_browser(app: &TestApp) -> String {
    let res = app
        .http
        .post(app.url("/v1/dev_browser"))
        .send()
        .await
        .unwrap();
    json(res).await["id"].as_str().unwrap().to_owned()
}

/// `POST path` on the Frontend API as the dev browser `db`.
async fn post(app: &TestApp, db: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .http
        .post(app.url(&format!("{path}?__clerk_db_jwt={db}")))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, json(res).await)
}

/// A password sign-in in one call: status and body.
async fn sign_in(app: &TestApp, db: &str, email: &str, password: &str) -> (u16, Value) {
    post(
        app,
        db,
        "/v1/client/sign_ins",
        &[
            ("identifier", email),
            ("password", password),
            ("strategy", "password"),
        ],
    )
    .await
}

fn hashes(app: &TestApp) -> u64 {
    app.state.metrics.password_hashes.get()
}

both_backends!(
    sec_a1_a3_lengths_count_characters_and_nothing_is_truncated,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.min_password_length = 10;
    },
    |app: TestApp| async move {
        let db = dev_browser(&app).await;
        let sign_up = |pw: String| {
            let (app, db) = (&app, db.clone());
            async move {
                post(
                    app,
                    &db,
                    "/v1/client/sign_ups",
                    &[("email_address", "len@example.com"), ("password", &pw)],
                )
                .await
            }
        };
        let (status, body) = sign_up("ninechars".into()).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "form_password_length_too_short")
        );
        let (status, body) = sign_up("é".repeat(10)).await;
        assert_eq!(status, 200, "10 characters in 20 bytes is 10: {body}");

        // A 100-character password, with spaces at both ends: only all of
        // it, exactly, signs in.
        let p: String = format!(" {} ", "Tr0ub4dor&3 horse-battery ".repeat(4))
            .chars()
            .take(100)
            .collect();
        assert_eq!(p.chars().count(), 100);
        let (status, body) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["long@example.com"], "password": p}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        for wrong in [
            p.chars().take(72).collect::<String>(),
            p.to_uppercase(),
            p.trim().to_owned(),
        ] {
            let (status, body) = sign_in(&app, &db, "long@example.com", &wrong).await;
            assert_eq!(
                (status, error_code(&body).as_str()),
                (422, "form_password_incorrect")
            );
        }
        let (status, body) = sign_in(&app, &db, "long@example.com", &p).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");

        // Absurd lengths are refused before any hashing.
        let before = hashes(&app);
        let (status, _) = sign_in(&app, &db, "long@example.com", &"x".repeat(300_000)).await;
        assert_eq!(status, 422);
        let (status, _) = sign_up("y".repeat(300_000)).await;
        assert_eq!(status, 422);
        let huge = app
            .http
            .post(app.url(&format!("/v1/client/sign_ins?__clerk_db_jwt={db}")))
            .form(&[
                ("identifier", "long@example.com"),
                ("password", &"z".repeat(1 << 20)),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(huge.status(), 413);
        assert_eq!(hashes(&app), before, "no hash computed for absurd inputs");
        app.stop().await;
    }
);

both_backends!(
    sec_b5_unknown_accounts_cost_the_same_verification_as_known_ones,
    fast,
    |app: TestApp| async move {
        let (status, _) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["known@example.com"], "password": "correct horse battery staple"}),
            )
            .await;
        assert_eq!(status, 200);
        let db = dev_browser(&app).await;
        let mut seen = Vec::new();
        for email in ["known@example.com", "nobody@example.com"] {
            let before = hashes(&app);
            let (status, body) = sign_in(&app, &db, email, "not the password").await;
            assert_eq!(hashes(&app) - before, 1, "{email}: one verification");
            seen.push((status, body["errors"].clone()));
        }
        assert_eq!(seen[0], seen[1], "same status and body");
        app.stop().await;
    }
);

both_backends!(
    sec_d1_client_tokens_are_random_and_stored_only_as_hashes,
    fast,
    |app: TestApp| async move {
        let mut tokens = std::collections::HashSet::new();
        for _ in 0..50 {
            let t = dev_browser(&app).await;
            let random = t.strip_prefix("dvb_").unwrap();
            assert!(random.len() >= 22 && random.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(tokens.insert(t));
        }
        // A signed-in client, so that sessions and their client are written.
        let db = tokens.iter().next().unwrap().clone();
        let (status, body) = post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[
                ("email_address", "d1+clerk_test@example.com"),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/client/sign_ups/{id}/prepare_verification");
        assert_eq!(
            post(&app, &db, &path, &[("strategy", "email_code")])
                .await
                .0,
            200
        );
        let path = format!("/v1/client/sign_ups/{id}/attempt_verification");
        assert_eq!(post(&app, &db, &path, &[("code", "424242")]).await.0, 200);

        if app.state.config.database_url.is_some() {
            println!(
                "PostgreSQL: the file scan below is for SQLite; lookups are by hash either way"
            );
        } else {
            // Every byte the database wrote (file, WAL, shared memory).
            let mut stored = Vec::new();
            for entry in std::fs::read_dir(&app.state.config.data_dir).unwrap() {
                stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            assert!(stored.len() > 10_000, "the database is in data_dir");
            for t in &tokens {
                let raw = t.strip_prefix("dvb_").unwrap().as_bytes();
                assert!(
                    !stored.windows(raw.len()).any(|w| w == raw),
                    "a raw client token is in the database"
                );
            }
        }
        app.stop().await;
    }
);
