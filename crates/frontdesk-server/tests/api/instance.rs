use crate::both_backends;
use crate::helpers::{TestApp, assert_response, json};

both_backends!(instance_object, |app: TestApp| async move {
    let body = json(app.bapi_get("/v1/instance").await).await;
    assert_response("get", "/instance", 200, &body);
    assert_eq!(body["object"], "instance");
    assert_eq!(body["id"], app.state.instance.instance.id.as_str());
    assert_eq!(body["environment_type"], "development");
    assert_eq!(body["allowed_origins"][0], app.base);
    assert!(body["workspace_id"].is_null());
    app.stop().await;
});

both_backends!(
    publishable_key_encodes_the_public_host,
    |app: TestApp| async move {
        let pk = app.state.instance.publishable_key.to_string();
        let expected = format!("127.0.0.1:{}$", app.port);
        use base64::Engine;
        let body = pk.strip_prefix("pk_test_").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(body)
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), expected);
        assert!(!body.ends_with('='));
        app.stop().await;
    }
);
