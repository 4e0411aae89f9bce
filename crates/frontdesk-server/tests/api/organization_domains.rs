//! Verified domains (issue 17), as `<OrganizationProfile/>`'s domain pages
//! and the switcher use them: an admin claims a domain (never a public
//! mailbox provider's), proves it with the code mailed to an address
//! there, and users whose verified address is in it find an invitation
//! waiting (`automatic_invitation`) or a suggestion they take up as a
//! request an admin accepts or rejects (`automatic_suggestion`). The
//! Backend API proves domains by its word, lists the instance's, merges a
//! membership's metadata and lists every membership; logos are uploaded
//! and removed through both APIs. Every answer and `organizationDomain.*`
//! event is checked against Clerk's specs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::account::PNG;
use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, me, signed_in};
use crate::helpers::{TestApp, assert_response, error_code, json, mailed_code, user_with_password};
use crate::receiver::Receiver;
use crate::webhooks::{check, endpoint, fast};

const PASSWORD: &str = "correct horse battery staple";

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let res = app.bapi(method, path, body).await;
    let status = res.status().as_u16();
    (status, json(res).await)
}

/// `path` under organization `org`, with `_method` when given.
fn org_path(org: &str, rest: &str, sid: &str, method: Option<&str>) -> String {
    let base = me(&format!("/v1/organizations/{org}{rest}"), sid);
    match method {
        Some(m) => format!("{base}&_method={m}"),
        None => base,
    }
}

