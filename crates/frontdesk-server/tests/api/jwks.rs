use crate::both_backends;
use crate::helpers::{TestApp, assert_response, json};

fn assert_public_rsa_members_only(body: &serde_json::Value) {
    let keys = body["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for k in keys {
        let mut members: Vec<&str> = k.as_object().unwrap().keys().map(String::as_str).collect();
        members.sort_unstable();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["alg"], "RS256");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["e"], "AQAB");
        // 2048-bit modulus: 256 bytes → 342 base64url characters.
        assert_eq!(k["n"].as_str().unwrap().len(), 342);
    }
}

both_backends!(
    jwks_on_both_urls_with_cache_headers,
    |app: TestApp| async move {
        let res = app.bapi_get("/v1/jwks").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "private, max-age=300");
        let backend = json(res).await;
        assert_response("get", "/jwks", 200, &backend);
        assert_public_rsa_members_only(&backend);

        let res = app.get("/.well-known/jwks.json").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "public, max-age=300");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let public = json(res).await;
        assert_eq!(public, backend);
        let kid = app.state.keys.active().kid().to_string();
        assert_eq!(public["keys"][0]["kid"], kid);
        app.stop().await;
    }
);

both_backends!(
    rotation_keeps_the_retired_key_published,
    |app: TestApp| async move {
        let old = app.state.keys.active().kid().to_string();
        let new = frontdesk_server::admin::rotate_signing_key(app.state.store.as_ref())
            .await
            .unwrap();
        app.state
            .keys
            .refresh(app.state.store.as_ref())
            .await
            .unwrap();
        assert_eq!(app.state.keys.active().kid().as_str(), new.as_str());
        let body = json(app.get("/.well-known/jwks.json").await).await;
        let kids: Vec<&str> = body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(
            kids,
            [new.as_str(), old.as_str()],
            "newest first, retired still published"
        );
        app.stop().await;
    }
);

both_backends!(
    retired_keys_leave_after_retention,
    |c: &mut frontdesk_server::Config| {
        c.session_token_lifetime_secs = 1;
        c.jwks_max_age_secs = 0;
        c.retired_key_retention_secs = 301;
    },
    |app: TestApp| async move {
        // Backdate a retired key beyond the retention window.
        let store = app.state.store.as_ref();
        let old = app.state.keys.active().kid().to_string();
        let mut new = frontdesk_crypto::SigningKey::generate(frontdesk_domain::UnixMillis(
            frontdesk_domain::UnixMillis::now().0 - 302_000,
        ))
        .unwrap()
        .1;
        store.rotate_signing_key(&new).await.unwrap();
        app.state.keys.refresh(store).await.unwrap();
        let kids: Vec<String> = app
            .state
            .keys
            .jwks()
            .keys
            .iter()
            .map(|k| k.kid.clone())
            .collect();
        assert_eq!(
            kids,
            [new.id.to_string()],
            "{old} retired 302 s ago is gone"
        );
        new.retired_at = None;
        app.stop().await;
    }
);
