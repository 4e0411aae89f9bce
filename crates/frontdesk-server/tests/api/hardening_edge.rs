//! Regression tests for the edge findings of 2026-11-30 (CORS, mail,
//! input, resource limits, outages, caching, webhook addresses): each is the
//! finding's reproduction, named after it; on both databases where the
//! database matters.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_backends;
use crate::helpers::{
    self, Backend, TestApp, code_of, dev_browser, fapi_post as post, json, user_with_password,
};

use crate::hardening_auth::{PW, fast, production};

both_backends!(
    f04_cors_only_for_trusted_origins,
    |c: &mut frontdesk_server::Config| {
        production(c);
        c.allowed_origins = vec!["https://app.example.test".into()];
    },
    |app: TestApp| async move {
        for (origin, trusted) in [
            ("https://evil.example", false),
            ("https://blog.example.test", false),
            ("http://localhost:3000", false),
            ("https://app.example.test", true),
        ] {
            let res = app
                .http
                .get(app.url("/v1/client"))
                .header("origin", origin)
                .send()
                .await
                .unwrap();
            let allowed = res.headers().get("access-control-allow-origin");
            assert_eq!(allowed.is_some(), trusted, "{origin}");
            assert_eq!(
                res.headers()
                    .contains_key("access-control-allow-credentials"),
                trusted,
                "{origin}"
            );
            if let Some(a) = allowed {
                assert_eq!(a, origin);
            }
        }
        app.stop().await;
    }
);

/// A TCP server that accepts connections and never says a word: an SMTP
/// server that hangs.
async fn black_hole() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    (port, task)
}

