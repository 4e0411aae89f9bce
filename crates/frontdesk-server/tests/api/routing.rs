//! Two APIs on one listener: a secret key selects the Backend API, anything
//! else the browser-facing routes (falling through to the Backend API's, so
//! a keyless Backend API call still gets its 401). `/v1/organizations`, which
//! both of Clerk's APIs have with different meanings, is answered by the one
//! the credential names. `compat/backend.test.mjs` and
//! `e2e/clerk-js.spec.mjs` show the same with `@clerk/backend` and clerk-js.

use crate::both_backends;
use crate::helpers::{TestApp, assert_response, dev_browser, error_code, fapi_post, json};

both_backends!(
    one_path_two_apis_routed_by_credential,
    |app: TestApp| async move {
        let list = json(app.bapi_get("/v1/organizations").await).await;
        assert_response("get", "/organizations", 200, &list);
        assert_eq!(list["total_count"], 0);

        let db = dev_browser(&app).await;
        let (status, body) = fapi_post(&app, &db, "/v1/organizations", &[("name", "Acme")]).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_not_enabled_in_instance");

        let keyless = app.get("/v1/organizations").await;
        assert_eq!(
            keyless.status(),
            401,
            "the Backend API's answer without a key"
        );
        let keyless = app.get("/v1/users").await;
        assert_eq!(keyless.status(), 401);

        let wrong_method = app
            .http
            .put(app.url("/v1/environment"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_method.status(), 405, "a browser path, another method");
        assert_eq!(app.get("/v1/nothing-here").await.status(), 404);

        let client = app.bapi_get("/v1/client").await;
        assert_eq!(client.status(), 404, "no Frontend API behind a secret key");
        assert_eq!(error_code(&json(client).await), "resource_not_found");
        for public in ["/healthz", "/.well-known/jwks.json", "/v1/jwks"] {
            assert_eq!(app.bapi_get(public).await.status(), 200, "{public}");
        }
        assert_eq!(app.get("/.well-known/jwks.json").await.status(), 200);
        // A request handed from the browser routes to the Backend API's is
        // counted once, under the route that answered it.
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(
                r#"frontdesk_http_requests_total{method="GET",route="/v1/organizations",status="401"} 1"#
            ),
            "{metrics}"
        );
        app.stop().await;
    }
);
