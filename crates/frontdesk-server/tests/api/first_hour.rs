//! A new user's first hour, over plain HTTP (the browser side is
//! `fresh_app.rs`): the landing page and favicon, an avatar any app can show,
//! sign-in forms that say what is missing and do not tell which addresses
//! have accounts, and the two spellings of loopback.

use crate::helpers::{Backend, TestApp, run};
use crate::pages_security::{browser, location, page, post_form, urlencode, user};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
}

#[tokio::test]
async fn the_landing_page_says_what_to_do_next() {
    run(Backend::Sqlite, fast, |app: TestApp| async move {
        let res = app.get("/").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = res.text().await.unwrap();
        let pk = app.state.instance.publishable_key.to_string();
        for needle in [
            "/sign-in",
            "/sign-up",
            "frontdesk mail",
            "/v1/dev/emails",
            pk.as_str(),
        ] {
            assert!(
                html.contains(needle),
                "{needle} missing from the landing page:\n{html}"
            );
        }
        let res = app.get("/favicon.ico").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/")
        );
        app.stop().await;
    })
    .await;
}

/// `<UserButton/>` and `<UserProfile/>` load the avatar from the app's page,
/// another origin.
#[tokio::test]
async fn the_default_avatar_loads_in_any_app() {
    run(Backend::Sqlite, fast, |app: TestApp| async move {
        let res = app.get("/avatar.svg").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert_eq!(
            res.headers()["cross-origin-resource-policy"],
            "cross-origin"
        );
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn sign_in_forms_say_what_is_missing_and_nothing_about_accounts() {
    run(Backend::Sqlite, fast, |app: TestApp| async move {
        user(&app, "known@example.com", "long enough passphrase").await;
        let b = browser();
        let (_, token) = page(&b, &app, "/sign-in").await;
        let submit = |identifier: &'static str, password: &'static str| {
            let (b, app, token) = (&b, &app, token.clone());
            async move {
                let res = post_form(
                    b,
                    app,
                    "/sign-in",
                    &[
                        ("identifier", identifier),
                        ("password", password),
                        ("csrf_token", &token),
                    ],
                    &[],
                )
                .await;
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        // An empty submit is answered, on the form.
        let (status, html) = submit("", "").await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Enter your email address.") && html.contains("<form"),
            "{html}"
        );
        let (status, html) = submit("known@example.com", "").await;
        assert_eq!(status, 422);
        assert!(html.contains("Enter your password"), "{html}");
        assert!(
            html.contains("value=\"known@example.com\""),
            "what was typed stays: {html}"
        );

        // A wrong password and an unknown address read the same.
        let (_, wrong) = submit("known@example.com", "not the passphrase").await;
        let (_, unknown) = submit("nobody@example.com", "not the passphrase").await;
        let alert = |html: &str| {
            let start = html.find("class=\"alert\"").expect("an alert");
            html[start..].split('<').next().unwrap().to_owned()
        };
        assert!(
            wrong.contains("The email address or password is incorrect."),
            "{wrong}"
        );
        assert_eq!(alert(&wrong), alert(&unknown));
        assert!(!unknown.contains("find your account"), "{unknown}");
        app.stop().await;
    })
    .await;
}

/// Frontdesk at its default `http://localhost:<port>`, an app at
/// `127.0.0.1`: another site to the browser. The Frontend API says which
/// address to open instead of failing later with "not found"; the hosted
/// pages send the user back to the same page at `localhost`.
#[tokio::test]
async fn the_other_spelling_of_loopback_is_named_or_corrected() {
    let at_localhost = |c: &mut frontdesk_server::Config| {
        fast(c);
        c.public_url = Some("http://localhost:0".to_owned());
    };
    run(Backend::Sqlite, at_localhost, |app: TestApp| async move {
        let res = app
            .http
            .post(app.url("/v1/client/sign_ins"))
            .header("origin", "http://127.0.0.1:3000")
            .form(&[("identifier", "ada@example.com")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["code"], "origin_cross_site_loopback",
            "{body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Open this app at http://localhost:3000"),
            "{body}"
        );

        user(&app, "ada@example.com", "long enough passphrase").await;
        let b = browser();
        let target = "http://127.0.0.1:3000/dashboard?tab=1";
        let q = format!("/sign-in?redirect_url={}", urlencode(target));
        let (_, token) = page(&b, &app, &q).await;
        let res = post_form(
            &b,
            &app,
            "/sign-in",
            &[
                ("identifier", "ada@example.com"),
                ("password", "long enough passphrase"),
                ("redirect_url", target),
                ("csrf_token", &token),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            location(&res),
            format!(
                "/v1/client/handshake?redirect_url={}",
                urlencode("http://localhost:3000/dashboard?tab=1")
            )
        );
        app.stop().await;
    })
    .await;
}
