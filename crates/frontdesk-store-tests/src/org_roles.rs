//! The instance's organization roles and permissions: every change takes
//! the whole role catalog first, so parallel changes to one role's
//! permissions all land (none rewrites the list from a stale copy); a
//! permission's new key is rewritten in the roles that have it, and a
//! deleted one taken from them; a role's new key moves its memberships; a
//! role held by members keeps its system permissions and is not deleted.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{Membership, Permission, PermissionKey, Role, RoleKey};
use frontdesk_store::org_roles::{PermissionPatch, RolePatch};
use frontdesk_store::{Refusal, Store, StoreError};
use frontdesk_types::{OrganizationMembershipId, PermissionId, RoleId};
use futures_util::future::join_all;
use serde_json::json;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    parallel_changes_to_one_role_all_land(store).await;
    keys_that_change_are_rewritten_where_they_are_used(store).await;
    a_held_role_keeps_its_system_permissions_and_stays(store).await;
}

const AT: UnixMillis = UnixMillis(1_700_700_000_000);

fn permission(key: &str) -> Permission {
    Permission {
        id: PermissionId::generate(),
        key: PermissionKey::parse(key).unwrap(),
        name: key.to_owned(),
        description: String::new(),
        created_at: AT,
        updated_at: AT,
    }
}

fn role(key: &str, permissions: &[&PermissionKey]) -> Role {
    Role {
        id: RoleId::generate(),
        key: RoleKey::parse(key).unwrap(),
        name: key.to_owned(),
        description: String::new(),
        permissions: permissions.iter().map(|p| (*p).clone()).collect(),
        created_at: AT,
        updated_at: AT,
    }
}

/// A tag unique to this run, for keys (the store is shared by stories).
fn tag() -> String {
    frontdesk_types::id::random_base62(6).to_lowercase()
}

pub async fn parallel_changes_to_one_role_all_land<S: Store>(store: &S) {
    let t = tag();
    let perms: Vec<Permission> = (0..WRITERS)
        .map(|i| permission(&format!("org:feat{t}:act{i}")))
        .collect();
    for p in &perms {
        store.create_permission(p, &|_| None).await.unwrap();
    }
    let again = store
        .create_permission(&permission(perms[0].key.as_str()), &|_| None)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let r = role(&format!("org:r{t}"), &[]);
    store.create_role(&r, &|_| None).await.unwrap();
    let patches: Vec<RolePatch> = perms
        .iter()
        .map(|p| RolePatch {
            add: Some(p.key.clone()),
            ..RolePatch::default()
        })
        .collect();
    let runs = join_all(
        patches
            .iter()
            .map(|p| store.update_role(&r.id, p, AT, &|_| None)),
    )
    .await;
    assert!(runs.iter().all(Result::is_ok), "{runs:?}");
    let stored = store.role(&r.id).await.unwrap().unwrap();
    assert_eq!(
        stored.permissions.len(),
        WRITERS,
        "every parallel grant landed"
    );
    // Taking them away at once leaves none.
    let patches: Vec<RolePatch> = perms
        .iter()
        .map(|p| RolePatch {
            remove: Some(p.key.clone()),
            ..RolePatch::default()
        })
        .collect();
    join_all(
        patches
            .iter()
            .map(|p| store.update_role(&r.id, p, AT, &|_| None)),
    )
    .await;
    assert!(
        store
            .role(&r.id)
            .await
            .unwrap()
            .unwrap()
            .permissions
            .is_empty()
    );
    let listed = store.permissions().await.unwrap();
    assert!(listed.iter().any(|p| p.key == perms[3].key));
}