/// Start a sign-in for `identifier` on a fresh cookie client and time
/// `prepare_first_factor` for `strategy`.
async fn time_prepare(app: &TestApp, identifier: &str, strategy: &str) -> (u16, Duration) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = http
        .post(app.url("/v1/client/sign_ins"))
        .form(&[("identifier", identifier)])
        .send()
        .await
        .unwrap();
    let sia = json(res).await["response"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    let res = http
        .post(app.url(&format!("/v1/client/sign_ins/{sia}/prepare_first_factor")))
        .form(&[("strategy", strategy)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), started.elapsed())
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

#[tokio::test]
async fn f05_codes_answer_alike_with_smtp_hanging() {
    let (port, hole) = black_hole().await;
    helpers::run(
        Backend::Sqlite,
        |c| {
            production(c);
            c.smtp.host = Some("127.0.0.1".into());
            c.smtp.port = port;
            c.smtp.tls = frontdesk_server::config::SmtpTls::None;
            c.smtp.timeout_secs = 5;
        },
        |app| async move {
            let (mut known, mut unknown) = (Vec::new(), Vec::new());
            for i in 0..12 {
                let email = format!("f05-{i}@example.com");
                user_with_password(&app, &email, PW).await;
                for (who, times) in [
                    (email, &mut known),
                    (format!("f05-nobody-{i}@example.com"), &mut unknown),
                ] {
                    for strategy in ["email_code", "reset_password_email_code"] {
                        let (status, took) = time_prepare(&app, &who, strategy).await;
                        assert_eq!(status, 200, "{who} {strategy}");
                        // The mail server hangs for 5 s: a request that
                        // waited for it would show.
                        assert!(took < Duration::from_secs(2), "{who} waited {took:?}");
                        times.push(took);
                    }
                }
            }
            let (k, u) = (median(known), median(unknown));
            println!("f05: prepare median known {k:?}, unknown {u:?}");
            assert!(
                k < u + Duration::from_millis(25) && u < k + Duration::from_millis(25),
                "known {k:?} vs unknown {u:?}"
            );
            app.stop().await;
        },
    )
    .await;
    hole.abort();
}

both_backends!(
    f06_codes_per_address_are_limited,
    fast,
    |app: TestApp| async move {
        let email = "f06@example.com";
        user_with_password(&app, email, PW).await;
        // Each from a new browser and sign-in, as an attacker with many
        // addresses would: the limit is the account's, not the attempt's.
        for (who, strategy, allowed) in [
            (email, "email_code", 5),
            ("f06-nobody@example.com", "email_code", 5),
            ("f06-reset@example.com", "reset_password_email_code", 3),
        ] {
            if who.contains("reset") {
                user_with_password(&app, who, PW).await;
            }
            let mut statuses = Vec::new();
            for _ in 0..8 {
                let db = dev_browser(&app).await;
                let (_, body) =
                    post(&app, &db, "/v1/client/sign_ins", &[("identifier", who)]).await;
                let sia = body["response"]["id"].as_str().unwrap().to_owned();
                let res = app
                    .http
                    .post(app.url(&format!(
                        "/v1/client/sign_ins/{sia}/prepare_first_factor?__clerk_db_jwt={db}"
                    )))
                    .form(&[("strategy", strategy)])
                    .send()
                    .await
                    .unwrap();
                if res.status() == 429 {
                    let wait: u64 = res.headers()["retry-after"]
                        .to_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert!(wait > 0);
                }
                statuses.push(res.status().as_u16());
            }
            let expected: Vec<u16> = (0..8)
                .map(|i| if i < allowed { 200 } else { 429 })
                .collect();
            assert_eq!(statuses, expected, "{who} {strategy}");
        }
        let mail = json(app.bapi_get("/v1/dev/emails?limit=500").await).await;
        let to = |addr: &str| {
            mail["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["to_email_address"] == addr)
                .count()
        };
        assert_eq!(to(email), 5);
        assert_eq!(to("f06-reset@example.com"), 3);
        assert_eq!(to("f06-nobody@example.com"), 0);
        app.stop().await;
    }
);

both_backends!(
    f08_nul_is_refused_at_the_edge,
    fast,
    |app: TestApp| async move {
        let uid = user_with_password(&app, "f08@example.com", PW).await;
        let db = dev_browser(&app).await;
        let mut answers: Vec<(String, u16, Value)> = Vec::new();
        for (path, form) in [
            (
                "/v1/client/sign_ins",
                vec![("identifier", "a\0@example.com"), ("password", "x")],
            ),
            (
                "/v1/client/sign_ups",
                vec![("email_address", "zz@example.com"), ("first_name", "a\0b")],
            ),
            (
                "/v1/client/sign_ups",
                vec![
                    ("email_address", "zz@example.com"),
                    ("unsafe_metadata", "{\"a\":\"\\u0000\"}"),
                ],
            ),
        ] {
            let (status, body) = post(&app, &db, path, &form).await;
            answers.push((format!("FAPI {path} {form:?}"), status, body));
        }
        for (method, path, body) in [
            (
                reqwest::Method::POST,
                "/v1/users".to_owned(),
                json!({"email_address": ["nul1@example.com"], "first_name": "a\u{0}b"}),
            ),
            (
                reqwest::Method::POST,
                "/v1/users".to_owned(),
                json!({"email_address": ["nul2@example.com"], "external_id": "x\u{0}"}),
            ),
            (
                reqwest::Method::PATCH,
                format!("/v1/users/{uid}"),
                json!({"last_name": "a\u{0}"}),
            ),
            (
                reqwest::Method::PATCH,
                format!("/v1/users/{uid}/metadata"),
                json!({"public_metadata": {"k\u{0}": 1}}),
            ),
            (
                reqwest::Method::PATCH,
                format!("/v1/users/{uid}/metadata"),
                json!({"private_metadata": {"k": ["\u{0}"]}}),
            ),
        ] {
            let res = app.bapi(method.clone(), &path, Some(body.clone())).await;
            let status = res.status().as_u16();
            answers.push((
                format!("BAPI {method} {path} {body}"),
                status,
                json(res).await,
            ));
        }
        for path in [
            "/v1/users?query=%00",
            "/v1/users?email_address=%00",
            "/v1/users?user_id=%00",
            "/v1/users?external_id=%00",
            "/v1/users?username=%00",
            "/v1/users/%00",
        ] {
            let res = app.bapi_get(path).await;
            let status = res.status().as_u16();
            answers.push((format!("BAPI GET {path}"), status, json(res).await));
        }
        let res = app
            .http
            .get(app.url(&format!("/v1/client/sign_ins/sia_%00?__clerk_db_jwt={db}")))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        answers.push(("FAPI flow id".into(), status, json(res).await));
        for (what, status, body) in &answers {
            assert_eq!(
                (*status, code_of(body).as_str()),
                (422, "form_param_format_invalid"),
                "{what}: {body}"
            );
        }
        // Nothing stored was touched.
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["last_name"], Value::Null);
        assert_eq!(user["public_metadata"], json!({}));
        app.stop().await;
    }
);

/// Whether the server closes `s` (reads end of stream) within `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn f09_slow_clients_are_cut_off() {
    helpers::run(
        Backend::Sqlite,
        |c| {
            fast(c);
            c.header_read_timeout_secs = 1;
            c.body_read_timeout_secs = 1;
            c.max_connections_per_ip = 40;
        },
        |app| async move {
            let addr = format!("127.0.0.1:{}", app.port);
            // Half a header line each, as slowloris sends.
            let mut slow = Vec::new();
            for _ in 0..30 {
                let mut s = TcpStream::connect(&addr).await.unwrap();
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .await
                    .unwrap();
                slow.push(s);
            }
            let closed = join_all(slow.iter_mut().map(|s| closed_within(s, Duration::from_secs(5)))).await;
            assert!(closed.iter().all(|c| *c), "every slow header was cut off");

            // A body that never arrives: answered, not waited on forever.
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(
                b"POST /v1/client/sign_ins HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"identif",
            )
            .await
            .unwrap();
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
            assert!(read.is_ok(), "no answer to a stalled body");
            let head = String::from_utf8_lossy(&answer);
            assert!(head.starts_with("HTTP/1.1 408"), "{head}");

            // Connections over the per-address cap are closed at once;
            // the others keep being served.
            let mut idle = Vec::new();
            for _ in 0..40 {
                idle.push(TcpStream::connect(&addr).await.unwrap());
            }
            let mut over = TcpStream::connect(&addr).await.unwrap();
            assert!(closed_within(&mut over, Duration::from_millis(500)).await);
            drop(idle);
            let ok = app.get("/healthz").await;
            assert_eq!(ok.status(), 200);
            app.stop().await;
        },
    )
    .await;
}

