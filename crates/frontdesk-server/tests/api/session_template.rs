//! The session token template: extra claims in every session token, set
//! through the Backend API, checked, rendered per user, capped at 1.2 KB,
//! and following metadata changes.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code, json};

fn claims(jwt: &str) -> Value {
    crate::helpers::jwt_claims(jwt)
}

async fn mint(app: &TestApp, session: &str) -> Value {
    let (status, body) = app
        .post_json(&format!("/v1/sessions/{session}/tokens"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    claims(body["jwt"].as_str().unwrap())
}

async fn put(app: &TestApp, template: Value) -> (u16, Value) {
    let res = app
        .bapi(
            reqwest::Method::PUT,
            "/v1/instance/session_token_template",
            Some(json!({ "claims": template })),
        )
        .await;
    let status = res.status().as_u16();
    (status, json(res).await)
}

both_backends!(
    session_token_template_puts_metadata_in_every_token,
    |c: &mut frontdesk_server::Config| {
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
    },
    |app: TestApp| async move {
        let (_, user) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["tier@example.com"], "first_name": "Ada", "public_metadata": {"tier": "pro"}}),
            )
            .await;
        let user_id = user["id"].as_str().unwrap().to_owned();
        let (_, session) = app
            .post_json("/v1/sessions", json!({"user_id": user_id}))
            .await;
        let sid = session["id"].as_str().unwrap().to_owned();
        assert!(
            mint(&app, &sid).await.get("metadata").is_none(),
            "no template, no claim"
        );

        let template =
            json!({"metadata": "{{user.public_metadata}}", "name": "{{user.first_name}}"});
        let (status, body) = put(&app, template.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body,
            json!({"object": "session_token_template", "claims": template})
        );
        let got = json(app.bapi_get("/v1/instance/session_token_template").await).await;
        assert_eq!(got["claims"], template);

        let c = mint(&app, &sid).await;
        assert_eq!(c["metadata"], json!({"tier": "pro"}));
        assert_eq!(c["name"], "Ada");
        assert_eq!(c["sub"], user_id, "reserved claims stay Frontdesk's");

        // A metadata change shows in the next token.
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                &format!("/v1/users/{user_id}/metadata"),
                Some(json!({"public_metadata": {"tier": "free"}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(mint(&app, &sid).await["metadata"]["tier"], "free");

        // Over 1.2 KB of claims for this user: left out, the token still minted.
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                &format!("/v1/users/{user_id}/metadata"),
                Some(json!({"public_metadata": {"blob": "x".repeat(2000)}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let c = mint(&app, &sid).await;
        assert!(c.get("metadata").is_none() && c.get("name").is_none());

        // Refused templates change nothing.
        for bad in [
            json!({"sub": "user_admin"}),
            json!({"x": "{{org.id}}"}),
            json!([1]),
        ] {
            let (status, body) = put(&app, bad.clone()).await;
            assert_eq!(
                (status, error_code(&body).as_str()),
                (422, "form_param_value_invalid"),
                "{bad}"
            );
            assert_eq!(body["errors"][0]["meta"]["param_name"], "claims");
        }
        let got = json(app.bapi_get("/v1/instance/session_token_template").await).await;
        assert_eq!(got["claims"], template);

        let res = app
            .bapi(
                reqwest::Method::DELETE,
                "/v1/instance/session_token_template",
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(mint(&app, &sid).await.get("name").is_none());
        app.stop().await;
    }
);
