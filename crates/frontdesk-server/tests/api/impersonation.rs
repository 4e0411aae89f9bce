//! Impersonation (issue 18): Clerk's actor tokens over the Backend API —
//! made for a user with an actor, its URL signing the browser that opens
//! it in as the user once, the session carrying the actor and its tokens
//! the `act` claim, the session no longer than the token allows; revoked
//! tokens and spent ones sign nobody in; bad input in Clerk's envelope.
//! And the dashboard's "impersonate", recorded in the audit log.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, assert_schema, json, jwt_claims, user_with_password};
use crate::pages_security::{browser, location, page, post_form};

const PASSWORD: &str = "correct horse battery staple";

async fn sessions_of(app: &TestApp, user: &str) -> Vec<frontdesk_domain::entities::Session> {
    app.state
        .store
        .list_sessions_for_user(&user.parse().unwrap())
        .await
        .unwrap()
}

/// Open an actor token's URL in a fresh browser: where it was sent.
async fn open(url: &str) -> (reqwest::Client, String) {
    let b = browser();
    let res = b.get(url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to = location(&res);
    (b, to)
}

both_backends!(
    an_actor_tokens_url_signs_a_browser_in_as_the_user_once,
    crate::dashboard::fast,
    |app: TestApp| async move {
        let uid = user_with_password(&app, "grace@example.com", PASSWORD).await;
        let (status, body) = app
            .post_json(
                "/v1/actor_tokens",
                json!({"user_id": uid, "actor": {"sub": "user_support", "reason": "ticket 7"}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_schema("ActorToken", &body);
        assert_eq!(body["status"], "pending");
        assert_eq!(body["actor"]["sub"], "user_support");
        let url = body["url"].as_str().unwrap().to_owned();
        assert!(
            url.starts_with(&format!("{}/v1/tickets/accept?ticket=", app.base)),
            "{url}"
        );
        assert!(url.ends_with(body["token"].as_str().unwrap()));

        let (b, to) = open(&url).await;
        assert_eq!(to, "/user");
        let sessions = sessions_of(&app, &uid).await;
        assert_eq!(sessions.len(), 1);
        let s = &sessions[0];
        assert_eq!(
            s.actor,
            Some(json!({"sub": "user_support", "reason": "ticket 7"}))
        );
        let minutes = (s.expire_at.0 - s.created_at.0) / 60_000;
        assert_eq!(minutes, 30, "no longer than the token allows");
        let (html, _) = page(&b, &app, "/user").await;
        assert!(
            html.contains("An administrator (user_support) is signed in as this user"),
            "{html}"
        );

        // The app sees the actor: the session and the `act` claim.
        let shown = json(app.bapi_get(&format!("/v1/sessions/{}", s.id)).await).await;
        assert_eq!(shown["actor"]["sub"], "user_support");
        let (status, minted) = app
            .post_json(&format!("/v1/sessions/{}/tokens", s.id), json!({}))
            .await;
        assert_eq!(status, 200, "{minted}");
        let claims = jwt_claims(minted["jwt"].as_str().unwrap());
        assert_eq!(claims["act"]["sub"], "user_support");
        assert_eq!(claims["sub"], uid.as_str());

        // Once only.
        let (_, to) = open(&url).await;
        assert!(!to.starts_with("/user"), "spent: {to}");
        assert_eq!(sessions_of(&app, &uid).await.len(), 1);

        // A revoked token signs nobody in; a used one is not revoked.
        let (_, second) = app
            .post_json(
                "/v1/actor_tokens",
                json!({"user_id": uid, "actor": {"sub": "user_support"}, "expires_in_seconds": 60}),
            )
            .await;
        let id = second["id"].as_str().unwrap();
        let (status, revoked) = app
            .post_json(&format!("/v1/actor_tokens/{id}/revoke"), json!({}))
            .await;
        assert_eq!(status, 200, "{revoked}");
        assert_schema("ActorToken", &revoked);
        assert_eq!(revoked["status"], "revoked");
        assert!(revoked.get("token").is_none(), "the text is shown once");
        let (_, to) = open(second["url"].as_str().unwrap()).await;
        assert!(!to.starts_with("/user"), "revoked: {to}");
        let (_, again) = app
            .post_json(
                &format!("/v1/actor_tokens/{}/revoke", body["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(again["status"], "accepted");
    }
);

both_backends!(
    actor_tokens_refuse_bad_input_in_clerks_envelope,
    crate::dashboard::fast,
    |app: TestApp| async move {
        let uid = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let cases: [(Value, u16, &str); 4] = [
            (json!({"user_id": uid, "actor": {}}), 422, "actor"),
            (json!({"user_id": uid, "actor": "user_x"}), 422, "actor"),
            (
                json!({"user_id": uid, "actor": {"sub": "a"}, "expires_in_seconds": 0}),
                422,
                "expires_in_seconds",
            ),
            (
                json!({"user_id": "user_nobody", "actor": {"sub": "a"}}),
                404,
                "",
            ),
        ];
        for (body, want, param) in cases {
            let (status, answer) = app.post_json("/v1/actor_tokens", body.clone()).await;
            assert_eq!(status, want, "{body} → {answer}");
            assert!(answer["errors"][0]["code"].is_string(), "{answer}");
            if !param.is_empty() {
                assert_eq!(answer["errors"][0]["meta"]["param_name"], param, "{answer}");
            }
        }
        let (status, answer) = app
            .post_json("/v1/actor_tokens/act_nothing/revoke", json!({}))
            .await;
        assert_eq!(status, 404, "{answer}");
    }
);

both_backends!(
    the_dashboard_impersonates_with_the_administrator_as_actor,
    crate::dashboard::fast,
    |app: TestApp| async move {
        let (admin, me) = crate::dashboard::operator(&app, "admin@example.com").await;
        let uid = user_with_password(&app, "grace@example.com", PASSWORD).await;
        let detail = format!("/dashboard/users/{uid}");
        let (_, csrf) = page(&admin, &app, &detail).await;
        let res = post_form(
            &admin,
            &app,
            &format!("{detail}/impersonate"),
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let marker = "id=\"impersonation-link\" href=\"";
        let start = html.find(marker).expect("the link") + marker.len();
        let link = html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&");

        let (_, to) = open(&link).await;
        assert_eq!(to, "/user");
        let s = sessions_of(&app, &uid).await.remove(0);
        assert_eq!(s.actor, Some(json!({"sub": me})));
        assert_eq!(
            get_status(&admin, &app, "/dashboard").await,
            200,
            "the administrator's own browser is untouched"
        );
        let entries = app
            .state
            .store
            .list_audit(&frontdesk_store::admin::AuditQuery {
                target_id: Some(uid.clone()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries[0].action.as_str(), "user.impersonated");
        assert_eq!(entries[0].actor.id, me);
        // The entry names the token it was written with.
        let token_id = entries[0].detail["actor_token_id"].as_str().unwrap();
        let token = app
            .state
            .store
            .actor_token(&token_id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.user_id.as_str(), uid);
        assert_eq!(
            entries[0].detail["session_max_secs"],
            token.session_max_secs
        );

        // Not oneself.
        let res = post_form(
            &admin,
            &app,
            &format!("/dashboard/users/{me}/impersonate"),
            &[("csrf_token", &csrf)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
    }
);

async fn get_status(b: &reqwest::Client, app: &TestApp, path: &str) -> u16 {
    b.get(app.url(path)).send().await.unwrap().status().as_u16()
}

both_backends!(
    clerk_js_spends_an_actor_token_as_a_sign_in_ticket,
    crate::dashboard::fast,
    |app: TestApp| async move {
        let uid = user_with_password(&app, "linus@example.com", PASSWORD).await;
        let (status, body) = app
            .post_json(
                "/v1/actor_tokens",
                json!({"user_id": uid, "actor": {"sub": "user_support"}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let ticket = body["token"].as_str().unwrap().to_owned();

        // `<SignIn/>` with `__clerk_ticket`: signIn.create({strategy: 'ticket'}).
        let b = crate::fapi::Browser::new(&app).await;
        let (status, body) = b
            .post(
                "/v1/client/sign_ins",
                &[("strategy", "ticket"), ("ticket", &ticket)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        crate::fapi::assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        assert_eq!(body["response"]["status"], "complete");
        assert_eq!(body["response"]["identifier"], "linus@example.com");
        let sid = body["response"]["created_session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let session = body["client"]["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == sid.as_str())
            .unwrap()
            .clone();
        assert_eq!(session["actor"]["sub"], "user_support", "{session}");
        let (status, minted) = b
            .post(&format!("/v1/client/sessions/{sid}/tokens"), &[])
            .await;
        assert_eq!(status, 200, "{minted}");
        let claims = jwt_claims(minted["jwt"].as_str().unwrap());
        assert_eq!(claims["act"]["sub"], "user_support");
        assert_eq!(claims["sub"], uid.as_str());

        // Spent: a second browser cannot use it.
        let (status, body) = crate::fapi::Browser::new(&app)
            .await
            .post(
                "/v1/client/sign_ins",
                &[("strategy", "ticket"), ("ticket", &ticket)],
            )
            .await;
        assert_ne!(status, 200, "{body}");
        assert_eq!(sessions_of(&app, &uid).await.len(), 1);
    }
);