pub async fn keys_that_change_are_rewritten_where_they_are_used<S: Store>(store: &S) {
    let t = tag();
    let read = permission(&format!("org:inv{t}:read"));
    let pay = permission(&format!("org:inv{t}:pay"));
    for p in [&read, &pay] {
        store.create_permission(p, &|_| None).await.unwrap();
    }
    let r = role(&format!("org:billing{t}"), &[&read.key, &pay.key]);
    store.create_role(&r, &|_| None).await.unwrap();
    let other = role(&format!("org:viewer{t}"), &[&read.key]);
    store.create_role(&other, &|_| None).await.unwrap();

    // A new key for a permission: both roles carry it, in place; each
    // changed role's event is recorded.
    let renamed = PermissionKey::parse(&format!("org:bills{t}:read")).unwrap();
    let changed = std::sync::Mutex::new(Vec::new());
    let patch = PermissionPatch {
        key: Some(renamed.clone()),
        ..PermissionPatch::default()
    };
    store
        .update_permission(&read.id, &patch, AT, &|_| None, &|r| {
            changed.lock().unwrap().push(r.id.clone());
            None
        })
        .await
        .unwrap();
    assert_eq!(changed.lock().unwrap().len(), 2);
    let stored = store.role(&r.id).await.unwrap().unwrap();
    assert_eq!(stored.permissions, vec![renamed.clone(), pay.key.clone()]);

    // A deleted permission leaves every role.
    store
        .delete_permission(&pay.id, &|_| None, &|_| None)
        .await
        .unwrap();
    assert_eq!(
        store.role(&r.id).await.unwrap().unwrap().permissions,
        vec![renamed]
    );

    // A new key for a role moves its members with it.
    let (o, _) = organization(store, &t).await;
    let user = new_user(store, "role-key").await;
    store
        .add_membership(&member(&o, &user.id, &r.key), &|_| None)
        .await
        .unwrap();
    let new_key = RoleKey::parse(&format!("org:finance{t}")).unwrap();
    let patch = RolePatch {
        key: Some(new_key.clone()),
        ..RolePatch::default()
    };
    store
        .update_role(&r.id, &patch, AT, &|_| None)
        .await
        .unwrap();
    let view = store.membership(&o, &user.id).await.unwrap().unwrap();
    assert_eq!(view.membership.role, new_key);
    assert_eq!(view.role_name, r.name);

    // System permissions cannot be edited.
    let system = store
        .permissions()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.key.is_system());
    if let Some(system) = system {
        let r = store
            .delete_permission(&system.id, &|_| None, &|_| None)
            .await;
        assert!(
            matches!(r, Err(StoreError::Refused(Refusal::System))),
            "{r:?}"
        );
    }
}

pub async fn a_held_role_keeps_its_system_permissions_and_stays<S: Store>(store: &S) {
    let t = tag();
    let manage = PermissionKey::parse("org:sys_memberships:manage").unwrap();
    let r = role(&format!("org:lead{t}"), &[&manage]);
    store.create_role(&r, &|_| None).await.unwrap();
    let (o, _) = organization(store, &format!("held{t}")).await;
    let user = new_user(store, "role-held").await;
    store
        .add_membership(&member(&o, &user.id, &r.key), &|_| None)
        .await
        .unwrap();
    let strip = RolePatch {
        remove: Some(manage.clone()),
        ..RolePatch::default()
    };
    let refused = store.update_role(&r.id, &strip, AT, &|_| None).await;
    assert!(
        matches!(refused, Err(StoreError::Refused(Refusal::RoleInUse))),
        "{refused:?}"
    );
    let refused = store.delete_role(&r.id, &|_| None).await;
    assert!(
        matches!(refused, Err(StoreError::Refused(Refusal::RoleInUse))),
        "{refused:?}"
    );
    store
        .remove_membership(&o, &user.id, &|_| None)
        .await
        .unwrap();
    store
        .update_role(&r.id, &strip, AT, &|_| None)
        .await
        .unwrap();
    let gone = store.delete_role(&r.id, &|_| None).await.unwrap();
    assert_eq!(gone.key, r.key);
    assert_eq!(store.role(&r.id).await.unwrap(), None);
}

async fn organization<S: Store>(
    store: &S,
    t: &str,
) -> (frontdesk_types::OrganizationId, frontdesk_types::UserId) {
    let admin = new_user(store, "role-admin").await;
    let o = super::organizations::org(t, 0);
    let m = member(&o.id, &admin.id, &RoleKey::admin());
    store
        .create_organization(&o, Some(&m), &|_| None, &|_| None)
        .await
        .unwrap();
    (o.id, admin.id)
}

fn member(
    org: &frontdesk_types::OrganizationId,
    user: &frontdesk_types::UserId,
    role: &RoleKey,
) -> Membership {
    Membership {
        id: OrganizationMembershipId::generate(),
        organization_id: org.clone(),
        user_id: user.clone(),
        role: role.clone(),
        public_metadata: json!({}),
        private_metadata: json!({}),
        created_at: AT,
        updated_at: AT,
    }
}
