use crate::both_backends;
use crate::helpers::{TestApp, json};

both_backends!(health_and_readiness, |app: TestApp| async move {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["status"], "ready");
    app.stop().await;
});

both_backends!(metrics_count_requests_by_route, |app: TestApp| async move {
    app.get("/healthz").await;
    app.get("/v1/jwks").await; // 401, still counted
    let body = app.get("/metrics").await.text().await.unwrap();
    assert!(
        body.contains(
            r#"frontdesk_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{body}"
    );
    assert!(body.contains(r#"route="/v1/jwks",status="401""#), "{body}");
    assert!(body.contains("frontdesk_http_request_duration_seconds_bucket"));
    app.stop().await;
});

both_backends!(
    graceful_shutdown_finishes_and_releases_the_port,
    |app: TestApp| async move {
        let port = app.port;
        app.stop().await;
        // The listener is closed: the port can be bound again.
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
    }
);