both_backends!(
    f10_metrics_do_not_grow_with_invented_methods,
    fast,
    |app: TestApp| async move {
        let before = app.get("/metrics").await.text().await.unwrap();
        for i in 0..200 {
            let method = reqwest::Method::from_bytes(format!("M{i}X").as_bytes()).unwrap();
            app.http
                .request(method, app.url("/x"))
                .send()
                .await
                .unwrap();
        }
        let after = app.get("/metrics").await.text().await.unwrap();
        assert!(!after.contains("M17X"), "no series per invented method");
        assert!(after.contains("method=\"other\""));
        assert!(
            after.len() < before.len() + 10_000,
            "grew {} bytes",
            after.len() - before.len()
        );
        app.stop().await;
    }
);

both_backends!(
    f11_anonymous_clients_are_limited_and_purged,
    |c: &mut frontdesk_server::Config| {
        production(c);
        c.frontend_client_rate_limit = 5;
        c.allowed_origins = vec!["https://app.example.test".into()];
    },
    |app: TestApp| async move {
        let clients = |app: &TestApp| {
            let store = app.state.store.clone();
            async move { store.list_clients(10_000, 0).await.unwrap().len() }
        };
        let start = clients(&app).await;
        // Handshakes of browsers without a client create none.
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for _ in 0..20 {
            let res = no_redirects
                .get(app.url("/v1/client/handshake?redirect_url=https://app.example.test/"))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_redirection() || res.status().is_success());
        }
        assert_eq!(clients(&app).await, start);
        // Anonymous clients are created at a bounded rate per address.
        let mut statuses = Vec::new();
        for i in 0..7 {
            let res = app
                .http
                .post(app.url("/v1/client/sign_ins"))
                .form(&[("identifier", format!("f11-{i}@example.com"))])
                .send()
                .await
                .unwrap();
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
        assert_eq!(clients(&app).await, start + 5);
        // A day later, the clean-up removes them with their attempts.
        let later = frontdesk_domain::UnixMillis::now().plus_secs(2 * 86_400);
        let policy = frontdesk_server::services::upkeep::policy(later);
        let purged = frontdesk_server::services::upkeep::purge_all(&app.state, &policy)
            .await
            .unwrap();
        assert!(purged.clients >= 5 && purged.flows >= 5, "{purged:?}");
        assert_eq!(clients(&app).await, 0);
        app.stop().await;
    }
);

