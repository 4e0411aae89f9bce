//! The handshake that hands a browser's session to an app's server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{TestApp, json};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    // These tests make many calls from one IP; the limits have their own tests.
    c.frontend_create_rate_limit = 0;
    c.frontend_attempt_rate_limit = 0;
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn directive<'a>(directives: &'a [String], name: &str) -> &'a str {
    directives
        .iter()
        .find(|d| d.starts_with(&format!("{name}=")))
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{name} missing from {directives:?}"))
}

both_backends!(
    development_handshake_returns_a_signed_token,
    fast,
    |app: TestApp| async move {
        // Sign up through the Frontend API with a dev browser.
        let db = json(
            app.http
                .post(app.url("/v1/dev_browser"))
                .send()
                .await
                .unwrap(),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let fapi = |p: &str| app.url(&format!("{p}?__clerk_db_jwt={db}"));
        let body = json(
            app.http
                .post(fapi("/v1/client/sign_ups"))
                .form(&[
                    ("email_address", "hs+clerk_test@example.com"),
                    ("password", "correct horse battery staple"),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        app.http
            .post(fapi(&format!(
                "/v1/client/sign_ups/{id}/prepare_verification"
            )))
            .form(&[("strategy", "email_code")])
            .send()
            .await
            .unwrap();
        let done = json(
            app.http
                .post(fapi(&format!(
                    "/v1/client/sign_ups/{id}/attempt_verification"
                )))
                .form(&[("code", "424242")])
                .send()
                .await
                .unwrap(),
        )
        .await;
        let sid = done["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();

        let res = no_redirects()
            .get(app.url("/v1/client/handshake"))
            .query(&[
                ("redirect_url", "http://localhost:3000/dashboard?x=1"),
                ("suffixed_cookies", "true"),
                ("format", "nonce"),
                ("__clerk_db_jwt", db.as_str()),
                ("__clerk_hs_reason", "session-token-expired"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 307);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("http://localhost:3000/dashboard?x=1&__clerk_handshake="),
            "{location}"
        );
        let token = query_param(&location, "__clerk_handshake").unwrap();
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["cat"], "cl_B7d4PD111AAA");
        assert_eq!(header["kid"], app.state.keys.active().kid().as_str());
        let payload: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        let directives: Vec<String> = serde_json::from_value(payload["handshake"].clone()).unwrap();
        assert!(
            directive(&directives, "__clerk_db_jwt")
                .starts_with(&format!("__clerk_db_jwt={db}; Path=/; SameSite=Lax"))
        );
        assert!(
            !directive(&directives, "__clerk_db_jwt").contains("HttpOnly"),
            "clerk-js reads it"
        );
        let session = directive(&directives, "__session");
        let jwt = session
            .trim_start_matches("__session=")
            .split(';')
            .next()
            .unwrap();
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["sid"], sid.as_str());
        assert_eq!(claims["azp"], "http://localhost:3000");
        let uat: i64 = directive(&directives, "__client_uat")
            .trim_start_matches("__client_uat=")
            .split(';')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            uat > 0 && claims["iat"].as_i64().unwrap() >= uat,
            "iat never predates __client_uat"
        );
        let suffix = frontdesk_crypto::cookie_suffix(app.state.instance.publishable_key.as_str());
        for name in ["__session", "__client_uat", "__clerk_db_jwt"] {
            directive(&directives, &format!("{name}_{suffix}"));
        }

        // A browser without a dev browser gets one, and signed-out cookies.
        let res = no_redirects()
            .get(app.url("/v1/client/handshake"))
            .query(&[("redirect_url", "http://localhost:3000/")])
            .send()
            .await
            .unwrap();
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let token = query_param(&location, "__clerk_handshake").unwrap();
        let payload: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        let directives: Vec<String> = serde_json::from_value(payload["handshake"].clone()).unwrap();
        assert!(directive(&directives, "__clerk_db_jwt").starts_with("__clerk_db_jwt=dvb_"));
        assert!(directive(&directives, "__session").contains("Max-Age=0"));
        assert!(directive(&directives, "__client_uat").starts_with("__client_uat=0;"));
        app.stop().await;
    }
);

both_backends!(
    production_handshake_uses_a_one_time_nonce,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.mode = frontdesk_domain::InstanceMode::Production;
        c.allowed_origins = vec!["http://localhost:3000".into()];
    },
    |app: TestApp| async move {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let browser = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let (_, user) = app.post_json("/v1/users", serde_json::json!({"email_address": ["nonce@example.com"], "password": "correct horse battery staple"})).await;
        assert!(user["id"].is_string());
        let res = browser
            .post(app.url("/v1/client/sign_ins"))
            .form(&[
                ("identifier", "nonce@example.com"),
                ("password", "correct horse battery staple"),
                ("strategy", "password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = browser
            .get(app.url("/v1/client/handshake"))
            .query(&[
                ("redirect_url", "http://localhost:3000/"),
                ("format", "nonce"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 307);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            query_param(&location, "__clerk_handshake").is_none(),
            "no session token in the URL"
        );
        let nonce = query_param(&location, "__clerk_handshake_nonce").unwrap();
        let res = app
            .bapi_get(&format!("/v1/clients/handshake_payload?nonce={nonce}"))
            .await;
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        let directives: Vec<String> = serde_json::from_value(body["directives"].clone()).unwrap();
        assert!(directive(&directives, "__session").len() > 100);
        assert!(directives.iter().all(|d| !d.starts_with("__clerk_db_jwt")));
        let again = app
            .bapi_get(&format!("/v1/clients/handshake_payload?nonce={nonce}"))
            .await;
        assert_eq!(again.status(), 404, "a nonce is good once");

        let res = browser
            .get(app.url("/v1/client/handshake"))
            .query(&[("redirect_url", "https://evil.example/steal")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            422,
            "no sessions for origins that are not allowed"
        );
        app.stop().await;
    }
);
