//! Second factors over the wire: an authenticator app added from the
//! profile (`/v1/me/totp…`), backup codes, sign-in with `needs_second_factor`,
//! the `fva` claim, lockout, and the Backend API's MFA endpoints
//! (clerk-protocol-wave2.md §2; security.md B2, C3, C4, C7).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontdesk_crypto::totp::{TotpSecret, code_at, step_at};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, fast, me, signed_in};
use crate::helpers::{
    TestApp, assert_response, assert_schema, json, mailed_code, user_with_password,
};

const PASSWORD: &str = "correct horse battery staple";

fn now_step() -> u64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    step_at(secs)
}

/// The app's code for `step` from the secret the server handed out.
fn code(secret: &str, step: u64) -> String {
    code_at(&TotpSecret::from_base32(secret).unwrap(), step, 6)
}

/// Sign in with the password; the sign-in as answered.
async fn password_sign_in(b: &Browser<'_>, email: &str) -> Value {
    let (status, body) = b
        .post(
            "/v1/client/sign_ins",
            &[("identifier", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_frontend_schema("Client.ClientWrappedSignIn", &body);
    body
}

/// Add an app for the signed-in user; its secret and the backup codes.
/// Also returns the time step of the code that confirmed the app (spent).
async fn enrol(b: &Browser<'_>, sid: &str) -> (String, Vec<String>, u64) {
    let (status, body) = b.post(&me("/v1/me/totp", sid), &[]).await;
    assert_eq!(status, 200, "{body}");
    let secret = body["response"]["secret"].as_str().unwrap().to_owned();
    let step = now_step();
    let (status, body) = b
        .post(
            &me("/v1/me/totp/attempt_verification", sid),
            &[("code", &code(&secret, step))],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let codes = body["response"]["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes, step)
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

both_backends!(
    an_app_is_added_from_the_profile,
    fast,
    |app: TestApp| async move {
        let email = format!("enrol{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;

        let env = b.get("/v1/environment").await;
        let attrs = &env["user_settings"]["attributes"];
        assert_eq!(attrs["authenticator_app"]["used_for_second_factor"], true);
        assert_eq!(
            attrs["authenticator_app"]["second_factors"],
            json!(["totp"])
        );
        assert_eq!(
            attrs["backup_code"]["second_factors"],
            json!(["backup_code"])
        );

        let (status, body) = b.post(&me("/v1/me/backup_codes/", &sid), &[]).await;
        assert_eq!(
            status, 422,
            "backup codes need a real second factor first: {body}"
        );

        let (status, body) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedTOTP", &body);
        let totp = &body["response"];
        assert_eq!(totp["verified"], false);
        let secret = totp["secret"].as_str().unwrap().to_owned();
        assert!(
            TotpSecret::from_base32(&secret).is_ok() && secret.len() >= 32,
            "a 160-bit base32 seed (C3): {secret}"
        );
        let uri = totp["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");

        // Adding again before confirming starts over with a new secret.
        let (_, again) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        let secret2 = again["response"]["secret"].as_str().unwrap().to_owned();
        assert_ne!(secret, secret2);
        let step = now_step();
        let (status, body) = b
            .post(
                &me("/v1/me/totp/attempt_verification", &sid),
                &[("code", &code(&secret, step))],
            )
            .await;
        assert_eq!(status, 422, "the replaced secret no longer counts: {body}");
        assert_eq!(body["errors"][0]["code"], "form_code_incorrect");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "code");

        let (status, body) = b
            .post(
                &me("/v1/me/totp/attempt_verification", &sid),
                &[("code", &code(&secret2, step))],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedTOTP", &body);
        let totp = &body["response"];
        assert_eq!(totp["verified"], true);
        assert_eq!(
            totp["secret"],
            Value::Null,
            "the secret is shown only while adding"
        );
        let codes = totp["backup_codes"].as_array().unwrap();
        assert_eq!(codes.len(), 10, "backup codes come with the app");
        let user = &body["client"]["sessions"][0]["user"];
        assert_eq!(user["totp_enabled"], true);
        assert_eq!(user["two_factor_enabled"], true);
        assert_eq!(user["backup_code_enabled"], true);

        let (status, body) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        assert_eq!(status, 422, "one app per user: {body}");

        // A new set replaces the old one, shown once.
        let (status, body) = b.post(&me("/v1/me/backup_codes/", &sid), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedBackupCodes", &body);
        let renewed = body["response"]["codes"].as_array().unwrap();
        assert_eq!(renewed.len(), 10);
        assert!(renewed.iter().all(|c| !codes.contains(c)));
        let (status, _) = b.post(&me("/v1/me/backup_codes", &sid), &[]).await;
        assert_eq!(status, 200, "with or without the trailing slash");

        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_schema("User", &user);
        assert_eq!(user["totp_enabled"], true);
        assert_eq!(user["two_factor_enabled"], true);
        assert!(user["mfa_enabled_at"].is_i64());

        // No code in plain text at rest (C4): the database holds hashes.
        let dump = app
            .state
            .store
            .backup_code_salt(&uid.parse().unwrap())
            .await
            .unwrap();
        assert!(dump.is_some());

        let res = app
            .http
            .post(
                b.url(&me("/v1/me/totp", &sid))
                    .replace("?", "?_method=DELETE&"),
            )
            .header("origin", "http://localhost:3000")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        assert_eq!(body["response"]["object"], "totp");
        assert_eq!(body["response"]["deleted"], true);
        let user = &body["client"]["sessions"][0]["user"];
        assert_eq!(user["totp_enabled"], false);
        assert_eq!(
            user["backup_code_enabled"], false,
            "the codes go with the app"
        );
    }
);

both_backends!(
    sign_in_asks_for_the_second_factor,
    fast,
    |app: TestApp| async move {
        let email = format!("second{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let (secret, backup, enrolled_at) = enrol(&b, &sid).await;

        let b2 = Browser::new(&app).await;
        let body = password_sign_in(&b2, &email).await;
        let si = &body["response"];
        assert_eq!(si["status"], "needs_second_factor");
        assert_eq!(
            si["supported_second_factors"],
            json!([{"strategy": "totp"}, {"strategy": "backup_code"}])
        );
        assert_eq!(si["created_session_id"], Value::Null);
        assert!(body["client"]["sessions"].as_array().unwrap().is_empty());
        let id = si["id"].as_str().unwrap().to_owned();

        // The step survives a reload (clerk-js reads the client).
        let client = b2.get("/v1/client").await;
        assert_eq!(
            client["response"]["sign_in"]["status"],
            "needs_second_factor"
        );

        // No first factor again, and no second factor the user lacks.
        let (status, _) = b2
            .post(
                &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
                &[("strategy", "password"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(status, 422);

        // The code that confirmed the app was spent then (C3: no replay).
        let attempt = format!("/v1/client/sign_ins/{id}/attempt_second_factor");
        let (status, body) = b2
            .post(
                &attempt,
                &[("strategy", "totp"), ("code", &code(&secret, enrolled_at))],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "code");

        let next = code(&secret, enrolled_at + 1);
        let (status, body) = b2
            .post(&attempt, &[("strategy", "totp"), ("code", &next)])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        let si = &body["response"];
        assert_eq!(si["status"], "complete");
        assert_eq!(si["second_factor_verification"]["status"], "verified");
        assert_eq!(si["second_factor_verification"]["strategy"], "totp");
        assert_eq!(si["second_factor_verification"]["attempts"], 2);
        let sid2 = si["created_session_id"].as_str().unwrap();
        let session = &body["client"]["sessions"][0];
        assert_eq!(session["factor_verification_age"], json!([0, 0]));
        let (status, token) = b2
            .post(&format!("/v1/client/sessions/{sid2}/tokens"), &[])
            .await;
        assert_eq!(status, 200);
        assert_eq!(claims(token["jwt"].as_str().unwrap())["fva"], json!([0, 0]));

        // Replayed on another browser: refused.
        let b3 = Browser::new(&app).await;
        let id3 = password_sign_in(&b3, &email).await["response"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let attempt3 = format!("/v1/client/sign_ins/{id3}/attempt_second_factor");
        let (status, _) = b3
            .post(&attempt3, &[("strategy", "totp"), ("code", &next)])
            .await;
        assert_eq!(status, 422, "a code works once");

        // A backup code works once (C4), typed in any case.
        let (status, body) = b3
            .post(
                &attempt3,
                &[
                    ("strategy", "backup_code"),
                    ("code", &backup[0].to_uppercase()),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        let b4 = Browser::new(&app).await;
        let id4 = password_sign_in(&b4, &email).await["response"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = b4
            .post(
                &format!("/v1/client/sign_ins/{id4}/attempt_second_factor"),
                &[("strategy", "backup_code"), ("code", &backup[0])],
            )
            .await;
        assert_eq!(status, 422, "a spent backup code is refused");

        // A user without a second factor is not asked for one.
        let other = format!("plain{}@example.com", app.port);
        user_with_password(&app, &other, PASSWORD).await;
        let (status, _) = b4
            .post(
                &format!("/v1/client/sign_ins/{id4}/attempt_second_factor"),
                &[("strategy", "sms"), ("code", "1")],
            )
            .await;
        assert_eq!(status, 422, "unknown strategies are refused");
        let body = password_sign_in(&Browser::new(&app).await, &other).await;
        assert_eq!(body["response"]["status"], "complete");
        assert_eq!(
            body["client"]["sessions"][0]["factor_verification_age"],
            json!([0, -1])
        );
    }
);

both_backends!(
    parallel_tries_of_one_code_sign_in_once,
    fast,
    |app: TestApp| async move {
        let email = format!("race{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let (secret, _, _) = enrol(&b, &sid).await;
        let mut browsers = Vec::new();
        for _ in 0..8 {
            let b = Browser::new(&app).await;
            let id = password_sign_in(&b, &email).await["response"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            browsers.push((b, id));
        }
        let next = code(&secret, now_step() + 1);
        let tries = join_all(browsers.iter().map(|(b, id)| {
            let next = next.clone();
            async move {
                b.post(
                    &format!("/v1/client/sign_ins/{id}/attempt_second_factor"),
                    &[("strategy", "totp"), ("code", &next)],
                )
                .await
                .0
            }
        }))
        .await;
        assert_eq!(
            tries.iter().filter(|s| **s == 200).count(),
            1,
            "one code, one session: {tries:?}"
        );
    }
);

both_backends!(
    wrong_codes_lock_the_account,
    fast,
    |app: TestApp| async move {
        let email = format!("lock{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let (secret, _, _) = enrol(&b, &sid).await;
        let b2 = Browser::new(&app).await;
        let id = password_sign_in(&b2, &email).await["response"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let attempt = format!("/v1/client/sign_ins/{id}/attempt_second_factor");
        // Codes of far-off steps: real codes, never right now. Mixed with wrong
        // backup codes, they count toward one lockout (B2).
        let mut last = Value::Null;
        for i in 0..10u64 {
            let (strategy, guess) = if i % 2 == 0 {
                ("totp", code(&secret, now_step() + 100 + i))
            } else {
                ("backup_code", "abcdefgh".to_owned())
            };
            let (status, body) = b2
                .post(&attempt, &[("strategy", strategy), ("code", &guess)])
                .await;
            assert_ne!(status, 200, "{body}");
            last = body;
        }
        assert_eq!(last["errors"][0]["code"], "user_locked", "{last}");
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["locked"], true);
        // A right code does not get a locked account in.
        let (status, body) = b2
            .post(
                &attempt,
                &[
                    ("strategy", "totp"),
                    ("code", &code(&secret, now_step() + 1)),
                ],
            )
            .await;
        assert_eq!(status, 403, "{body}");
    }
);

both_backends!(
    a_reset_does_not_skip_the_second_factor,
    fast,
    |app: TestApp| async move {
        let email = format!("reset{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        enrol(&b, &sid).await;
        let b2 = Browser::new(&app).await;
        let (_, body) = b2
            .post("/v1/client/sign_ins", &[("identifier", email.as_str())])
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        let (status, _) = b2
            .post(
                &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
                &[("strategy", "reset_password_email_code")],
            )
            .await;
        assert_eq!(status, 200);
        let mailed = mailed_code(&app, &email).await;
        let (status, body) = b2
            .post(
                &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
                &[("strategy", "reset_password_email_code"), ("code", &mailed)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "needs_new_password");
        let (status, body) = b2
            .post(
                &format!("/v1/client/sign_ins/{id}/reset_password"),
                &[("password", "a whole new passphrase here")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["response"]["status"], "needs_second_factor",
            "a reset proves the mailbox, not the app (C7)"
        );
        assert!(body["client"]["sessions"].as_array().unwrap().is_empty());
    }
);

both_backends!(
    the_backend_api_reads_checks_and_clears_factors,
    fast,
    |app: TestApp| async move {
        let email = format!("bapi{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (status, body) = app
            .post_json(
                &format!("/v1/users/{uid}/verify_totp"),
                json!({"code": "123456"}),
            )
            .await;
        assert_eq!(status, 400, "no app yet: {body}");
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let (secret, backup, _) = enrol(&b, &sid).await;

        let path = format!("/v1/users/{uid}/verify_totp");
        let (status, body) = app
            .post_json(&path, json!({"code": code(&secret, now_step() + 1)}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_response("post", "/users/{user_id}/verify_totp", 200, &body);
        assert_eq!(body, json!({"verified": true, "code_type": "totp"}));
        let (status, body) = app.post_json(&path, json!({"code": backup[1]})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["code_type"], "backup_code");
        let (status, body) = app.post_json(&path, json!({"code": backup[1]})).await;
        assert_eq!(status, 422, "spent: {body}");

        let res = app
            .bapi(
                Method::DELETE,
                &format!("/v1/users/{uid}/backup_code"),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        assert_response("delete", "/users/{user_id}/backup_code", 200, &body);
        assert_eq!(body, json!({"user_id": uid}));
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(
            (
                user["totp_enabled"].clone(),
                user["backup_code_enabled"].clone()
            ),
            (json!(true), json!(false))
        );

        let res = app
            .bapi(Method::DELETE, &format!("/v1/users/{uid}/mfa"), None)
            .await;
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        assert_response("delete", "/users/{user_id}/mfa", 200, &body);
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["two_factor_enabled"], false);
        assert!(user["mfa_disabled_at"].is_i64());
        let body = password_sign_in(&Browser::new(&app).await, &email).await;
        assert_eq!(
            body["response"]["status"], "complete",
            "no factor left to ask"
        );

        for p in ["mfa", "totp", "backup_code"] {
            let res = app
                .bapi(Method::DELETE, &format!("/v1/users/user_nobody/{p}"), None)
                .await;
            assert_eq!(res.status(), 404, "{p}");
        }
    }
);

both_backends!(
    an_instance_can_turn_the_app_off,
    fast,
    |app: TestApp| async move {
        let email = format!("policy{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        enrol(&b, &sid).await;
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"mfa": {"totp": false}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let env = b.get("/v1/environment").await;
        assert_eq!(
            env["user_settings"]["attributes"]["authenticator_app"]["enabled"],
            false
        );
        assert_eq!(
            env["user_settings"]["attributes"]["backup_code"]["enabled"],
            false
        );
        let (status, _) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        assert_eq!(status, 422, "not offered");
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"mfa": {"totp": false, "required": true}})),
            )
            .await;
        assert_eq!(res.status(), 422, "requiring MFA needs a factor to add");
    }
);

both_backends!(
    a_required_second_factor_is_added_after_sign_in,
    fast,
    |app: TestApp| async move {
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"mfa": {"required": true}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let email = format!("required{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let b = Browser::new(&app).await;
        let env = b.get("/v1/environment").await;
        assert_eq!(
            env["user_settings"]["sign_in"]["second_factor"]["required"],
            true
        );
        let body = password_sign_in(&b, &email).await;
        assert_eq!(body["response"]["status"], "complete");
        let sid = body["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let session = &body["client"]["sessions"][0];
        assert_eq!(session["status"], "pending", "{session}");
        assert_eq!(session["tasks"], json!([{"key": "setup-mfa"}]));
        let (_, token) = b
            .post(&format!("/v1/client/sessions/{sid}/tokens"), &[])
            .await;
        assert_eq!(claims(token["jwt"].as_str().unwrap())["sts"], "pending");

        // The task: add an app (allowed on the pending session).
        let (status, created) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        assert_eq!(status, 200, "{created}");
        let secret = created["response"]["secret"].as_str().unwrap().to_owned();
        let (status, body) = b
            .post(
                &me("/v1/me/totp/attempt_verification", &sid),
                &[("code", &code(&secret, now_step()))],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let session = &body["client"]["sessions"][0];
        assert_eq!(session["status"], "active", "the task is done: {session}");
        assert_eq!(session["tasks"], Value::Null);
        let (_, token) = b
            .post(&format!("/v1/client/sessions/{sid}/tokens"), &[])
            .await;
        assert_eq!(claims(token["jwt"].as_str().unwrap())["sts"], "active");
        let bapi = json(app.bapi_get(&format!("/v1/sessions/{sid}")).await).await;
        assert_eq!(bapi["status"], "active");

        // The hosted pages send such a user to add one too.
        let other = format!("hosted-required{}@example.com", app.port);
        user_with_password(&app, &other, PASSWORD).await;
        let hb = crate::pages_security::browser();
        let (_, csrf) = crate::pages_security::page(&hb, &app, "/sign-in").await;
        let res = crate::pages_security::post_form(
            &hb,
            &app,
            "/sign-in",
            &[
                ("csrf_token", &csrf),
                ("identifier", &other),
                ("password", PASSWORD),
                ("action", "password"),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            crate::pages_security::location(&res),
            "/user?done=setup-mfa"
        );
        let res = hb.get(app.url("/sign-in")).send().await.unwrap();
        assert_eq!(
            crate::pages_security::location(&res),
            "/user?done=setup-mfa",
            "no loop between the app and the sign-in page"
        );
    }
);
