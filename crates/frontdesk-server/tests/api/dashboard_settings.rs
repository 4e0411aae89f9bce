//! The dashboard's settings form beyond toggles (issue 18): a provider
//! turned on with its client secret (sealed apart, never shown again, kept
//! when the field is left empty), who may sign up and what they give, a
//! custom OpenID Connect provider added by its short name, and a refused
//! form shown again as it was typed, with nothing stored; durations stored
//! between the form's units kept when saved as shown.

use serde_json::json;

use crate::both_backends;
use crate::dashboard::{fast, operator, page_html};
use crate::helpers::{TestApp, json};
use crate::pages_security::{location, page};

/// The form as the page fills it, with `changes` over it.
fn form(csrf: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("csrf_token", csrf),
        ("application_name", "Acme"),
        ("primary_color", "#0a7d33"),
        ("email_code", "on"),
        ("mfa_totp", "on"),
        ("mfa_backup_codes", "on"),
        ("min_length", "8"),
        ("lifetime_hours", "168"),
        ("inactivity_minutes", "0"),
        ("allowed_origins", ""),
        ("sign_up_mode", "public"),
        ("first_name", "optional"),
        ("last_name", "optional"),
        ("username", "off"),
        ("oauth_google.client_id", ""),
        ("oauth_google.client_secret", ""),
        ("oauth_github.client_id", ""),
        ("oauth_github.client_secret", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in changes {
        f.retain(|(name, _)| name != k);
        f.push(((*k).to_owned(), (*v).to_owned()));
    }
    f
}

async fn save(
    b: &reqwest::Client,
    app: &TestApp,
    fields: &[(String, String)],
) -> reqwest::Response {
    b.post(app.url("/dashboard/settings"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

both_backends!(
    providers_and_sign_up_are_set_from_the_dashboard,
    fast,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        let (html, csrf) = page(&b, &app, "/dashboard/settings").await;
        for shown in [
            "Google",
            "GitHub",
            "Microsoft",
            "Apple",
            "/v1/oauth_callback",
            "Who may sign up",
        ] {
            assert!(html.contains(shown), "{shown}");
        }

        // GitHub on, with its secret; sign-up closed to the public, first
        // name required, usernames optional.
        let res = save(
            &b,
            &app,
            &form(
                &csrf,
                &[
                    ("oauth_github.enabled", "on"),
                    ("oauth_github.client_id", "Iv1.dashboard"),
                    ("oauth_github.client_secret", "gh-secret-from-the-dashboard"),
                    ("sign_up_mode", "restricted"),
                    ("first_name", "required"),
                    ("username", "optional"),
                ],
            ),
        )
        .await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        let settings = app
            .bapi_get("/v1/instance/settings")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !settings.contains("gh-secret"),
            "the secret is not in the settings"
        );
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
        assert_eq!(settings["social"]["oauth_github"]["enabled"], true);
        assert_eq!(
            settings["social"]["oauth_github"]["client_id"],
            "Iv1.dashboard"
        );
        assert!(
            settings["social"].get("oauth_google").is_none(),
            "left blank: not written"
        );
        assert_eq!(settings["sign_up"]["mode"], "restricted");
        assert_eq!(
            settings["sign_up"]["first_name"],
            json!({"enabled": true, "required": true})
        );
        assert_eq!(
            settings["sign_up"]["username"],
            json!({"enabled": true, "required": false})
        );
        let secret = || async { app.state.store.client_secret("oauth_github").await.unwrap() };
        assert_eq!(
            secret().await.as_deref(),
            Some("gh-secret-from-the-dashboard")
        );
        let env = json(app.get("/v1/environment").await).await;
        assert_eq!(
            env["user_settings"]["social"]["oauth_github"]["enabled"],
            true
        );

        // The page never shows the secret; an empty field keeps it.
        let (html, csrf) = page(&b, &app, "/dashboard/settings").await;
        assert!(!html.contains("gh-secret"));
        assert!(html.contains("A secret is stored"));
        let res = save(
            &b,
            &app,
            &form(
                &csrf,
                &[
                    ("oauth_github.enabled", "on"),
                    ("oauth_github.client_id", "Iv1.dashboard"),
                    ("oauth_github.stored", "on"),
                ],
            ),
        )
        .await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        assert_eq!(
            secret().await.as_deref(),
            Some("gh-secret-from-the-dashboard")
        );

        // Refused: the page comes back as typed, nothing is stored.
        let res = save(
            &b,
            &app,
            &form(
                &csrf,
                &[
                    ("application_name", "Typed But Refused"),
                    ("new_custom.slug", "corp"),
                    ("new_custom.client_id", "frontdesk"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status(), 422, "a custom provider needs its issuer");
        let html = res.text().await.unwrap();
        assert!(html.contains("issuer"), "{html}");
        assert!(
            html.contains("value=\"Typed But Refused\""),
            "what was typed is kept"
        );
        assert!(html.contains("value=\"corp\""));
        let env = json(app.get("/v1/environment").await).await;
        assert_eq!(env["display_config"]["application_name"], "Acme");

        // With its issuer, the custom provider is added, and listed after.
        let res = save(
            &b,
            &app,
            &form(
                &csrf,
                &[
                    ("new_custom.slug", "corp"),
                    ("new_custom.name", "Corp SSO"),
                    ("new_custom.issuer", "https://id.corp.example"),
                    ("new_custom.client_id", "frontdesk"),
                    ("new_custom.client_secret", "corp-secret"),
                ],
            ),
        )
        .await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        let (html, _) = page_html(&b, &app, "/dashboard/settings").await;
        assert!(html.contains("Corp SSO") && html.contains("oauth_custom_corp.issuer"));
        assert_eq!(
            app.state
                .store
                .client_secret("oauth_custom_corp")
                .await
                .unwrap()
                .as_deref(),
            Some("corp-secret")
        );
        // Added meanwhile: the "add" fields cannot write over it.
        let res = save(
            &b,
            &app,
            &form(
                &csrf,
                &[
                    ("new_custom.slug", "corp"),
                    ("new_custom.issuer", "https://evil.example"),
                    ("new_custom.client_id", "other"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("set up already"));
        // GitHub's fields came blank and without `stored` (as from a page
        // of before it was set up): it is left as it was.
        let settings = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(settings["social"]["oauth_custom_corp"]["enabled"], true);
        assert_eq!(settings["social"]["oauth_github"]["enabled"], true);
        assert_eq!(
            settings["social"]["oauth_github"]["client_id"],
            "Iv1.dashboard"
        );
        assert_eq!(
            secret().await.as_deref(),
            Some("gh-secret-from-the-dashboard")
        );

        let audit = app
            .state
            .store
            .list_audit(&frontdesk_store::admin::AuditQuery {
                action: Some("settings.changed".to_owned()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let text =
            serde_json::to_string(&audit.iter().map(|e| &e.detail).collect::<Vec<_>>()).unwrap();
        assert!(text.contains("\"social.oauth_github\""), "{text}");
        assert!(
            text.contains("social.oauth_github.client_secret"),
            "a secret sent is recorded by its path: {text}"
        );
        assert!(!text.contains("secret-from"), "paths, never values");
    }
);

both_backends!(
    the_mail_sent_is_in_the_instances_own_wording,
    fast,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        crate::helpers::user_with_password(&app, "reader@example.com", "a long passphrase 1").await;
        let (html, csrf) = page(&b, &app, "/dashboard/settings").await;
        assert!(html.contains("Email templates") && html.contains("{{code}}"));
        let template = |subject: &'static str, body: &'static str| {
            form(
                &csrf,
                &[
                    ("emails.verification_code.subject", subject),
                    ("emails.verification_code.body", body),
                    ("emails.invitation.subject", ""),
                    ("emails.invitation.body", ""),
                ],
            )
        };

        // Without the code, people could not sign in: refused, kept as typed.
        let res = save(
            &b,
            &app,
            &template("Sign in to Acme", "Welcome back! {{oops}}"),
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("{{oops}}"), "{html}");
        assert!(html.contains("Welcome back!"), "the body as typed");

        let res = save(
            &b,
            &app,
            &template(
                "{{code}}: your Acme code",
                "Hello from {{app}} <b>!</b>\n\nYour code is {{code}}; it lasts {{minutes}} minutes.",
            ),
        )
        .await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");

        // A code mailed now is in that wording, its HTML escaped.
        let c = crate::fapi::Browser::new(&app).await;
        let (_, body) = c
            .post(
                "/v1/client/sign_ins",
                &[("identifier", "reader@example.com")],
            )
            .await;
        let id = body["response"]["id"].as_str().unwrap().to_owned();
        let (status, body) = c
            .post(
                &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
                &[("strategy", "email_code")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let mails = json(app.bapi_get("/v1/dev/emails").await).await;
        let mail = mails["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["to_email_address"] == "reader@example.com")
            .unwrap()
            .clone();
        let code = crate::helpers::mailed_code(&app, "reader@example.com").await;
        assert_eq!(mail["subject"], format!("{code}: your Acme code"));
        let plain = mail["body_plain"].as_str().unwrap();
        assert!(
            plain.starts_with("Hello from Acme <b>!</b>\n\nYour code is ")
                && plain.contains("lasts 10 minutes"),
            "{plain}"
        );
        let html = mail["body"].as_str().unwrap();
        assert!(
            html.contains("Hello from Acme &lt;b&gt;!&lt;/b&gt;"),
            "{html}"
        );

        // Emptied: the built-in wording again.
        let res = save(&b, &app, &template("", "")).await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        let settings = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(
            settings["emails"]["verification_code"],
            serde_json::Value::Null
        );
    }
);

both_backends!(
    durations_between_the_forms_units_are_kept_when_left_as_shown,
    fast,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        // 90 minutes and 90 seconds, set through the Backend API.
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"sessions": {"lifetime_secs": 5400, "inactivity_timeout_secs": 90}})),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let (html, csrf) = page(&b, &app, "/dashboard/settings").await;
        assert!(html.contains("Now 5400 seconds, kept unless you change"));
        assert!(html.contains("Now 90 seconds, kept unless you change"));

        // Saved with another change, the numbers as shown: both kept.
        let shown = [
            ("lifetime_hours", "1"),
            ("lifetime_secs_stored", "5400"),
            ("inactivity_minutes", "1"),
            ("inactivity_secs_stored", "90"),
        ];
        let mut changes = shown.to_vec();
        changes.push(("application_name", "Renamed"));
        let res = save(&b, &app, &form(&csrf, &changes)).await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        let settings = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(settings["branding"]["application_name"], "Renamed");
        assert_eq!(settings["sessions"]["lifetime_secs"], 5400);
        assert_eq!(settings["sessions"]["inactivity_timeout_secs"], 90);

        // A number changed: whole units from then on.
        let mut changes = shown.to_vec();
        changes.push(("lifetime_hours", "2"));
        let res = save(&b, &app, &form(&csrf, &changes)).await;
        assert_eq!(location(&res), "/dashboard/settings?done=saved");
        let settings = json(app.bapi_get("/v1/instance/settings").await).await;
        assert_eq!(settings["sessions"]["lifetime_secs"], 7200);
        assert_eq!(settings["sessions"]["inactivity_timeout_secs"], 90);
    }
);