async fn enable(app: &TestApp) {
    let (status, body) = call(
        app,
        Method::PATCH,
        "/v1/instance/organization_settings",
        Some(json!({"enabled": true, "domains_enabled": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn upload_logo(b: &Browser<'_>, path: &str, bytes: &[u8]) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("logo.png");
    let res = b
        .app
        .http
        .post(b.url(path))
        .header("origin", "http://localhost:3000")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, json(res).await)
}

both_backends!(
    verified_domains_invite_or_suggest_and_admins_decide,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(&app, &rx.url, &[]).await;
        user_with_password(&app, "ada@example.com", PASSWORD).await;
        let eve = user_with_password(&app, "eve@acme.test", PASSWORD).await;
        let frank = user_with_password(&app, "frank@acme.test", PASSWORD).await;
        user_with_password(&app, "grace@acme.test", PASSWORD).await;
        let (a, ada_sid) = signed_in(&app, "ada@example.com", PASSWORD).await;

        // With domains off, the lists are empty and claiming is refused.
        let (status, body) = call(
            &app,
            Method::PATCH,
            "/v1/instance/organization_settings",
            Some(json!({"enabled": true})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, created) = a
            .post(&me("/v1/organizations", &ada_sid), &[("name", "Acme")])
            .await;
        let org = created["response"]["id"].as_str().unwrap().to_owned();
        let domains = org_path(&org, "/domains", &ada_sid, None);
        let empty = a.get(&domains).await;
        assert_eq!(empty["response"]["total_count"], 0);
        let (status, body) = a.post(&domains, &[("name", "acme.test")]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "organization_domains_not_enabled")
        );
        enable(&app).await;
        let env = a.get("/v1/environment").await;
        assert_eq!(env["organization_settings"]["domains"]["enabled"], true);

        // Claimed unverified; public providers and non-domains refused.
        for (name, code) in [
            ("gmail.com", "form_param_format_invalid"),
            ("not a domain", "form_param_format_invalid"),
        ] {
            let (status, body) = a.post(&domains, &[("name", name)]).await;
            assert_eq!((status, error_code(&body).as_str()), (422, code), "{name}");
            assert_eq!(body["errors"][0]["meta"]["param_name"], "name");
        }
        let (status, body) = a
            .post(
                &domains,
                &[
                    ("name", "ACME.test"),
                    ("enrollment_mode", "automatic_invitation"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationDomain", &body);
        let d = body["response"].clone();
        assert_eq!(d["name"], "acme.test");
        assert_eq!(d["verification"], Value::Null);
        let did = d["id"].as_str().unwrap().to_owned();
        check(
            &rx.event("organizationDomain.created").await,
            &secret,
            "organizationDomain.created",
        );
        let (status, body) = a.post(&domains, &[("name", "acme.test")]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "organization_domain_already_exists")
        );

        // Unverified, it offers nothing.
        let (e, eve_sid) = signed_in(&app, "eve@acme.test", PASSWORD).await;
        let invitations = me("/v1/me/organization_invitations", &eve_sid);
        let none = e.get(&format!("{invitations}&status=pending")).await;
        assert_eq!(none["response"]["total_count"], 0);

        // Proven with a code mailed to an address there.
        let dpath = |rest: &str| org_path(&org, &format!("/domains/{did}{rest}"), &ada_sid, None);
        let prepare = dpath("/prepare_affiliation_verification");
        let (status, body) = a
            .post(
                &prepare,
                &[("affiliation_email_address", "it@elsewhere.test")],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["errors"][0]["meta"]["param_name"],
            "affiliation_email_address"
        );
        let (status, body) = a
            .post(&prepare, &[("affiliation_email_address", "it@acme.test")])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationDomain", &body);
        assert_eq!(
            body["response"]["affiliation_verification"]["status"],
            "unverified"
        );
        assert_eq!(
            body["response"]["affiliation_email_address"],
            "it@acme.test"
        );
        let code = mailed_code(&app, "it@acme.test").await;
        let attempt = dpath("/attempt_affiliation_verification");
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, body) = a.post(&attempt, &[("code", wrong)]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "form_code_incorrect")
        );
        let (status, body) = a.post(&attempt, &[("code", &code)]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationDomain", &body);
        assert_eq!(body["response"]["verification"]["status"], "verified");
        assert_eq!(body["response"]["affiliation_verification"]["attempts"], 2);
        let (status, body) = a.post(&attempt, &[("code", &code)]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "organization_domain_already_verified")
        );
        check(
            &rx.event("organizationDomain.updated").await,
            &secret,
            "organizationDomain.updated",
        );
        let listed = a.get(&format!("{domains}&verified=true")).await;
        assert_frontend_schema("Client.ClientWrappedOrganizationDomains", &listed);
        assert_eq!(listed["response"]["total_count"], 1);

        // Automatic invitation: waiting for Eve, accepted in the app.
        let waiting = e.get(&format!("{invitations}&status=pending")).await;
        assert_frontend_schema(
            "Client.ClientWrappedOrganizationInvitationsUserContext",
            &waiting,
        );
        assert_eq!(waiting["response"]["total_count"], 1, "{waiting}");
        let inv = &waiting["response"]["data"][0];
        assert_eq!(inv["public_organization_data"]["name"], "Acme");
        assert_eq!(inv["role"], "org:member");
        let again = e.get(&format!("{invitations}&status=pending")).await;
        assert_eq!(again["response"]["total_count"], 1, "offered once");
        let accept = me(
            &format!(
                "/v1/me/organization_invitations/{}/accept",
                inv["id"].as_str().unwrap()
            ),
            &eve_sid,
        );
        let (status, body) = e.post(&accept, &[]).await;
        assert_eq!(status, 200, "{body}");
        let got = a.get(&dpath("")).await;
        assert_eq!(got["response"]["total_pending_invitations"], 0);

        // Automatic suggestion: Frank asks, Ada accepts; Grace is rejected.
        let (status, body) = a
            .post(
                &dpath("/update_enrollment_mode"),
                &[
                    ("enrollment_mode", "automatic_suggestion"),
                    ("delete_pending", "true"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["enrollment_mode"], "automatic_suggestion");
        let requests = org_path(&org, "/membership_requests", &ada_sid, None);
        let mut request_ids = Vec::new();
        for who in ["frank@acme.test", "grace@acme.test"] {
            let (b, sid) = signed_in(&app, who, PASSWORD).await;
            let suggestions = me("/v1/me/organization_suggestions", &sid);
            let offered = b
                .get(&format!("{suggestions}&status=pending&status=accepted"))
                .await;
            assert_frontend_schema("Client.ClientWrappedOrganizationSuggestions", &offered);
            assert_eq!(offered["response"]["total_count"], 1, "{offered}");
            let s = &offered["response"]["data"][0];
            assert_eq!(s["status"], "pending");
            assert_eq!(s["public_organization_data"]["slug"], "acme");
            let take = me(
                &format!(
                    "/v1/me/organization_suggestions/{}/accept",
                    s["id"].as_str().unwrap()
                ),
                &sid,
            );
            let (status, body) = b.post(&take, &[]).await;
            assert_eq!(status, 200, "{body}");
            assert_frontend_schema("Client.ClientWrappedOrganizationSuggestion", &body);
            assert_eq!(body["response"]["status"], "accepted");
            let pending = a.get(&format!("{requests}&status=pending")).await;
            assert_frontend_schema(
                "Client.ClientWrappedOrganizationMembershipRequests",
                &pending,
            );
            let r = pending["response"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["public_user_data"]["identifier"] == who)
                .unwrap_or_else(|| panic!("{who} in {pending}"))
                .clone();
            request_ids.push(r["id"].as_str().unwrap().to_owned());
        }
        // A member who does not manage members sees no requests, decides none.
        let eve_requests = org_path(&org, "/membership_requests", &eve_sid, None);
        let hidden = e.get(&format!("{eve_requests}&status=pending")).await;
        assert_eq!(hidden["response"]["total_count"], 0);
        let (status, _) = e
            .post(
                &org_path(
                    &org,
                    &format!("/membership_requests/{}/accept", request_ids[0]),
                    &eve_sid,
                    None,
                ),
                &[],
            )
            .await;
        assert_eq!(status, 403);
        let decide = |id: &str, verb: &str| {
            org_path(
                &org,
                &format!("/membership_requests/{id}/{verb}"),
                &ada_sid,
                None,
            )
        };
        let (status, body) = a.post(&decide(&request_ids[0], "accept"), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationMembershipRequest", &body);
        assert_eq!(body["response"]["status"], "accepted");
        let (status, body) = a.post(&decide(&request_ids[0], "reject"), &[]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "organization_membership_request_not_pending")
        );
        let (status, body) = a.post(&decide(&request_ids[1], "reject"), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["status"], "rejected");
        let members = json(
            app.bapi_get(&format!("/v1/organizations/{org}/memberships?limit=10"))
                .await,
        )
        .await;
        let ids: Vec<&str> = members["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["public_user_data"]["user_id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&eve.as_str()) && ids.contains(&frank.as_str()),
            "{ids:?}"
        );
        assert_eq!(ids.len(), 3, "Ada, Eve and Frank; not Grace");

        // Removed: gone, with its event.
        let (status, body) = a
            .post(
                &org_path(&org, &format!("/domains/{did}"), &ada_sid, Some("DELETE")),
                &[],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        check(
            &rx.event("organizationDomain.deleted").await,
            &secret,
            "organizationDomain.deleted",
        );
        app.stop().await;
    }
);

both_backends!(
    the_backend_api_proves_domains_merges_member_metadata_and_sets_logos,
    fast,
    |app: TestApp| async move {
        enable(&app).await;
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let bob = user_with_password(&app, "bob@example.com", PASSWORD).await;
        let (status, org) = call(
            &app,
            Method::POST,
            "/v1/organizations",
            Some(json!({"name": "Beta", "created_by": ada})),
        )
        .await;
        assert_eq!(status, 200, "{org}");
        let org = org["id"].as_str().unwrap().to_owned();

        // `@clerk/backend` sends `verified: true` unless told otherwise.
        let path = format!("/v1/organizations/{org}/domains");
        let (status, d) = call(
            &app,
            Method::POST,
            &path,
            Some(json!({"name": "beta.test", "enrollment_mode": "automatic_invitation"})),
        )
        .await;
        assert_eq!(status, 200, "{d}");
        assert_response("post", "/organizations/{organization_id}/domains", 200, &d);
        assert_eq!(d["ownership_verification"]["status"], "verified");
        assert_eq!(d["ownership_verification"]["strategy"], "admin");
        let (status, u) = call(
            &app,
            Method::POST,
            &path,
            Some(json!({"name": "unproven.test", "verified": false})),
        )
        .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["ownership_verification"], Value::Null);
        let did = u["id"].as_str().unwrap();
        let (status, changed) = call(
            &app,
            Method::PATCH,
            &format!("{path}/{did}"),
            Some(json!({"verified": true, "enrollment_mode": "automatic_suggestion"})),
        )
        .await;
        assert_eq!(status, 200, "{changed}");
        assert_response(
            "patch",
            "/organizations/{organization_id}/domains/{domain_id}",
            200,
            &changed,
        );
        assert_eq!(changed["enrollment_mode"], "automatic_suggestion");
        let listed = json(app.bapi_get(&format!("{path}?verified=true")).await).await;
        assert_response(
            "get",
            "/organizations/{organization_id}/domains",
            200,
            &listed,
        );
        assert_eq!(listed["total_count"], 2);
        let all = json(
            app.bapi_get(
                "/v1/organization_domains?enrollment_mode=-automatic_suggestion&domains=beta.test",
            )
            .await,
        )
        .await;
        assert_response("get", "/organization_domains", 200, &all);
        assert_eq!(all["total_count"], 1, "{all}");
        let (status, gone) = call(&app, Method::DELETE, &format!("{path}/{did}"), None).await;
        assert_eq!(status, 200, "{gone}");
        assert_eq!(gone["deleted"], true);
        let (status, _) = call(&app, Method::DELETE, &format!("{path}/{did}"), None).await;
        assert_eq!(status, 404);

        // Membership metadata merges; every membership of the instance lists.
        let (status, _) = call(
            &app,
            Method::POST,
            &format!("/v1/organizations/{org}/memberships"),
            Some(json!({"user_id": bob, "role": "org:member"})),
        )
        .await;
        assert_eq!(status, 200);
        let meta = format!("/v1/organizations/{org}/memberships/{bob}/metadata");
        for body in [
            json!({"public_metadata": {"team": "red", "seat": 1}, "private_metadata": {"notes": "x"}}),
            json!({"public_metadata": {"seat": null, "desk": 4}}),
        ] {
            let (status, m) = call(&app, Method::PATCH, &meta, Some(body)).await;
            assert_eq!(status, 200, "{m}");
            assert_response(
                "patch",
                "/organizations/{organization_id}/memberships/{user_id}/metadata",
                200,
                &m,
            );
        }
        let m = json(
            app.bapi_get(&format!(
                "/v1/organizations/{org}/memberships?user_id={bob}"
            ))
            .await,
        )
        .await;
        assert_eq!(
            m["data"][0]["public_metadata"],
            json!({"team": "red", "desk": 4})
        );
        assert_eq!(m["data"][0]["private_metadata"], json!({"notes": "x"}));
        let (status, body) = call(
            &app,
            Method::PATCH,
            &format!(
                "/v1/organizations/{org}/memberships/{}/metadata",
                "user_nobody"
            ),
            Some(json!({"public_metadata": {}})),
        )
        .await;
        assert_eq!(status, 404, "{body}");
        let every = json(app.bapi_get("/v1/organization_memberships?limit=10").await).await;
        assert_response("get", "/organization_memberships", 200, &every);
        assert_eq!(every["total_count"], 2);

        // A logo through the Frontend API (an admin only) and the Backend API.
        let (a, ada_sid) = signed_in(&app, "ada@example.com", PASSWORD).await;
        let logo = org_path(&org, "/logo", &ada_sid, Some("PUT"));
        let (status, body) = upload_logo(&a, &logo, b"<svg/>").await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = upload_logo(&a, &logo, PNG).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganization", &body);
        assert_eq!(body["response"]["has_image"], true);
        let url = body["response"]["image_url"].as_str().unwrap().to_owned();
        let served = app.http.get(&url).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
        let (b, bob_sid) = signed_in(&app, "bob@example.com", PASSWORD).await;
        let (status, _) =
            upload_logo(&b, &org_path(&org, "/logo", &bob_sid, Some("PUT")), PNG).await;
        assert_eq!(status, 403);
        let (status, body) = a
            .post(&org_path(&org, "/logo", &ada_sid, Some("DELETE")), &[])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["has_image"], false);
        assert_eq!(app.http.get(&url).send().await.unwrap().status(), 404);
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("l.png"),
            )
            .text("uploader_user_id", ada.clone());
        let res = app
            .http
            .put(app.url(&format!("/v1/organizations/{org}/logo")))
            .bearer_auth(app.secret_key.expose())
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        assert_response("put", "/organizations/{organization_id}/logo", 200, &body);
        assert_eq!(body["has_image"], true);
        let (status, body) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organizations/{org}/logo"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["image_url"], "");
        app.stop().await;
    }
);
