//! Backend API organizations (issue 17), checked against Clerk's spec:
//! create with a creator, read by id and slug, list with filters and pages,
//! update and metadata, memberships (add, list, change role, remove), a
//! user's memberships, the roles, the webhooks Clerk sends for each change,
//! and what is refused (a taken slug, a second membership, an unknown role,
//! the last member who can manage the members, a full organization).

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, assert_response, assert_schema, error_code, json};
use crate::receiver::Receiver;
use crate::webhooks::{check, endpoint, fast};

async fn user(app: &TestApp, email: &str, first: &str) -> String {
    let (status, user) = app
        .post_json(
            "/v1/users",
            json!({"email_address": [email], "first_name": first, "skip_password_requirement": true}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    user["id"].as_str().unwrap().to_owned()
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let res = app.bapi(method, path, body).await;
    let status = res.status().as_u16();
    (status, json(res).await)
}

both_backends!(
    organizations_and_their_members_through_the_backend_api,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(&app, &rx.url, &[]).await;
        let ada = user(&app, "ada@example.com", "Ada").await;
        let bob = user(&app, "bob@example.com", "Bob").await;

        // Create, the creator its first admin.
        let (status, org) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Acme, Inc.", "created_by": ada,
                       "public_metadata": {"plan": "free"}, "private_metadata": {"stripe": "cus_1"}}),
            )
            .await;
        assert_eq!(status, 200, "{org}");
        assert_response("post", "/organizations", 200, &org);
        let id = org["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("org_"));
        assert_eq!(org["slug"], "acme-inc");
        assert_eq!(org["members_count"], 1);
        assert_eq!(org["created_by"], ada.as_str());
        assert_eq!(org["private_metadata"], json!({"stripe": "cus_1"}));
        assert_eq!(org["has_image"], false);
        let created = check(
            &rx.event("organization.created").await,
            &secret,
            "organization.created",
        );
        assert_eq!(created["data"]["id"], id.as_str());
        let joined = check(
            &rx.event("organizationMembership.created").await,
            &secret,
            "organizationMembership.created",
        );
        assert_eq!(joined["data"]["role"], "org:admin");
        assert_eq!(joined["data"]["public_user_data"]["user_id"], ada.as_str());

        // Read by id and by slug.
        for key in [id.as_str(), "acme-inc"] {
            let (status, got) =
                call(&app, Method::GET, &format!("/v1/organizations/{key}"), None).await;
            assert_eq!(status, 200, "{got}");
            assert_response("get", "/organizations/{organization_id}", 200, &got);
            assert_eq!(got["id"], id.as_str());
        }
        let (status, body) = call(&app, Method::GET, "/v1/organizations/org_nope", None).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (404, "resource_not_found")
        );

        // A second one with the same name gets another slug; a taken slug is refused.
        let (status, twin) = app
            .post_json("/v1/organizations", json!({"name": "Acme, Inc."}))
            .await;
        assert_eq!(status, 200, "{twin}");
        assert_ne!(twin["slug"], "acme-inc");
        assert!(twin["slug"].as_str().unwrap().starts_with("acme-inc-"));
        assert_eq!(twin["members_count"], 0);
        let (status, body) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Other", "slug": "acme-inc"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "form_identifier_exists");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "slug");
        for bad in [
            json!({"name": ""}),
            json!({"name": "X", "slug": "Not A Slug"}),
            json!({"name": "X", "created_by": "user_nope"}),
        ] {
            let (status, body) = app.post_json("/v1/organizations", bad.clone()).await;
            assert!(status == 422 || status == 404, "{bad}: {status} {body}");
            error_code(&body);
        }

        // Update, metadata merge and replace.
        let (status, renamed) = call(
            &app,
            Method::PATCH,
            &format!("/v1/organizations/{id}"),
            Some(json!({"name": "Acme Corp", "max_allowed_memberships": 3})),
        )
        .await;
        assert_eq!(status, 200, "{renamed}");
        assert_response("patch", "/organizations/{organization_id}", 200, &renamed);
        assert_eq!(renamed["name"], "Acme Corp");
        assert_eq!(renamed["max_allowed_memberships"], 3);
        check(
            &rx.event("organization.updated").await,
            &secret,
            "organization.updated",
        );
        let (status, merged) = call(
            &app,
            Method::PATCH,
            &format!("/v1/organizations/{id}/metadata"),
            Some(json!({"public_metadata": {"seats": 3, "plan": null}})),
        )
        .await;
        assert_eq!(status, 200, "{merged}");
        assert_response(
            "patch",
            "/organizations/{organization_id}/metadata",
            200,
            &merged,
        );
        assert_eq!(merged["public_metadata"], json!({"seats": 3}));
        assert_eq!(merged["private_metadata"], json!({"stripe": "cus_1"}));

        // Members: add, list, page, filter, change role, remove.
        let path = format!("/v1/organizations/{id}/memberships");
        let (status, m) = app
            .post_json(&path, json!({"user_id": bob, "role": "org:member"}))
            .await;
        assert_eq!(status, 200, "{m}");
        assert_response(
            "post",
            "/organizations/{organization_id}/memberships",
            200,
            &m,
        );
        assert_eq!(m["role"], "org:member");
        assert_eq!(m["role_name"], "Member");
        assert_eq!(m["permissions"], json!(["org:sys_memberships:read"]));
        assert_eq!(m["public_user_data"]["identifier"], "bob@example.com");
        assert_eq!(m["public_user_data"]["first_name"], "Bob");
        assert_eq!(m["organization"]["members_count"], 2);
        let (status, body) = app
            .post_json(&path, json!({"user_id": bob, "role": "org:member"}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "already_a_member_in_organization");
        let carol = user(&app, "carol@example.com", "Carol").await;
        let (status, body) = app
            .post_json(&path, json!({"user_id": carol, "role": "org:wizard"}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], "role");
        let (status, _) = app
            .post_json(&path, json!({"user_id": carol, "role": "org:member"}))
            .await;
        assert_eq!(status, 200);
        // The limit is 3: a fourth is refused.
        let dan = user(&app, "dan@example.com", "Dan").await;
        let (status, body) = app
            .post_json(&path, json!({"user_id": dan, "role": "org:member"}))
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_membership_quota_exceeded");

        let (status, list) = call(
            &app,
            Method::GET,
            &format!("{path}?limit=2&offset=0&order_by=created_at"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        assert_response(
            "get",
            "/organizations/{organization_id}/memberships",
            200,
            &list,
        );
        assert_eq!(list["total_count"], 3);
        assert_eq!(list["data"][0]["public_user_data"]["user_id"], ada.as_str());
        assert_eq!(list["data"].as_array().unwrap().len(), 2);
        let (_, admins) = call(&app, Method::GET, &format!("{path}?role=org:admin"), None).await;
        assert_eq!(admins["total_count"], 1);
        let (_, found) = call(&app, Method::GET, &format!("{path}?query=caro"), None).await;
        assert_eq!(
            found["data"][0]["public_user_data"]["user_id"],
            carol.as_str()
        );
        let (_, found) = call(
            &app,
            Method::GET,
            &format!("{path}?email_address=BOB@example.com"),
            None,
        )
        .await;
        assert_eq!(found["total_count"], 1);

        // The last admin cannot leave or be demoted; after a promotion, can.
        let (status, body) = call(
            &app,
            Method::PATCH,
            &format!("{path}/{ada}"),
            Some(json!({"role": "org:member"})),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "organization_minimum_permissions_needed");
        let (status, body) = call(&app, Method::DELETE, &format!("{path}/{ada}"), None).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "organization_minimum_permissions_needed")
        );
        let (status, promoted) = call(
            &app,
            Method::PATCH,
            &format!("{path}/{bob}"),
            Some(json!({"role": "org:admin"})),
        )
        .await;
        assert_eq!(status, 200, "{promoted}");
        assert_response(
            "patch",
            "/organizations/{organization_id}/memberships/{user_id}",
            200,
            &promoted,
        );
        assert_eq!(promoted["role"], "org:admin");
        let updated = check(
            &rx.event("organizationMembership.updated").await,
            &secret,
            "organizationMembership.updated",
        );
        assert_eq!(updated["data"]["public_user_data"]["user_id"], bob.as_str());
        let (status, left) = call(&app, Method::DELETE, &format!("{path}/{ada}"), None).await;
        assert_eq!(status, 200, "{left}");
        assert_response(
            "delete",
            "/organizations/{organization_id}/memberships/{user_id}",
            200,
            &left,
        );
        assert_eq!(left["organization"]["members_count"], 2);
        let gone = check(
            &rx.event("organizationMembership.deleted").await,
            &secret,
            "organizationMembership.deleted",
        );
        assert_eq!(gone["data"]["public_user_data"]["user_id"], ada.as_str());
        let (status, _) = call(&app, Method::DELETE, &format!("{path}/{ada}"), None).await;
        assert_eq!(status, 404);

        // A user's memberships; organizations by member and by text.
        let (status, mine) = call(
            &app,
            Method::GET,
            &format!("/v1/users/{bob}/organization_memberships"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{mine}");
        assert_response(
            "get",
            "/users/{user_id}/organization_memberships",
            200,
            &mine,
        );
        assert_eq!(mine["total_count"], 1);
        assert_eq!(mine["data"][0]["organization"]["id"], id.as_str());
        let (status, orgs) = call(
            &app,
            Method::GET,
            &format!("/v1/organizations?user_id={bob}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{orgs}");
        assert_response("get", "/organizations", 200, &orgs);
        assert_eq!(orgs["total_count"], 1);
        let (_, orgs) = call(
            &app,
            Method::GET,
            "/v1/organizations?query=ACME&order_by=name&limit=1",
            None,
        )
        .await;
        assert_eq!(orgs["total_count"], 2);
        assert_eq!(orgs["data"].as_array().unwrap().len(), 1);
        let (status, body) =
            call(&app, Method::GET, "/v1/organizations?order_by=color", None).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (422, "form_param_value_invalid")
        );

        // Roles.
        let (status, roles) = call(&app, Method::GET, "/v1/organization_roles", None).await;
        assert_eq!(status, 200, "{roles}");
        assert_response("get", "/organization_roles", 200, &roles);
        let keys: Vec<&str> = roles["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["org:admin", "org:member"]);
        assert_eq!(roles["data"][0]["is_creator_eligible"], true);
        assert_eq!(roles["data"][1]["is_creator_eligible"], false);

        // Delete: its memberships go with it.
        let (status, deleted) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organizations/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{deleted}");
        assert_eq!(
            deleted,
            json!({"object": "organization", "id": id, "deleted": true})
        );
        let event = check(
            &rx.event("organization.deleted").await,
            &secret,
            "organization.deleted",
        );
        assert_eq!(event["data"]["slug"], "acme-inc");
        let (_, mine) = call(
            &app,
            Method::GET,
            &format!("/v1/users/{bob}/organization_memberships"),
            None,
        )
        .await;
        assert_eq!(mine["total_count"], 0);
        assert_schema("OrganizationMemberships", &mine);
        app.stop().await;
    }
);

both_backends!(
    parallel_demotions_leave_exactly_one_admin,
    fast,
    |app: TestApp| async move {
        let first = user(&app, "first@example.com", "First").await;
        let (_, org) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Race", "created_by": first}),
            )
            .await;
        let id = org["id"].as_str().unwrap().to_owned();
        let mut admins = vec![first];
        for i in 0..5 {
            let u = user(&app, &format!("admin{i}@example.com"), "Admin").await;
            let (status, _) = app
                .post_json(
                    &format!("/v1/organizations/{id}/memberships"),
                    json!({"user_id": u, "role": "org:admin"}),
                )
                .await;
            assert_eq!(status, 200);
            admins.push(u);
        }
        let paths: Vec<String> = admins
            .iter()
            .map(|u| format!("/v1/organizations/{id}/memberships/{u}"))
            .collect();
        let runs = futures_util::future::join_all(
            paths
                .iter()
                .map(|p| call(&app, Method::PATCH, p, Some(json!({"role": "org:member"})))),
        )
        .await;
        let refused: Vec<_> = runs.iter().filter(|(s, _)| *s != 200).collect();
        assert_eq!(refused.len(), 1, "{runs:?}");
        assert_eq!(refused[0].0, 403);
        let (_, admins) = call(
            &app,
            Method::GET,
            &format!("/v1/organizations/{id}/memberships?role=org:admin"),
            None,
        )
        .await;
        assert_eq!(admins["total_count"], 1);
        app.stop().await;
    }
);

both_backends!(
    organizations_named_alike_at_once_all_get_a_slug,
    fast,
    |app: TestApp| async move {
        let runs = futures_util::future::join_all(
            (0..8).map(|_| app.post_json("/v1/organizations", json!({"name": "Race Co"}))),
        )
        .await;
        let mut slugs: Vec<String> = runs
            .iter()
            .map(|(status, org)| {
                assert_eq!(*status, 200, "{org}");
                org["slug"].as_str().unwrap().to_owned()
            })
            .collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 8, "{slugs:?}");
        assert!(slugs.iter().all(|s| s.starts_with("race-co")), "{slugs:?}");
        app.stop().await;
    }
);
