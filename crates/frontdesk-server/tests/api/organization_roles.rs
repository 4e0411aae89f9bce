//! Custom organization roles and permissions (issue 17) through the Backend
//! API: permissions created (never `org:sys_*`), roles made of them, given
//! to and taken from roles (the system roles too, for custom ones), renamed
//! and deleted; what members hold follows at once (their memberships'
//! permissions, the `fea`/`o.per`/`o.fpm` of their tokens); a role held by
//! members is not deleted; every object and `role.*`/`permission.*`
//! webhook checked against Clerk's specs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fapi::{assert_frontend_schema, me, signed_in};
use crate::helpers::{TestApp, assert_response, error_code, json, user_with_password};
use crate::organizations_frontend::enable_organizations;
use crate::receiver::Receiver;
use crate::webhooks::{check, endpoint, fast};

const PASSWORD: &str = "correct horse battery staple";

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let res = app.bapi(method, path, body).await;
    let status = res.status().as_u16();
    (status, json(res).await)
}

async fn role_id(app: &TestApp, key: &str) -> String {
    let roles = json(app.bapi_get("/v1/organization_roles?limit=100").await).await;
    roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {roles}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn keys(role: &Value) -> Vec<String> {
    role["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    custom_roles_and_permissions_reach_members_and_their_tokens,
    fast,
    |app: TestApp| async move {
        let rx = Receiver::ok().await;
        let (_, secret) = endpoint(&app, &rx.url, &[]).await;
        enable_organizations(&app).await;

        // The system permissions are listed, with ids.
        let all = json(app.bapi_get("/v1/organization_permissions").await).await;
        assert_response("get", "/organization_permissions", 200, &all);
        assert_eq!(all["total_count"], 6);
        assert!(
            all["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["type"] == "system")
        );

        // A custom permission; never a system one, never a taken key.
        let (status, perm) = call(
            &app,
            Method::POST,
            "/v1/organization_permissions",
            Some(json!({"name": "Read invoices", "key": "org:invoices:read", "description": "See the bills"})),
        )
        .await;
        assert_eq!(status, 200, "{perm}");
        assert_response("post", "/organization_permissions", 200, &perm);
        assert_eq!(perm["type"], "user");
        let perm_id = perm["id"].as_str().unwrap().to_owned();
        check(
            &rx.event("permission.created").await,
            &secret,
            "permission.created",
        );
        for (key, code) in [
            ("org:sys_profile:peek", "form_param_format_invalid"),
            ("org:invoices:read", "duplicate_record"),
            ("invoices", "form_param_format_invalid"),
        ] {
            let (status, body) = call(
                &app,
                Method::POST,
                "/v1/organization_permissions",
                Some(json!({"name": "x", "key": key})),
            )
            .await;
            assert_eq!((status, error_code(&body).as_str()), (422, code), "{key}");
        }

        // A role made of it; the admin role given it too.
        let (status, role) = call(
            &app,
            Method::POST,
            "/v1/organization_roles",
            Some(json!({"name": "Billing", "key": "org:billing", "description": "Pays", "permissions": [perm_id]})),
        )
        .await;
        assert_eq!(status, 200, "{role}");
        assert_response("post", "/organization_roles", 200, &role);
        assert_eq!(keys(&role), vec!["org:invoices:read"]);
        assert_eq!(role["is_creator_eligible"], false);
        let billing = role["id"].as_str().unwrap().to_owned();
        check(&rx.event("role.created").await, &secret, "role.created");
        let admin = role_id(&app, "org:admin").await;
        let give = format!("/v1/organization_roles/{admin}/permissions/{perm_id}");
        let (status, role) = call(&app, Method::POST, &give, None).await;
        assert_eq!(status, 200, "{role}");
        assert_response(
            "post",
            "/organization_roles/{organization_role_id}/permissions/{permission_id}",
            200,
            &role,
        );
        assert!(keys(&role).contains(&"org:invoices:read".to_owned()));
        let (status, _) = call(&app, Method::POST, &give, None).await;
        assert_eq!(status, 409, "given twice");
        let system = all["data"][0]["id"].as_str().unwrap();
        let (status, body) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organization_roles/{admin}/permissions/{system}"),
            None,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = call(
            &app,
            Method::PATCH,
            &format!("/v1/organization_roles/{admin}"),
            Some(json!({"key": "org:boss"})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organization_roles/{admin}"),
            None,
        )
        .await;
        assert_eq!((status, error_code(&body).as_str()), (422, "role_in_use"));

        // Members hold it: in their memberships and their tokens.
        let ada = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let bob = user_with_password(&app, "bob@example.com", PASSWORD).await;
        let (_, org) = app
            .post_json(
                "/v1/organizations",
                json!({"name": "Acme", "created_by": ada}),
            )
            .await;
        let org = org["id"].as_str().unwrap().to_owned();
        let (status, body) = app
            .post_json(
                &format!("/v1/organizations/{org}/memberships"),
                json!({"user_id": bob, "role": "org:billing"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["permissions"], json!(["org:invoices:read"]));
        let (b, sid) = signed_in(&app, "bob@example.com", PASSWORD).await;
        let touch = format!("/v1/client/sessions/{sid}/touch");
        let (status, body) = b
            .post(&touch, &[("active_organization_id", org.as_str())])
            .await;
        assert_eq!(status, 200, "{body}");
        let claims = crate::helpers::jwt_claims(
            body["response"]["last_active_token"]["jwt"]
                .as_str()
                .unwrap(),
        );
        assert_eq!(claims["o"]["rol"], "billing");
        assert_eq!(claims["fea"], "o:invoices");
        assert_eq!(
            (claims["o"]["per"].as_str(), claims["o"]["fpm"].as_str()),
            (Some("read"), Some("1"))
        );
        let roles = b
            .get(&format!(
                "{}&limit=20",
                me(&format!("/v1/organizations/{org}/roles"), &sid)
            ))
            .await;
        assert_frontend_schema("Client.ClientWrappedRoles", &roles);
        assert_eq!(roles["response"]["total_count"], 3);

        // A new key for the permission reaches the roles that have it.
        let (status, body) = call(
            &app,
            Method::PATCH,
            &format!("/v1/organization_permissions/{perm_id}"),
            Some(json!({"key": "org:invoices:view"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_response(
            "patch",
            "/organization_permissions/{permission_id}",
            200,
            &body,
        );
        check(
            &rx.event("permission.updated").await,
            &secret,
            "permission.updated",
        );
        let updated = check(&rx.event("role.updated").await, &secret, "role.updated");
        assert!(
            updated["data"]["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["key"] == "org:invoices:view" || p["key"] == "org:invoices:read")
        );
        let role = json(
            app.bapi_get(&format!("/v1/organization_roles/{billing}"))
                .await,
        )
        .await;
        assert_response(
            "get",
            "/organization_roles/{organization_role_id}",
            200,
            &role,
        );
        assert_eq!(keys(&role), vec!["org:invoices:view"]);
        let tokens = format!("/v1/client/sessions/{sid}/tokens");
        let (_, t) = b.post(&tokens, &[("organization_id", org.as_str())]).await;
        let claims = crate::helpers::jwt_claims(t["jwt"].as_str().unwrap());
        assert_eq!(claims["o"]["per"], "view", "{claims}");

        // A held role: not deleted; a new key moves its members.
        let (status, body) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organization_roles/{billing}"),
            None,
        )
        .await;
        assert_eq!((status, error_code(&body).as_str()), (422, "role_in_use"));
        let (status, body) = call(
            &app,
            Method::PATCH,
            &format!("/v1/organization_roles/{billing}"),
            Some(json!({"key": "org:finance", "name": "Finance"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_response(
            "patch",
            "/organization_roles/{organization_role_id}",
            200,
            &body,
        );
        let members = json(
            app.bapi_get(&format!(
                "/v1/organizations/{org}/memberships?role=org:finance"
            ))
            .await,
        )
        .await;
        assert_eq!(members["total_count"], 1);
        assert_eq!(members["data"][0]["role_name"], "Finance");

        // A deleted permission leaves every role; a role nobody holds goes.
        let (status, body) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organization_permissions/{perm_id}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_response(
            "delete",
            "/organization_permissions/{permission_id}",
            200,
            &body,
        );
        check(
            &rx.event("permission.deleted").await,
            &secret,
            "permission.deleted",
        );
        let role = json(
            app.bapi_get(&format!("/v1/organization_roles/{admin}"))
                .await,
        )
        .await;
        assert_eq!(
            keys(&role).len(),
            6,
            "the admin keeps its system permissions only"
        );
        let (_, t) = b.post(&tokens, &[("organization_id", org.as_str())]).await;
        let claims = crate::helpers::jwt_claims(t["jwt"].as_str().unwrap());
        assert!(claims.get("fea").is_none(), "{claims}");
        let (status, _) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organizations/{org}/memberships/{bob}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let (status, body) = call(
            &app,
            Method::DELETE,
            &format!("/v1/organization_roles/{billing}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_response(
            "delete",
            "/organization_roles/{organization_role_id}",
            200,
            &body,
        );
        check(&rx.event("role.deleted").await, &secret, "role.deleted");
        let (status, _) = call(
            &app,
            Method::GET,
            &format!("/v1/organization_roles/{billing}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
    }
);
