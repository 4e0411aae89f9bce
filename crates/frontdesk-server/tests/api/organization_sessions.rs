//! The active organization of a session (issue 17): clerk-js's
//! `setActive({organization})` (`touch` with `active_organization_id`), the
//! token in that answer already carrying the `o` claim, `/tokens` minting for
//! the organization the page asks for, the personal workspace (no `o`), and
//! what is refused (an organization the user is not in), on the Frontend and
//! the Backend API; the memberships clerk-js reads (`user.organization_memberships`,
//! `/v1/me/organization_memberships`) and leaving one.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{assert_frontend_schema, fast, me, signed_in};
use crate::helpers::{TestApp, error_code, json};

fn claims(jwt: &str) -> Value {
    crate::helpers::jwt_claims(jwt)
}

async fn organization(app: &TestApp, name: &str, creator: Option<&str>) -> String {
    let (status, org) = app
        .post_json(
            "/v1/organizations",
            json!({"name": name, "created_by": creator}),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    org["id"].as_str().unwrap().to_owned()
}

both_backends!(
    switching_organizations_puts_them_in_the_session_token,
    fast,
    |app: TestApp| async move {
        let (status, user) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["ada@example.com"], "password": "correct horse battery staple"}),
            )
            .await;
        assert_eq!(status, 200, "{user}");
        let uid = user["id"].as_str().unwrap().to_owned();
        let acme = organization(&app, "Acme", Some(&uid)).await;
        let other = organization(&app, "Other", None).await;
        let (b, sid) = signed_in(&app, "ada@example.com", "correct horse battery staple").await;

        // setActive({organization}): the answer's token carries it already.
        let touch = format!("/v1/client/sessions/{sid}/touch");
        let (status, body) = b
            .post(
                &touch,
                &[
                    ("active_organization_id", acme.as_str()),
                    ("intent", "select_org"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.TouchWrappedSession", &body);
        let session = &body["response"];
        assert_eq!(session["last_active_organization_id"], acme.as_str());
        let c = claims(session["last_active_token"]["jwt"].as_str().unwrap());
        assert_eq!(c["v"], 2);
        assert_eq!(c["o"]["id"], acme.as_str());
        assert_eq!(c["o"]["slg"], "acme");
        assert_eq!(c["o"]["rol"], "admin");
        // The admin's permissions are all system ones: none in the token.
        assert!(c["o"].get("per").is_none() && c.get("fea").is_none(), "{c}");
        // clerk-js finds the active organization in the user's memberships.
        let embedded = &body["client"]["sessions"][0]["user"]["organization_memberships"];
        assert_eq!(
            embedded[0]["organization"]["id"],
            acme.as_str(),
            "{embedded}"
        );
        assert_eq!(embedded[0]["role"], "org:admin");
        assert!(embedded[0].get("private_metadata").is_none());
        let listed = b
            .get(&format!(
                "{}&paginated=true&limit=10&offset=0",
                me("/v1/me/organization_memberships", &sid)
            ))
            .await;
        assert_frontend_schema("Client.ClientWrappedOrganizationMemberships", &listed);
        assert_eq!(listed["response"]["total_count"], 1);
        assert_eq!(
            listed["response"]["data"][0]["organization"]["slug"],
            "acme"
        );
        assert!(
            listed["response"]["data"][0]["organization"]
                .get("private_metadata")
                .is_none()
        );

        // Token refreshes follow the session, or the organization asked for.
        let tokens = format!("/v1/client/sessions/{sid}/tokens");
        let (_, t) = b.post(&tokens, &[]).await;
        assert_eq!(claims(t["jwt"].as_str().unwrap())["o"]["id"], acme.as_str());
        let (_, t) = b.post(&tokens, &[("organization_id", "")]).await;
        assert!(
            claims(t["jwt"].as_str().unwrap()).get("o").is_none(),
            "personal"
        );
        let (status, body) = b
            .post(&tokens, &[("organization_id", other.as_str())])
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_not_found_or_unauthorized");
        let (status, body) = b.post(&tokens, &[("organization_id", "org_made_up")]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "organization_not_found_or_unauthorized")
        );

        // An organization the user is not in is refused and changes nothing.
        let (status, body) = b
            .post(&touch, &[("active_organization_id", other.as_str())])
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_not_found_or_unauthorized");
        let got = json(app.bapi_get(&format!("/v1/sessions/{sid}")).await).await;
        assert_eq!(got["last_active_organization_id"], acme.as_str());

        // The Backend API mints for the session's active organization.
        let (status, t) = app
            .post_json(&format!("/v1/sessions/{sid}/tokens"), json!({}))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(claims(t["jwt"].as_str().unwrap())["o"]["rol"], "admin");

        // A focus touch keeps it; the personal workspace drops it.
        let (_, body) = b.post(&touch, &[("intent", "focus")]).await;
        assert_eq!(
            body["response"]["last_active_organization_id"],
            acme.as_str()
        );
        let (status, body) = b
            .post(
                &touch,
                &[("active_organization_id", ""), ("intent", "select_org")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["response"]["last_active_organization_id"].is_null());
        let c = claims(
            body["response"]["last_active_token"]["jwt"]
                .as_str()
                .unwrap(),
        );
        assert!(c.get("o").is_none(), "{c}");

        // Leaving: never as the last admin; once another is, its tokens no
        // longer carry it.
        b.post(&touch, &[("active_organization_id", acme.as_str())])
            .await;
        let sole = format!(
            "{}&_method=DELETE",
            me(&format!("/v1/me/organization_memberships/{acme}"), &sid)
        );
        let (status, body) = b.post(&sole, &[]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "organization_minimum_permissions_needed")
        );
        let bob = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["bob@example.com"], "skip_password_requirement": true}),
            )
            .await
            .1["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .bapi(
                Method::POST,
                &format!("/v1/organizations/{acme}/memberships"),
                Some(json!({"user_id": bob, "role": "org:admin"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let leave = format!(
            "{}&_method=DELETE",
            me(&format!("/v1/me/organization_memberships/{acme}"), &sid)
        );
        let (status, body) = b.post(&leave, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        assert_eq!(body["response"]["object"], "organization_membership");
        assert_eq!(body["response"]["deleted"], true);
        let (status, t) = b.post(&tokens, &[]).await;
        assert_eq!(status, 200, "{t}");
        assert!(claims(t["jwt"].as_str().unwrap()).get("o").is_none());
        app.stop().await;
    }
);

both_backends!(
    a_backend_api_session_starts_in_an_organization,
    fast,
    |app: TestApp| async move {
        let (_, user) = app
            .post_json(
                "/v1/users",
                json!({"email_address": ["ada@example.com"], "password": "correct horse battery staple"}),
            )
            .await;
        let uid = user["id"].as_str().unwrap().to_owned();
        let acme = organization(&app, "Acme", Some(&uid)).await;
        let other = organization(&app, "Other", None).await;
        let (status, session) = app
            .post_json(
                "/v1/sessions",
                json!({"user_id": uid, "active_organization_id": acme}),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        crate::helpers::assert_response("post", "/sessions", 200, &session);
        assert_eq!(session["last_active_organization_id"], acme.as_str());
        let sid = session["id"].as_str().unwrap();
        let (status, token) = app
            .post_json(&format!("/v1/sessions/{sid}/tokens"), json!({}))
            .await;
        assert_eq!(status, 200, "{token}");
        assert_eq!(claims(token["jwt"].as_str().unwrap())["o"]["slg"], "acme");
        let (status, body) = app
            .post_json(
                "/v1/sessions",
                json!({"user_id": uid, "active_organization_id": other}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "organization_not_found_or_unauthorized");
        let (status, _) = app
            .post_json(
                "/v1/sessions",
                json!({"user_id": uid, "active_organization_id": "org_nothing"}),
            )
            .await;
        assert_eq!(status, 404);
    }
);
