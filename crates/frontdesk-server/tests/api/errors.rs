use crate::both_backends;
use crate::helpers::{TestApp, json};

both_backends!(
    unknown_routes_get_clerks_envelope,
    |app: TestApp| async move {
        let res = app.get("/v1/nope").await;
        assert_eq!(res.status(), 404);
        let body = json(res).await;
        let e = &body["errors"][0];
        assert_eq!(e["code"], "resource_not_found");
        assert!(e["message"].is_string() && e["long_message"].is_string());
        app.stop().await;
    }
);

both_backends!(backend_api_authentication, |app: TestApp| async move {
    let publishable = app.state.instance.publishable_key.to_string();
    use reqwest::header::HeaderValue;
    let cases: Vec<(&str, Option<HeaderValue>)> = vec![
        ("missing", None),
        ("not bearer", Some(HeaderValue::from_static("Basic abc"))),
        (
            "publishable key",
            Some(HeaderValue::from_str(&format!("Bearer {publishable}")).unwrap()),
        ),
        (
            "unknown secret key",
            Some(HeaderValue::from_str(&format!("Bearer sk_test_{}", "x".repeat(43))).unwrap()),
        ),
        (
            "not utf-8",
            Some(HeaderValue::from_bytes(b"Bearer sk_\xff\xfe").unwrap()),
        ),
        (
            "huge",
            Some(HeaderValue::from_str(&format!("Bearer sk_test_{}", "y".repeat(5000))).unwrap()),
        ),
    ];
    for (what, header) in cases {
        let mut req = app.http.get(app.url("/v1/jwks"));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{what}");
        let body = json(res).await;
        let expected = if what == "unknown secret key" {
            "clerk_key_invalid"
        } else {
            "authentication_invalid"
        };
        assert_eq!(body["errors"][0]["code"], expected, "{what}");
    }
    // Revoked keys stop working at once.
    let (key, record) = frontdesk_server::admin::create_secret_key(
        app.state.store.as_ref(),
        app.state.instance.instance.mode,
        "temp",
    )
    .await
    .unwrap();
    let ok = app
        .http
        .get(app.url("/v1/jwks"))
        .bearer_auth(key.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    app.state.revoke_secret_key(&record.id).await.unwrap();
    let res = app
        .http
        .get(app.url("/v1/jwks"))
        .bearer_auth(key.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.stop().await;
});

both_backends!(
    oversized_bodies_are_refused,
    |c: &mut frontdesk_server::Config| c.max_body_bytes = 2048,
    |app: TestApp| async move {
        let res = app
            .http
            .post(app.url("/v1/nope"))
            .body(vec![b'a'; 10_000])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());
        app.stop().await;
    }
);

/// A database failure is a 500 that says nothing but a trace id, which is
/// also the request id the log line carries.
#[tokio::test]
async fn internal_errors_are_opaque_with_a_trace_id() {
    use crate::helpers::{Backend, fresh_config, spawn_with};
    let dir = tempfile::tempdir().unwrap();
    let Some((config, Some(schema))) = fresh_config(Backend::Postgres, &dir).await else {
        return;
    };
    let app = spawn_with(config, dir).await;
    // Pull the tables out from under the running server (`drop_schema`
    // tries again when the drop is picked as a deadlock victim).
    schema.drop_schema().await.unwrap();
    let res = app.bapi_get("/v1/users").await;
    assert_eq!(res.status(), 500);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errors"][0]["code"], "internal_clerk_error");
    assert_eq!(body["clerk_trace_id"], request_id.as_str());
    for leak in ["relation", "secret_keys", "sqlx", "database", "postgres"] {
        assert!(!text.to_lowercase().contains(leak), "{leak} leaked: {text}");
    }
    app.stop().await;
}
