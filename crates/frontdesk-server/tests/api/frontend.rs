//! The Frontend API as clerk-js drives it: dev browser, form bodies,
//! `_method` overrides, `{response, client}` envelopes.

use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, fast};
use crate::helpers::{TestApp, json};

/// The newest code mailed to `to`, from the dev mailbox.
async fn mailed_code(app: &TestApp, to: &str) -> String {
    let body = json(app.bapi_get("/v1/dev/emails").await).await;
    let mail = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_email_address"] == to)
        .expect("a mail was sent");
    let text = mail["body_plain"].as_str().unwrap();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned()
}

async fn sign_up(b: &Browser<'_>, email: &str, password: &str) -> Value {
    let (status, body) = b
        .post(
            "/v1/client/sign_ups",
            &[
                ("email_address", email),
                ("password", password),
                ("locale", "en-US"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_frontend_schema("Client.ClientWrappedSignUp", &body);
    let su = &body["response"];
    assert_eq!(su["status"], "missing_requirements");
    assert_eq!(su["unverified_fields"], json!(["email_address"]));
    let id = su["id"].as_str().unwrap().to_owned();
    let (status, body) = b
        .post(
            &format!("/v1/client/sign_ups/{id}/prepare_verification"),
            &[("strategy", "email_code")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["response"]["verifications"]["email_address"]["next_action"],
        "needs_attempt"
    );
    let code = mailed_code(b.app, email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, err) = b
        .post(
            &format!("/v1/client/sign_ups/{id}/attempt_verification"),
            &[("code", wrong), ("strategy", "email_code")],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["errors"][0]["code"], "form_code_incorrect");
    assert_eq!(err["errors"][0]["meta"]["param_name"], "code");
    let (status, body) = b
        .post(
            &format!("/v1/client/sign_ups/{id}/attempt_verification"),
            &[("code", &code), ("strategy", "email_code")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_frontend_schema("Client.ClientWrappedSignUp", &body);
    assert_eq!(body["response"]["status"], "complete");
    body
}

both_backends!(
    sign_up_touch_token_sign_out_sign_in,
    fast,
    |app: TestApp| async move {
        let b = Browser::new(&app).await;
        let (status, env) = b.post("/v1/environment?_method=PATCH", &[]).await;
        assert_eq!(status, 200);
        // clerk-js reads these unguarded; a missing member fails its load
        // (`status: degraded`). The rest of the document is checked member by
        // member in the tests of each feature.
        assert_frontend_schema("Client.CommerceSettings", &env["commerce_settings"]);
        assert_frontend_schema("Client.OrganizationSettings", &env["organization_settings"]);
        assert_eq!(env["object"], "environment");
        assert_eq!(
            env["display_config"]["instance_environment_type"],
            "development"
        );
        assert_eq!(env["user_settings"]["password_settings"]["min_length"], 8);

        let client = b.get("/v1/client").await;
        assert!(client["client"].is_null());
        assert_eq!(client["response"]["sessions"], json!([]));

        let done = sign_up(&b, "ada@example.com", "correct horse battery staple").await;
        let sid = done["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let uid = done["response"]["created_user_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let session = &done["client"]["sessions"][0];
        assert_eq!(session["id"], sid.as_str());
        assert_eq!(
            session["user"]["email_addresses"][0]["email_address"],
            "ada@example.com"
        );
        assert!(
            session["user"].get("private_metadata").is_none(),
            "never sent to browsers"
        );
        assert_eq!(done["client"]["last_active_session_id"], sid.as_str());
        assert!(
            session["last_active_token"]["jwt"]
                .as_str()
                .unwrap()
                .split('.')
                .count()
                == 3
        );

        let (status, touched) = b
            .post(
                &format!("/v1/client/sessions/{sid}/touch"),
                &[("active_organization_id", ""), ("intent", "select_session")],
            )
            .await;
        assert_eq!(status, 200, "{touched}");
        assert_frontend_schema("Client.ClientWrappedSession", &touched);
        assert_eq!(touched["response"]["status"], "active");

        let (status, token) = b
            .post(
                &format!("/v1/client/sessions/{sid}/tokens"),
                &[("organization_id", "")],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(token["object"], "token", "bare token, no envelope");
        let claims: Value = {
            use base64::Engine;
            let payload = token["jwt"].as_str().unwrap().split('.').nth(1).unwrap();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(claims["sub"], uid.as_str());
        assert_eq!(claims["azp"], "http://localhost:3000");

        let (status, out) = b.post("/v1/client/sessions?_method=DELETE", &[]).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["response"]["sessions"], json!([]));
        let (status, _) = b
            .post(&format!("/v1/client/sessions/{sid}/tokens"), &[])
            .await;
        assert_eq!(status, 401, "a signed-out session mints nothing");

        let (status, err) = b
            .post(
                "/v1/client/sign_ins",
                &[
                    ("identifier", "ada@example.com"),
                    ("password", "wrong password!"),
                    ("strategy", "password"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(err["errors"][0]["code"], "form_password_incorrect");
        let (status, body) = b
            .post(
                "/v1/client/sign_ins",
                &[
                    ("identifier", "ADA@example.com"),
                    ("password", "correct horse battery staple"),
                    ("strategy", "password"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        assert_eq!(body["response"]["status"], "complete");
        assert_eq!(body["client"]["sessions"].as_array().unwrap().len(), 1);
        app.stop().await;
    }
);

both_backends!(
    unknown_identifiers_look_like_known_ones,
    fast,
    |app: TestApp| async move {
        let b = Browser::new(&app).await;
        sign_up(&b, "known@example.com", "correct horse battery staple").await;
        let (s1, known) = b
            .post(
                "/v1/client/sign_ins",
                &[("identifier", "known@example.com")],
            )
            .await;
        let (s2, unknown) = b
            .post(
                "/v1/client/sign_ins",
                &[("identifier", "nobody@example.com")],
            )
            .await;
        assert_eq!((s1, s2), (200, 200));
        let shape = |v: &Value| {
            let r = &v["response"];
            (
                r["status"].clone(),
                r["supported_first_factors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["strategy"].clone())
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(shape(&known), shape(&unknown));
        let (s1, e1) = b
            .post(
                "/v1/client/sign_ins",
                &[
                    ("identifier", "known@example.com"),
                    ("password", "wrong password!"),
                    ("strategy", "password"),
                ],
            )
            .await;
        let (s2, e2) = b
            .post(
                "/v1/client/sign_ins",
                &[
                    ("identifier", "nobody@example.com"),
                    ("password", "wrong password!"),
                    ("strategy", "password"),
                ],
            )
            .await;
        assert_eq!(
            (s1, &e1["errors"]),
            (s2, &e2["errors"]),
            "same status and body"
        );
        app.stop().await;
    }
);

both_backends!(
    email_code_sign_in_and_password_reset,
    fast,
    |app: TestApp| async move {
        let b = Browser::new(&app).await;
        sign_up(&b, "grace@example.com", "first password 123").await;
        let other = Browser::new(&app).await;
        let (_, signed) = other
            .post(
                "/v1/client/sign_ins",
                &[
                    ("identifier", "grace@example.com"),
                    ("password", "first password 123"),
                    ("strategy", "password"),
                ],
            )
            .await;
        let other_sid = signed["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();

        // Sign in with an emailed code.
        let (_, body) = b
            .post(
                "/v1/client/sign_ins",
                &[("identifier", "grace@example.com")],
            )
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["response"]["status"], "needs_first_factor");
        let (status, _) = b
            .post(
                &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
                &[("strategy", "email_code")],
            )
            .await;
        assert_eq!(status, 200);
        let (status, err) = b
            .post(
                &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
                &[("strategy", "email_code")],
            )
            .await;
        assert_eq!(status, 429, "resend cooldown: {err}");
        let code = mailed_code(&app, "grace@example.com").await;
        let (status, body) = b
            .post(
                &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
                &[("strategy", "email_code"), ("code", &code)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        let (status, _) = b
            .post(
                &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
                &[("strategy", "email_code"), ("code", &code)],
            )
            .await;
        assert_eq!(status, 422, "codes are single-use");

        // Forgot password: code, new password, other sessions end.
        let third = Browser::new(&app).await;
        let (_, body) = third
            .post(
                "/v1/client/sign_ins",
                &[("identifier", "grace@example.com")],
            )
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        third
            .post(
                &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
                &[("strategy", "reset_password_email_code")],
            )
            .await;
        let code = mailed_code(&app, "grace@example.com").await;
        let (status, body) = third
            .post(
                &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
                &[("strategy", "reset_password_email_code"), ("code", &code)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "needs_new_password");
        let (status, body) = third
            .post(
                &format!("/v1/client/sign_ins/{id}/reset_password"),
                &[
                    ("password", "second password 456"),
                    ("sign_out_of_other_sessions", "true"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        let (status, _) = other
            .post(&format!("/v1/client/sessions/{other_sid}/tokens"), &[])
            .await;
        assert_eq!(status, 401, "the old session ended with the reset");
        let (status, _) = other
            .post(
                "/v1/client/sign_ins",
                &[
                    ("identifier", "grace@example.com"),
                    ("password", "second password 456"),
                    ("strategy", "password"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        app.stop().await;
    }
);

both_backends!(
    codes_die_after_five_wrong_tries_and_test_addresses_use_424242,
    fast,
    |app: TestApp| async move {
        let b = Browser::new(&app).await;
        let (_, body) = b
            .post(
                "/v1/client/sign_ups",
                &[
                    ("email_address", "jane+clerk_test@example.com"),
                    ("password", "correct horse battery staple"),
                ],
            )
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        b.post(
            &format!("/v1/client/sign_ups/{id}/prepare_verification"),
            &[("strategy", "email_code")],
        )
        .await;
        let mails = json(app.bapi_get("/v1/dev/emails").await).await;
        assert_eq!(mails["data"], json!([]), "test addresses get no mail");
        for _ in 0..4 {
            let (status, err) = b
                .post(
                    &format!("/v1/client/sign_ups/{id}/attempt_verification"),
                    &[("code", "111111")],
                )
                .await;
            assert_eq!(
                (status, err["errors"][0]["code"].as_str().unwrap()),
                (422, "form_code_incorrect")
            );
        }
        let (_, err) = b
            .post(
                &format!("/v1/client/sign_ups/{id}/attempt_verification"),
                &[("code", "111111")],
            )
            .await;
        assert_eq!(err["errors"][0]["code"], "verification_failed");
        let (status, err) = b
            .post(
                &format!("/v1/client/sign_ups/{id}/attempt_verification"),
                &[("code", "424242")],
            )
            .await;
        assert_eq!(status, 422, "the right code no longer works: {err}");

        let (_, body) = b
            .post(
                "/v1/client/sign_ups",
                &[
                    ("email_address", "joe+clerk_test@example.com"),
                    ("password", "correct horse battery staple"),
                ],
            )
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        b.post(
            &format!("/v1/client/sign_ups/{id}/prepare_verification"),
            &[("strategy", "email_code")],
        )
        .await;
        let (status, body) = b
            .post(
                &format!("/v1/client/sign_ups/{id}/attempt_verification"),
                &[("code", "424242")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        app.stop().await;
    }
);

both_backends!(
    unknown_dev_browsers_are_told_to_recreate,
    |app: TestApp| async move {
        let res = app
            .http
            .get(app.url("/v1/client?__clerk_db_jwt=dvb_unknown"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(
            json(res).await["errors"][0]["code"],
            "dev_browser_unauthenticated"
        );
        app.stop().await;
    }
);

both_backends!(
    production_instances_use_the_client_cookie,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.mode = frontdesk_domain::InstanceMode::Production;
        c.allowed_origins = vec!["http://localhost:3000".into()];
    },
    |app: TestApp| async move {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let res = http.get(app.url("/v1/environment")).send().await.unwrap();
        assert_eq!(
            json(res).await["display_config"]["instance_environment_type"],
            "production"
        );
        let res = http
            .post(app.url("/v1/client/sign_ups"))
            .form(&[
                ("email_address", "prod@example.com"),
                ("password", "correct horse battery staple"),
            ])
            .send()
            .await
            .unwrap();
        let cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let client_cookie = cookies
            .iter()
            .find(|c| c.starts_with("__client="))
            .expect("__client cookie");
        assert!(
            client_cookie.contains("HttpOnly") && client_cookie.contains("SameSite=Lax"),
            "{client_cookie}"
        );
        assert!(!client_cookie.contains("Secure"), "plain http: no Secure");
        let body = json(res).await;
        assert_eq!(
            body["client"]["sign_up"]["id"], body["response"]["id"],
            "the cookie identifies the same client"
        );
        let res = http.get(app.url("/v1/client")).send().await.unwrap();
        let client = json(res).await;
        assert_eq!(client["response"]["id"], body["client"]["id"]);
        app.stop().await;
    }
);