#[tokio::test]
async fn f12_hashing_overload_is_refused_not_queued() {
    helpers::run(
        Backend::Sqlite,
        |c| {
            fast(c);
            c.argon2_memory_kib = 19_456;
            c.argon2_iterations = 2;
            c.password_hash_threads = 1;
        },
        |app| async move {
            let email = "f12@example.com";
            user_with_password(&app, email, PW).await;
            let dbs = join_all((0..120).map(|_| dev_browser(&app))).await;
            let app = &app;
            let answers = join_all(dbs.iter().map(|db| async move {
                let res = app
                    .http
                    .post(app.url(&format!("/v1/client/sign_ins?__clerk_db_jwt={db}")))
                    .form(&[("identifier", email), ("password", PW)])
                    .send()
                    .await
                    .unwrap();
                let retry = res.headers().get("retry-after").cloned();
                (res.status().as_u16(), retry)
            }))
            .await;
            let ok = answers.iter().filter(|(s, _)| *s == 200).count();
            let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
            assert_eq!(
                ok + busy.len(),
                answers.len(),
                "only 200 or 503: {answers:?}"
            );
            assert!(
                ok >= 1 && !busy.is_empty(),
                "{ok} accepted, {} refused",
                busy.len()
            );
            assert!(
                busy.iter()
                    .all(|(_, r)| r.as_ref().is_some_and(|v| v == "1"))
            );
            assert_eq!(app.state.hashes.pending(), 0, "nothing left queued");
        },
    )
    .await;
}

#[tokio::test]
async fn f14_sqlite_lock_is_503() {
    use sqlx::Connection;
    helpers::run(Backend::Sqlite, fast, |app| async move {
        let uid = user_with_password(&app, "f14@example.com", PW).await;
        let path = app.state.config.data_dir.join("frontdesk.db");
        let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut other)
            .await
            .unwrap();
        // Reads go on (WAL); a write waits out the busy timeout, then 503.
        assert_eq!(
            app.bapi_get(&format!("/v1/users/{uid}")).await.status(),
            200
        );
        let res = app
            .bapi(
                reqwest::Method::POST,
                "/v1/users",
                Some(json!({"email_address": ["f14-b@example.com"]})),
            )
            .await;
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(code_of(&json(res).await), "service_unavailable");
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        let (status, _) = app
            .post_json("/v1/users", json!({"email_address": ["f14-b@example.com"]}))
            .await;
        assert_eq!(status, 200, "recovered");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn f14_postgres_restart_is_503() {
    use sqlx::Connection;
    helpers::run(Backend::Postgres, fast, |app| async move {
        let uid = user_with_password(&app, "f14@example.com", PW).await;
        let Some(url) = app.state.config.database_url.clone() else {
            panic!("a PostgreSQL test without a database_url");
        };
        let name = url
            .expose()
            .split("application_name=")
            .nth(1)
            .unwrap()
            .to_owned();
        let base = std::env::var(frontdesk_store_postgres::testing::TEST_DATABASE_URL_VAR).unwrap();
        let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
        // What a restart does to the server's connections.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&name)
        .execute(&mut admin)
        .await
        .unwrap();
        let mut statuses = Vec::new();
        for _ in 0..20 {
            let res = app.bapi_get(&format!("/v1/users/{uid}")).await;
            if res.status() == 503 {
                assert!(res.headers().contains_key("retry-after"));
            }
            statuses.push(res.status().as_u16());
        }
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 503),
            "{statuses:?}"
        );
        assert_eq!(statuses.last(), Some(&200), "recovered: {statuses:?}");
        app.stop().await;
    })
    .await;
}

