//! The Account part of the hosted `/user` page over plain HTTP, as a
//! browser without script sends its forms: add an email address and verify
//! it with the mailed code, make it primary, remove the old one; upload a
//! profile image (multipart, CSRF token inside), refuse what is not an
//! image or too large, remove it. What the page shows is read from its HTML;
//! what is stored, from the Backend API.

use serde_json::Value;

use crate::account::PNG;
use crate::both_backends;
use crate::helpers::{TestApp, json, mailed_code, user_with_password};
use crate::pages_security::{hosted_sign_in, location, page, post_form};
use crate::reverify::age;

const PASSWORD: &str = "correct horse battery staple";

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_attempt_rate_limit = 0;
}

/// The value of the hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_owned()
}

async fn user_of(app: &TestApp, uid: &str) -> Value {
    json(app.bapi_get(&format!("/v1/users/{uid}")).await).await
}

both_backends!(
    the_hosted_profile_adds_verifies_and_removes_an_address,
    fast,
    |app: TestApp| async move {
        let first = format!("first{}@example.com", app.port);
        let second = format!("second{}@example.com", app.port);
        let uid = user_with_password(&app, &first, PASSWORD).await;
        let (b, sid) = hosted_sign_in(&app, &first, PASSWORD).await;

        let (html, token) = page(&b, &app, "/user").await;
        assert!(html.contains("Add an email address"), "{html}");
        let post = |path: &'static str, form: Vec<(&'static str, String)>| {
            let (b, app, token) = (&b, &app, token.clone());
            async move {
                let mut form = form;
                form.push(("csrf_token", token));
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_form(b, app, path, &form, &[]).await
            }
        };

        // Not an address: said on /user, under the field.
        let res = post(
            "/user/emails",
            vec![("email_address", "not an address".into())],
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("f-email_address-error"), "{html}");

        // Added: the code step, a mail with the code.
        let res = post("/user/emails", vec![("email_address", second.clone())]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Verify your email address"), "{html}");
        assert!(
            html.contains(&format!("We sent a code to {second}")),
            "{html}"
        );
        let id = hidden(&html, "attempt");
        assert!(id.starts_with("idn_"), "{id}");
        let code = mailed_code(&app, &second).await;
        let user = user_of(&app, &uid).await;
        assert_eq!(user["email_addresses"].as_array().unwrap().len(), 2);

        // A wrong code: the step again, with the error on the field.
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let res = post(
            "/user/emails/verify",
            vec![
                ("attempt", id.clone()),
                ("code", wrong.into()),
                ("action", "verify".into()),
            ],
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("f-code-error"), "{html}");

        // The right one: verified.
        let res = post(
            "/user/emails/verify",
            vec![
                ("attempt", id.clone()),
                ("code", code),
                ("action", "verify".into()),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/user?done=email");
        let (html, _) = page(&b, &app, "/user?done=email").await;
        assert!(html.contains("Your email address was verified."), "{html}");
        assert!(html.contains(&format!("Make primary {second}")), "{html}");
        let user = user_of(&app, &uid).await;
        let added = user["email_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(added["verification"]["status"], "verified");

        // Primary, then the first one removed.
        let res = post_form(
            &b,
            &app,
            &format!("/user/emails/{id}/primary"),
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/user?done=primary");
        let user = user_of(&app, &uid).await;
        assert_eq!(user["primary_email_address_id"], id.as_str());
        let old = user["email_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["email_address"] == first.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = post_form(
            &b,
            &app,
            &format!("/user/emails/{old}/remove"),
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/user?done=email-off");
        let user = user_of(&app, &uid).await;
        assert_eq!(user["email_addresses"].as_array().unwrap().len(), 1);

        // The primary address cannot go; another user's cannot be added.
        let res = post_form(
            &b,
            &app,
            &format!("/user/emails/{id}/remove"),
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Make another address primary before removing this one.")
        );
        let other = format!("other{}@example.com", app.port);
        user_with_password(&app, &other, PASSWORD).await;
        let res = post("/user/emails", vec![("email_address", other.clone())]).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("f-email_address-error"));

        // Later: adding one asks to confirm it's you first (step-up).
        age(&app, &sid).await;
        let third = format!("third{}@example.com", app.port);
        let res = post("/user/emails", vec![("email_address", third)]).await;
        assert_eq!(res.status(), 403);
        let html = res.text().await.unwrap();
        assert!(html.contains("Confirm it"), "{html}");
        assert_eq!(
            user_of(&app, &uid).await["email_addresses"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);

/// POST the image form: `file` with `bytes`, and the CSRF token (or not).
async fn upload(
    b: &reqwest::Client,
    app: &TestApp,
    token: Option<&str>,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some(t) = token {
        form = form.text("csrf_token", t.to_owned());
    }
    let part = reqwest::multipart::Part::bytes(bytes).file_name("me.png");
    b.post(app.url("/user/image"))
        .multipart(form.part("file", part))
        .send()
        .await
        .unwrap()
}

both_backends!(
    the_hosted_profile_uploads_and_removes_an_image,
    fast,
    |app: TestApp| async move {
        let email = format!("image{}@example.com", app.port);
        let uid = user_with_password(&app, &email, PASSWORD).await;
        let (b, _) = hosted_sign_in(&app, &email, PASSWORD).await;
        let (html, token) = page(&b, &app, "/user").await;
        assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");

        let res = upload(&b, &app, None, PNG.to_vec()).await;
        assert_eq!(res.status(), 403, "no token, no upload");

        let svg =
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
        let res = upload(&b, &app, Some(&token), svg).await;
        assert_eq!(res.status(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Choose a PNG, JPEG, GIF or WebP image.")
        );

        let mut big = PNG.to_vec();
        big.resize(10 * 1024 * 1024 + 1, 0);
        let res = upload(&b, &app, Some(&token), big).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("at most 10 MB"));
        assert_eq!(user_of(&app, &uid).await["has_image"], false);

        let res = upload(&b, &app, Some(&token), PNG.to_vec()).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/user?done=image");
        let user = user_of(&app, &uid).await;
        assert_eq!(user["has_image"], true);
        let url = user["image_url"].as_str().unwrap().to_owned();
        let (html, _) = page(&b, &app, "/user?done=image").await;
        assert!(
            html.contains(&format!("src=\"{url}\"")),
            "the page shows it: {html}"
        );
        let served = reqwest::get(&url).await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.headers()["access-control-allow-origin"], "*");
        assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

        let res = post_form(
            &b,
            &app,
            "/user/image/remove",
            &[("csrf_token", &token)],
            &[],
        )
        .await;
        assert_eq!(location(&res), "/user?done=image-off");
        assert_eq!(user_of(&app, &uid).await["has_image"], false);
        let (html, _) = page(&b, &app, "/user").await;
        assert!(!html.contains("Remove image"), "{html}");
    }
);

both_backends!(
    hosted_pages_manage_addresses_and_the_image_in_chromium,
    crate::clerk_js::on_clerk_page,
    |app: TestApp| async move {
        let email = format!("hosted-account-{}@example.com", app.port);
        crate::browser::run_hosted_spec(
            app,
            "the hosted account browser test",
            "hosted-account.spec.mjs",
            email,
            "correct horse hosted account",
            std::time::Duration::from_secs(60),
        )
        .await;
    }
);
