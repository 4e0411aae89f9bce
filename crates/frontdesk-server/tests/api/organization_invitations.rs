//! Invitations to organizations (issue 17): sent from `<OrganizationProfile/>`
//! (the Frontend API's bulk form) and the Backend API, each mailed with a
//! link; listed, revoked; accepted three ways: in-app by a signed-in user
//! whose verified address was invited, through the link by someone with an
//! account (`strategy=ticket` sign-in), and through the link by someone
//! without (`strategy=ticket` sign-up, then the password). The link's
//! redirect, the tickets that no longer work, the organization's pending
//! count, and the webhooks, all checked against Clerk's specs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, me, signed_in};
use crate::helpers::{TestApp, assert_response, error_code, json, user_with_password};
use crate::organizations_frontend::enable_organizations;
use crate::pages_security::{browser, location, page, post_form};
use crate::receiver::Receiver;
use crate::webhooks::{check, endpoint, fast};

const PASSWORD: &str = "correct horse battery staple";

/// The ticket in the newest invitation mailed to `to`.
async fn mailed_ticket(app: &TestApp, to: &str) -> String {
    let body = json(app.bapi_get("/v1/dev/emails").await).await;
    let mail = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["to_email_address"] == to && m["subject"].as_str().unwrap().starts_with("Invitation")
        })
        .unwrap_or_else(|| panic!("an invitation was mailed to {to}: {body}"));
    let text = mail["body_plain"].as_str().unwrap();
    let start = text.find("/v1/tickets/accept?ticket=").expect("the link") + 26;
    text[start..]
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap()
        .to_owned()
}

