//! The OpenID Foundation's relying-party test modules (security reference
//! §3.3, row F2), played by a fake provider that misbehaves one way at a
//! time (`oidc_fake.rs`, named as such: the suite itself needs Java,
//! MongoDB and Docker). Each defect ends with the sign-in refused — the
//! attempt `failed` with `oauth_identity_invalid`, no session, no account —
//! or, for the modules that must pass, accepted. Refused as a choice the
//! suite leaves open: a token without `kid` when the provider has several
//! keys (documented in `frontdesk_oidc::jose`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, dev_browser, fapi_post, json};
use crate::oauth::{fast, no_redirects};
use crate::oidc_fake::{Defect, OidcFake};

const SSO_CALLBACK: &str = "http://localhost:3000/sign-in/sso-callback";

/// A fresh provider (nothing of it read yet) as `strategy`.
async fn fresh(app: &TestApp, strategy: &str) -> OidcFake {
    let idp = OidcFake::start("frontdesk", "conformance secret").await;
    let res = app
        .bapi(
            Method::PATCH,
            "/v1/instance/settings",
            Some(
                json!({"social": {strategy: {"enabled": true, "client_id": "frontdesk",
                "issuer": idp.base, "client_secret": "conformance secret"}}}),
            ),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", json(res).await);
    idp
}

/// A sign-in through `strategy`: the start's status, and the sign-in's
/// verification after the callback (or the start's body).
async fn sign_in(app: &TestApp, strategy: &str) -> (u16, Value) {
    let (status, c) = through(app, strategy).await;
    if status != 200 {
        return (status, c);
    }
    assert!(
        c["response"]["sessions"].as_array().unwrap().is_empty(),
        "never a session: {c}"
    );
    (
        200,
        c["response"]["sign_in"]["first_factor_verification"].clone(),
    )
}

/// A sign-in through `strategy` and back: the start's status, and the
/// client afterwards (or the start's body).
pub(crate) async fn through(app: &TestApp, strategy: &str) -> (u16, Value) {
    let db = dev_browser(app).await;
    let (status, body) = fapi_post(
        app,
        &db,
        "/v1/client/sign_ins",
        &[("strategy", strategy), ("redirect_url", SSO_CALLBACK)],
    )
    .await;
    if status != 200 {
        return (status, body);
    }
    let url = body["response"]["first_factor_verification"]["external_verification_redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = no_redirects();
    let res = http.get(&url).send().await.unwrap();
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.contains("iss="),
        "RFC 9207: the provider names itself: {back}"
    );
    let res = http.get(&back).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], SSO_CALLBACK);
    let c = json(
        app.http
            .get(app.url(&format!("/v1/client?__clerk_db_jwt={db}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    (200, c)
}

fn accepted(ffv: &Value) -> bool {
    // Nobody has the identity yet: accepted means "transferable" (a sign-up
    // would follow).
    ffv["status"] == "transferable"
}

both_backends!(
    the_openid_foundation_rp_modules_are_refused_or_accepted_as_listed,
    fast,
    |app: TestApp| async move {
        use Defect as D;
        let cases = [
            (D::None, true),
            (D::IdTokenSigAlgNone, false),
            (D::InvalidIdTokenSignatureWithRs256, false),
            (D::InvalidIdTokenSignatureWithHs256, false),
            (D::InvalidIssuerInIdToken, false),
            (D::InvalidAudInIdToken, false),
            (D::MissingAudInIdToken, false),
            (D::MissingSubInIdToken, false),
            (D::MissingIatInIdToken, false),
            (D::ExpiredIdToken, false),
            (D::NonceInvalid, false),
            (D::NonceMissing, false),
            (D::KidAbsentMultipleMatchingKeysInJwks, false),
            (D::KidAbsentSingleJwks, true),
            (D::IgnoresUnparseableKeyInJwks, true),
        ];
        for (i, (defect, accept)) in cases.into_iter().enumerate() {
            let strategy = format!("oauth_custom_rp{i}");
            let idp = fresh(&app, &strategy).await;
            idp.serve(defect);
            let (status, ffv) = sign_in(&app, &strategy).await;
            assert_eq!(status, 200, "{defect:?}: {ffv}");
            if accept {
                assert!(accepted(&ffv), "{defect:?} must be accepted: {ffv}");
            } else {
                assert_eq!(ffv["status"], "failed", "{defect:?} must be refused: {ffv}");
                assert_eq!(ffv["error"]["code"], "oauth_identity_invalid", "{defect:?}");
            }
        }

        // DiscoveryIssuerMismatch: refused before the browser leaves.
        let idp = fresh(&app, "oauth_custom_mismatch").await;
        idp.serve(D::DiscoveryIssuerMismatch);
        let (status, body) = sign_in(&app, "oauth_custom_mismatch").await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(body["errors"][0]["code"], "external_provider_unreachable");

        // SigningKeyRotation: keys read once, then a token by a new key is
        // accepted after the keys are read again.
        let idp = fresh(&app, "oauth_custom_rotating").await;
        assert!(accepted(&sign_in(&app, "oauth_custom_rotating").await.1));
        idp.serve(D::SigningKeyRotation);
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        let (_, ffv) = sign_in(&app, "oauth_custom_rotating").await;
        assert!(accepted(&ffv), "after a rotation: {ffv}");

        // No refused module made an account.
        let users = json(app.bapi_get("/v1/users/count").await).await;
        assert_eq!(users["total_count"], 0, "{users}");
        app.stop().await;
    }
);