both_backends!(
    f17_one_account_per_mailbox,
    fast,
    |app: TestApp| async move {
        user_with_password(&app, "alice@example.com", PW).await;
        user_with_password(&app, "user@ex\u{e4}mple.com", PW).await;
        let long = format!("{}@{}.example.com", "a".repeat(60), "b".repeat(240));
        for look_alike in [
            "\u{ff41}lice@example.com",
            "a\u{2113}ice@example.com",
            "al\u{200d}ice@example.com",
            "\u{0430}lice@example.com",
            "x(c)@example.com",
            long.as_str(),
        ] {
            let (status, body) = app
                .post_json("/v1/users", json!({"email_address": [look_alike]}))
                .await;
            assert_eq!(
                (status, code_of(&body).as_str()),
                (422, "form_param_format_invalid"),
                "{look_alike:?}: {body}"
            );
        }
        for same in [
            "user@xn--exmple-cua.com",
            "USER@EXÄMPLE.COM",
            "Alice@Example.com",
        ] {
            let (status, body) = app
                .post_json("/v1/users", json!({"email_address": [same]}))
                .await;
            assert_eq!(
                (status, code_of(&body).as_str()),
                (422, "form_identifier_exists"),
                "{same}"
            );
        }
        // The Frontend API applies the same rule.
        let db = dev_browser(&app).await;
        let (status, body) = post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[("email_address", "al\u{200d}ice@example.com")],
        )
        .await;
        assert_eq!(
            (status, code_of(&body).as_str()),
            (422, "form_param_format_invalid")
        );
        app.stop().await;
    }
);

both_backends!(
    f18_sign_up_fields_follow_the_backend_rules,
    fast,
    |app: TestApp| async move {
        let (status, _) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["f18@example.com"], "username": "Taken_Name"}),
            )
            .await;
        assert_eq!(status, 200);
        let db = dev_browser(&app).await;
        let huge = "x".repeat(500_000);
        for (field, value, code) in [
            ("first_name", huge.as_str(), "form_param_format_invalid"),
            ("last_name", "a\u{202e}b", "form_param_format_invalid"),
            (
                "username",
                "<b>x</b> admin",
                "form_username_invalid_character",
            ),
            (
                "username",
                "ad\u{200b}min",
                "form_username_invalid_character",
            ),
            ("username", "taken_name", "form_identifier_exists"),
        ] {
            let (status, body) = post(
                &app,
                &db,
                "/v1/client/sign_ups",
                &[("email_address", "f18-new@example.com"), (field, value)],
            )
            .await;
            assert_eq!((status, code_of(&body).as_str()), (422, code), "{field}");
            assert_eq!(body["errors"][0]["meta"]["param_name"], field);
        }
        app.stop().await;
    }
);

both_backends!(
    f19_tokens_are_never_cached,
    fast,
    |app: TestApp| async move {
        let email = "f19@example.com";
        user_with_password(&app, email, PW).await;
        let db = dev_browser(&app).await;
        let (status, body) = post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("identifier", email), ("password", PW)],
        )
        .await;
        assert_eq!(status, 200);
        let sid = body["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (method, path) in [
            (reqwest::Method::GET, "/v1/client".to_owned()),
            (
                reqwest::Method::POST,
                format!("/v1/client/sessions/{sid}/tokens"),
            ),
            (reqwest::Method::GET, "/v1/me".to_owned()),
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let res = app
                .http
                .request(method, app.url(&format!("{path}{sep}__clerk_db_jwt={db}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        }
        app.stop().await;
    }
);

both_backends!(
    f20_ipv4_inside_ipv6_is_classed,
    production,
    |app: TestApp| async move {
        for url in [
            "http://[::127.0.0.1]:9/",
            "http://[::ffff:0:7f00:1]:9/",
            "http://[2002:7f00:1::1]:9/",
            "http://[::169.254.169.254]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        ] {
            let (status, body) = app
                .post_json("/v1/webhooks/endpoints", json!({"url": url}))
                .await;
            assert_eq!(status, 422, "{url}: {body}");
        }
        app.stop().await;
    }
);
