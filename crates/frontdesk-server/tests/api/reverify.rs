//! Step-up (security.md C8): sensitive changes need a factor checked within
//! ten minutes; `/v1/client/sessions/{id}/verify…` proves one again, as
//! `<UserVerification/>` does. Sessions are aged through the store (the
//! factor times a real clock would have left), not by waiting.

use frontdesk_domain::UnixMillis;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{assert_frontend_schema, fast, me, signed_in};
use crate::helpers::{TestApp, mailed_code, user_with_password};

const PASSWORD: &str = "correct horse battery staple";

/// Make the session's last factor checks eleven minutes old (the second
/// only if it has one).
pub(crate) async fn age(app: &TestApp, sid: &str) {
    let id = sid.parse().unwrap();
    let session = app.state.store.get_session(&id).await.unwrap().unwrap();
    let old = UnixMillis(UnixMillis::now().0 - 11 * 60_000);
    let second = session.second_factor_verified_at.map(|_| old);
    app.state
        .store
        .record_factor_check(&id, Some(old), second, UnixMillis::now())
        .await
        .unwrap();
}

fn verify(sid: &str, step: &str) -> String {
    format!("/v1/client/sessions/{sid}/verify{step}")
}

/// The time step now; codes are computed for steps counted from one such
/// reading, so a step boundary passing mid-test changes nothing.
fn step_now() -> u64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    frontdesk_crypto::totp::step_at(secs)
}

fn totp_code(secret: &str, step: u64) -> String {
    let secret = frontdesk_crypto::totp::TotpSecret::from_base32(secret).unwrap();
    frontdesk_crypto::totp::code_at(&secret, step, 6)
}

both_backends!(
    a_stale_session_proves_the_password_again,
    fast,
    |app: TestApp| async move {
        let email = format!("stale{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let env = b.get("/v1/environment").await;
        // Off, so that <UserProfile/> still asks the current password for a
        // change (security.md A8); the error below opens <UserVerification/> anyway.
        assert_eq!(env["auth_config"]["reverification"], false);
        age(&app, &sid).await;

        for (path, form) in [
            ("/v1/me/totp", vec![]),
            (
                "/v1/me/email_addresses",
                vec![("email_address", "extra@example.com")],
            ),
            (
                "/v1/me/change_password",
                vec![
                    ("current_password", PASSWORD),
                    ("new_password", "a brand new passphrase"),
                ],
            ),
        ] {
            let (status, body) = b.post(&me(path, &sid), &form).await;
            assert_eq!(status, 403, "{path}: {body}");
            assert_eq!(
                body["errors"][0]["code"], "session_reverification_required",
                "{path}"
            );
        }

        let (status, body) = b
            .post(&verify(&sid, ""), &[("level", "second_factor")])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSessionReverification", &body);
        let r = &body["response"];
        assert_eq!(
            r["status"], "needs_first_factor",
            "no app: the password or a code"
        );
        let strategies: Vec<_> = r["supported_first_factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["strategy"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(strategies, ["password", "email_code"]);

        let (status, _) = b
            .post(
                &verify(&sid, "/attempt_first_factor"),
                &[("strategy", "password"), ("password", "not it at all")],
            )
            .await;
        assert_eq!(status, 422);
        let (status, body) = b
            .post(
                &verify(&sid, "/attempt_first_factor"),
                &[("strategy", "password"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSessionReverification", &body);
        assert_eq!(body["response"]["status"], "complete");
        assert_eq!(
            body["response"]["session"]["factor_verification_age"],
            json!([0, -1])
        );

        let (status, body) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        assert_eq!(status, 200, "fresh again: {body}");

        // An emailed code proves the first factor too.
        age(&app, &sid).await;
        b.post(&verify(&sid, ""), &[("level", "first_factor")])
            .await;
        let (status, _) = b
            .post(
                &verify(&sid, "/prepare_first_factor"),
                &[("strategy", "email_code")],
            )
            .await;
        assert_eq!(status, 200);
        let code = mailed_code(&app, &email).await;
        let (status, body) = b
            .post(
                &verify(&sid, "/attempt_first_factor"),
                &[("strategy", "email_code"), ("code", &code)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
    }
);

both_backends!(
    a_user_with_an_app_proves_the_app_again,
    fast,
    |app: TestApp| async move {
        let email = format!("app{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let (_, body) = b.post(&me("/v1/me/totp", &sid), &[]).await;
        let secret = body["response"]["secret"].as_str().unwrap().to_owned();
        let enrolled = step_now();
        let (status, _) = b
            .post(
                &me("/v1/me/totp/attempt_verification", &sid),
                &[("code", &totp_code(&secret, enrolled))],
            )
            .await;
        assert_eq!(status, 200);
        // Confirming the app proved it for this session; eleven minutes on,
        // removing it needs the app again.
        let (status, body) = b.post(&me("/v1/me/backup_codes", &sid), &[]).await;
        assert_eq!(status, 200, "fresh from confirming the app: {body}");
        age(&app, &sid).await;
        let remove = format!("{}&_method=DELETE", me("/v1/me/totp", &sid));
        let (status, body) = b.post(&remove, &[]).await;
        assert_eq!(status, 403, "{body}");

        let (status, body) = b
            .post(&verify(&sid, ""), &[("level", "second_factor")])
            .await;
        assert_eq!(status, 200, "{body}");
        let r = &body["response"];
        assert_eq!(r["status"], "needs_second_factor");
        assert_eq!(
            r["supported_second_factors"],
            json!([{"strategy": "totp"}, {"strategy": "backup_code"}])
        );
        let (status, _) = b
            .post(
                &verify(&sid, "/attempt_second_factor"),
                &[
                    ("strategy", "totp"),
                    ("code", &totp_code(&secret, enrolled)),
                ],
            )
            .await;
        assert_eq!(status, 422, "the code that enabled the app was spent");
        let (status, body) = b
            .post(
                &verify(&sid, "/attempt_second_factor"),
                &[
                    ("strategy", "totp"),
                    ("code", &totp_code(&secret, enrolled + 1)),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSessionReverification", &body);
        assert_eq!(body["response"]["status"], "complete");
        assert_eq!(
            body["response"]["second_factor_verification"]["status"],
            "verified"
        );
        let fva = body["response"]["session"]["factor_verification_age"].clone();
        assert_eq!(fva[1], json!(0), "{fva}");
        let (status, body): (u16, Value) = b.post(&remove, &[]).await;
        assert_eq!(status, 200, "{body}");
    }
);

both_backends!(
    the_hosted_profile_asks_again_before_a_change,
    fast,
    |app: TestApp| async move {
        use crate::pages_security::{hosted_sign_in, location, page, post_form};
        let email = format!("hosted{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = hosted_sign_in(&app, &email, PASSWORD).await;
        age(&app, &sid).await;

        let (_, token) = page(&b, &app, "/user").await;
        let res = post_form(
            &b,
            &app,
            "/user/two-step/start",
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 403);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Confirm it&#39;s you") || html.contains("Confirm it's you"),
            "{html}"
        );
        let res = post_form(
            &b,
            &app,
            "/user/verify",
            &[
                ("csrf_token", &token),
                ("current_password", "not the password"),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let res = post_form(
            &b,
            &app,
            "/user/verify",
            &[("csrf_token", &token), ("current_password", PASSWORD)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/user?done=verified");
        let res = post_form(
            &b,
            &app,
            "/user/two-step/start",
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("totp-secret"));
    }
);
