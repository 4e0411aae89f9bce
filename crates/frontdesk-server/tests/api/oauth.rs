//! Sign-in and sign-up through an OpenID Connect provider (issue 16), over
//! the Frontend API as clerk-js drives it, against a real provider (npm
//! `oidc-provider`, `e2e/oidc-provider.mjs`) whose login form is answered
//! with plain HTTP: `strategy=oauth_custom_corp` on sign-ins and sign-ups,
//! `external_verification_redirect_url`, `/v1/oauth_callback`, both
//! transfers, account linking by a vouched-for address (and the address
//! proven first when the provider does not vouch), and the refusals:
//! replayed and forged states, a code from another trip (PKCE), another
//! provider's `iss`, a foreign browser (login CSRF), open redirects, a
//! cancelled sign-in, a provider that is down.

use frontdesk_testkit::oidc::{OidcProvider, provider_browser, sign_in_at_provider};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::assert_frontend_schema;
use crate::helpers::{
    TestApp, assert_schema, dev_browser, fapi_post, json, mailed_code, user_with_password,
};

pub(crate) const SSO_CALLBACK: &str = "http://localhost:3000/sign-in/sso-callback";
pub(crate) const AFTER: &str = "http://localhost:3000/";
const PROVIDER_PASSWORD: &str = "provider password";
pub(crate) const G: &str = "oauth_google";
pub(crate) const C: &str = "oauth_custom_corp";

pub(crate) fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_attempt_rate_limit = 0;
    c.frontend_create_rate_limit = 0;
}

