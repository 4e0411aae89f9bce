//! Backend API users, checked against Clerk's spec.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, assert_response, assert_schema, error_code, json};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
}

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, user) = app.post_json("/v1/users", body).await;
    assert_eq!(status, 200, "{user}");
    assert_response("post", "/users", 200, &user);
    user
}

both_backends!(create_read_update_delete, fast, |app: TestApp| async move {
    let user = create(
        &app,
        json!({
            "email_address": ["Ada@Example.com"],
            "password": "correct horse battery staple",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "username": "ada_l",
            "external_id": "ext-1",
            "public_metadata": {"tier": "free"},
            "private_metadata": {"stripe": "cus_1"},
        }),
    )
    .await;
    let id = user["id"].as_str().unwrap();
    assert!(id.starts_with("user_"));
    assert_eq!(user["object"], "user");
    assert_eq!(
        user["email_addresses"][0]["email_address"],
        "Ada@example.com"
    );
    assert_eq!(
        user["email_addresses"][0]["verification"]["status"],
        "verified"
    );
    assert_eq!(user["email_addresses"][0]["linked_to"], json!([]));
    assert_eq!(
        user["primary_email_address_id"],
        user["email_addresses"][0]["id"]
    );
    assert_eq!(user["password_enabled"], true);
    assert_eq!(user["private_metadata"], json!({"stripe": "cus_1"}));
    let created = user["created_at"].as_i64().unwrap();
    assert!(created > 1_700_000_000_000, "milliseconds: {created}");

    let got = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
    assert_response("get", "/users/{user_id}", 200, &got);
    assert_eq!(got, user);

    let res = app
        .bapi(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(json!({"first_name": "Augusta", "last_name": null, "unsafe_metadata": {"x": 1}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let updated = json(res).await;
    assert_response("patch", "/users/{user_id}", 200, &updated);
    assert_eq!(updated["first_name"], "Augusta");
    assert!(updated["last_name"].is_null(), "null clears");
    assert_eq!(updated["username"], "ada_l", "absent fields are kept");
    assert_eq!(updated["unsafe_metadata"], json!({"x": 1}));
    assert!(updated["updated_at"].as_i64().unwrap() >= created);

    let res = app
        .bapi(Method::DELETE, &format!("/v1/users/{id}"), None)
        .await;
    let deleted = json(res).await;
    assert_response("delete", "/users/{user_id}", 200, &deleted);
    assert_eq!(
        deleted,
        json!({"object": "user", "id": id, "deleted": true})
    );
    let res = app.bapi_get(&format!("/v1/users/{id}")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(&json(res).await), "resource_not_found");
    let res = app
        .bapi(Method::DELETE, &format!("/v1/users/{id}"), None)
        .await;
    assert_eq!(res.status(), 404);
    app.stop().await;
});

both_backends!(
    list_filters_order_and_count,
    fast,
    |app: TestApp| async move {
        let mut ids = Vec::new();
        for (i, name) in ["carol", "alice", "bob"].iter().enumerate() {
            let u = create(&app, json!({"email_address": [format!("{name}@list.test")], "first_name": name, "external_id": format!("x{i}")})).await;
            ids.push(u["id"].as_str().unwrap().to_owned());
        }
        let names = |v: &Value| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|u| u["first_name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let list = json(app.bapi_get("/v1/users").await).await;
        assert_response("get", "/users", 200, &list);
        assert_eq!(
            names(&list),
            ["bob", "alice", "carol"],
            "newest first by default"
        );
        let list = json(
            app.bapi_get("/v1/users?order_by=%2Bemail_address&limit=2&offset=1")
                .await,
        )
        .await;
        assert_eq!(names(&list), ["bob", "carol"]);
        let list = json(
            app.bapi_get("/v1/users?email_address=ALICE@list.test&email_address=bob@list.test")
                .await,
        )
        .await;
        assert_eq!(
            list.as_array().unwrap().len(),
            2,
            "repeated keys are an array"
        );
        let list = json(
            app.bapi_get(&format!(
                "/v1/users?user_id[]={}&user_id[]={}",
                ids[0], ids[1]
            ))
            .await,
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 2, "`[]` suffix works too");
        let list = json(app.bapi_get("/v1/users?external_id=x2").await).await;
        assert_eq!(names(&list), ["bob"]);
        let list = json(app.bapi_get("/v1/users?query=LIC").await).await;
        assert_eq!(names(&list), ["alice"]);
        let count = json(app.bapi_get("/v1/users/count?query=list.test").await).await;
        assert_response("get", "/users/count", 200, &count);
        assert_eq!(count, json!({"object": "total_count", "total_count": 3}));
        app.stop().await;
    }
);

both_backends!(metadata_merges_deeply, fast, |app: TestApp| async move {
    let user = create(&app, json!({"email_address": ["meta@example.com"], "public_metadata": {"tier": "free", "nested": {"a": 1, "b": 2}}})).await;
    let id = user["id"].as_str().unwrap();
    let res = app
        .bapi(
            Method::PATCH,
            &format!("/v1/users/{id}/metadata"),
            Some(json!({"public_metadata": {"tier": "pro", "nested": {"a": null, "c": 3}}, "private_metadata": {"k": "v"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let merged = json(res).await;
    assert_response("patch", "/users/{user_id}/metadata", 200, &merged);
    assert_eq!(
        merged["public_metadata"],
        json!({"tier": "pro", "nested": {"b": 2, "c": 3}})
    );
    assert_eq!(merged["private_metadata"], json!({"k": "v"}));
    let big = "x".repeat(9000);
    let res = app
        .bapi(
            Method::PATCH,
            &format!("/v1/users/{id}/metadata"),
            Some(json!({"public_metadata": {"big": big}})),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = json(res).await;
    assert_eq!(body["errors"][0]["meta"]["param_name"], "public_metadata");
    let kept = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
    assert_eq!(
        kept["public_metadata"], merged["public_metadata"],
        "a refused patch changes nothing"
    );
    app.stop().await;
});

both_backends!(
    ban_lock_and_verify_password,
    fast,
    |app: TestApp| async move {
        let user = create(
            &app,
            json!({"email_address": ["flags@example.com"], "password": "a long enough password"}),
        )
        .await;
        let id = user["id"].as_str().unwrap();
        for (action, field, value) in [
            ("ban", "banned", true),
            ("unban", "banned", false),
            ("lock", "locked", true),
            ("unlock", "locked", false),
        ] {
            let (status, body) = app
                .post_json(&format!("/v1/users/{id}/{action}"), json!({}))
                .await;
            assert_eq!(status, 200, "{action}: {body}");
            assert_schema("User", &body);
            assert_eq!(body[field], value, "{action}");
        }
        let (status, body) = app
            .post_json(
                &format!("/v1/users/{id}/verify_password"),
                json!({"password": "a long enough password"}),
            )
            .await;
        assert_eq!((status, body), (200, json!({"verified": true})));
        let (status, body) = app
            .post_json(
                &format!("/v1/users/{id}/verify_password"),
                json!({"password": "a long enough passwor"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(error_code(&body), "incorrect_password");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "password");
        app.stop().await;
    }
);

both_backends!(
    imported_bcrypt_digests_verify_and_are_upgraded,
    fast,
    |app: TestApp| async move {
        // A bcrypt digest, as another system would have stored it.
        let digest = bcrypt::hash("imported-secret-1", 4).unwrap();
        let digest = digest.as_str();
        let user = create(&app, json!({"email_address": ["import@example.com"], "password_digest": digest, "password_hasher": "bcrypt"})).await;
        let id = user["id"].as_str().unwrap();
        let uid: frontdesk_types::UserId = id.parse().unwrap();
        assert_eq!(
            app.state
                .store
                .get_user(&uid)
                .await
                .unwrap()
                .unwrap()
                .password_digest
                .as_deref(),
            Some(digest)
        );
        let (status, _) = app
            .post_json(
                &format!("/v1/users/{id}/verify_password"),
                json!({"password": "imported-secret-1"}),
            )
            .await;
        assert_eq!(status, 200);
        let stored = app
            .state
            .store
            .get_user(&uid)
            .await
            .unwrap()
            .unwrap()
            .password_digest
            .unwrap();
        assert!(
            stored.starts_with("$argon2id$"),
            "rehashed on success: {stored}"
        );
        let (status, _) = app
            .post_json(
                &format!("/v1/users/{id}/verify_password"),
                json!({"password": "imported-secret-1"}),
            )
            .await;
        assert_eq!(status, 200, "the upgraded digest still verifies");

        let argon = frontdesk_crypto::PasswordHasher::new(1024, 1, 1)
            .unwrap()
            .hash("pw-imported")
            .unwrap();
        let (status, body) = app.post_json("/v1/users", json!({"email_address": ["argon@example.com"], "password_digest": argon, "password_hasher": "argon2id"})).await;
        assert_eq!(status, 200, "{body}");
        for (hasher, digest) in [
            ("md5", "5f4dcc3b5aa765d61d8327deb882cf99"),
            ("bcrypt", "$2b$04$short"),
        ] {
            let (status, body) = app.post_json("/v1/users", json!({"email_address": [format!("{hasher}@example.com")], "password_digest": digest, "password_hasher": hasher})).await;
            assert_eq!(status, 422, "{hasher}");
            assert!(
                body["errors"][0]["meta"]["param_name"]
                    .as_str()
                    .unwrap()
                    .starts_with("password_")
            );
        }
        app.stop().await;
    }
);

both_backends!(
    create_refuses_bad_input_without_writing,
    fast,
    |app: TestApp| async move {
        create(&app, json!({"email_address": ["taken@example.com"]})).await;
        let cases = [
            (
                json!({"email_address": ["TAKEN@example.com"]}),
                "email_address",
                "form_identifier_exists",
            ),
            (
                json!({"email_address": ["not-an-email"]}),
                "email_address",
                "form_param_format_invalid",
            ),
            (
                json!({"email_address": ["a@b.co", "A@b.co"]}),
                "email_address",
                "form_param_duplicate",
            ),
            (
                json!({"email_address": ["p@example.com"], "password": "short"}),
                "password",
                "form_password_length_too_short",
            ),
            (
                json!({"email_address": ["q@example.com"], "password": "x".repeat(300)}),
                "password",
                "form_password_length_too_long",
            ),
            (
                json!({"email_address": ["r@example.com"], "username": "a b"}),
                "username",
                "form_username_invalid_character",
            ),
            (
                json!({"email_address": "s@example.com"}),
                "email_address",
                "form_param_format_invalid",
            ),
            (
                json!({"email_address": ["t@example.com"], "first_name": 7}),
                "first_name",
                "form_param_format_invalid",
            ),
            (
                json!({"email_address": ["u@example.com"], "public_metadata": "nope"}),
                "public_metadata",
                "form_param_format_invalid",
            ),
            (json!({}), "email_address", "form_data_missing"),
        ];
        for (body, param, code) in cases {
            let (status, err) = app.post_json("/v1/users", body.clone()).await;
            assert_eq!(status, 422, "{body}: {err}");
            assert_eq!(error_code(&err), code, "{body}");
            assert_eq!(err["errors"][0]["meta"]["param_name"], param, "{body}");
        }
        let count = json(app.bapi_get("/v1/users/count").await).await;
        assert_eq!(
            count["total_count"], 1,
            "nothing but the first user was stored"
        );

        let (status, _) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["dup-name@example.com"], "username": "same_name"}),
            )
            .await;
        assert_eq!(status, 200);
        let (status, err) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["dup-name2@example.com"], "username": "SAME_name"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(err["errors"][0]["meta"]["param_name"], "username");
        app.stop().await;
    }
);

both_backends!(email_address_endpoints, fast, |app: TestApp| async move {
    let user = create(&app, json!({"email_address": ["first@example.com"]})).await;
    let uid = user["id"].as_str().unwrap();
    let (status, email) = app.post_json("/v1/email_addresses", json!({"user_id": uid, "email_address": "second@example.com", "verified": true, "primary": true})).await;
    assert_eq!(status, 200, "{email}");
    assert_response("post", "/email_addresses", 200, &email);
    let eid = email["id"].as_str().unwrap();
    let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
    assert_eq!(user["primary_email_address_id"], eid);
    assert_eq!(user["email_addresses"].as_array().unwrap().len(), 2);

    let res = app
        .bapi(
            Method::PATCH,
            &format!("/v1/email_addresses/{eid}"),
            Some(json!({"verified": false})),
        )
        .await;
    let patched = json(res).await;
    assert_response(
        "patch",
        "/email_addresses/{email_address_id}",
        200,
        &patched,
    );
    assert!(patched["verification"].is_null());
    let got = json(app.bapi_get(&format!("/v1/email_addresses/{eid}")).await).await;
    assert_eq!(got, patched);

    let (status, err) = app
        .post_json(
            "/v1/email_addresses",
            json!({"user_id": uid, "email_address": "FIRST@example.com"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&err), "form_identifier_exists");
    let (status, _) = app
        .post_json(
            "/v1/email_addresses",
            json!({"user_id": "user_nope", "email_address": "x@example.com"}),
        )
        .await;
    assert_eq!(status, 404);

    let deleted = json(
        app.bapi(Method::DELETE, &format!("/v1/email_addresses/{eid}"), None)
            .await,
    )
    .await;
    assert_eq!(
        deleted,
        json!({"object": "email_address", "id": eid, "deleted": true})
    );
    let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
    assert!(user["primary_email_address_id"].is_null());
    app.stop().await;
});
