//! Social sign-in in Chromium with the real clerk-js and `@clerk/ui`
//! (`e2e/oauth.spec.mjs`) against a real OpenID Connect provider (npm
//! `oidc-provider`): sign up with the button, sign out, sign in again, a
//! vouched-for address joined to a password account, an unvouched one
//! joined only after its code, an account connected from `<UserProfile/>`;
//! enterprise SSO by email domain with just-in-time accounts; the same on the
//! hosted pages (`e2e/hosted-oauth.spec.mjs`), with connecting and removing
//! an account on `/user`.

use std::time::Duration;

use frontdesk_testkit::oidc::OidcProvider;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::browser::{BROWSER, ensure_node_modules, missing, run_spec};
use crate::clerk_js::{on_clerk_page, run_on_clerk_page};
use crate::helpers::{TestApp, json, user_with_password};

both_backends!(
    real_clerk_js_signs_up_and_in_through_a_provider,
    on_clerk_page,
    |app: TestApp| async move {
        let what = "the social sign-in browser test";
        if let Some(why) = missing().await {
            frontdesk_testkit::skip(what, &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let bob = format!("bob+clerk_test-{}@example.com", app.port);
        let Some(provider) = corp(&app, what, &app.url("/v1/oauth_callback"), &bob).await else {
            app.stop().await;
            return;
        };
        let dana = user_with_password(&app, "dana@example.com", "dana's own password").await;
        let bob_id = user_with_password(&app, &bob, "bob's own password").await;
        user_with_password(&app, "carol@example.com", "carol's own password").await;
        let _one_browser = BROWSER.lock().await;
        let stdout = run_on_clerk_page(
            &app,
            "oauth.spec.mjs",
            &[
                ("ISSUER", provider.issuer.clone()),
                ("DANA_ID", dana),
                ("BOB_ID", bob_id),
                ("BOB", bob),
                ("CAROL", "carol@example.com".to_owned()),
                ("CAROL_PASSWORD", "carol's own password".to_owned()),
            ],
            Duration::from_secs(90),
        )
        .await;
        println!("{stdout}");
        app.stop().await;
    }
);

/// The provider for `redirect_uri` with Ada, Dana and `bob` (unvouched),
/// and `oauth_custom_corp` on for it; `None` when it cannot run.
async fn corp(app: &TestApp, what: &str, redirect_uri: &str, bob: &str) -> Option<OidcProvider> {
    let clients = json!([{"client_id": "frontdesk", "client_secret": "corp secret",
        "redirect_uris": [redirect_uri]}]);
    let person = |sub: &str, email: &str, verified: bool| {
        json!({"sub": sub, "email": email, "email_verified": verified,
               "given_name": "Corp", "family_name": "Person", "password": "provider password"})
    };
    let accounts = json!([
        person("ada-1", "ada@example.com", true),
        person("dana-1", "dana@example.com", true),
        person("bob-1", bob, false),
        person("alice-1", "alice@corp.example", false),
        person("carol-1", "carol@example.com", true),
        person("eve-1", "eve@example.com", true),
    ]);
    let provider = OidcProvider::start(what, &clients, &accounts).await?;
    let res = app
        .bapi(
            Method::PATCH,
            "/v1/instance/settings",
            Some(json!({"social": {"oauth_custom_corp": {
                "enabled": true, "client_id": "frontdesk", "issuer": provider.issuer,
                "name": "Corp SSO", "client_secret": "corp secret"},
                "oauth_custom_acme": {
                "enabled": true, "client_id": "frontdesk", "issuer": provider.issuer,
                "name": "Acme", "client_secret": "corp secret", "domains": ["corp.example"]}}})),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", json(res).await);
    Some(provider)
}

both_backends!(
    hosted_pages_sign_up_and_in_through_a_provider,
    |c: &mut frontdesk_server::Config| {
        on_clerk_page(c);
        c.public_url = Some("http://localhost:0".to_owned());
    },
    |app: TestApp| async move {
        let what = "the hosted social sign-in browser test";
        if let Some(why) = missing().await {
            frontdesk_testkit::skip(what, &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let origin = app.state.instance.public_url.origin();
        let bob = format!("bob+clerk_test-{}@example.com", app.port);
        let Some(provider) = corp(&app, what, &format!("{origin}/v1/oauth_callback"), &bob).await
        else {
            app.stop().await;
            return;
        };
        let dana = user_with_password(&app, "dana@example.com", "dana's own password").await;
        let bob_id = user_with_password(&app, &bob, "bob's own password").await;
        user_with_password(&app, "eve@example.com", "eve's own password").await;
        let _one_browser = BROWSER.lock().await;
        let artifacts = tempfile::Builder::new()
            .prefix("frontdesk-hosted-oauth-")
            .tempdir()
            .unwrap();
        let out = run_spec(
            "hosted-oauth.spec.mjs",
            &[
                ("FRONTDESK_URL", origin),
                ("ISSUER", provider.issuer.clone()),
                ("DANA", "dana@example.com".to_owned()),
                ("BOB", bob),
                ("EVE", "eve@example.com".to_owned()),
                ("EVE_PASSWORD", "eve's own password".to_owned()),
            ],
            artifacts.path(),
            Duration::from_secs(90),
        )
        .await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            let kept = artifacts.keep();
            panic!(
                "the hosted social sign-in spec failed ({}); artifacts in {}:\n{stdout}\n{}",
                out.status,
                kept.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(stdout.lines().any(|l| l.trim() == "PASS"), "{stdout}");
        println!("{stdout}");
        // What the pages showed is what the accounts hold.
        for (id, sub) in [(dana, "dana-1"), (bob_id, "bob-1")] {
            let u = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
            assert_eq!(u["external_accounts"][0]["provider_user_id"], sub, "{u}");
        }
        app.stop().await;
    }
);
