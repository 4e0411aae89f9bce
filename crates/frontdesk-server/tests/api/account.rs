//! The user's own account over the Frontend API (`<UserProfile/>`'s Account
//! tab): add an email address and verify it with a mailed code, make it
//! primary, remove the old one, and delete the account.

use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, fast, me, signed_in};
use crate::helpers::{TestApp, json, mailed_code, user_with_password};

const PASSWORD: &str = "correct horse battery staple";

/// `POST path?_method=METHOD` as clerk-js sends it.
async fn with_method(b: &Browser<'_>, method: &str, path: &str) -> (u16, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    b.post(&format!("{path}{sep}_method={method}"), &[]).await
}

both_backends!(
    an_address_is_added_verified_and_made_primary,
    fast,
    |app: TestApp| async move {
        let first = format!("first{}@example.com", app.port);
        let second = format!("second{}@example.com", app.port);
        let uid = user_with_password(&app, &first, PASSWORD).await;
        let (b, sid) = signed_in(&app, &first, PASSWORD).await;

        let (status, body) = b
            .post(
                &me("/v1/me/email_addresses", &sid),
                &[("email_address", &second)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedEmailAddress", &body);
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["response"]["verification"], Value::Null);

        let (status, body) = b
            .post(
                &me("/v1/me/email_addresses", &sid),
                &[("email_address", &first)],
            )
            .await;
        assert_eq!(status, 422, "an address in use: {body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "email_address");

        // Not verified: cannot be primary.
        let (status, _) = b
            .post(
                &format!("{}&_method=PATCH", me("/v1/me", &sid)),
                &[("primary_email_address_id", &id)],
            )
            .await;
        assert_eq!(status, 422);

        let (status, body) = b
            .post(
                &me(
                    &format!("/v1/me/email_addresses/{id}/prepare_verification"),
                    &sid,
                ),
                &[("strategy", "email_code")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedEmailAddress", &body);
        assert_eq!(body["response"]["verification"]["status"], "unverified");
        assert_eq!(body["response"]["verification"]["strategy"], "email_code");
        let code = mailed_code(&app, &second).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let attempt = me(
            &format!("/v1/me/email_addresses/{id}/attempt_verification"),
            &sid,
        );
        let (status, body) = b.post(&attempt, &[("code", wrong)]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["code"], "form_code_incorrect");
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["locked"], false);
        let (status, body) = b.post(&attempt, &[("code", &code)]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["verification"]["status"], "verified");
        let (status, _) = b.post(&attempt, &[("code", &code)]).await;
        assert_eq!(status, 422, "a code works once");

        let (status, body) = b
            .post(
                &format!("{}&_method=PATCH", me("/v1/me", &sid)),
                &[("primary_email_address_id", &id)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedUser", &body);
        assert_eq!(body["response"]["primary_email_address_id"], id.as_str());

        // The old address can go now; the primary one cannot.
        let old = body["response"]["email_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["email_address"] == first.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = with_method(
            &b,
            "DELETE",
            &me(&format!("/v1/me/email_addresses/{id}"), &sid),
        )
        .await;
        assert_eq!(status, 422, "the primary address stays");
        let (status, body) = with_method(
            &b,
            "DELETE",
            &me(&format!("/v1/me/email_addresses/{old}"), &sid),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        let left: Vec<_> = user["email_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["email_address"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(left, vec![second.clone()]);

        // The new address signs in; the old one no longer does.
        let b2 = Browser::new(&app).await;
        let (_, body) = b2
            .post(
                "/v1/client/sign_ins",
                &[("identifier", second.as_str()), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(body["response"]["status"], "complete", "{body}");
    }
);

both_backends!(
    a_user_deletes_their_account,
    fast,
    |app: TestApp| async move {
        let email = format!("leaving{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;
        let (status, body) = with_method(&b, "DELETE", &me("/v1/me", &sid)).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        assert_eq!(
            body["response"],
            json!({"object": "user", "id": uid, "deleted": true})
        );
        assert!(body["client"]["sessions"].as_array().unwrap().is_empty());
        assert_eq!(
            app.bapi_get(&format!("/v1/users/{uid}")).await.status(),
            404
        );

        // An account its owner may not delete stays.
        let kept = format!("kept{}@example.com", app.port);
        let kid = user_with_password(&app, &kept, PASSWORD).await;
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                &format!("/v1/users/{kid}"),
                Some(json!({"delete_self_enabled": false})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let (b, sid) = signed_in(&app, &kept, PASSWORD).await;
        let (status, _) = with_method(&b, "DELETE", &me("/v1/me", &sid)).await;
        assert_eq!(status, 403);
        assert_eq!(
            app.bapi_get(&format!("/v1/users/{kid}")).await.status(),
            200
        );
    }
);

/// A 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0xe9, 0xfa, 0xdc, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

async fn upload(b: &Browser<'_>, sid: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let res = b
        .app
        .http
        .post(b.url(&me("/v1/me/profile_image", sid)))
        .header("origin", "http://localhost:3000")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, json(res).await)
}

both_backends!(
    a_profile_image_is_uploaded_served_and_removed,
    fast,
    |app: TestApp| async move {
        let email = format!("avatar{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, sid) = signed_in(&app, &email, PASSWORD).await;

        let (status, body) = upload(
            &b,
            &sid,
            "me.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
        )
        .await;
        assert_eq!(status, 422, "SVG is refused: {body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "file");
        let (status, _) = upload(
            &b,
            &sid,
            "big.png",
            [PNG, &vec![0u8; 10 * 1024 * 1024]].concat(),
        )
        .await;
        assert!(
            status == 413 || status == 422,
            "more than 10 MB is refused ({status})"
        );

        let (status, body) = upload(&b, &sid, "me.png", PNG.to_vec()).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedImage", &body);
        let url = body["response"]["public_url"].as_str().unwrap().to_owned();
        let user = &body["client"]["sessions"][0]["user"];
        assert_eq!(user["image_url"], url.as_str());
        assert_eq!(user["has_image"], true);

        let res = app
            .http
            .get(&url)
            .header("origin", "http://localhost:3000")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(res.headers().contains_key("access-control-allow-origin"));
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
        let bapi = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(bapi["image_url"], url.as_str());

        let (status, body) = with_method(&b, "DELETE", &me("/v1/me/profile_image", &sid)).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        assert_eq!(body["client"]["sessions"][0]["user"]["has_image"], false);
        assert_eq!(app.http.get(&url).send().await.unwrap().status(), 404);
    }
);

both_backends!(
    a_username_is_set_where_the_instance_offers_usernames,
    fast,
    |app: TestApp| async move {
        let first = format!("uname-a{}@example.com", app.port);
        let second = format!("uname-b{}@example.com", app.port);
        user_with_password(&app, &first, PASSWORD).await;
        user_with_password(&app, &second, PASSWORD).await;
        let (a, sid_a) = signed_in(&app, &first, PASSWORD).await;
        let (b, sid_b) = signed_in(&app, &second, PASSWORD).await;
        let patch = |sid: &str| format!("{}&_method=PATCH", me("/v1/me", sid));

        // Off by default: said, not ignored.
        let (status, body) = a.post(&patch(&sid_a), &[("username", "grace_h")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "username");

        let res = app
            .bapi(
                reqwest::Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"sign_up": {"username": {"enabled": true}}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let (status, body) = a.post(&patch(&sid_a), &[("username", "grace_h")]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedUser", &body);
        assert_eq!(body["response"]["username"], "grace_h");

        // Taken (in any case), or not a username: refused on the field.
        let (status, body) = b.post(&patch(&sid_b), &[("username", "Grace_H")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["code"], "form_identifier_exists");
        let (status, body) = b.post(&patch(&sid_b), &[("username", "g!")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "username");

        // Optional: cleared with an empty value.
        let (status, body) = a.post(&patch(&sid_a), &[("username", "")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["username"], Value::Null);
    }
);

both_backends!(
    the_account_tab_reaches_webhooks_as_clerk_sends_them,
    crate::webhooks::fast,
    |app: TestApp| async move {
        use crate::receiver::Receiver;
        use crate::webhooks::{check, endpoint};
        let rx = Receiver::ok().await;
        let types = ["user.updated", "user.deleted", "email.created"];
        let (_, secret) = endpoint(&app, &rx.url, &types).await;
        let first = format!("hooked{}@example.com", app.port);
        let second = format!("hooked-second{}@example.com", app.port);
        let uid = user_with_password(&app, &first, PASSWORD).await;
        let (b, sid) = signed_in(&app, &first, PASSWORD).await;

        let (_, body) = b
            .post(
                &me("/v1/me/email_addresses", &sid),
                &[("email_address", &second)],
            )
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        let prepare = me(
            &format!("/v1/me/email_addresses/{id}/prepare_verification"),
            &sid,
        );
        let (status, _) = b.post(&prepare, &[("strategy", "email_code")]).await;
        assert_eq!(status, 200);
        // The code's mail is an `email.created`, to the new address.
        let mails = rx
            .wait_until("the code's email.created", |log| {
                log.iter().any(|r| {
                    let e = r.json();
                    e["type"] == "email.created" && e["data"]["to_email_address"] == second.as_str()
                })
            })
            .await;
        let mail = mails
            .iter()
            .find(|r| r.json()["data"]["to_email_address"] == second.as_str())
            .unwrap();
        check(mail, &secret, "email.created");

        let code = mailed_code(&app, &second).await;
        let attempt = me(
            &format!("/v1/me/email_addresses/{id}/attempt_verification"),
            &sid,
        );
        let (status, _) = b.post(&attempt, &[("code", code.as_str())]).await;
        assert_eq!(status, 200);
        // Verified: `user.updated` with the address verified in it.
        let updated = check(&rx.event("user.updated").await, &secret, "user.updated");
        let listed = updated["data"]["email_addresses"].as_array().unwrap();
        let added = listed.iter().find(|e| e["id"] == id.as_str()).unwrap();
        assert_eq!(added["verification"]["status"], "verified", "{updated}");

        // Deleting one's own account: `user.deleted`.
        let (status, _) = with_method(&b, "DELETE", &me("/v1/me", &sid)).await;
        assert_eq!(status, 200);
        let deleted = check(&rx.event("user.deleted").await, &secret, "user.deleted");
        assert_eq!(deleted["data"]["id"], uid.as_str());
        assert_eq!(deleted["data"]["deleted"], true);
    }
);
