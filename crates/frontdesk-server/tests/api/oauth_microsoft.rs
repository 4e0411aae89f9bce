//! "Continue with Microsoft" against the misbehaving fake in Microsoft's
//! shape (`oidc_fake.rs`, named as such): the `…/common/v2.0` endpoint
//! publishes the issuer `…/{tenantid}/v2.0`, each token names its tenant
//! (`iss` with `tid`), and the address is taken only on `xms_edov` (the
//! tenant proved it owns the domain; `email` alone is any text an admin
//! typed).

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, json, user_with_password};
use crate::oauth::fast;
use crate::oauth_conformance::through;
use crate::oidc_fake::OidcFake;

/// A sign-in with Microsoft: the client afterwards.
async fn sign_in(app: &TestApp) -> serde_json::Value {
    let (status, c) = through(app, "oauth_microsoft").await;
    assert_eq!(status, 200, "{c}");
    c
}

both_backends!(
    microsoft_tenants_are_checked_and_only_xms_edov_vouches,
    fast,
    |app: TestApp| async move {
        let idp = OidcFake::start("frontdesk", "ms secret").await;
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(
                    json!({"social": {"oauth_microsoft": {"enabled": true, "client_id": "frontdesk",
                    "issuer": format!("{}/common/v2.0", idp.base), "client_secret": "ms secret"}}}),
                ),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", json(res).await);
        let owner =
            user_with_password(&app, "conformance@example.com", "the owner's password").await;

        // The tenant did not prove the domain: the address is proven first.
        idp.as_microsoft(false, "t-1");
        let c = sign_in(&app).await;
        assert_eq!(
            c["response"]["sign_in"]["status"], "needs_first_factor",
            "{c}"
        );
        assert!(c["response"]["sessions"].as_array().unwrap().is_empty());

        // A token whose `tid` is another tenant than its `iss`: refused.
        idp.as_microsoft(true, "t-2");
        let c = sign_in(&app).await;
        let ffv = &c["response"]["sign_in"]["first_factor_verification"];
        assert_eq!(ffv["error"]["code"], "oauth_identity_invalid", "{c}");

        // It did: joined and signed in.
        idp.as_microsoft(true, "t-1");
        let c = sign_in(&app).await;
        assert_eq!(
            c["response"]["sessions"][0]["user"]["id"],
            owner.as_str(),
            "{c}"
        );
        let u = json(app.bapi_get(&format!("/v1/users/{owner}")).await).await;
        assert_eq!(
            u["external_accounts"][0]["provider"], "oauth_microsoft",
            "{u}"
        );
        app.stop().await;
    }
);
