//! "Continue with GitHub" against a protocol-faithful fake of GitHub
//! (`github_fake.rs`, named as such): GitHub is OAuth 2.0 without OpenID
//! Connect, so who the person is comes from `GET /user` and a verified
//! **primary** address from `GET /user/emails`; its token errors arrive with
//! status 200.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::github_fake::{GitHubAccount, GitHubFake};
use crate::helpers::{TestApp, assert_schema, dev_browser, fapi_post, json, user_with_password};
use crate::oauth::{fast, no_redirects};

const SSO_CALLBACK: &str = "http://localhost:3000/sign-in/sso-callback";

/// Where `url` redirects to.
async fn location(url: &str) -> (u16, String) {
    let res = no_redirects().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let to = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, to)
}

/// `<SignIn/>`'s GitHub button, then GitHub's approval: the callback URL.
async fn to_github_and_back(app: &TestApp, db: &str) -> String {
    let (status, body) = fapi_post(
        app,
        db,
        "/v1/client/sign_ins",
        &[("strategy", "oauth_github"), ("redirect_url", SSO_CALLBACK)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let url = body["response"]["first_factor_verification"]["external_verification_redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let q: std::collections::HashMap<_, _> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["scope"], "read:user user:email");
    assert!(!q.contains_key("nonce"), "GitHub is not OpenID Connect");
    let (status, back) = location(&url).await;
    assert_eq!(status, 303, "{back}");
    assert!(back.starts_with(&app.url("/v1/oauth_callback")), "{back}");
    back
}

both_backends!(
    github_signs_up_by_its_api_and_vouches_only_for_a_verified_primary_address,
    fast,
    |app: TestApp| async move {
        let github = GitHubFake::start("gh-client", "gh-secret").await;
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(
                    json!({"social": {"oauth_github": {"enabled": true, "client_id": "gh-client",
                    "issuer": github.base, "client_secret": "gh-secret"}}}),
                ),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", json(res).await);

        github.sign_in_as(GitHubAccount {
            id: 583231,
            login: "octocat",
            name: "Mona Octocat",
            emails: vec![
                ("octo@example.com", true, true),
                ("old@example.com", false, true),
            ],
        });
        let db = dev_browser(&app).await;
        let back = to_github_and_back(&app, &db).await;
        assert_eq!(location(&back).await, (303, SSO_CALLBACK.to_owned()));
        let (status, body) =
            fapi_post(&app, &db, "/v1/client/sign_ups", &[("transfer", "true")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete", "{body}");
        let id = body["response"]["created_user_id"].as_str().unwrap();
        let u = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
        assert_schema("User", &u);
        assert_eq!(u["first_name"], "Mona");
        assert_eq!(u["last_name"], "Octocat");
        assert_eq!(
            u["email_addresses"].as_array().unwrap().len(),
            1,
            "the primary address only: {u}"
        );
        assert_eq!(u["email_addresses"][0]["email_address"], "octo@example.com");
        assert_eq!(
            u["email_addresses"][0]["verification"]["strategy"],
            "from_oauth_github"
        );
        let account = &u["external_accounts"][0];
        assert_eq!(account["provider"], "oauth_github");
        assert_eq!(account["provider_user_id"], "583231");
        assert_eq!(account["username"], "octocat");
        let tokens = json(
            app.bapi_get(&format!(
                "/v1/users/{id}/oauth_access_tokens/oauth_github?paginated=true"
            ))
            .await,
        )
        .await;
        assert!(
            tokens["data"][0]["token"]
                .as_str()
                .unwrap()
                .starts_with("gho_"),
            "{tokens}"
        );

        // A primary address GitHub has not verified does not join the
        // account that holds it: the address is proven first.
        let owner = user_with_password(&app, "unproven@example.com", "the owner's password").await;
        github.sign_in_as(GitHubAccount {
            id: 1,
            login: "claimer",
            name: "Claimer",
            emails: vec![("unproven@example.com", true, false)],
        });
        let db = dev_browser(&app).await;
        let back = to_github_and_back(&app, &db).await;
        assert_eq!(location(&back).await, (303, SSO_CALLBACK.to_owned()));
        let c = json(
            app.http
                .get(app.url(&format!("/v1/client?__clerk_db_jwt={db}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            c["response"]["sign_in"]["status"], "needs_first_factor",
            "{c}"
        );
        let u = json(app.bapi_get(&format!("/v1/users/{owner}")).await).await;
        assert!(
            u["external_accounts"].as_array().unwrap().is_empty(),
            "not joined: {u}"
        );

        // A code GitHub does not know: its 200-with-error is a refusal.
        let db = dev_browser(&app).await;
        let back = to_github_and_back(&app, &db).await;
        let mut forged = url::Url::parse(&back).unwrap();
        let state = forged
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        forged
            .query_pairs_mut()
            .clear()
            .append_pair("code", "not-a-code")
            .append_pair("state", &state);
        assert_eq!(
            location(forged.as_str()).await,
            (303, SSO_CALLBACK.to_owned())
        );
        let c = json(
            app.http
                .get(app.url(&format!("/v1/client?__clerk_db_jwt={db}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let ffv = &c["response"]["sign_in"]["first_factor_verification"];
        assert_eq!(ffv["error"]["code"], "oauth_token_exchange_error", "{c}");
        app.stop().await;
    }
);
