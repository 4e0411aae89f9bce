//! The Frontend API of organizations (issue 17), as `<CreateOrganization/>`,
//! `<OrganizationSwitcher/>` and `<OrganizationProfile/>` call it: create
//! (refused while organizations are off), read, rename, the members (list,
//! add, change a role, remove), the roles, the lists a member without the
//! permission (or an instance without domains) sees empty (domains,
//! requests, suggestions), delete; each call within the
//! permissions of the caller's role (a member reads, an admin manages, a
//! stranger sees nothing), and every answer checked against Clerk's spec.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{Browser, assert_frontend_schema, fast, me, signed_in};
use crate::helpers::{TestApp, error_code, json, user_with_password};

const PASSWORD: &str = "correct horse battery staple";

/// `PATCH` through the Backend API.
async fn bapi_patch(app: &TestApp, path: &str, body: Value) -> Value {
    let res = app.bapi(Method::PATCH, path, Some(body)).await;
    assert_eq!(res.status(), 200, "{path}");
    json(res).await
}

pub(crate) async fn enable_organizations(app: &TestApp) {
    let body = bapi_patch(
        app,
        "/v1/instance/organization_settings",
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(body["enabled"], true, "{body}");
}

/// `path` of organization `org` for session `sid`, as clerk-js addresses it.
fn org_path(org: &str, rest: &str, sid: &str) -> String {
    me(&format!("/v1/organizations/{org}{rest}"), sid)
}

async fn status_of(b: &Browser<'_>, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    b.post(path, form).await
}

both_backends!(
    the_organization_components_work_through_the_frontend_api,
    fast,
    |app: TestApp| async move {
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let bob = user_with_password(&app, "bob@example.com", PASSWORD).await;
        user_with_password(&app, "carol@example.com", PASSWORD).await;
        let (a, ada_sid) = signed_in(&app, "ada@example.com", PASSWORD).await;

        // Off: clerk-js offers no "Create organization", and the call is refused.
        let env = a.get("/v1/environment").await;
        assert_eq!(
            env["user_settings"]["actions"]["create_organization"],
            false
        );
        let create = me("/v1/organizations", &ada_sid);
        let (status, body) = a.post(&create, &[("name", "Acme")]).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_not_enabled_in_instance");

        enable_organizations(&app).await;
        let env = a.get("/v1/environment").await;
        assert_eq!(env["user_settings"]["actions"]["create_organization"], true);
        assert_eq!(env["organization_settings"]["enabled"], true);

        // Create: the creator is its admin, in the client the answer carries.
        let (status, body) = a.post(&create, &[("name", "Acme")]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganization", &body);
        let org = body["response"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["response"]["slug"], "acme");
        assert_eq!(body["response"]["members_count"], 1);
        assert!(body["response"].get("private_metadata").is_none());
        let mine = &body["client"]["sessions"][0]["user"]["organization_memberships"];
        assert_eq!(mine[0]["organization"]["id"], org.as_str(), "{mine}");
        assert_eq!(mine[0]["role"], "org:admin");
        let permissions = mine[0]["permissions"].as_array().unwrap();
        assert!(permissions.contains(&json!("org:sys_memberships:manage")));
        let (status, body) = a.post(&create, &[("name", "Acme"), ("slug", "acme")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "form_identifier_exists");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "slug");
        let (status, body) = a.post(&create, &[("name", "")]).await;
        assert_eq!(status, 422, "{body}");

        // Read and rename.
        let got = a.get(&org_path(&org, "", &ada_sid)).await;
        assert_frontend_schema("Client.ClientWrappedOrganization", &got);
        let patch = org_path(&org, "?_method=PATCH", &ada_sid).replace("?_clerk", "&_clerk");
        let (status, body) = a.post(&patch, &[("name", "Acme Corp")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["name"], "Acme Corp");
        assert_eq!(body["response"]["slug"], "acme");

        // Members: add one, page through them, the roles to give.
        let members = org_path(&org, "/memberships", &ada_sid);
        let (status, body) = a
            .post(
                &members,
                &[("user_id", bob.as_str()), ("role", "org:member")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationMembership", &body);
        assert_eq!(
            body["response"]["public_user_data"]["identifier"],
            "bob@example.com"
        );
        let listed = a
            .get(&format!("{members}&paginated=true&limit=10&offset=0"))
            .await;
        assert_frontend_schema("Client.ClientWrappedOrganizationMemberships", &listed);
        assert_eq!(listed["response"]["total_count"], 2);
        let admins = a
            .get(&format!("{members}&paginated=true&role=org:admin"))
            .await;
        assert_eq!(admins["response"]["total_count"], 1);
        let roles = a
            .get(&format!(
                "{}&limit=20&offset=0",
                org_path(&org, "/roles", &ada_sid)
            ))
            .await;
        assert_frontend_schema("Client.ClientWrappedRoles", &roles);
        let keys: Vec<&str> = roles["response"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["key"].as_str().unwrap())
            .collect();
        assert!(
            keys.contains(&"org:admin") && keys.contains(&"org:member"),
            "{keys:?}"
        );

        // A member reads but does not manage.
        let (b, bob_sid) = signed_in(&app, "bob@example.com", PASSWORD).await;
        let got = b.get(&org_path(&org, "", &bob_sid)).await;
        assert_eq!(got["response"]["name"], "Acme Corp");
        let listed = b
            .get(&format!(
                "{}&paginated=true",
                org_path(&org, "/memberships", &bob_sid)
            ))
            .await;
        assert_eq!(listed["response"]["total_count"], 2);
        let bob_patch = org_path(&org, "?_method=PATCH", &bob_sid).replace("?_clerk", "&_clerk");
        let (status, body) = status_of(&b, &bob_patch, &[("name", "Mine now")]).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "not_allowed_access");
        let (status, body) = b
            .post(
                &org_path(&org, "/memberships", &bob_sid),
                &[("user_id", ada.as_str()), ("role", "org:member")],
            )
            .await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "not_allowed_access")
        );
        for (path, schema) in [
            ("/domains", "Client.ClientWrappedOrganizationDomains"),
            (
                "/membership_requests",
                "Client.ClientWrappedOrganizationMembershipRequests",
            ),
        ] {
            let empty = b
                .get(&format!(
                    "{}&status=pending&limit=10",
                    org_path(&org, path, &bob_sid)
                ))
                .await;
            assert_frontend_schema(schema, &empty);
            assert_eq!(empty["response"]["total_count"], 0);
        }
        let suggestions = b
            .get(&format!(
                "{}&status=pending&status=accepted",
                me("/v1/me/organization_suggestions", &bob_sid)
            ))
            .await;
        assert_frontend_schema("Client.ClientWrappedOrganizationSuggestions", &suggestions);

        // A stranger sees nothing of it.
        let (c, carol_sid) = signed_in(&app, "carol@example.com", PASSWORD).await;
        let res = app
            .http
            .get(c.url(&org_path(&org, "", &carol_sid)))
            .header("origin", "http://localhost:3000")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(error_code(&json(res).await), "resource_not_found");

        // Roles change; the last admin cannot step down or leave.
        let bob_member = org_path(&org, &format!("/memberships/{bob}?_method=PATCH"), &ada_sid)
            .replace("?_clerk", "&_clerk");
        let (status, body) = a.post(&bob_member, &[("role", "org:admin")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["role"], "org:admin");
        let (status, _) = a.post(&bob_member, &[("role", "org:member")]).await;
        assert_eq!(status, 200);
        let ada_member = org_path(&org, &format!("/memberships/{ada}?_method=PATCH"), &ada_sid)
            .replace("?_clerk", "&_clerk");
        let (status, body) = a.post(&ada_member, &[("role", "org:member")]).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_minimum_permissions_needed");
        let (status, body) = a.post(&bob_member, &[("role", "org:nobody")]).await;
        assert_eq!(status, 422, "{body}");
        let remove_bob = org_path(
            &org,
            &format!("/memberships/{bob}?_method=DELETE"),
            &ada_sid,
        )
        .replace("?_clerk", "&_clerk");
        let (status, body) = a.post(&remove_bob, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedOrganizationMembership", &body);
        let got = a.get(&org_path(&org, "", &ada_sid)).await;
        assert_eq!(got["response"]["members_count"], 1);

        // Delete: only while the organization allows its admins to.
        bapi_patch(
            &app,
            &format!("/v1/organizations/{org}"),
            json!({"admin_delete_enabled": false}),
        )
        .await;
        let delete = org_path(&org, "?_method=DELETE", &ada_sid).replace("?_clerk", "&_clerk");
        let (status, body) = a.post(&delete, &[]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "not_allowed_access")
        );
        bapi_patch(
            &app,
            &format!("/v1/organizations/{org}"),
            json!({"admin_delete_enabled": true}),
        )
        .await;
        let (status, body) = a.post(&delete, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_frontend_schema("Client.ClientWrappedDeletedObject", &body);
        assert_eq!(body["response"]["deleted"], true);
        assert_eq!(
            body["client"]["sessions"][0]["user"]["organization_memberships"],
            json!([])
        );

        // A user the Backend API barred from creating organizations.
        bapi_patch(
            &app,
            &format!("/v1/users/{ada}"),
            json!({"create_organization_enabled": false}),
        )
        .await;
        let (status, body) = a.post(&create, &[("name", "Again")]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "not_allowed_access")
        );
    }
);
