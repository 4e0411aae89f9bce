//! Passkeys over the Frontend API, the way clerk-js drives them, with
//! webauthn-rs's software authenticator (`webauthn-authenticator-rs`
//! `SoftPasskey`) in place of the browser: register from the profile
//! (options in `nonce`, the credential in `attempt_verification`), sign in
//! with `strategy=passkey` and no identifier (the passkey names the
//! account), an assertion used once, a page on an IP address refused with
//! the address that works, rename, and removal through the Backend API.
//!
//! `SoftPasskey` keeps no resident credentials: the test puts the
//! credential in `allowCredentials` and the user handle in the answer, as a
//! platform authenticator does for a discoverable credential (the handle is
//! not signed, so this changes nothing the server checks). The browser
//! test (`passkeys_browser.rs`) runs the discoverable flow for real.

use serde_json::{Value, json};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, fast, me, signed_in};
use crate::helpers::{TestApp, assert_schema, json, user_with_password};

const PASSWORD: &str = "correct horse battery staple";
const APP: &str = "http://localhost:3000";

/// Register a passkey for the signed-in `b`: the verified passkey's JSON
/// and the user handle the options carried.
async fn register(b: &Browser<'_>, sid: &str, authenticator: &mut SoftPasskey) -> (Value, Vec<u8>) {
    let (status, body) = b.post(&me("/v1/me/passkeys", sid), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_frontend_schema("Client.ClientWrappedPasskey", &body);
    let pending = &body["response"];
    assert_eq!(pending["verification"]["status"], "unverified");
    let options: Value =
        serde_json::from_str(pending["verification"]["nonce"].as_str().unwrap()).unwrap();
    assert_eq!(options["rp"]["id"], "localhost", "the page's host");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(
        options["authenticatorSelection"]
            .get("authenticatorAttachment")
            .is_none(),
        "clerk-js would demand a platform authenticator"
    );
    let handle = base64_url(options["user"]["id"].as_str().unwrap());
    // SoftPasskey keeps no resident keys (see the module comment).
    let mut options = options;
    options["authenticatorSelection"]["requireResidentKey"] = json!(false);
    options["authenticatorSelection"]["residentKey"] = json!("discouraged");
    let ccr: CreationChallengeResponse =
        serde_json::from_value(json!({ "publicKey": options })).unwrap();
    let credential = authenticator
        .do_registration(Url::parse(APP).unwrap(), ccr)
        .expect("the authenticator registers");
    let id = pending["id"].as_str().unwrap();
    let (status, body) = b
        .post(
            &me(&format!("/v1/me/passkeys/{id}/attempt_verification"), sid),
            &[
                ("strategy", "passkey"),
                (
                    "public_key_credential",
                    &serde_json::to_string(&credential).unwrap(),
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_frontend_schema("Client.ClientWrappedPasskey", &body);
    assert_eq!(body["response"]["verification"]["status"], "verified");
    assert!(body["response"]["verification"].get("nonce").is_none());
    (body["response"].clone(), handle)
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .unwrap()
}

/// Answer a sign-in's passkey challenge with the registered credential.
fn assert_with(
    authenticator: &mut SoftPasskey,
    sign_in: &Value,
    credential_id: &str,
    handle: &[u8],
) -> String {
    let verification = &sign_in["first_factor_verification"];
    assert_eq!(verification["strategy"], "passkey");
    assert_eq!(verification["status"], "unverified");
    let mut options: Value = serde_json::from_str(verification["nonce"].as_str().unwrap()).unwrap();
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["allowCredentials"], json!([]), "discoverable");
    options["allowCredentials"] = json!([{"type": "public-key", "id": credential_id}]);
    let rcr: RequestChallengeResponse =
        serde_json::from_value(json!({ "publicKey": options })).unwrap();
    let mut assertion = authenticator
        .do_authentication(Url::parse(APP).unwrap(), rcr)
        .expect("the authenticator signs");
    assertion.response.user_handle = Some(handle.to_vec());
    serde_json::to_string(&assertion).unwrap()
}

both_backends!(
    a_passkey_is_registered_and_signs_in_once_per_challenge,
    fast,
    |app: TestApp| async move {
        let email = format!("passkey{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let mut authenticator = SoftPasskey::new(true);
        let (passkey, handle) = register(&b, &sid, &mut authenticator).await;
        let pk_id = passkey["id"].as_str().unwrap().to_owned();
        assert!(pk_id.starts_with("pk_"));
        assert_eq!(passkey["last_used_at"], Value::Null);

        // The user shows it, on both APIs.
        let me_body = b.get(&me("/v1/me", &sid)).await;
        assert_frontend_schema("Client.ClientWrappedUser", &me_body);
        assert_eq!(me_body["response"]["passkeys"][0]["id"], pk_id.as_str());
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_schema("User", &user);
        assert_eq!(user["passkeys"][0]["id"], pk_id.as_str());
        assert_eq!(
            user["two_factor_enabled"], false,
            "a passkey is not a second factor to add"
        );

        // A fresh browser: "Use passkey", no identifier.
        let other = Browser::new(&app).await;
        let (status, body) = other
            .post("/v1/client/sign_ins", &[("strategy", "passkey")])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        assert_eq!(body["response"]["identifier"], Value::Null);
        let sia = body["response"]["id"].as_str().unwrap().to_owned();
        let credential_id = passkey_credential_id(&app, &uid).await;
        let answer = assert_with(
            &mut authenticator,
            &body["response"],
            &credential_id,
            &handle,
        );
        let attempt = format!("/v1/client/sign_ins/{sia}/attempt_first_factor");
        let (status, body) = other
            .post(
                &attempt,
                &[("strategy", "passkey"), ("public_key_credential", &answer)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        assert_eq!(body["response"]["status"], "complete", "{body}");
        assert_eq!(body["response"]["identifier"], email.as_str());
        let session = body["response"]["created_session_id"].as_str().unwrap();
        let client = &body["client"];
        let s = client["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == session)
            .unwrap();
        assert_eq!(s["user"]["id"], uid.as_str());
        assert!(s["user"]["passkeys"][0]["last_used_at"].is_i64(), "{s}");

        // The same assertion again: the challenge is taken.
        let (status, body) = other
            .post(
                &attempt,
                &[("strategy", "passkey"), ("public_key_credential", &answer)],
            )
            .await;
        assert_eq!(status, 422, "{body}");

        // Garbage is a clear error, not a 500.
        let third = Browser::new(&app).await;
        let (_, body) = third
            .post("/v1/client/sign_ins", &[("strategy", "passkey")])
            .await;
        let sia = body["response"]["id"].as_str().unwrap();
        let (status, body) = third
            .post(
                &format!("/v1/client/sign_ins/{sia}/attempt_first_factor"),
                &[
                    ("strategy", "passkey"),
                    ("public_key_credential", "{not json"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["errors"][0]["meta"]["param_name"],
            "public_key_credential"
        );

        // Rename, then remove through the Backend API.
        let (status, body) = b
            .post(
                &format!(
                    "{}&_method=PATCH",
                    me(&format!("/v1/me/passkeys/{pk_id}"), &sid)
                ),
                &[("name", "Work laptop")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["name"], "Work laptop");
        let res = app
            .bapi(
                reqwest::Method::DELETE,
                &format!("/v1/users/{uid}/passkeys/{pk_id}"),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        let gone = json(res).await;
        assert_eq!(
            gone,
            json!({"object": "passkey", "id": pk_id, "deleted": true})
        );
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["passkeys"], json!([]));
    }
);

/// The credential id of the user's one passkey, as the store keeps it.
async fn passkey_credential_id(app: &TestApp, uid: &str) -> String {
    let uid = uid.parse().unwrap();
    let keys = app.state.store.passkeys_of(&uid).await.unwrap();
    keys[0].credential_id.clone().unwrap()
}

both_backends!(
    a_page_on_an_ip_address_is_told_the_address_that_works,
    fast,
    |app: TestApp| async move {
        let res = app
            .http
            .post(app.url(&format!(
                "/v1/client/sign_ins?__clerk_db_jwt={}",
                crate::helpers::dev_browser(&app).await
            )))
            .header("origin", "http://127.0.0.1:3000")
            .form(&[("strategy", "passkey")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let body = json(res).await;
        assert_eq!(body["errors"][0]["code"], "passkey_not_available");
        let long = body["errors"][0]["long_message"].as_str().unwrap();
        assert!(long.contains("http://localhost:3000"), "{long}");
    }
);

both_backends!(
    an_instance_without_passkeys_offers_none,
    fast,
    |app: TestApp| async move {
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"sign_in": {"passkey": false}})),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let b = Browser::new(&app).await;
        let env = b.get("/v1/environment").await;
        assert_eq!(
            env["user_settings"]["attributes"]["passkey"]["enabled"],
            false
        );
        assert_eq!(
            env["user_settings"]["passkey_settings"]["show_sign_in_button"],
            false
        );
        let (status, body) = b
            .post("/v1/client/sign_ins", &[("strategy", "passkey")])
            .await;
        assert_eq!(status, 422, "{body}");
    }
);

/// A fresh browser's passkey sign-in: the browser, the attempt and its
/// request options.
async fn passkey_sign_in(app: &TestApp) -> (Browser<'_>, String, Value) {
    let b = Browser::new(app).await;
    let (status, body) = b
        .post("/v1/client/sign_ins", &[("strategy", "passkey")])
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["response"]["id"].as_str().unwrap().to_owned();
    (b, id, body["response"].clone())
}

/// Sign the options of `sign_in` as a page at `origin`, optionally
/// claiming another relying party.
fn sign_as(
    authenticator: &mut SoftPasskey,
    sign_in: &Value,
    credential_id: &str,
    handle: &[u8],
    origin: &str,
    rp_id: Option<&str>,
) -> Value {
    let mut options: Value = serde_json::from_str(
        sign_in["first_factor_verification"]["nonce"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    options["allowCredentials"] = json!([{"type": "public-key", "id": credential_id}]);
    if let Some(rp) = rp_id {
        options["rpId"] = json!(rp);
    }
    let rcr: RequestChallengeResponse =
        serde_json::from_value(json!({ "publicKey": options })).unwrap();
    let mut assertion = authenticator
        .do_authentication(Url::parse(origin).unwrap(), rcr)
        .expect("the authenticator signs");
    assertion.response.user_handle = Some(handle.to_vec());
    serde_json::to_value(&assertion).unwrap()
}

async fn try_assertion(b: &Browser<'_>, attempt: &str, assertion: &Value) -> (u16, Value) {
    b.post(
        &format!("/v1/client/sign_ins/{attempt}/attempt_first_factor"),
        &[
            ("strategy", "passkey"),
            ("public_key_credential", &assertion.to_string()),
        ],
    )
    .await
}

both_backends!(
    sec_c5_wrong_origin_rp_signature_and_counter_are_refused,
    fast,
    |app: TestApp| async move {
        let email = format!("c5-{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let mut authenticator = SoftPasskey::new(true);
        let (_, handle) = register(&b, &sid, &mut authenticator).await;
        let cred = passkey_credential_id(&app, &uid).await;

        // The challenge is random and fresh each time.
        let (_, _, one) = passkey_sign_in(&app).await;
        let (_, _, two) = passkey_sign_in(&app).await;
        let challenge = |s: &Value| -> String {
            let o: Value =
                serde_json::from_str(s["first_factor_verification"]["nonce"].as_str().unwrap())
                    .unwrap();
            o["challenge"].as_str().unwrap().to_owned()
        };
        assert_ne!(challenge(&one), challenge(&two));
        assert!(
            base64_url(&challenge(&one)).len() >= 16,
            "≥ 16 random bytes"
        );

        // Signed for another page of the same site: wrong origin.
        let (b1, a1, s1) = passkey_sign_in(&app).await;
        let wrong_origin = sign_as(
            &mut authenticator,
            &s1,
            &cred,
            &handle,
            "https://evil.localhost:3000",
            None,
        );
        let (status, body) = try_assertion(&b1, &a1, &wrong_origin).await;
        assert_eq!(status, 422, "wrong origin: {body}");

        // Signed for another relying party.
        let (b2, a2, s2) = passkey_sign_in(&app).await;
        let wrong_rp = sign_as(
            &mut authenticator,
            &s2,
            &cred,
            &handle,
            "https://evil.example",
            Some("evil.example"),
        );
        let (status, body) = try_assertion(&b2, &a2, &wrong_rp).await;
        assert_eq!(status, 422, "wrong rpId: {body}");

        // A signature that does not verify.
        let (b3, a3, s3) = passkey_sign_in(&app).await;
        let mut bad = sign_as(&mut authenticator, &s3, &cred, &handle, APP, None);
        let mut sig = base64_url(bad["response"]["signature"].as_str().unwrap());
        let last = sig.len() - 1;
        sig[last] ^= 0x01;
        use base64::Engine;
        bad["response"]["signature"] =
            json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sig));
        let (status, body) = try_assertion(&b3, &a3, &bad).await;
        assert_eq!(status, 422, "bad signature: {body}");

        // The signature counter going back: an older assertion after a
        // newer one is refused (a cloned authenticator).
        let (b4, a4, s4) = passkey_sign_in(&app).await;
        let older = sign_as(&mut authenticator, &s4, &cred, &handle, APP, None);
        let (b5, a5, s5) = passkey_sign_in(&app).await;
        let newer = sign_as(&mut authenticator, &s5, &cred, &handle, APP, None);
        let (status, body) = try_assertion(&b5, &a5, &newer).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        let (status, body) = try_assertion(&b4, &a4, &older).await;
        assert_eq!(status, 422, "counter went back: {body}");

        // Nothing of this signed anyone in.
        for (b, _) in [(&b1, &a1), (&b2, &a2), (&b3, &a3), (&b4, &a4)] {
            let client = b.get("/v1/client").await;
            assert_eq!(client["response"]["sessions"], json!([]), "{client}");
        }
    }
);
