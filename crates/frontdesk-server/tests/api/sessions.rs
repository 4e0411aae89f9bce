//! Backend API sessions, clients and session tokens.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, assert_response, error_code, json};

async fn user_with_session(app: &TestApp) -> (String, Value) {
    let (status, user) = app
        .post_json(
            "/v1/users",
            json!({"email_address": [format!("s{}@example.com", app.port)]}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    let uid = user["id"].as_str().unwrap().to_owned();
    let (status, session) = app.post_json("/v1/sessions", json!({"user_id": uid})).await;
    assert_eq!(status, 200, "{session}");
    assert_response("post", "/sessions", 200, &session);
    (uid, session)
}

/// Verify an RS256 JWT against the server's published JWKS and return (header, claims).
async fn verify_with_jwks(app: &TestApp, jwt: &str) -> (Value, Value) {
    let jwks = json(app.get("/.well-known/jwks.json").await).await;
    let mut parts = jwt.split('.');
    let (h, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("kid published");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            format!("{h}.{p}").as_bytes(),
            &URL_SAFE_NO_PAD.decode(s).unwrap(),
        )
        .expect("signature verifies against the JWKS");
    (header, claims)
}

both_backends!(session_lifecycle_and_tokens, |app: TestApp| async move {
    let (uid, session) = user_with_session(&app).await;
    let sid = session["id"].as_str().unwrap();
    assert_eq!(session["status"], "active");
    assert_eq!(session["user_id"], uid.as_str());
    let ttl = session["expire_at"].as_i64().unwrap() - session["created_at"].as_i64().unwrap();
    assert_eq!(ttl, 7 * 86_400 * 1000, "seven-day lifetime by default");

    let (status, token) = app
        .post_json(&format!("/v1/sessions/{sid}/tokens"), json!({}))
        .await;
    assert_eq!(status, 200, "{token}");
    assert_response("post", "/sessions/{session_id}/tokens", 200, &token);
    assert_eq!(token["object"], "token");
    let (header, claims) = verify_with_jwks(&app, token["jwt"].as_str().unwrap()).await;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["cat"], "cl_B7d4PD111AAA");
    assert_eq!(header["kid"], app.state.keys.active().kid().as_str());
    let mut names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "exp", "fva", "iat", "iss", "jti", "nbf", "sid", "sts", "sub", "v"
        ]
    );
    assert_eq!(claims["sub"], uid.as_str());
    assert_eq!(claims["sid"], sid);
    assert_eq!(claims["sts"], "active");
    assert_eq!(claims["v"], 2);
    assert_eq!(claims["iss"], app.base.as_str());
    assert_eq!(claims["fva"], json!([0, -1]));
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 60, "60 s by default");
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat - 10);

    // iat is never earlier than the client's updated_at.
    let client_id = session["client_id"].as_str().unwrap();
    let client = json(app.bapi_get(&format!("/v1/clients/{client_id}")).await).await;
    assert_response("get", "/clients/{client_id}", 200, &client);
    assert!(iat >= client["updated_at"].as_i64().unwrap() / 1000);
    assert_eq!(client["session_ids"], json!([sid]));
    assert_eq!(client["last_active_session_id"], sid);

    let (_, custom) = app
        .post_json(
            &format!("/v1/sessions/{sid}/tokens"),
            json!({"expires_in_seconds": 3600}),
        )
        .await;
    let (_, claims) = verify_with_jwks(&app, custom["jwt"].as_str().unwrap()).await;
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    let list = json(app.bapi_get(&format!("/v1/sessions?user_id={uid}")).await).await;
    assert_response("get", "/sessions", 200, &list);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let page = json(
        app.bapi_get(&format!(
            "/v1/sessions?user_id={uid}&paginated=true&status=active"
        ))
        .await,
    )
    .await;
    assert_eq!(page["total_count"], 1);
    assert_eq!(page["data"][0]["id"], sid);

    let (status, revoked) = app
        .post_json(&format!("/v1/sessions/{sid}/revoke"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_response("post", "/sessions/{session_id}/revoke", 200, &revoked);
    assert_eq!(revoked["status"], "revoked");
    let (status, err) = app
        .post_json(&format!("/v1/sessions/{sid}/tokens"), json!({}))
        .await;
    assert_eq!(status, 404, "revoked sessions cannot mint");
    assert_eq!(error_code(&err), "resource_not_found");
    let got = json(app.bapi_get(&format!("/v1/sessions/{sid}")).await).await;
    assert_response("get", "/sessions/{session_id}", 200, &got);
    assert_eq!(got["status"], "revoked");
    app.stop().await;
});

both_backends!(banning_revokes_sessions, |app: TestApp| async move {
    let (uid, session) = user_with_session(&app).await;
    let sid = session["id"].as_str().unwrap();
    let (status, _) = app
        .post_json(&format!("/v1/users/{uid}/ban"), json!({}))
        .await;
    assert_eq!(status, 200);
    let got = json(app.bapi_get(&format!("/v1/sessions/{sid}")).await).await;
    assert_eq!(got["status"], "revoked");
    let (status, _) = app
        .post_json(&format!("/v1/sessions/{sid}/tokens"), json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, err) = app.post_json("/v1/sessions", json!({"user_id": uid})).await;
    assert_eq!(status, 422, "{err}");
    app.stop().await;
});

both_backends!(clients_list_and_verify, |app: TestApp| async move {
    let (_, session) = user_with_session(&app).await;
    let list = json(app.bapi_get("/v1/clients?limit=5").await).await;
    assert_response("get", "/clients", 200, &list);
    assert_eq!(list[0]["id"], session["client_id"]);
    let (status, err) = app
        .post_json("/v1/clients/verify", json!({"token": "not-a-client-token"}))
        .await;
    assert_eq!(status, 404, "{err}");
    let res = app
        .bapi(Method::GET, "/v1/clients/client_unknown", None)
        .await;
    assert_eq!(res.status(), 404);
    app.stop().await;
});

both_backends!(
    session_list_needs_an_owner_and_valid_filters,
    |app: TestApp| async move {
        for (query, param) in [
            ("", "user_id"),
            ("?user_id=sess_x", "user_id"),
            ("?user_id=user_x&status=nope", "status"),
            ("?user_id=user_x&limit=0", "limit"),
            ("?user_id=user_x&limit=501", "limit"),
            ("?user_id=user_x&offset=-1", "offset"),
            ("?user_id=user_x&limit=ten", "limit"),
        ] {
            let res = app.bapi_get(&format!("/v1/sessions{query}")).await;
            assert_eq!(res.status(), 422, "{query}");
            let body = json(res).await;
            error_code(&body);
            assert_eq!(body["errors"][0]["meta"]["param_name"], param, "{query}");
        }
        app.stop().await;
    }
);
