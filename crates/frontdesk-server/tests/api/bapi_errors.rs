//! Backend API error paths: bad bodies, bad ids, rate limits.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, error_code, json};

both_backends!(malformed_and_mistyped_bodies, |app: TestApp| async move {
    let raw = |body: &'static str| {
        app.http
            .post(app.url("/v1/users"))
            .bearer_auth(app.secret_key.expose())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        "{",
        "[1,2]",
        "\"text\"",
        "{\"email_address\": [\"a@b.co\"],}",
    ] {
        let res = raw(body).await.unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(error_code(&json(res).await), "malformed_request", "{body}");
    }
    let res = app
        .bapi(
            Method::PATCH,
            "/v1/users/user_x/metadata",
            Some(json!({"public_metadata": [1]})),
        )
        .await;
    assert_eq!(res.status(), 422, "a wrong type is named");
    let body = json(res).await;
    assert_eq!(error_code(&body), "form_param_format_invalid");
    assert_eq!(body["errors"][0]["meta"]["param_name"], "public_metadata");
    app.stop().await;
});

both_backends!(unknown_ids_are_404, |app: TestApp| async move {
    for path in [
        "/v1/users/user_2abc",
        "/v1/users/not-an-id",
        "/v1/sessions/sess_nope",
        "/v1/email_addresses/idn_nope",
        "/v1/clients/client_nope",
    ] {
        let res = app.bapi_get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(error_code(&json(res).await), "resource_not_found");
    }
    app.stop().await;
});

both_backends!(bad_pagination_is_422, |app: TestApp| async move {
    for q in [
        "limit=0",
        "limit=501",
        "limit=x",
        "offset=-5",
        "order_by=password",
    ] {
        let res = app.bapi_get(&format!("/v1/users?{q}")).await;
        assert_eq!(res.status(), 422, "{q}");
        let body = json(res).await;
        error_code(&body);
        let param = q.split('=').next().unwrap();
        assert_eq!(body["errors"][0]["meta"]["param_name"], param);
    }
    app.stop().await;
});

both_backends!(
    oversized_bodies_are_413_in_clerks_envelope,
    |c: &mut frontdesk_server::Config| c.max_body_bytes = 4096,
    |app: TestApp| async move {
        let big = json!({"email_address": ["big@example.com"], "first_name": "x".repeat(10_000)});
        let res = app.bapi(Method::POST, "/v1/users", Some(big)).await;
        assert_eq!(res.status(), 413);
        assert_eq!(error_code(&json(res).await), "request_body_too_large");
        let count = json(app.bapi_get("/v1/users/count").await).await;
        assert_eq!(count["total_count"], 0);
        app.stop().await;
    }
);

both_backends!(
    rate_limited_per_secret_key_but_not_jwks,
    |c: &mut frontdesk_server::Config| c.backend_rate_limit = Some(5),
    |app: TestApp| async move {
        for _ in 0..5 {
            assert_eq!(app.bapi_get("/v1/users/count").await.status(), 200);
        }
        let res = app.bapi_get("/v1/users/count").await;
        assert_eq!(res.status(), 429);
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=10).contains(&retry));
        assert_eq!(error_code(&json(res).await), "too_many_requests");
        for _ in 0..20 {
            assert_eq!(
                app.bapi_get("/v1/jwks").await.status(),
                200,
                "JWKS is exempt"
            );
        }
        // Another key has its own budget.
        let (other, _) = frontdesk_server::admin::create_secret_key(
            app.state.store.as_ref(),
            app.state.instance.instance.mode,
            "other",
        )
        .await
        .unwrap();
        let res = app
            .http
            .get(app.url("/v1/users/count"))
            .bearer_auth(other.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        app.stop().await;
    }
);