/// The provider, with Frontdesk registered as its client, and `strategy`
/// turned on for it: `oauth_custom_corp`, or `oauth_google` with its issuer
/// pointed at the local provider (clerk-protocol-wave2.md §8.1), which is
/// how Google's path is shown without Google.
pub(crate) async fn provider(app: &TestApp, what: &str, strategy: &str) -> Option<OidcProvider> {
    let clients = json!([{"client_id": "frontdesk", "client_secret": "corp secret",
        "redirect_uris": [app.url("/v1/oauth_callback")]}]);
    let account = |sub: &str, email: &str, verified: bool, given: &str| {
        json!({"sub": sub, "email": email, "email_verified": verified,
               "given_name": given, "family_name": "Tester", "password": PROVIDER_PASSWORD})
    };
    let accounts = json!([
        account("ada-1", "ada@example.com", true, "Ada"),
        account("bob-1", "bob@example.com", false, "Bob"),
        account("dana-1", "dana@example.com", true, "Dana"),
        account("eve-1", "eve@example.com", true, "Eve"),
        // Her company's provider does not say `email_verified`; it is the
        // authority for corp.example once bound to it.
        account("alice-1", "alice@corp.example", false, "Alice"),
    ]);
    let provider = OidcProvider::start(what, &clients, &accounts).await?;
    let res = app
        .bapi(
            Method::PATCH,
            "/v1/instance/settings",
            Some(json!({"social": {strategy: {
                "enabled": true, "client_id": "frontdesk", "issuer": provider.issuer,
                "name": "Corp SSO", "client_secret": "corp secret"}}})),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", json(res).await);
    Some(provider)
}

/// Start a trip from `path` (`/v1/client/sign_ins` or `…/sign_ups`): the
/// provider's URL.
pub(crate) async fn start(app: &TestApp, db: &str, path: &str, strategy: &str) -> String {
    let (status, body) = fapi_post(
        app,
        db,
        path,
        &[
            ("strategy", strategy),
            ("redirect_url", SSO_CALLBACK),
            ("action_complete_redirect_url", AFTER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = if path.ends_with("sign_ins") {
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        &body["response"]["first_factor_verification"]
    } else {
        assert_frontend_schema("Client.ClientWrappedSignUp", &body);
        &body["response"]["verifications"]["external_account"]
    };
    assert_eq!(v["object"], "verification_oauth", "{body}");
    assert_eq!(v["status"], "unverified");
    assert_eq!(v["strategy"], strategy);
    v["external_verification_redirect_url"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A browser that stops at Frontdesk's callback.
pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// At the provider as `email` (`login`) or cancelling (`abort`): the
/// callback URL it sends the browser to.
pub(crate) async fn at_provider(
    app: &TestApp,
    browser: &reqwest::Client,
    url: &str,
    email: &str,
    action: &str,
) -> String {
    let res = sign_in_at_provider(browser, url, email, PROVIDER_PASSWORD, action).await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&app.url("/v1/oauth_callback")),
        "{location}"
    );
    location
}

/// Follow the provider's redirect to Frontdesk's callback: the status and
/// where Frontdesk sends the browser (or its error body).
pub(crate) async fn callback(url: &str) -> (u16, String) {
    let res = no_redirects().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    match location {
        Some(l) => (status, l),
        None => (status, res.text().await.unwrap()),
    }
}

pub(crate) async fn client(app: &TestApp, db: &str) -> Value {
    let res = app
        .http
        .get(app.url(&format!("/v1/client?__clerk_db_jwt={db}")))
        .send()
        .await
        .unwrap();
    let body = json(res).await;
    assert_frontend_schema("Client.ClientWrappedClient", &body);
    body
}

/// The user through the Backend API; checked against Clerk's `User` when
/// its accounts are at named providers (the spec's `IdentificationLink`
/// pattern, `^oauth_[a-z]+$`, has no room for `oauth_custom_<slug>`, which
/// its own Frontend API spec allows: checked there instead).
pub(crate) async fn user(app: &TestApp, id: &str) -> Value {
    let body = json(app.bapi_get(&format!("/v1/users/{id}")).await).await;
    let custom = body["external_accounts"].as_array().is_some_and(|a| {
        a.iter().any(|e| {
            e["provider"]
                .as_str()
                .unwrap_or("")
                .starts_with("oauth_custom_")
        })
    });
    if !custom {
        assert_schema("User", &body);
    }
    body
}

/// The user the client's newest session is for (`client` as rendered).
pub(crate) fn signed_in_user(client: &Value) -> String {
    client["sessions"][0]["user"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {client}"))
        .to_owned()
}

both_backends!(
    sign_up_through_a_provider_then_sign_in_again,
    fast,
    |app: TestApp| async move {
        let Some(_p) = provider(&app, "the OpenID Connect sign-in test", G).await else {
            app.stop().await;
            return;
        };
        // The environment offers the provider's button.
        let env = json(app.get("/v1/environment").await).await;
        let social = &env["user_settings"]["social"]["oauth_google"];
        assert_frontend_schema("UserSettings.Social", social);
        assert_eq!(social["enabled"], true, "{env}");
        assert_eq!(social["authenticatable"], true);
        assert_eq!(social["name"], "Corp SSO");
        assert_eq!(social["strategy"], "oauth_google");

        // <SignIn/>'s button, for someone new.
        let db = dev_browser(&app).await;
        let url = start(&app, &db, "/v1/client/sign_ins", G).await;
        let authorize = url::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
        assert_eq!(q["redirect_uri"], app.url("/v1/oauth_callback"));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["scope"], "openid email profile");
        assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43, "{q:?}");
        let browser = provider_browser(&app.url("/v1/oauth_callback"));
        let back = at_provider(&app, &browser, &url, "ada@example.com", "login").await;
        let (status, location) = callback(&back).await;
        assert_eq!(
            (status, location.as_str()),
            (303, SSO_CALLBACK),
            "nobody yet: to the sso-callback page"
        );
        let c = client(&app, &db).await;
        let ffv = &c["response"]["sign_in"]["first_factor_verification"];
        assert_eq!(ffv["status"], "transferable", "{c}");
        assert_eq!(ffv["error"]["code"], "external_account_not_found");

        // A replayed callback finds the trip taken.
        let (status, body) = callback(&back).await;
        assert_eq!(status, 400);
        assert!(body.contains("oauth_state_invalid"), "{body}");

        // clerk-js's transfer: the sign-up is complete at once.
        let (status, body) =
            fapi_post(&app, &db, "/v1/client/sign_ups", &[("transfer", "true")]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignUp", &body);
        let su = &body["response"];
        assert_eq!(su["status"], "complete", "{body}");
        assert_eq!(
            su["verifications"]["external_account"]["status"],
            "verified"
        );
        assert_eq!(
            su["verifications"]["email_address"]["strategy"],
            "from_oauth_google"
        );
        let id = su["created_user_id"].as_str().unwrap().to_owned();
        let u = user(&app, &id).await;
        assert_eq!(u["first_name"], "Ada");
        assert_eq!(u["password_enabled"], false);
        let accounts = u["external_accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 1, "{u}");
        assert_eq!(accounts[0]["provider"], G);
        assert_eq!(accounts[0]["provider_user_id"], "ada-1");
        assert_eq!(accounts[0]["email_address"], "ada@example.com");
        let email = &u["email_addresses"][0];
        assert_eq!(email["verification"]["strategy"], "from_oauth_google");
        assert_eq!(email["linked_to"][0]["type"], G);
        let tokens = json(
            app.bapi_get(&format!(
                "/v1/users/{id}/oauth_access_tokens/oauth_google?paginated=true"
            ))
            .await,
        )
        .await;
        assert_eq!(tokens["total_count"], 1, "{tokens}");
        assert!(!tokens["data"][0]["token"].as_str().unwrap().is_empty());
        assert_eq!(signed_in_user(&client(&app, &db).await["response"]), id);

        // Another browser, the same person: signed in straight away, to the
        // page after sign-in.
        let db2 = dev_browser(&app).await;
        let url = start(&app, &db2, "/v1/client/sign_ins", G).await;
        let back = at_provider(
            &app,
            &provider_browser(&app.url("/v1/oauth_callback")),
            &url,
            "ada@example.com",
            "login",
        )
        .await;
        assert_eq!(callback(&back).await, (303, AFTER.to_owned()));
        assert_eq!(signed_in_user(&client(&app, &db2).await["response"]), id);

        // <SignUp/>'s button for the same person: taken, so clerk-js
        // transfers to a sign-in, which signs them in.
        let db3 = dev_browser(&app).await;
        let url = start(&app, &db3, "/v1/client/sign_ups", G).await;
        let back = at_provider(
            &app,
            &provider_browser(&app.url("/v1/oauth_callback")),
            &url,
            "ada@example.com",
            "login",
        )
        .await;
        assert_eq!(callback(&back).await, (303, SSO_CALLBACK.to_owned()));
        let c = client(&app, &db3).await;
        let ea = &c["response"]["sign_up"]["verifications"]["external_account"];
        assert_eq!(ea["status"], "transferable", "{c}");
        assert_eq!(ea["error"]["code"], "external_account_exists");
        let (status, body) =
            fapi_post(&app, &db3, "/v1/client/sign_ins", &[("transfer", "true")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(signed_in_user(&body["client"]), id);
        app.stop().await;
    }
);

both_backends!(
    a_vouched_address_links_an_unvouched_one_is_proven_first,
    fast,
    |app: TestApp| async move {
        let Some(_p) = provider(&app, "the OpenID Connect linking test", C).await else {
            app.stop().await;
            return;
        };
        // Dana has a password account; the provider vouches for her address.
        let dana = user_with_password(&app, "dana@example.com", "dana's own password").await;
        let db = dev_browser(&app).await;
        let url = start(&app, &db, "/v1/client/sign_ins", C).await;
        let browser = provider_browser(&app.url("/v1/oauth_callback"));
        let back = at_provider(&app, &browser, &url, "dana@example.com", "login").await;
        assert_eq!(
            callback(&back).await,
            (303, AFTER.to_owned()),
            "linked and signed in"
        );
        assert_eq!(signed_in_user(&client(&app, &db).await["response"]), dana);
        let u = user(&app, &dana).await;
        assert_eq!(
            u["external_accounts"][0]["provider_user_id"], "dana-1",
            "{u}"
        );
        assert_eq!(u["password_enabled"], true, "her password stays");

        // Bob's provider does not vouch for his address: no link until he
        // proves it with a code.
        let bob = user_with_password(&app, "bob@example.com", "bob's own password").await;
        let db = dev_browser(&app).await;
        let url = start(&app, &db, "/v1/client/sign_ins", C).await;
        let back = at_provider(
            &app,
            &provider_browser(&app.url("/v1/oauth_callback")),
            &url,
            "bob@example.com",
            "login",
        )
        .await;
        assert_eq!(callback(&back).await, (303, SSO_CALLBACK.to_owned()));
        let c = client(&app, &db).await;
        let si = &c["response"]["sign_in"];
        assert_eq!(si["status"], "needs_first_factor", "{c}");
        assert_eq!(si["identifier"], "bob@example.com");
        let factors: Vec<_> = si["supported_first_factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["strategy"].as_str().unwrap())
            .collect();
        assert_eq!(factors, ["email_code"], "the address is what is proven");
        assert!(
            c["response"]["sessions"].as_array().unwrap().is_empty(),
            "not signed in"
        );
        assert!(
            user(&app, &bob).await["external_accounts"]
                .as_array()
                .unwrap()
                .is_empty(),
            "not linked"
        );
        let sia = si["id"].as_str().unwrap();
        let path = format!("/v1/client/sign_ins/{sia}/attempt_first_factor");
        let (status, body) = fapi_post(
            &app,
            &db,
            &path,
            &[("strategy", "password"), ("password", "bob's own password")],
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("strategy_for_user_invalid")),
            "{body}"
        );
        let path = format!("/v1/client/sign_ins/{sia}/prepare_first_factor");
        let (status, body) = fapi_post(&app, &db, &path, &[("strategy", "email_code")]).await;
        assert_eq!(status, 200, "{body}");
        let code = mailed_code(&app, "bob@example.com").await;
        let path = format!("/v1/client/sign_ins/{sia}/attempt_first_factor");
        let (status, body) = fapi_post(
            &app,
            &db,
            &path,
            &[("strategy", "email_code"), ("code", &code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete");
        let u = user(&app, &bob).await;
        assert_eq!(
            u["external_accounts"][0]["provider_user_id"], "bob-1",
            "linked once proven: {u}"
        );
        assert_eq!(
            u["external_accounts"][0]["verification"]["status"],
            "verified"
        );
        app.stop().await;
    }
);

both_backends!(
    forged_replayed_and_mixed_up_callbacks_are_refused,
    fast,
    |app: TestApp| async move {
        let Some(p) = provider(&app, "the OpenID Connect refusal test", C).await else {
            app.stop().await;
            return;
        };
        let cb = app.url("/v1/oauth_callback");
        // No state, a made-up state.
        for query in [
            "?code=x",
            "?code=x&state=made-up-state-of-forty-three-characters-xx",
        ] {
            let (status, body) = callback(&format!("{cb}{query}")).await;
            assert_eq!(status, 400, "{query}: {body}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_schema("ClerkErrors", &body);
        }

        // A code from one trip with another trip's state: the PKCE
        // verifier of the second does not redeem the first's code.
        let db = dev_browser(&app).await;
        let first = start(&app, &db, "/v1/client/sign_ins", C).await;
        let second = start(&app, &db, "/v1/client/sign_ins", C).await;
        let browser = provider_browser(&cb);
        let back = at_provider(&app, &browser, &first, "eve@example.com", "login").await;
        let code = url::Url::parse(&back)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let second_state = url::Url::parse(&second)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let mixed = format!("{cb}?code={code}&state={second_state}");
        assert_eq!(callback(&mixed).await, (303, SSO_CALLBACK.to_owned()));
        let c = client(&app, &db).await;
        let ffv = &c["response"]["sign_in"]["first_factor_verification"];
        assert_eq!(ffv["status"], "failed", "{c}");
        assert_eq!(ffv["error"]["code"], "oauth_token_exchange_error");
        assert!(c["response"]["sessions"].as_array().unwrap().is_empty());

        // Another provider's `iss` on the way back (RFC 9207 mix-up).
        let third = start(&app, &db, "/v1/client/sign_ins", C).await;
        let back = at_provider(&app, &browser, &third, "eve@example.com", "login").await;
        let forged = back.replace(&urlencode(&p.issuer), &urlencode("https://other.example"));
        assert_ne!(forged, back, "the provider names itself");
        assert_eq!(callback(&forged).await, (303, SSO_CALLBACK.to_owned()));
        let ffv = &client(&app, &db).await["response"]["sign_in"]["first_factor_verification"];
        assert_eq!(ffv["error"]["code"], "oauth_identity_invalid", "{ffv}");

        // Cancelled at the provider, after another sign-in was started
        // behind the button's (clerk-js's <SignIn/> starts a passkey-autofill
        // one on every mount): the browser comes back to the button's
        // attempt, which says why.
        let fourth = start(&app, &db, "/v1/client/sign_ins", C).await;
        start(&app, &db, "/v1/client/sign_ins", C).await;
        let later = client(&app, &db).await["response"]["sign_in"]["id"].clone();
        let back = at_provider(&app, &provider_browser(&cb), &fourth, "", "abort").await;
        assert!(back.contains("error=access_denied"), "{back}");
        assert_eq!(callback(&back).await, (303, SSO_CALLBACK.to_owned()));
        let sign_in = &client(&app, &db).await["response"]["sign_in"];
        assert_ne!(sign_in["id"], later, "{sign_in}");
        let ffv = &sign_in["first_factor_verification"];
        assert_eq!(ffv["status"], "failed");
        assert_eq!(ffv["error"]["code"], "oauth_access_denied");

        // Open redirects: never to another site.
        for (field, url) in [
            ("redirect_url", "https://evil.example/sso-callback"),
            ("action_complete_redirect_url", "https://evil.example/"),
            ("redirect_url", "//evil.example/x"),
        ] {
            let mut form = vec![
                ("strategy", C),
                ("redirect_url", SSO_CALLBACK),
                ("action_complete_redirect_url", AFTER),
            ];
            form.retain(|(k, _)| *k != field);
            form.push((field, url));
            let (status, body) = fapi_post(&app, &db, "/v1/client/sign_ins", &form).await;
            assert_eq!(status, 422, "{field}={url}: {body}");
            assert_eq!(body["errors"][0]["meta"]["param_name"], field);
        }
        // A provider that is not on.
        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[("strategy", "oauth_google"), ("redirect_url", SSO_CALLBACK)],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["code"], "strategy_for_user_invalid");

        // A browser that did not start the trip (login CSRF): the cookie
        // client that started it must come back.
        let jar = || {
            reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
        };
        let (victim, attacker) = (jar(), jar());
        let res = attacker
            .post(app.url("/v1/client/sign_ins"))
            .form(&[("strategy", C), ("redirect_url", SSO_CALLBACK)])
            .send()
            .await
            .unwrap();
        let body = json(res).await;
        let url =
            body["response"]["first_factor_verification"]["external_verification_redirect_url"]
                .as_str()
                .unwrap()
                .to_owned();
        let back = at_provider(
            &app,
            &provider_browser(&cb),
            &url,
            "eve@example.com",
            "login",
        )
        .await;
        let res = victim.get(&back).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            json(res).await["errors"][0]["code"],
            "oauth_client_mismatch"
        );
        app.stop().await;
    }
);

both_backends!(
    a_provider_that_is_down_is_said_so,
    fast,
    |app: TestApp| async move {
        let closed = crate::helpers::free_port();
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"social": {"oauth_custom_down": {
                    "enabled": true, "client_id": "frontdesk",
                    "issuer": format!("http://127.0.0.1:{closed}")}}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let db = dev_browser(&app).await;
        let (status, body) = fapi_post(
            &app,
            &db,
            "/v1/client/sign_ins",
            &[
                ("strategy", "oauth_custom_down"),
                ("redirect_url", SSO_CALLBACK),
            ],
        )
        .await;
        assert_eq!(status, 502, "{body}");
        assert_schema("ClerkErrors", &body);
        assert_eq!(body["errors"][0]["code"], "external_provider_unreachable");
        assert!(
            body["errors"][0]["long_message"]
                .as_str()
                .unwrap()
                .contains("Try again")
        );
        app.stop().await;
    }
);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `<UserProfile/>`'s "Connect account": the provider's URL.
async fn connect(b: &crate::fapi::Browser<'_>, sid: &str, back_to: &str) -> String {
    let path = crate::fapi::me("/v1/me/external_accounts", sid);
    let (status, body) = b
        .post(&path, &[("strategy", C), ("redirect_url", back_to)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_frontend_schema("Client.ClientWrappedExternalAccount", &body);
    let v = &body["response"]["verification"];
    assert_eq!(v["status"], "unverified", "{body}");
    v["external_verification_redirect_url"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_backends!(
    user_profile_connects_an_account_never_someone_elses,
    fast,
    |app: TestApp| async move {
        let Some(_p) = provider(&app, "the connect-an-account test", C).await else {
            app.stop().await;
            return;
        };
        let cb = app.url("/v1/oauth_callback");
        let profile = "http://localhost:3000/user";
        let frank = user_with_password(&app, "frank@example.com", "frank's own password").await;
        let (b, sid) =
            crate::fapi::signed_in(&app, "frank@example.com", "frank's own password").await;
        let url = connect(&b, &sid, profile).await;
        let back = at_provider(
            &app,
            &provider_browser(&cb),
            &url,
            "eve@example.com",
            "login",
        )
        .await;
        assert_eq!(callback(&back).await, (303, profile.to_owned()));
        let u = user(&app, &frank).await;
        assert_eq!(
            u["external_accounts"][0]["provider_user_id"], "eve-1",
            "{u}"
        );

        // Eve's identity is Frank's now: George cannot connect it too.
        let george = user_with_password(&app, "george@example.com", "george's own password").await;
        let (b, sid) =
            crate::fapi::signed_in(&app, "george@example.com", "george's own password").await;
        let url = connect(&b, &sid, profile).await;
        let back = at_provider(
            &app,
            &provider_browser(&cb),
            &url,
            "eve@example.com",
            "login",
        )
        .await;
        assert_eq!(callback(&back).await, (303, profile.to_owned()));
        assert!(
            user(&app, &george).await["external_accounts"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            user(&app, &frank).await["external_accounts"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        app.stop().await;
    }
);

both_backends!(
    a_sign_up_through_a_provider_reaches_webhooks_as_clerk_sends_them,
    crate::webhooks::fast,
    |app: TestApp| async move {
        use crate::receiver::Receiver;
        use crate::webhooks::{check, endpoint};
        let Some(_p) = provider(&app, "the social sign-in webhooks test", G).await else {
            app.stop().await;
            return;
        };
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(
            &app,
            &rx.url,
            &["user.created", "user.updated", "session.created"],
        )
        .await;
        let db = dev_browser(&app).await;
        let url = start(&app, &db, "/v1/client/sign_ups", G).await;
        let back = at_provider(
            &app,
            &provider_browser(&app.url("/v1/oauth_callback")),
            &url,
            "ada@example.com",
            "login",
        )
        .await;
        assert_eq!(callback(&back).await, (303, AFTER.to_owned()));
        let log = rx
            .wait_until("user.created, the account joined, the session", |log| {
                let types: Vec<_> = log
                    .iter()
                    .map(|r| r.json()["type"].as_str().unwrap_or("").to_owned())
                    .collect();
                ["user.created", "user.updated", "session.created"]
                    .iter()
                    .all(|t| types.iter().any(|x| x == t))
            })
            .await;
        let of = |t: &str| log.iter().find(|r| r.json()["type"] == t).unwrap();
        let created = check(of("user.created"), &secret, "user.created");
        assert_eq!(
            created["data"]["email_addresses"][0]["verification"]["strategy"],
            "from_oauth_google"
        );
        let updated = check(of("user.updated"), &secret, "user.updated");
        assert_eq!(
            updated["data"]["external_accounts"][0]["provider"], "oauth_google",
            "{updated}"
        );
        assert_eq!(
            updated["data"]["email_addresses"][0]["linked_to"][0]["type"],
            "oauth_google"
        );
        check(of("session.created"), &secret, "session.created");
        app.stop().await;
    }
);
