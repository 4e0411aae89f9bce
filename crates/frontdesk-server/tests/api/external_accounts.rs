//! Identity providers in the instance settings and the accounts they give
//! users (issue 16, before the sign-in flow): providers configured through
//! `/v1/instance/settings` with their client secret kept apart (sealed,
//! never shown), validated as a whole; an external account on a user
//! rendered as Clerk's `ExternalAccount` (schema-checked) with the address
//! it vouched for `linked_to` it; its tokens through
//! `/v1/users/{id}/oauth_access_tokens/{provider}`; removal through
//! `/v1/users/{id}/external_accounts/{id}` and, by the user,
//! `/v1/me/external_accounts/{id}` (never the last way to sign in: domain
//! `entities::the_last_way_to_sign_in_stays`).

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{ExternalAccount, ProviderTokens};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    TestApp, assert_response, assert_schema, error_code, json, user_with_password,
};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
}

async fn patch_settings(app: &TestApp, patch: Value) -> (u16, Value) {
    let res = app
        .bapi(Method::PATCH, "/v1/instance/settings", Some(patch))
        .await;
    let status = res.status().as_u16();
    (status, json(res).await)
}

both_backends!(
    providers_are_configured_with_their_secret_kept_apart,
    fast,
    |app: TestApp| async move {
        let corp = json!({"social": {"oauth_custom_corp": {
            "enabled": true, "client_id": "frontdesk", "issuer": "http://127.0.0.1:5555",
            "name": "Corp SSO", "client_secret": "the corp secret"}}});
        let (status, body) = patch_settings(&app, corp).await;
        assert_eq!(status, 200, "{body}");
        let c = &body["social"]["oauth_custom_corp"];
        assert_eq!(c["enabled"], true);
        assert_eq!(c["name"], "Corp SSO");
        assert_eq!(c["trust_email"], true, "the default");
        assert!(!body.to_string().contains("the corp secret"), "never shown");
        let all = json(app.bapi_get("/v1/instance/settings").await).await;
        assert!(!all.to_string().contains("the corp secret"));
        assert_eq!(
            app.state
                .store
                .client_secret("oauth_custom_corp")
                .await
                .unwrap()
                .as_deref(),
            Some("the corp secret")
        );

        // What cannot work is refused, naming the setting; nothing changes.
        for (patch, param) in [
            (
                json!({"social": {"oauth_custom_x": {"enabled": true, "client_id": "c"}}}),
                "social.oauth_custom_x.issuer",
            ),
            (
                json!({"social": {"oauth_google": {"enabled": true}}}),
                "social.oauth_google.client_id",
            ),
            (
                json!({"social": {"oauth_custom_y": {"enabled": true, "client_id": "c", "issuer": "http://idp.example.com"}}}),
                "social.oauth_custom_y.issuer",
            ),
        ] {
            let (status, body) = patch_settings(&app, patch).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(error_code(&body), "form_param_value_invalid");
            assert_eq!(body["errors"][0]["meta"]["param_name"], param, "{body}");
        }
        let (status, body) = patch_settings(
            &app,
            json!({"social": {"oauth_facebook": {"enabled": false}}}),
        )
        .await;
        assert_eq!(status, 422, "not a provider Frontdesk offers: {body}");
        let (status, body) = patch_settings(
            &app,
            json!({"social": {"oauth_google": {"client_secret": 7}}}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            app.state.store.client_secret("oauth_google").await.unwrap(),
            None
        );

        // `null` removes the secret.
        let (status, _) = patch_settings(
            &app,
            json!({"social": {"oauth_custom_corp": {"client_secret": null}}}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            app.state
                .store
                .client_secret("oauth_custom_corp")
                .await
                .unwrap(),
            None
        );
        // The provider that is on is offered to clerk-js, with its name.
        let env = crate::fapi::Browser::new(&app)
            .await
            .get("/v1/environment")
            .await;
        let social = &env["user_settings"]["social"];
        assert_eq!(social.as_object().unwrap().len(), 1, "{social}");
        assert_eq!(social["oauth_custom_corp"]["name"], "Corp SSO");
        assert_eq!(social["oauth_custom_corp"]["authenticatable"], true);
    }
);

both_backends!(
    an_external_account_is_rendered_its_tokens_read_and_removed,
    fast,
    |app: TestApp| async move {
        let email = format!("linked{}@example.com", app.port);
        let uid = user_with_password(&app, &email, "correct horse linked account").await;
        let now = UnixMillis::now();
        let account = ExternalAccount {
            id: "eac_linked".into(),
            provider: "oauth_google".into(),
            provider_user_id: "109876543210".into(),
            identification_id: "idn_linkedgoogle".into(),
            email_address: Some(email.clone()),
            email_address_verified: true,
            first_name: Some("Ada".into()),
            last_name: None,
            image_url: None,
            username: None,
            approved_scopes: "email openid profile".into(),
            created_at: now,
            updated_at: now,
        };
        let tokens = ProviderTokens {
            access_token: "ya29.the-access-token".into(),
            refresh_token: Some("1//the-refresh-token".into()),
            expires_at: Some(UnixMillis(now.0 + 3_600_000)),
            scopes: "email openid profile".into(),
        };
        app.state
            .store
            .link_external_account(
                &uid.parse().unwrap(),
                &account,
                Some(&tokens),
                now,
                &|_, _| Vec::new(),
            )
            .await
            .unwrap();

        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_schema("User", &user);
        let shown = &user["external_accounts"][0];
        assert_eq!(shown["object"], "external_account");
        assert_eq!(shown["provider"], "oauth_google");
        assert_eq!(shown["email_address"], email.as_str());
        assert_eq!(shown["email_address_verified"], true);
        assert_eq!(shown["verification"]["status"], "verified");
        assert_eq!(
            user["email_addresses"][0]["linked_to"],
            json!([{"type": "oauth_google", "id": "idn_linkedgoogle"}])
        );

        // The tokens, as @clerk/backend asks (paginated) and bare.
        for provider in ["oauth_google", "google"] {
            let body = json(
                app.bapi_get(&format!(
                    "/v1/users/{uid}/oauth_access_tokens/{provider}?paginated=true"
                ))
                .await,
            )
            .await;
            assert_eq!(body["total_count"], 1, "{body}");
            assert_schema("OAuthAccessToken", &body["data"]);
            let t = &body["data"][0];
            assert_eq!(t["token"], "ya29.the-access-token");
            assert_eq!(t["external_account_id"], "eac_linked");
            assert_eq!(t["scopes"], json!(["email", "openid", "profile"]));
        }
        let bare = json(
            app.bapi_get(&format!("/v1/users/{uid}/oauth_access_tokens/oauth_google"))
                .await,
        )
        .await;
        assert_response(
            "get",
            "/users/{user_id}/oauth_access_tokens/{provider}",
            200,
            &bare,
        );
        let none = json(
            app.bapi_get(&format!("/v1/users/{uid}/oauth_access_tokens/oauth_github"))
                .await,
        )
        .await;
        assert_eq!(none, json!([]));
        let res = app
            .bapi_get(&format!(
                "/v1/users/{uid}/oauth_access_tokens/oauth_facebook"
            ))
            .await;
        assert_eq!(res.status(), 422);

        // Removal: the account goes, and with it the link.
        let path = format!("/v1/users/{uid}/external_accounts/eac_linked");
        let res = app.bapi(Method::DELETE, &path, None).await;
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        assert_eq!(body["object"], "external_account");
        assert_eq!(body["deleted"], true);
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["external_accounts"], json!([]));
        assert_eq!(user["email_addresses"][0]["linked_to"], json!([]));
        let res = app.bapi(Method::DELETE, &path, None).await;
        assert_eq!(res.status(), 404);
    }
);

both_backends!(
    a_connected_account_is_removed_from_user_profile,
    fast,
    |app: TestApp| async move {
        use crate::fapi::{assert_frontend_schema, me, signed_in};
        let email = format!("connected{}@example.com", app.port);
        let password = "correct horse connected";
        let uid = user_with_password(&app, &email, password).await;
        let (b, sid) = signed_in(&app, &email, password).await;
        let now = UnixMillis::now();
        let account = ExternalAccount {
            id: "eac_connected".into(),
            provider: "oauth_github".into(),
            provider_user_id: "583231".into(),
            identification_id: "idn_connectedgithub".into(),
            email_address: Some(email.clone()),
            email_address_verified: true,
            first_name: None,
            last_name: None,
            image_url: None,
            username: Some("octocat".into()),
            approved_scopes: "read:user user:email".into(),
            created_at: now,
            updated_at: now,
        };
        app.state
            .store
            .link_external_account(&uid.parse().unwrap(), &account, None, now, &|_, _| {
                Vec::new()
            })
            .await
            .unwrap();
        let body = b.get(&me("/v1/me", &sid)).await;
        assert_frontend_schema("Client.ClientWrappedUser", &body);
        assert_eq!(
            body["response"]["external_accounts"][0]["username"],
            "octocat"
        );

        let path = |id: &str| {
            format!(
                "{}&_method=DELETE",
                me(&format!("/v1/me/external_accounts/{id}"), &sid)
            )
        };
        let (status, body) = b.post(&path("eac_nope"), &[]).await;
        assert_eq!(status, 404, "{body}");
        let (status, body) = b.post(&path("eac_connected"), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        assert_eq!(body["response"]["object"], "external_account");
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(user["external_accounts"], json!([]));
    }
);
