//! Enterprise SSO by email domain (Clerk's `enterprise_sso`), over the
//! Frontend API against the real provider: a custom provider bound to
//! `corp.example` is the only first factor for addresses there, the
//! hand-off by `prepare_first_factor` or at once on the create, and the
//! account made on the way back (just in time) with the address taken on
//! the connection's word.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::fapi::assert_frontend_schema;
use crate::helpers::{TestApp, dev_browser, fapi_post, json};
use crate::oauth::{
    AFTER, C, SSO_CALLBACK, at_provider, callback, client, fast, provider, signed_in_user, user,
};
use frontdesk_testkit::oidc::provider_browser;

both_backends!(
    enterprise_sso_sends_an_address_to_its_organizations_provider,
    fast,
    |app: TestApp| async move {
        let Some(p) = provider(&app, "the enterprise SSO test", C).await else {
            app.stop().await;
            return;
        };
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(
                    json!({"social": {C: {"enabled": true, "client_id": "frontdesk",
                    "issuer": p.issuer, "name": "Corp SSO", "domains": ["corp.example"]}}}),
                ),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", json(res).await);
        let env = json(app.get("/v1/environment").await).await;
        assert_eq!(env["user_settings"]["enterprise_sso"]["enabled"], true);
        assert_frontend_schema(
            "UserSettings.EnterpriseSSO",
            &env["user_settings"]["enterprise_sso"],
        );
        assert!(
            env["user_settings"]["social"].get(C).is_none(),
            "no button: the address decides"
        );

        // Alice types her address: her company's provider is the only way.
        let db = dev_browser(&app).await;
        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("identifier", "alice@corp.example")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        let si = &body["response"];
        assert_eq!(si["status"], "needs_first_factor");
        let factors = si["supported_first_factors"].as_array().unwrap();
        assert_eq!(factors.len(), 1, "{body}");
        assert_eq!(factors[0]["strategy"], "enterprise_sso");
        assert_eq!(factors[0]["enterprise_connection_id"], "ec_corp");
        assert_eq!(factors[0]["enterprise_connection_name"], "Corp SSO");
        let sia = si["id"].as_str().unwrap();
        let (status, body) = fapi_post(
            &app,
            &db,
            &format!("/v1/client/sign_ins/{sia}/attempt_first_factor"),
            &[("strategy", "password"), ("password", "anything at all")],
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("strategy_for_user_invalid"))
        );

        // The hand-off (clerk-js's prepare_first_factor).
        let (status, body) = fapi_post(
            &app,
            &db,
            &format!("/v1/client/sign_ins/{sia}/prepare_first_factor"),
            &[
                ("strategy", "enterprise_sso"),
                ("redirect_url", SSO_CALLBACK),
                ("action_complete_redirect_url", AFTER),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // Clerk's spec has no verification for `enterprise_sso` yet (its
        // `verification_oauth` takes `oauth_*` strategies, `verification_saml`
        // only `saml`): the object is checked by hand.
        let ffv = &body["response"]["first_factor_verification"];
        assert_eq!(
            (ffv["strategy"].as_str(), ffv["status"].as_str()),
            (Some("enterprise_sso"), Some("unverified"))
        );
        let url = ffv["external_verification_redirect_url"]
            .as_str()
            .unwrap()
            .to_owned();
        let browser = provider_browser(&app.url("/v1/oauth_callback"));
        let back = at_provider(&app, &browser, &url, "alice@corp.example", "login").await;
        assert_eq!(callback(&back).await, (303, SSO_CALLBACK.to_owned()));
        // Just-in-time: the transfer makes her account, the address taken
        // on the connection's word.
        let (status, body) =
            fapi_post(&app, &db, "/v1/client/sign_ups", &[("transfer", "true")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete", "{body}");
        let id = body["response"]["created_user_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let u = user(&app, &id).await;
        assert_eq!(
            u["email_addresses"][0]["verification"]["strategy"], "from_oauth_custom_corp",
            "{u}"
        );

        // Next time, clerk-js may hand off with the identifier at once.
        let db = dev_browser(&app).await;
        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[
                ("strategy", "enterprise_sso"),
                ("identifier", "alice@corp.example"),
                ("redirect_url", SSO_CALLBACK),
                ("action_complete_redirect_url", AFTER),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let url =
            body["response"]["first_factor_verification"]["external_verification_redirect_url"]
                .as_str()
                .unwrap()
                .to_owned();
        let back = at_provider(&app, &browser, &url, "alice@corp.example", "login").await;
        assert_eq!(callback(&back).await, (303, AFTER.to_owned()), "signed in");
        assert_eq!(signed_in_user(&client(&app, &db).await["response"]), id);

        // <UserProfile/> asks which connections hold her address.
        let sid = client(&app, &db).await["response"]["sessions"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (linking, want) in [("false", 1), ("true", 0)] {
            let res = app
                .http
                .get(app.url(&format!(
                    "/v1/me/enterprise_connections?with_organization_account_linking={linking}&_clerk_session_id={sid}&__clerk_db_jwt={db}"
                )))
                .send()
                .await
                .unwrap();
            let body = json(res).await;
            assert_frontend_schema("Client.ClientWrappedEnterpriseConnections", &body);
            assert_eq!(body["response"].as_array().unwrap().len(), want, "{body}");
        }

        // Addresses elsewhere are untouched.
        let (_, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("identifier", "someone@example.com")],
        )
        .await;
        let strategies: Vec<_> = body["response"]["supported_first_factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["strategy"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            !strategies.iter().any(|s| s == "enterprise_sso"),
            "{strategies:?}"
        );
        app.stop().await;
    }
);
