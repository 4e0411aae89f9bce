//! Webhooks: endpoints through the Backend API; events from every path,
//! signed so that the real `svix` crate verifies them and shaped as Clerk's
//! webhook spec says; retries on a compressed schedule; recovery; rotation;
//! address and redirect safety; fairness between endpoints; several nodes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, json};
use crate::receiver::{Answer, Received, Receiver};

pub(crate) fn fast(c: &mut frontdesk_server::Config) {
    c.backend_rate_limit = Some(0);
    c.frontend_create_rate_limit = 0;
    c.frontend_attempt_rate_limit = 0;
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.webhooks.poll_interval_ms = 20;
}

/// Register an endpoint; returns (id, secret).
pub(crate) async fn endpoint(app: &TestApp, url: &str, filter: &[&str]) -> (String, String) {
    let (status, body) = app
        .post_json(
            "/v1/webhooks/endpoints",
            json!({"url": url, "description": "test", "filter_types": filter}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "webhook_endpoint");
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (body["id"].as_str().unwrap().to_owned(), secret)
}

async fn create_user(app: &TestApp, email: &str) -> Value {
    let (status, user) = app
        .post_json(
            "/v1/users",
            json!({"email_address": [email], "first_name": "Ada", "skip_password_requirement": true}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    user
}

/// Verified by the real `svix` crate and valid against Clerk's webhook spec.
pub(crate) fn check(r: &Received, secret: &str, event_type: &str) -> Value {
    r.verify(secret)
        .unwrap_or_else(|e| panic!("svix refused {event_type}: {e:?}"));
    let event = r.json();
    assert_eq!(event["type"], event_type);
    assert_eq!(event["object"], "event");
    assert!(event["instance_id"].as_str().unwrap().starts_with("ins_"));
    assert!(event["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(r.svix_id().starts_with("msg_"));
    if let Some(spec) =
        frontdesk_openapi_check::Spec::load(frontdesk_openapi_check::SpecFile::Webhooks)
    {
        frontdesk_openapi_check::assert_valid_webhook(&spec, event_type, &event);
    }
    event
}

both_backends!(
    backend_api_changes_are_delivered_signed_and_shaped_as_clerk,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (ep, secret) = endpoint(&app, &rx.url, &[]).await;

        let user = create_user(&app, "ada@example.com").await;
        let uid = user["id"].as_str().unwrap();
        let created = check(&rx.event("user.created").await, &secret, "user.created");
        assert_eq!(created["data"]["id"], uid);
        assert_eq!(
            created["data"]["email_addresses"][0]["email_address"],
            "ada@example.com"
        );
        assert!(created["data"]["private_metadata"].is_object());
        let attrs = &created["event_attributes"]["http_request"];
        assert_eq!(attrs["client_ip"], "127.0.0.1");

        let res = app
            .bapi(
                Method::PATCH,
                &format!("/v1/users/{uid}"),
                Some(json!({"first_name": "Grace"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let updated = check(&rx.event("user.updated").await, &secret, "user.updated");
        assert_eq!(updated["data"]["first_name"], "Grace");

        let (status, session) = app.post_json("/v1/sessions", json!({"user_id": uid})).await;
        assert_eq!(status, 200, "{session}");
        let sid = session["id"].as_str().unwrap();
        let started = check(
            &rx.event("session.created").await,
            &secret,
            "session.created",
        );
        assert_eq!(started["data"]["id"], sid);
        assert_eq!(started["data"]["user"]["id"], uid);
        let (status, _) = app
            .post_json(&format!("/v1/sessions/{sid}/revoke"), json!({}))
            .await;
        assert_eq!(status, 200);
        let revoked = check(
            &rx.event("session.revoked").await,
            &secret,
            "session.revoked",
        );
        assert_eq!(revoked["data"]["status"], "revoked");

        let res = app
            .bapi(Method::DELETE, &format!("/v1/users/{uid}"), None)
            .await;
        assert_eq!(res.status(), 200);
        let deleted = check(&rx.event("user.deleted").await, &secret, "user.deleted");
        assert_eq!(
            deleted["data"],
            json!({"object": "user", "id": uid, "deleted": true})
        );

        // The Backend API lists what was delivered, with the same ids.
        let log = rx.received();
        let listed = json(
            app.bapi_get(&format!("/v1/webhooks/endpoints/{ep}/messages"))
                .await,
        )
        .await;
        let messages = listed["data"].as_array().unwrap();
        assert_eq!(messages.len(), 5);
        assert_eq!(messages[0]["event_type"], "user.deleted", "newest first");
        for m in messages {
            assert!(log.iter().any(|r| r.svix_id() == m["id"]), "{m}");
        }
        let attempts = wait_attempts(&app, &ep, messages[0]["id"].as_str().unwrap(), 1).await;
        let a = &attempts[0];
        assert_eq!(a["object"], "webhook_attempt");
        assert_eq!(a["response_status_code"], 204);
        assert_eq!(a["status"], "success");
        // Once the last outcome is recorded, every message shows success.
        assert_eq!(message_status(&app, &ep, "success", 5).await.len(), 5);
        app.stop().await;
    }
);

/// A client talking to the Frontend API like clerk-js on a development instance.
struct Browser<'a> {
    app: &'a TestApp,
    db_jwt: String,
}

impl<'a> Browser<'a> {
    async fn new(app: &'a TestApp) -> Self {
        let body = json(
            app.http
                .post(app.url("/v1/dev_browser"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        Self {
            app,
            db_jwt: body["id"].as_str().unwrap().to_owned(),
        }
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let res = self
            .app
            .http
            .post(
                self.app
                    .url(&format!("{path}?__clerk_db_jwt={}", self.db_jwt)),
            )
            .header("origin", "http://localhost:3000")
            .header("user-agent", "webhook-test-browser")
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        json(res).await
    }
}

both_backends!(
    frontend_sign_up_and_sign_out_emit_user_session_and_email_events,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(&app, &rx.url, &[]).await;
        let b = Browser::new(&app).await;
        let su = b
            .post(
                "/v1/client/sign_ups",
                &[
                    ("email_address", "lin@example.com"),
                    ("password", "a-long-unusual-passphrase"),
                ],
            )
            .await;
        let id = su["response"]["id"].as_str().unwrap().to_owned();
        b.post(
            &format!("/v1/client/sign_ups/{id}/prepare_verification"),
            &[("strategy", "email_code")],
        )
        .await;

        // The code arrives in `email.created`, as apps that send their own mail use it.
        let mail = check(&rx.event("email.created").await, &secret, "email.created");
        assert_eq!(mail["data"]["to_email_address"], "lin@example.com");
        assert_eq!(
            mail["event_attributes"]["http_request"]["user_agent"],
            "webhook-test-browser"
        );
        let code: String = mail["data"]["body_plain"]
            .as_str()
            .unwrap()
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap()
            .to_owned();
        let done = b
            .post(
                &format!("/v1/client/sign_ups/{id}/attempt_verification"),
                &[("strategy", "email_code"), ("code", &code)],
            )
            .await;
        assert_eq!(done["response"]["status"], "complete");
        let user = check(&rx.event("user.created").await, &secret, "user.created");
        let session = check(
            &rx.event("session.created").await,
            &secret,
            "session.created",
        );
        assert_eq!(session["data"]["user"]["id"], user["data"]["id"]);

        let sid = session["data"]["id"].as_str().unwrap();
        b.post(&format!("/v1/client/sessions/{sid}/end"), &[]).await;
        let ended = check(&rx.event("session.ended").await, &secret, "session.ended");
        assert_eq!(ended["data"]["id"], sid);
        assert_eq!(ended["data"]["status"], "ended");
        app.stop().await;
    }
);

both_backends!(
    retries_follow_the_schedule_and_keep_the_message_id,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.webhooks.retry_delays_ms = vec![300, 600];
    },
    |app: TestApp| async move {
        // Two failures (a 500, then a 429), then success.
        let rx = Receiver::start(|_, n| match n {
            0 => Answer::Status(500),
            1 => Answer::Status(429),
            _ => Answer::Status(200),
        })
        .await;
        let (ep, secret) = endpoint(&app, &rx.url, &["user.created"]).await;
        create_user(&app, "retry@example.com").await;
        let log = rx.wait_until("three attempts", |l| l.len() >= 3).await;
        assert_eq!(log.len(), 3);
        assert!(
            log.iter().all(|r| r.svix_id() == log[0].svix_id()),
            "one svix-id across retries"
        );
        assert!(log.iter().all(|r| r.body == log[0].body));
        for r in &log {
            check(r, &secret, "user.created");
        }
        // Svix's schedule compressed: 300 ms then 600 ms, each ±10 %.
        let gap1 = log[1].at - log[0].at;
        let gap2 = log[2].at - log[1].at;
        assert!(
            gap1 >= Duration::from_millis(270) && gap1 < Duration::from_millis(1_000),
            "{gap1:?}"
        );
        assert!(
            gap2 >= Duration::from_millis(540) && gap2 < Duration::from_millis(1_500),
            "{gap2:?}"
        );

        let msg = log[0].svix_id().to_owned();
        let attempts = wait_attempts(&app, &ep, &msg, 3).await;
        let codes: Vec<Value> = attempts
            .iter()
            .rev()
            .map(|a| a["response_status_code"].clone())
            .collect();
        assert_eq!(codes, vec![json!(500), json!(429), json!(200)]);
        app.stop().await;
    }
);

/// GET `path` (Backend API) until `done` holds for the answer, waking each
/// time the worker records something; at most 20 s.
async fn wait_for(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let recorded = app.state.webhooks.recorded.clone();
        let notified = recorded.notified();
        let body = json(app.bapi_get(path).await).await;
        if done(&body) {
            return body;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if tokio::time::timeout(left, notified).await.is_err() {
            panic!("timed out waiting on {path}: {body}");
        }
    }
}

/// The attempts of `msg`, once `n` are recorded.
async fn wait_attempts(app: &TestApp, ep: &str, msg: &str, n: usize) -> Vec<Value> {
    let path = format!("/v1/webhooks/endpoints/{ep}/messages/{msg}/attempts");
    let body = wait_for(app, &path, |b| {
        b["data"].as_array().is_some_and(|l| l.len() >= n)
    })
    .await;
    body["data"].as_array().unwrap().clone()
}

/// The endpoint's messages with status `want`, once there are `n`.
async fn message_status(app: &TestApp, ep: &str, want: &str, n: usize) -> Vec<Value> {
    let path = format!("/v1/webhooks/endpoints/{ep}/messages?status={want}");
    let body = wait_for(app, &path, |b| {
        b["data"].as_array().is_some_and(|l| l.len() >= n)
    })
    .await;
    body["data"].as_array().unwrap().clone()
}

both_backends!(
    exhausted_messages_fail_then_recover_and_resend,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.webhooks.retry_delays_ms = vec![50];
    },
    |app: TestApp| async move {
        let healthy = Arc::new(AtomicBool::new(false));
        let flag = healthy.clone();
        let rx = Receiver::start(move |_, _| {
            Answer::Status(if flag.load(Ordering::SeqCst) {
                204
            } else {
                503
            })
        })
        .await;
        let (ep, _) = endpoint(&app, &rx.url, &[]).await;
        create_user(&app, "a@example.com").await;
        create_user(&app, "b@example.com").await;
        let failed = message_status(&app, &ep, "fail", 2).await;
        assert_eq!(rx.received().len(), 4, "two attempts each, then given up");
        assert!(failed.iter().all(|m| m["attempts"] == 2));

        healthy.store(true, Ordering::SeqCst);
        let (status, body) = app
            .post_json(
                &format!("/v1/webhooks/endpoints/{ep}/recover"),
                json!({"since": 0}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body, json!({"object": "webhook_recovery", "count": 2}));
        message_status(&app, &ep, "success", 2).await;

        let msg = failed[0]["id"].as_str().unwrap();
        let (status, _) = app
            .post_json(
                &format!("/v1/webhooks/endpoints/{ep}/messages/{msg}/resend"),
                json!({}),
            )
            .await;
        assert_eq!(status, 202);
        // Two failures, the recovery, the resend: one svix-id throughout.
        rx.wait_until("the resend", |l| {
            l.iter().filter(|r| r.svix_id() == msg).count() == 4
        })
        .await;
        let (status, err) = app
            .post_json(
                &format!("/v1/webhooks/endpoints/{ep}/messages/msg_nope/resend"),
                json!({}),
            )
            .await;
        assert_eq!(status, 404, "{err}");
        app.stop().await;
    }
);

both_backends!(
    rotated_secrets_sign_alongside_the_new_one,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (ep, old) = endpoint(&app, &rx.url, &[]).await;
        let (status, rotated) = app
            .post_json(
                &format!("/v1/webhooks/endpoints/{ep}/secret/rotate"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{rotated}");
        let new = rotated["key"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let shown = json(
            app.bapi_get(&format!("/v1/webhooks/endpoints/{ep}/secret"))
                .await,
        )
        .await;
        assert_eq!(shown["key"], new.as_str());
        // The next delivery is picked up after the worker re-reads endpoints.
        create_user(&app, "rot@example.com").await;
        let r = rx.event("user.created").await;
        assert_eq!(
            r.headers["svix-signature"]
                .to_str()
                .unwrap()
                .split(' ')
                .count(),
            2
        );
        check(&r, &old, "user.created");
        check(&r, &new, "user.created");
        app.stop().await;
    }
);

both_backends!(
    redirects_are_not_followed_and_answers_are_capped,
    fast,
    |app: TestApp| async move {
        let target = Receiver::ok().await;
        let to = target.url.clone();
        let redirecting = Receiver::start(move |_, _| Answer::Redirect(to.clone())).await;
        let big = Receiver::start(|_, _| Answer::Big(1 << 20)).await;
        let (ep_redirect, _) = endpoint(&app, &redirecting.url, &[]).await;
        let (ep_big, _) = endpoint(&app, &big.url, &[]).await;
        create_user(&app, "r@example.com").await;

        let msg = redirecting.event("user.created").await.svix_id().to_owned();
        let attempts = wait_attempts(&app, &ep_redirect, &msg, 1).await;
        assert_eq!(attempts[0]["response_status_code"], 302);
        assert_eq!(attempts[0]["status"], "fail");
        assert!(
            target.received().is_empty(),
            "the redirect was not followed"
        );

        big.event("user.created").await;
        let attempts = wait_attempts(&app, &ep_big, &msg, 1).await;
        assert_eq!(attempts[0]["status"], "success");
        assert_eq!(attempts[0]["response"].as_str().unwrap().len(), 1024);
        app.stop().await;
    }
);

both_backends!(
    endpoint_urls_must_not_reach_private_addresses,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.webhooks.allow_loopback = Some(false);
    },
    |app: TestApp| async move {
        for url in [
            "http://127.0.0.1:9/x",
            "http://localhost:9/x",
            "http://[::1]/x",
            "http://10.0.0.7/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:192.168.0.1]/x",
            "http://0.0.0.0/x",
            "ftp://example.com/x",
            "https://user:pw@example.com/x",
            "not a url",
        ] {
            let (status, body) = app
                .post_json("/v1/webhooks/endpoints", json!({"url": url}))
                .await;
            assert_eq!(status, 422, "{url}: {body}");
            assert_eq!(body["errors"][0]["meta"]["param_name"], "url", "{url}");
        }
        let (status, body) = app
            .post_json("/v1/webhooks/endpoints", json!({"url": "https://hooks.example.com/x", "filter_types": ["user.created", "nope"]}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "filter_types");
        let (status, body) = app
            .post_json(
                "/v1/webhooks/endpoints",
                json!({"url": "https://hooks.example.com/x", "surprise": 1}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        // Nothing was stored by the refusals; a good one is.
        let (status, _) = app
            .post_json(
                "/v1/webhooks/endpoints",
                json!({"url": "https://hooks.example.com/x"}),
            )
            .await;
        assert_eq!(status, 200);
        let list = json(app.bapi_get("/v1/webhooks/endpoints").await).await;
        assert_eq!(list["total_count"], 1);
        assert!(
            list["data"][0].get("secret").is_none(),
            "secrets only on creation"
        );
        let res = app.bapi_get("/v1/webhooks/endpoints/ep_missing").await;
        assert_eq!(res.status(), 404);
        app.stop().await;
    }
);

both_backends!(
    a_hanging_endpoint_does_not_starve_another,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.webhooks.timeout_ms = 4_000;
        c.webhooks.concurrency = 4;
        c.webhooks.per_endpoint_concurrency = 2;
    },
    |app: TestApp| async move {
        let stuck = Receiver::start(|_, _| Answer::Hang).await;
        let fine = Receiver::ok().await;
        endpoint(&app, &stuck.url, &[]).await;
        endpoint(&app, &fine.url, &[]).await;
        for i in 0..20 {
            create_user(&app, &format!("u{i}@example.com")).await;
        }
        // All twenty reach the healthy endpoint while the other holds its
        // two slots for the whole 4 s timeout.
        let started = std::time::Instant::now();
        fine.wait_until("20 deliveries", |l| l.len() >= 20).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(stuck.received().len(), 2);
        app.stop().await;
    }
);

both_backends!(
    endpoints_failing_too_long_are_disabled,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.webhooks.retry_delays_ms = vec![50, 50, 50, 50];
        c.webhooks.disable_after_secs = 0;
    },
    |app: TestApp| async move {
        let rx = Receiver::start(|_, _| Answer::Status(500)).await;
        let (ep, _) = endpoint(&app, &rx.url, &[]).await;
        create_user(&app, "down@example.com").await;
        rx.wait_until("a failure", |l| !l.is_empty()).await;
        let shown = wait_for(&app, &format!("/v1/webhooks/endpoints/{ep}"), |e| {
            e["disabled"] == true
        })
        .await;
        assert!(shown["failing_since"].is_i64());
        // Enabling it again clears the failing run.
        let res = app
            .bapi(
                Method::PATCH,
                &format!("/v1/webhooks/endpoints/{ep}"),
                Some(json!({"disabled": false})),
            )
            .await;
        let body = json(res).await;
        assert_eq!(body["disabled"], false);
        assert_eq!(body["failing_since"], Value::Null);
        app.stop().await;
    }
);

/// Two nodes on one PostgreSQL database: each message reaches the receiver
/// once (no lease expired, no failure, so no duplicate is allowed).
#[tokio::test]
async fn two_nodes_deliver_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, Some(schema))) =
        crate::helpers::fresh_config(crate::helpers::Backend::Postgres, &dir).await
    else {
        return;
    };
    fast(&mut config);
    let a = crate::helpers::spawn_with(config.clone(), dir).await;
    let b = crate::helpers::spawn_with(config, tempfile::tempdir().unwrap()).await;
    let rx = Receiver::ok().await;
    endpoint(&a, &rx.url, &["user.created"]).await;
    for i in 0..100 {
        let node = if i % 2 == 0 { &a } else { &b };
        create_user(node, &format!("n{i}@example.com")).await;
    }
    let log = rx.wait_until("100 deliveries", |l| l.len() >= 100).await;
    let mut ids: Vec<&str> = log.iter().map(Received::svix_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    let counts = a.state.store.delivery_counts().await.unwrap();
    assert_eq!(counts.failed, 0);
    a.stop().await;
    b.stop().await;
    assert_eq!(rx.received().len(), 100, "no message was delivered twice");
    schema.drop_schema().await.unwrap();
}

both_backends!(
    hosted_page_sign_in_emits_session_created,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(&app, &rx.url, &["session.created"]).await;
        let (status, _) = app
        .post_json(
            "/v1/users",
            json!({"email_address": ["page@example.com"], "password": "long enough passphrase"}),
        )
        .await;
        assert_eq!(status, 200);
        let b = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("hosted-page-browser")
            .build()
            .unwrap();
        let html = b
            .get(app.url("/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"csrf_token\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let csrf = &html[start..start + html[start..].find('"').unwrap()];
        let res = b
            .post(app.url("/sign-in"))
            .form(&[
                ("identifier", "page@example.com"),
                ("password", "long enough passphrase"),
                ("action", "password"),
                ("csrf_token", csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let event = check(
            &rx.event("session.created").await,
            &secret,
            "session.created",
        );
        assert_eq!(
            event["data"]["user"]["email_addresses"][0]["email_address"],
            "page@example.com"
        );
        assert_eq!(
            event["event_attributes"]["http_request"]["user_agent"],
            "hosted-page-browser"
        );
        app.stop().await;
    }
);

both_backends!(
    concurrent_edits_and_rotations_of_an_endpoint_all_land,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (ep, first) = endpoint(&app, &rx.url, &[]).await;
        let path = format!("/v1/webhooks/endpoints/{ep}");
        let rotate = format!("{path}/secret/rotate");
        // Each request read the endpoint before another one wrote it.
        let edits = (0..6).map(|i| {
            let (app, path) = (&app, &path);
            async move {
                let res = app
                    .bapi(
                        Method::PATCH,
                        path,
                        Some(json!({"description": format!("edit {i}")})),
                    )
                    .await;
                assert_eq!(res.status(), 200);
            }
        });
        let rotations = (0..3).map(|_| {
            let (app, rotate) = (&app, &rotate);
            async move {
                let (status, body) = app.post_json(rotate, json!({})).await;
                assert_eq!(status, 200, "{body}");
                body["key"].as_str().unwrap().to_owned()
            }
        });
        let (_, keys) = futures_util::join!(
            futures_util::future::join_all(edits),
            futures_util::future::join_all(rotations)
        );
        let shown = json(app.bapi_get(&format!("{path}/secret")).await).await;
        let now = shown["key"].as_str().unwrap();
        assert!(
            keys.iter().any(|k| k == now),
            "the secret is one a rotation returned"
        );
        assert_ne!(now, first);
        let e = json(app.bapi_get(&path).await).await;
        assert!(
            e["description"].as_str().unwrap().starts_with("edit "),
            "{e}"
        );
        // Three rotations, none undone by an edit written from an older copy:
        // the secret before the last one is another rotation's, not the first.
        let stored = app
            .state
            .store
            .get_endpoint(&ep.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let previous = stored.previous_secret.unwrap().secret.expose();
        assert_ne!(previous, first, "no edit wrote the old secret back");
        app.stop().await;
    }
);