/// Where `/v1/tickets/accept` sends the browser.
async fn follow(app: &TestApp, ticket: &str) -> url::Url {
    let res = browser()
        .get(app.url(&format!("/v1/tickets/accept?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["cache-control"], "no-store");
    url::Url::parse(&location(&res)).unwrap()
}

fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn organization(app: &TestApp, name: &str, creator: &str) -> Value {
    let (status, org) = app
        .post_json(
            "/v1/organizations",
            json!({"name": name, "created_by": creator}),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    org
}

async fn pending_count(app: &TestApp, org: &str) -> i64 {
    json(app.bapi_get(&format!("/v1/organizations/{org}")).await).await["pending_invitations_count"]
        .as_i64()
        .unwrap()
}

fn memberships_of(client_answer: &Value) -> Vec<String> {
    client_answer["client"]["sessions"][0]["user"]["organization_memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organization"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    invitations_are_sent_listed_revoked_and_accepted_three_ways,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(&app, &rx.url, &[]).await;
        enable_organizations(&app).await;
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        user_with_password(&app, "bob@example.com", PASSWORD).await;
        user_with_password(&app, "carol@example.com", PASSWORD).await;
        let org = organization(&app, "Acme", &ada).await;
        let org_id = org["id"].as_str().unwrap().to_owned();
        let (a, ada_sid) = signed_in(&app, "ada@example.com", PASSWORD).await;
        let invitations = me(&format!("/v1/organizations/{org_id}/invitations"), &ada_sid);

        // <OrganizationProfile/>'s form: many addresses, one role; a bare array.
        let bulk = me(
            &format!("/v1/organizations/{org_id}/invitations/bulk"),
            &ada_sid,
        );
        let (status, body) = a
            .post(
                &bulk,
                &[
                    ("email_address", "bob@example.com"),
                    ("email_address", "carol@example.com"),
                    ("email_address", "New.Person@Example.com"),
                    ("role", "org:member"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationInvitations", &body);
        let sent = body["response"].as_array().unwrap();
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[2]["email_address"], "new.person@example.com");
        assert_eq!(sent[0]["status"], "pending");
        assert_eq!(sent[0]["role_name"], "Member");
        assert_eq!(
            sent[0]["url"],
            Value::Null,
            "the link is mailed, never shown"
        );
        assert_eq!(pending_count(&app, &org_id).await, 3);
        let created = check(
            &rx.event("organizationInvitation.created").await,
            &secret,
            "organizationInvitation.created",
        );
        assert_eq!(created["data"]["organization_id"], org_id.as_str());
        assert_eq!(created["data"]["inviter_id"], ada.as_str());

        // Invited twice, or a member already: refused, nothing sent.
        let (status, body) = a
            .post(
                &bulk,
                &[("email_address", "bob@example.com"), ("role", "org:member")],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "duplicate_record")
        );
        let (status, body) = a
            .post(
                &invitations,
                &[("email_address", "ada@example.com"), ("role", "org:member")],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "already_a_member_in_organization")
        );
        let (status, body) = a
            .post(
                &invitations,
                &[("email_address", "not an address"), ("role", "org:member")],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(pending_count(&app, &org_id).await, 3);
        let listed = a
            .get(&format!("{invitations}&status=pending&limit=10&offset=0"))
            .await;
        assert_frontend_schema("Client.ClientWrappedOrganizationInvitations", &listed);
        assert_eq!(listed["response"]["total_count"], 3);

        // 1. In-app: Bob sees his invitation in the switcher and accepts it.
        let (b, bob_sid) = signed_in(&app, "bob@example.com", PASSWORD).await;
        let mine = b
            .get(&format!(
                "{}&status=pending&limit=10",
                me("/v1/me/organization_invitations", &bob_sid)
            ))
            .await;
        assert_frontend_schema(
            "Client.ClientWrappedOrganizationInvitationsUserContext",
            &mine,
        );
        assert_eq!(mine["response"]["total_count"], 1);
        let inv = mine["response"]["data"][0].clone();
        assert_eq!(inv["public_organization_data"]["name"], "Acme");
        let accept = me(
            &format!(
                "/v1/me/organization_invitations/{}/accept",
                inv["id"].as_str().unwrap()
            ),
            &bob_sid,
        );
        let (status, body) = b.post(&accept, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema(
            "Client.ClientWrappedOrganizationInvitationUserContext",
            &body,
        );
        assert_eq!(body["response"]["status"], "accepted");
        assert_eq!(memberships_of(&body), vec!["acme"]);
        let (status, body) = b.post(&accept, &[]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "organization_invitation_not_pending")
        );
        // Someone else cannot take Carol's invitation.
        let carols = a.get(&format!("{invitations}&status=pending")).await["response"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email_address"] == "carol@example.com")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let steal = me(
            &format!("/v1/me/organization_invitations/{carols}/accept"),
            &bob_sid,
        );
        let (status, _) = b.post(&steal, &[]).await;
        assert_eq!(status, 404);
        let accepted = check(
            &rx.event("organizationInvitation.accepted").await,
            &secret,
            "organizationInvitation.accepted",
        );
        assert_eq!(accepted["data"]["email_address"], "bob@example.com");

        // 2. The link, for an address with an account: a ticket sign-in.
        let ticket = mailed_ticket(&app, "carol@example.com").await;
        let to = follow(&app, &ticket).await;
        assert_eq!(to.path(), "/sign-in");
        assert_eq!(param(&to, "__clerk_ticket"), ticket);
        assert_eq!(param(&to, "__clerk_status"), "sign_in");
        let c = Browser::new(&app).await;
        let (status, body) = c
            .post(
                "/v1/client/sign_ins",
                &[("strategy", "ticket"), ("ticket", &ticket)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignIn", &body);
        assert_eq!(body["response"]["status"], "complete");
        assert_eq!(
            body["response"]["first_factor_verification"]["strategy"],
            "ticket"
        );
        assert_eq!(memberships_of(&body), vec!["acme"]);
        let (status, body) = Browser::new(&app)
            .await
            .post(
                "/v1/client/sign_ins",
                &[("strategy", "ticket"), ("ticket", &ticket)],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "ticket_invalid")
        );

        // 3. The link, for a new address: a ticket sign-up, then the password.
        let ticket = mailed_ticket(&app, "new.person@example.com").await;
        let to = follow(&app, &ticket).await;
        assert_eq!(
            (to.path(), param(&to, "__clerk_status").as_str()),
            ("/sign-up", "sign_up")
        );
        let n = Browser::new(&app).await;
        let (status, body) = n
            .post(
                "/v1/client/sign_ups",
                &[("strategy", "ticket"), ("ticket", &ticket)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedSignUp", &body);
        let sign_up = &body["response"];
        assert_eq!(sign_up["status"], "missing_requirements");
        assert_eq!(sign_up["email_address"], "new.person@example.com");
        assert_eq!(
            sign_up["verifications"]["email_address"]["status"],
            "verified"
        );
        assert_eq!(
            sign_up["verifications"]["email_address"]["strategy"],
            "ticket"
        );
        assert_eq!(sign_up["missing_fields"], json!(["password"]));
        assert_eq!(sign_up["unverified_fields"], json!([]));
        let id = sign_up["id"].as_str().unwrap();
        // clerk-js's `signUp.upsert`: the form's fields and the ticket again.
        let (status, body) = n
            .post(
                &format!("/v1/client/sign_ups/{id}?_method=PATCH"),
                &[
                    ("strategy", "ticket"),
                    ("ticket", &ticket),
                    ("email_address", "new.person@example.com"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "complete", "{body}");
        assert_eq!(memberships_of(&body), vec!["acme"]);
        let uid = body["response"]["created_user_id"].as_str().unwrap();
        let user = json(app.bapi_get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(
            user["email_addresses"][0]["verification"]["status"],
            "verified"
        );
        assert_eq!(
            user["email_addresses"][0]["verification"]["strategy"],
            "ticket"
        );
        assert_eq!(pending_count(&app, &org_id).await, 0);
        let org_now = json(app.bapi_get(&format!("/v1/organizations/{org_id}")).await).await;
        assert_eq!(org_now["members_count"], 4);

        // Revoked: the link stops working, and says so on the way.
        let (status, body) = a
            .post(
                &invitations,
                &[("email_address", "dave@example.com"), ("role", "org:admin")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationInvitation", &body);
        let dave = body["response"]["id"].as_str().unwrap().to_owned();
        let ticket = mailed_ticket(&app, "dave@example.com").await;
        let revoke = me(
            &format!("/v1/organizations/{org_id}/invitations/{dave}/revoke"),
            &ada_sid,
        );
        let (status, body) = a.post(&revoke, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "revoked");
        check(
            &rx.event("organizationInvitation.revoked").await,
            &secret,
            "organizationInvitation.revoked",
        );
        let to = follow(&app, &ticket).await;
        assert_eq!(param(&to, "__clerk_status"), "sign_in");
        let (status, body) = Browser::new(&app)
            .await
            .post(
                "/v1/client/sign_ups",
                &[("strategy", "ticket"), ("ticket", &ticket)],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "ticket_invalid")
        );
        let closed = a
            .get(&format!("{invitations}&status=revoked&status=accepted"))
            .await;
        assert_eq!(closed["response"]["total_count"], 4);
        assert_eq!(pending_count(&app, &org_id).await, 0);

        // A member without the permission cannot invite.
        let (status, body) = b
            .post(
                &me(&format!("/v1/organizations/{org_id}/invitations"), &bob_sid),
                &[("email_address", "eve@example.com"), ("role", "org:member")],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "not_allowed_access")
        );
    }
);

both_backends!(
    the_backend_api_sends_lists_and_revokes_invitations,
    fast,
    |app: TestApp| async move {
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let bob = user_with_password(&app, "bob@example.com", PASSWORD).await;
        let org = organization(&app, "Acme", &ada).await;
        let id = org["id"].as_str().unwrap().to_owned();
        let base = format!("/v1/organizations/{id}/invitations");

        // One, with the app's own page for the link: the link is in the answer.
        let (status, inv) = app
            .post_json(
                &base,
                json!({"email_address": "bob@example.com", "role": "org:member",
                       "inviter_user_id": ada, "redirect_url": "http://localhost:3000/accept",
                       "public_metadata": {"team": "red"}, "private_metadata": {"crm": 7},
                       "expires_in_days": 7, "notify": false}),
            )
            .await;
        assert_eq!(status, 200, "{inv}");
        assert_response(
            "post",
            "/organizations/{organization_id}/invitations",
            200,
            &inv,
        );
        assert_eq!(inv["private_metadata"], json!({"crm": 7}));
        assert_eq!(inv["public_inviter_data"]["identifier"], "ada@example.com");
        let url = inv["url"].as_str().unwrap();
        assert!(url.contains("/v1/tickets/accept?ticket="), "{url}");
        let days = (inv["expires_at"].as_i64().unwrap() - inv["created_at"].as_i64().unwrap())
            / 86_400_000;
        assert_eq!(days, 7);
        let mails = json(app.bapi_get("/v1/dev/emails").await).await;
        assert_eq!(mails["data"].as_array().unwrap().len(), 0, "notify: false");
        let ticket = url.rsplit('=').next().unwrap();
        let to = follow(&app, ticket).await;
        assert!(
            to.as_str().starts_with("http://localhost:3000/accept?"),
            "{to}"
        );
        assert_eq!(param(&to, "__clerk_status"), "sign_in");

        // Many at once (a JSON array), all or none.
        let res = app
            .bapi(
                Method::POST,
                &format!("{base}/bulk"),
                Some(json!([
                    {"email_address": "c@example.com", "role": "org:member"},
                    {"email_address": "d@example.com", "role": "org:admin"}
                ])),
            )
            .await;
        assert_eq!(res.status(), 200);
        let bulk = json(res).await;
        assert_response(
            "post",
            "/organizations/{organization_id}/invitations/bulk",
            200,
            &bulk,
        );
        assert_eq!(bulk["total_count"], 2);
        let res = app
            .bapi(
                Method::POST,
                &format!("{base}/bulk"),
                Some(json!([
                    {"email_address": "e@example.com", "role": "org:member"},
                    {"email_address": "c@example.com", "role": "org:member"}
                ])),
            )
            .await;
        assert_eq!(res.status(), 422);
        let (status, body) = app
            .post_json(
                &base,
                json!({"email_address": "f@example.com", "role": "org:owner"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = app
            .post_json(
                &base,
                json!({"email_address": "f@example.com", "role": "org:member", "redirect_url": "https://evil.example/"}),
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "form_param_value_invalid")
        );
        let (status, body) = app
            .post_json(&base, json!({"email_address": "f@example.com", "role": "org:member", "inviter_user_id": bob}))
            .await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(pending_count(&app, &id).await, 3);

        // Lists: the organization's (with status), one, the instance's, a user's.
        let list = json(
            app.bapi_get(&format!("{base}?status=pending&limit=2"))
                .await,
        )
        .await;
        assert_response(
            "get",
            "/organizations/{organization_id}/invitations",
            200,
            &list,
        );
        assert_eq!(
            (
                list["total_count"].as_i64(),
                list["data"].as_array().unwrap().len()
            ),
            (Some(3), 2)
        );
        let one_id = inv["id"].as_str().unwrap();
        let one = json(app.bapi_get(&format!("{base}/{one_id}")).await).await;
        assert_response(
            "get",
            "/organizations/{organization_id}/invitations/{invitation_id}",
            200,
            &one,
        );
        assert_eq!(one["url"], Value::Null, "the ticket is stored hashed");
        let all = json(
            app.bapi_get("/v1/organization_invitations?status=pending")
                .await,
        )
        .await;
        assert_response("get", "/organization_invitations", 200, &all);
        assert_eq!(all["total_count"], 3);
        let bobs = json(
            app.bapi_get(&format!("/v1/users/{bob}/organization_invitations"))
                .await,
        )
        .await;
        assert_response(
            "get",
            "/users/{user_id}/organization_invitations",
            200,
            &bobs,
        );
        assert_eq!(bobs["total_count"], 1);
        assert_eq!(bobs["data"][0]["public_organization_data"]["slug"], "acme");

        // Revoke once.
        let res = app
            .bapi(
                Method::POST,
                &format!("{base}/{one_id}/revoke"),
                Some(json!({})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let revoked = json(res).await;
        assert_response(
            "post",
            "/organizations/{organization_id}/invitations/{invitation_id}/revoke",
            200,
            &revoked,
        );
        assert_eq!(revoked["status"], "revoked");
        let res = app
            .bapi(
                Method::POST,
                &format!("{base}/{one_id}/revoke"),
                Some(json!({})),
            )
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            error_code(&json(res).await),
            "organization_invitation_not_pending"
        );
        assert_eq!(pending_count(&app, &id).await, 2);
        let res = app.bapi_get(&format!("{base}/orginv_nothing")).await;
        assert_eq!(res.status(), 404);

        // The app's own pages, once the settings name them: where clerk-js
        // is sent, and where an invitation's link leads.
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(
                    json!({"paths": {"sign_in_url": "http://localhost:3000/sign-in",
                                      "sign_up_url": "http://localhost:3000/sign-up"}}),
                ),
            )
            .await;
        assert_eq!(res.status(), 200);
        let env = json(app.get("/v1/environment").await).await;
        assert_eq!(
            env["display_config"]["sign_up_url"],
            "http://localhost:3000/sign-up"
        );
        let (status, inv) = app
            .post_json(
                &base,
                json!({"email_address": "g@example.com", "role": "org:member", "notify": false}),
            )
            .await;
        assert_eq!(status, 200, "{inv}");
        let ticket = inv["url"].as_str().unwrap().rsplit('=').next().unwrap();
        let to = follow(&app, ticket).await;
        assert!(
            to.as_str()
                .starts_with("http://localhost:3000/sign-up?__clerk_ticket="),
            "{to}"
        );
        let res = app
            .bapi(
                Method::PATCH,
                "/v1/instance/settings",
                Some(json!({"paths": {"sign_in_url": "javascript:alert(1)"}})),
            )
            .await;
        assert_eq!(res.status(), 422);
    }
);

both_backends!(
    the_hosted_page_of_an_invitation_signs_up_or_in_and_joins,
    fast,
    |app: TestApp| async move {
        enable_organizations(&app).await;
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        user_with_password(&app, "bob@example.com", PASSWORD).await;
        let org = organization(&app, "Acme & <Co>", &ada).await;
        let id = org["id"].as_str().unwrap().to_owned();
        for email in ["bob@example.com", "new@example.com"] {
            let (status, body) = app
                .post_json(
                    &format!("/v1/organizations/{id}/invitations"),
                    json!({"email_address": email, "role": "org:member"}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }

        // No account: the page asks for a password, then the account joins.
        let ticket = mailed_ticket(&app, "new@example.com").await;
        let to = follow(&app, &ticket).await;
        let b = browser();
        let (html, token) = page(&b, &app, &format!("{}?{}", to.path(), to.query().unwrap())).await;
        assert!(html.contains("Acme &amp; &lt;Co&gt;"), "escaped: {html}");
        assert!(html.contains("new@example.com"), "{html}");
        assert!(html.contains("Create account and join"), "{html}");
        let res = post_form(
            &b,
            &app,
            "/invitation",
            &[
                ("csrf_token", &token),
                ("ticket", &ticket),
                ("password", "short"),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 422);
        let res = post_form(
            &b,
            &app,
            "/invitation",
            &[
                ("csrf_token", &token),
                ("ticket", &ticket),
                ("password", PASSWORD),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303, "{:?}", res.text().await);
        assert_eq!(location(&res), "/user");
        let users = json(
            app.bapi_get("/v1/users?email_address=new@example.com")
                .await,
        )
        .await;
        let uid = users[0]["id"].as_str().unwrap();
        let theirs = json(
            app.bapi_get(&format!("/v1/users/{uid}/organization_memberships"))
                .await,
        )
        .await;
        assert_eq!(theirs["data"][0]["organization"]["id"], id.as_str());

        // An account: one button signs in with the ticket and joins.
        let ticket = mailed_ticket(&app, "bob@example.com").await;
        let to = follow(&app, &ticket).await;
        let b = browser();
        let (html, token) = page(&b, &app, &format!("{}?{}", to.path(), to.query().unwrap())).await;
        assert!(html.contains("Accept and sign in"), "{html}");
        let res = post_form(
            &b,
            &app,
            "/invitation",
            &[("csrf_token", &token), ("ticket", &ticket)],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let (html, _) = page(&b, &app, "/user").await;
        assert!(html.contains("bob@example.com"), "signed in as Bob");
        assert_eq!(
            json(app.bapi_get(&format!("/v1/organizations/{id}")).await).await["members_count"],
            3
        );

        // Used: the page says so.
        let res = b
            .get(app.url(&format!(
                "/sign-in?__clerk_ticket={ticket}&__clerk_status=sign_in"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("not valid"));
    }
);

both_backends!(
    invitations_cannot_flood_a_mailbox_or_mail_strangers_in_bulk,
    fast,
    |app: TestApp| async move {
        enable_organizations(&app).await;
        user_with_password(&app, "ada@example.com", PASSWORD).await;
        let (a, sid) = signed_in(&app, "ada@example.com", PASSWORD).await;
        // Anyone can create organizations and invite from each: one mailbox
        // gets at most five messages in ten minutes, whoever sends them.
        let mut refused = None;
        for i in 0..6 {
            let (status, org) = a
                .post(
                    &me("/v1/organizations", &sid),
                    &[("name", &format!("Org {i}"))],
                )
                .await;
            assert_eq!(status, 200, "{org}");
            let id = org["response"]["id"].as_str().unwrap();
            let (status, body) = a
                .post(
                    &me(&format!("/v1/organizations/{id}/invitations"), &sid),
                    &[
                        ("email_address", "victim@example.com"),
                        ("role", "org:member"),
                    ],
                )
                .await;
            if status != 200 {
                refused = Some((i, status, error_code(&body)));
                break;
            }
        }
        assert_eq!(refused, Some((5, 429, "too_many_requests".to_owned())));
        let mails = json(app.bapi_get("/v1/dev/emails").await).await;
        let to_victim = mails["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["to_email_address"] == "victim@example.com")
            .count();
        assert_eq!(to_victim, 5);

        // A member sends at most 100 invitations an hour (six tried above).
        let (_, org) = a
            .post(&me("/v1/organizations", &sid), &[("name", "Big")])
            .await;
        let id = org["response"]["id"].as_str().unwrap();
        let bulk = me(&format!("/v1/organizations/{id}/invitations/bulk"), &sid);
        let emails: Vec<String> = (0..94).map(|i| format!("person{i}@example.com")).collect();
        let mut form: Vec<(&str, &str)> = emails
            .iter()
            .map(|e| ("email_address", e.as_str()))
            .collect();
        form.push(("role", "org:member"));
        let (status, body) = a.post(&bulk, &form).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = a
            .post(
                &bulk,
                &[
                    ("email_address", "one-more@example.com"),
                    ("role", "org:member"),
                ],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (429, "too_many_requests")
        );
        // The Backend API (the app itself) is not capped per inviter.
        let (status, body) = app
            .post_json(
                &format!("/v1/organizations/{id}/invitations"),
                json!({"email_address": "one-more@example.com", "role": "org:member"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
);
