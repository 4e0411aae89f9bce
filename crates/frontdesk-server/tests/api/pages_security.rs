//! The hosted pages and the rules that guard them, over plain HTTP: CSRF,
//! fetch metadata and `Origin` (security.md D11), the open-redirect rule,
//! escaping, page headers, theming, per-IP limits, and the common-password
//! rule (A5) on every path that sets a password.

use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code, json};

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
}

/// A browser: cookies kept, redirects not followed (the tests read them).
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token in a page's forms.
fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_owned()
}

/// GET a page; its body and CSRF token.
pub(crate) async fn page(b: &reqwest::Client, app: &TestApp, path: &str) -> (String, String) {
    let html = b
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    (html, token)
}

pub(crate) async fn post_form(
    b: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = b.post(app.url(path)).form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// A user with `password`, made through the Backend API.
pub(crate) async fn user(app: &TestApp, email: &str, password: &str) -> Value {
    let (status, body) = app
        .post_json(
            "/v1/users",
            json!({"email_address": [email], "password": password, "first_name": "<script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A browser signed in through the hosted `/sign-in` form with a password,
/// and its session's id.
pub(crate) async fn hosted_sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (reqwest::Client, String) {
    let b = browser();
    let (_, token) = page(&b, app, "/sign-in").await;
    let form = [
        ("csrf_token", token.as_str()),
        ("identifier", email),
        ("password", password),
        ("action", "password"),
    ];
    let res = post_form(&b, app, "/sign-in", &form, &[]).await;
    assert_eq!(res.status(), 303, "signed in on /sign-in");
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("email_address", email)
        .finish();
    let users = json(app.bapi_get(&format!("/v1/users?{q}")).await).await;
    let uid = users[0]["id"].as_str().expect("the user").parse().unwrap();
    let sessions = app.state.store.list_sessions_for_user(&uid).await.unwrap();
    let sid = sessions
        .iter()
        .max_by_key(|s| s.created_at)
        .expect("a session")
        .id
        .to_string();
    (b, sid)
}

pub(crate) fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

both_backends!(
    sec_d11_page_forms_need_the_browsers_csrf_token,
    fast,
    |app: TestApp| async move {
        user(&app, "csrf@example.com", "long enough passphrase").await;
        let form = |t: &str| {
            vec![
                ("identifier", "csrf@example.com".to_owned()),
                ("password", "long enough passphrase".to_owned()),
                ("action", "password".to_owned()),
                ("csrf_token", t.to_owned()),
            ]
        };
        // Another browser's token, or none, is refused before any check.
        let (_, theirs) = page(&browser(), &app, "/sign-in").await;
        let b = browser();
        let (_, mine) = page(&b, &app, "/sign-in").await;
        assert_ne!(mine, theirs, "every browser has its own token");
        for token in ["", theirs.as_str()] {
            let f = form(token);
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = post_form(&b, &app, "/sign-in", &f, &[]).await;
            assert_eq!(res.status(), 403, "token {token:?}");
            assert!(res.text().await.unwrap().contains("expired"));
        }
        // A fresh browser without the cookie cannot sign in with a token alone.
        let f = form(&mine);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = post_form(&browser(), &app, "/sign-in", &f, &[]).await;
        assert_eq!(res.status(), 403, "login CSRF: no cookie, no sign-in");
        // With its own token, the same browser signs in.
        let res = post_form(&b, &app, "/sign-in", &f, &[]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/user");
        app.stop().await;
    }
);

both_backends!(
    sec_d11_cross_site_posts_are_refused,
    fast,
    |app: TestApp| async move {
        user(&app, "cross@example.com", "long enough passphrase").await;
        let b = browser();
        let (_, token) = page(&b, &app, "/sign-in").await;
        let f = [
            ("identifier", "cross@example.com"),
            ("password", "long enough passphrase"),
            ("csrf_token", token.as_str()),
        ];
        for headers in [
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![("origin", "https://evil.test")],
            vec![("origin", "null")],
        ] {
            let res = post_form(&b, &app, "/sign-in", &f, &headers).await;
            assert_eq!(res.status(), 403, "{headers:?}");
        }
        let own = app.base.clone();
        let res = post_form(
            &b,
            &app,
            "/sign-in",
            &f,
            &[("sec-fetch-site", "same-origin"), ("origin", &own)],
        )
        .await;
        assert_eq!(res.status(), 303, "same-origin form posts work");

        // The Frontend API: a state-changing call from an origin the
        // instance does not trust is refused; a trusted one goes through.
        for (origin, want) in [("https://evil.test", 403), ("http://localhost:3000", 200)] {
            let res = app
                .http
                .post(app.url("/v1/dev_browser"))
                .header("origin", origin)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), want, "{origin}");
            if want == 403 {
                assert_eq!(error_code(&json(res).await), "origin_invalid");
            }
        }
        app.stop().await;
    }
);

both_backends!(
    hosted_pages_send_browsers_only_to_allowed_origins,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.mode = frontdesk_domain::InstanceMode::Production;
        c.allowed_origins = vec!["http://app.localhost:3000".into()];
    },
    |app: TestApp| async move {
        user(&app, "redirect@example.com", "long enough passphrase").await;
        for (target, want) in [
            ("https://evil.test/steal", "/user"),
            ("//evil.test/steal", "/user"),
            ("http://localhost:9999/", "/user"),
            (
                "http://app.localhost:3000/dashboard",
                "/v1/client/handshake?redirect_url=http%3A%2F%2Fapp.localhost%3A3000%2Fdashboard",
            ),
            ("/user?done=profile", "/user?done=profile"),
        ] {
            let b = browser();
            let q = format!("/sign-in?redirect_url={}", urlencode(target));
            let (html, token) = page(&b, &app, &q).await;
            assert!(
                !html.contains("evil.test"),
                "a refused target is not even carried: {target}"
            );
            let res = post_form(
                &b,
                &app,
                "/sign-in",
                &[
                    ("identifier", "redirect@example.com"),
                    ("password", "long enough passphrase"),
                    ("redirect_url", target),
                    ("csrf_token", &token),
                ],
                &[],
            )
            .await;
            assert_eq!(res.status(), 303, "{target}");
            let got = location(&res);
            let got = got.strip_prefix(&app.base).unwrap_or(&got);
            assert_eq!(got, want, "{target}");
        }
        app.stop().await;
    }
);

pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

both_backends!(
    hosted_pages_escape_headers_and_theme,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.branding.application_name = "Acme <Portal>".into();
        c.branding.primary_color = "#0a7d33".to_owned().try_into().unwrap();
        c.branding.logo_url = Some("https://cdn.example.com/logo.svg".parse().unwrap());
    },
    |app: TestApp| async move {
        user(&app, "escape@example.com", "long enough passphrase").await;
        let b = browser();
        let res = b.get(app.url("/sign-in")).send().await.unwrap();
        let h = res.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
        // One script, allowed by its hash alone: the fragment mover
        // (`#/?redirect_url=` as clerk-js sends it).
        let scripts: Vec<&str> = csp
            .split(';')
            .map(str::trim)
            .filter(|d| d.starts_with("script-src"))
            .collect();
        assert_eq!(scripts.len(), 1, "{csp}");
        let sources: Vec<&str> = scripts[0].split_whitespace().skip(1).collect();
        assert_eq!(sources.len(), 1, "{csp}");
        assert!(
            sources[0].starts_with("'sha256-"),
            "no 'unsafe-inline', no hosts: {csp}"
        );
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-frame-options"], "DENY");
        let cookie = h["set-cookie"].to_str().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let html = res.text().await.unwrap();
        assert!(
            html.contains("<title>Sign in · Acme &lt;Portal&gt;</title>"),
            "{html}"
        );
        assert!(html.contains("src=\"https://cdn.example.com/logo.svg\""));
        assert!(html.contains("<label for=\"f-identifier\">"));
        let css = b
            .get(app.url("/assets/frontdesk.css"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(css.contains("--fd-primary: #0a7d33;"));

        // A name that is markup comes back as text.
        let token = csrf_of(&html);
        let res = post_form(
            &b,
            &app,
            "/sign-in",
            &[
                ("identifier", "escape@example.com"),
                ("password", "long enough passphrase"),
                ("csrf_token", &token),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let html = b
            .get(app.url("/user"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The one script is the page's own (allowed by its hash).
        assert_eq!(html.matches("<script>").count(), 1, "{html}");
        assert!(!html.contains("alert(1)</script>"), "{html}");
        app.stop().await;
    }
);

both_backends!(
    sec_b3_page_forms_share_the_per_ip_limits,
    fast,
    |app: TestApp| async move {
        let b = browser();
        let (_, token) = page(&b, &app, "/forgot-password").await;
        let mut statuses = Vec::new();
        for i in 0..6 {
            // A new address each time: one address has its own, tighter
            // limit on reset mails (f06).
            let res = post_form(
                &b,
                &app,
                "/forgot-password",
                &[
                    ("identifier", &format!("nobody{i}@example.com")),
                    ("csrf_token", &token),
                ],
                &[],
            )
            .await;
            statuses.push(res.status().as_u16());
            if res.status() == 429 {
                let wait: u64 = res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=10).contains(&wait));
                // The form stays, with what was typed and the wait.
                let html = res.text().await.unwrap();
                assert!(html.contains("Too many attempts"), "{html}");
                assert!(html.contains(&format!("Wait {wait} seconds")), "{html}");
                assert!(
                    html.contains("<form") && html.contains("nobody5@example.com"),
                    "{html}"
                );
            }
        }
        assert_eq!(
            statuses,
            [303, 303, 303, 303, 303, 429],
            "5 starts per 10 s"
        );
        app.stop().await;
    }
);

/// 200 entries of the bundled list, spread over it.
fn sampled_common_passwords() -> Vec<&'static str> {
    let list = include_str!("../../../frontdesk-domain/data/common-passwords.txt");
    let all: Vec<&str> = list.lines().filter(|l| !l.starts_with('#')).collect();
    all.iter()
        .step_by(all.len() / 200)
        .take(200)
        .copied()
        .collect()
}

both_backends!(
    sec_a5_common_and_context_passwords_are_refused_everywhere,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.frontend_create_rate_limit = 0;
        c.frontend_attempt_rate_limit = 0;
    },
    |app: TestApp| async move {
        let sample = sampled_common_passwords();
        assert_eq!(sample.len(), 200);
        // Sign-up through the Frontend API: every sampled entry is refused.
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
        let sign_up = |pw: String| {
            let app = &app;
            let db = db.clone();
            async move {
                let res = app
                    .http
                    .post(app.url(&format!("/v1/client/sign_ups?__clerk_db_jwt={db}")))
                    .form(&[
                        ("email_address", "ada@example.com"),
                        ("password", pw.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), json(res).await)
            }
        };
        for pw in &sample {
            let (status, body) = sign_up((*pw).to_owned()).await;
            assert_eq!(status, 422, "{pw}");
            assert_eq!(error_code(&body), "form_password_pwned", "{pw}");
            assert_eq!(body["errors"][0]["meta"]["param_name"], "password");
        }
        // Built from the product's name or the address: refused too.
        for pw in ["Frontdesk2024!", "ada@example.com1", "Ada@Example.com!"] {
            let (status, body) = sign_up(pw.to_owned()).await;
            assert_eq!(status, 422, "{pw}");
            assert_eq!(error_code(&body), "form_password_not_strong_enough", "{pw}");
        }
        let (status, _) = sign_up("correct horse battery staple".to_owned()).await;
        assert_eq!(status, 200, "no composition rules");

        // The Backend API refuses them too, unless told the password is an
        // import (`skip_password_checks`).
        let (status, body) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["bob@example.com"], "password": "password123"}),
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "form_password_pwned")
        );
        let (status, user) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["bob@example.com"], "password": "password123", "skip_password_checks": true}),
            )
            .await;
        assert_eq!(status, 200, "{user}");

        // Changing it on the profile page, and resetting it: refused.
        let b = browser();
        let (_, token) = page(&b, &app, "/sign-in").await;
        let res = post_form(
            &b,
            &app,
            "/sign-in",
            &[
                ("identifier", "bob@example.com"),
                ("password", "password123"),
                ("csrf_token", &token),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let res = post_form(
            &b,
            &app,
            "/user/password",
            &[
                ("current_password", "password123"),
                ("new_password", "iloveyou2"),
                ("csrf_token", &token),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("id=\"f-new_password-error\""),
            "the error is on the field"
        );
        assert!(html.contains("too common"));

        let (status, _) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["carol+clerk_test@example.com"], "password": "password123", "skip_password_checks": true}),
            )
            .await;
        assert_eq!(status, 200);
        let (_, token) = page(&b, &app, "/forgot-password").await;
        let res = post_form(
            &b,
            &app,
            "/forgot-password",
            &[
                ("identifier", "carol+clerk_test@example.com"),
                ("csrf_token", &token),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let next = location(&res);
        let attempt = next
            .split("attempt=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let reset = |pw: &'static str, code: &'static str| {
            let (b, app, token, attempt) = (&b, &app, token.clone(), attempt.clone());
            async move {
                post_form(
                    b,
                    app,
                    "/forgot-password/reset",
                    &[
                        ("attempt", &attempt),
                        ("code", code),
                        ("password", pw),
                        ("csrf_token", &token),
                    ],
                    &[],
                )
                .await
            }
        };
        let res = reset("sunshine1", "424242").await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"f-password-error\"") && html.contains("too common"));
        assert!(
            !html.contains("id=\"f-code\""),
            "the code was accepted; only the password is asked again"
        );
        let res = reset("a fresh and long passphrase", "").await;
        assert_eq!(res.status(), 303, "the accepted code carries over");
        assert_eq!(location(&res), "/user");
        app.stop().await;
    }
);
