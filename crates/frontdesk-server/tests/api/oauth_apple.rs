//! "Sign in with Apple" against a protocol-faithful fake of Apple
//! (`apple_fake.rs`, named as such): the client secret is an ES256 JWT
//! Frontdesk signs with the team's key for each exchange, the answer comes
//! back as a cross-site form **POST** (turned into a GET, 303, so the
//! browser's cookie comes along), the name arrives once beside the code,
//! and `email_verified` is the string `"true"`.

use reqwest::Method;
use serde_json::json;

use crate::apple_fake::{AppleFake, AppleId, KEY_ID, TEAM_ID};
use crate::both_backends;
use crate::helpers::{TestApp, assert_schema, dev_browser, fapi_post, json};
use crate::oauth::{fast, no_redirects};

const SSO_CALLBACK: &str = "http://localhost:3000/sign-up/sso-callback";
const AFTER: &str = "http://localhost:3000/";

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&amp;", "&")
}

/// `name="…" value="…"` pairs and the action of Apple's auto-submitting form.
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let attr = |from: &str, name: &str| -> String {
        let start = from.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        unescape(&from[start..start + from[start..].find('"').unwrap()])
    };
    let action = attr(html, "action");
    let fields = html
        .split("<input ")
        .skip(1)
        .map(|i| (attr(i, "name"), attr(i, "value")))
        .collect();
    (action, fields)
}

/// Start from `path`, approve at Apple, post the form back as the browser
/// does: where Frontdesk finally sends the browser, and whether Apple sent
/// the name.
async fn through_apple(app: &TestApp, db: &str, path: &str) -> (String, bool) {
    let (status, body) = fapi_post(
        app,
        db,
        path,
        &[
            ("strategy", "oauth_apple"),
            ("redirect_url", SSO_CALLBACK),
            ("action_complete_redirect_url", AFTER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = if path.ends_with("sign_ins") {
        &body["response"]["first_factor_verification"]
    } else {
        &body["response"]["verifications"]["external_account"]
    };
    let url = v["external_verification_redirect_url"].as_str().unwrap();
    let q: std::collections::HashMap<_, _> = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["response_mode"], "form_post");
    let html = reqwest::get(url).await.unwrap().text().await.unwrap();
    let (action, fields) = form_of(&html);
    assert_eq!(action, app.url("/v1/oauth_callback"));
    let named = fields.iter().any(|(k, _)| k == "user");
    // Apple's page posts cross-site.
    let res = no_redirects()
        .post(&action)
        .header("origin", "https://appleid.apple.com")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the POST becomes a GET");
    let get = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(get.starts_with("/v1/oauth_callback?"), "{get}");
    let res = no_redirects().get(app.url(&get)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    (
        res.headers()["location"].to_str().unwrap().to_owned(),
        named,
    )
}

both_backends!(
    apple_posts_back_with_a_name_once_and_checks_our_signed_secret,
    fast,
    |app: TestApp| async move {
        let apple = AppleFake::start("com.example.web").await;
        let configure = |pem: String| {
            app.bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"social": {"oauth_apple": {"enabled": true,
                    "client_id": "com.example.web", "issuer": apple.base,
                    "team_id": TEAM_ID, "key_id": KEY_ID, "client_secret": pem}}})),
            )
        };
        let res = configure(apple.private_key_pem.clone()).await;
        assert_eq!(res.status(), 200, "{}", json(res).await);
        apple.sign_in_as(AppleId {
            sub: "001234.abcd.0042",
            email: "ann@privaterelay.example.com",
            first_name: "Ann",
            last_name: "Apple",
        });

        // <SignUp/>'s button: the account is made with the name Apple sent.
        let db = dev_browser(&app).await;
        let (to, named) = through_apple(&app, &db, "/v1/client/sign_ups").await;
        assert!(named, "the first consent carries the name");
        assert_eq!(to, AFTER, "signed up");
        let c = json(
            app.http
                .get(app.url(&format!("/v1/client?__clerk_db_jwt={db}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let id = c["response"]["sessions"][0]["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let u = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
        assert_schema("User", &u);
        assert_eq!(
            (u["first_name"].as_str(), u["last_name"].as_str()),
            (Some("Ann"), Some("Apple"))
        );
        assert_eq!(
            u["email_addresses"][0]["verification"]["strategy"], "from_oauth_apple",
            "\"true\" is true"
        );
        assert_eq!(
            u["external_accounts"][0]["provider_user_id"],
            "001234.abcd.0042"
        );

        // Later sign-ins carry no name; the account keeps its own.
        let db = dev_browser(&app).await;
        let (to, named) = through_apple(&app, &db, "/v1/client/sign_ins").await;
        assert!(!named);
        assert_eq!(to, AFTER, "signed in");
        let u = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
        assert_eq!(u["first_name"], "Ann");

        // A secret signed with a key that is not the team's: Apple refuses.
        let stranger = AppleFake::start("com.example.web").await;
        let res = configure(stranger.private_key_pem.clone()).await;
        assert_eq!(res.status(), 200);
        let db = dev_browser(&app).await;
        let (to, _) = through_apple(&app, &db, "/v1/client/sign_ins").await;
        assert_eq!(to, SSO_CALLBACK);
        let c = json(
            app.http
                .get(app.url(&format!("/v1/client?__clerk_db_jwt={db}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            c["response"]["sign_in"]["first_factor_verification"]["error"]["code"],
            "oauth_token_exchange_error",
            "{c}"
        );
        app.stop().await;
    }
);
