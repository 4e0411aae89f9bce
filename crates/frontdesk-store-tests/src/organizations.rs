//! Organizations: created with their first member and its event in one
//! transaction, slugs unique, members counted by the changes themselves
//! (parallel joins and leaves leave the exact count), the limit and "one
//! member can still manage the members" decided on the current rows (many
//! at once: exactly the limit joins, exactly one last manager stays),
//! pages and filters, the claims a token carries, and a deleted user's
//! memberships uncounted.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{
    Membership, Organization, PermissionKey, Role, RoleKey, system_roles,
};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_store::organizations::{
    MemberQuery, MembershipPatch, MembershipView, OrgPatch, OrgQuery,
};
use frontdesk_store::{Refusal, Store, StoreError};
use frontdesk_types::{MessageId, OrganizationId, OrganizationMembershipId, RoleId, UserId};
use futures_util::future::join_all;
use serde_json::json;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    roles_are_stored_once(store).await;
    an_organization_is_created_with_its_first_member(store).await;
    slugs_are_unique_and_updates_compare_versions(store).await;
    members_joining_and_leaving_at_once_are_counted_exactly(store).await;
    a_full_organization_takes_exactly_its_limit(store).await;
    one_member_who_manages_the_members_always_stays(store).await;
    members_and_organizations_list_by_page_and_filter(store).await;
    a_deleted_user_leaves_its_organizations(store).await;
    a_session_activates_only_an_organization_of_its_user(store).await;
}

const AT: UnixMillis = UnixMillis(1_700_500_000_000);

fn roles() -> Vec<Role> {
    let mut out: Vec<Role> = system_roles()
        .into_iter()
        .map(|(key, name, description, permissions)| Role {
            id: RoleId::generate(),
            key,
            name: name.to_owned(),
            description: description.to_owned(),
            permissions,
            created_at: AT,
            updated_at: AT,
        })
        .collect();
    out[0]
        .permissions
        .push(PermissionKey::parse("org:invoices:read").unwrap());
    out
}

pub(crate) fn org(tag: &str, max: i64) -> Organization {
    let id = OrganizationId::generate();
    Organization {
        name: format!("Org {tag}"),
        slug: format!("{tag}-{}", id.as_str()[4..].to_lowercase()),
        id,
        image_url: None,
        public_metadata: json!({"plan": "free"}),
        private_metadata: json!({}),
        max_allowed_memberships: max,
        admin_delete_enabled: true,
        members_count: 0,
        pending_invitations_count: 0,
        created_by: None,
        created_at: AT,
        updated_at: AT,
        version: 0,
    }
}

fn membership(org: &OrganizationId, user: &UserId, role: RoleKey) -> Membership {
    Membership {
        id: OrganizationMembershipId::generate(),
        organization_id: org.clone(),
        user_id: user.clone(),
        role,
        public_metadata: json!({}),
        private_metadata: json!({}),
        created_at: AT,
        updated_at: AT,
    }
}

fn event(kind: &str, id: &str) -> Option<OutboxEvent> {
    Some(OutboxEvent {
        id: MessageId::generate(),
        event_type: kind.to_owned(),
        payload: json!({"type": kind, "data": {"id": id}}).to_string(),
        created_at: AT,
    })
}

fn none(_: &MembershipView) -> Option<OutboxEvent> {
    None
}

async fn created<S: Store>(store: &S, tag: &str, max: i64) -> (Organization, UserId) {
    let admin = new_user(store, tag).await;
    let o = org(tag, max);
    let m = membership(&o.id, &admin.id, RoleKey::admin());
    let stored = store
        .create_organization(&o, Some(&m), &|_| None, &none)
        .await
        .unwrap();
    (stored, admin.id)
}

pub async fn roles_are_stored_once<S: Store>(store: &S) {
    let rs = roles();
    let runs = join_all((0..4).map(|_| store.ensure_roles(&rs))).await;
    assert!(runs.iter().all(Result::is_ok), "{runs:?}");
    // A second node with other ids changes nothing.
    store.ensure_roles(&roles()).await.unwrap();
    let stored = store.roles().await.unwrap();
    let keys: Vec<&str> = stored.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["org:admin", "org:member"]);
    assert_eq!(stored[0].id, rs[0].id, "the first writer's row stays");
    assert!(stored[0].manages_members() && !stored[1].manages_members());
}

pub async fn an_organization_is_created_with_its_first_member<S: Store>(store: &S) {
    let ada = new_user(store, "org-ada").await;
    let o = org("acme", 0);
    let m = membership(&o.id, &ada.id, RoleKey::admin());
    let stored = store
        .create_organization(
            &o,
            Some(&m),
            &|o| event("organization.created", o.id.as_str()),
            &|v| event("organizationMembership.created", v.membership.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(stored.members_count, 1);
    assert_eq!(stored.public_metadata, json!({"plan": "free"}));
    assert_eq!(
        store.organization(&o.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        store.organization_by_slug(&o.slug).await.unwrap(),
        Some(stored.clone())
    );
    let view = store.membership(&o.id, &ada.id).await.unwrap().unwrap();
    assert_eq!(view.membership, m);
    assert_eq!(view.role_name, "Admin");
    assert!(
        view.user.identifier.ends_with("@example.com"),
        "{:?}",
        view.user
    );
    assert!(
        view.permissions
            .iter()
            .any(|p| p.as_str() == "org:invoices:read")
    );
    let claims = store.org_claims(&o.id, &ada.id).await.unwrap().unwrap();
    assert_eq!(claims.slug, o.slug);
    assert_eq!(claims.role, RoleKey::admin());
    assert_eq!(claims.permissions, view.permissions);
    let stranger = new_user(store, "org-stranger").await;
    assert_eq!(store.org_claims(&o.id, &stranger.id).await.unwrap(), None);

    // A creator who is gone: nothing is stored.
    let gone = UserId::generate();
    let o2 = org("gone", 0);
    let r = store
        .create_organization(
            &o2,
            Some(&membership(&o2.id, &gone, RoleKey::admin())),
            &|_| None,
            &none,
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert_eq!(store.organization(&o2.id).await.unwrap(), None);

    // A member twice is a conflict and changes no count.
    let again = store
        .add_membership(&membership(&o.id, &ada.id, RoleKey::member()), &none)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        store
            .organization(&o.id)
            .await
            .unwrap()
            .unwrap()
            .members_count,
        1
    );

    store.delete_organization(&o.id, &[]).await.unwrap();
    assert_eq!(store.organization(&o.id).await.unwrap(), None);
    assert_eq!(store.membership(&o.id, &ada.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_organization(&o.id, &[]).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn slugs_are_unique_and_updates_compare_versions<S: Store>(store: &S) {
    let (a, _) = created(store, "slug-a", 0).await;
    let (b, _) = created(store, "slug-b", 0).await;
    let mut twin = org("twin", 0);
    twin.slug = a.slug.clone();
    let r = store
        .create_organization(&twin, None, &|_| None, &none)
        .await;
    assert!(
        matches!(r, Err(StoreError::Conflict(ref c)) if c == "organizations.slug"),
        "{r:?}"
    );
    let taken = OrgPatch {
        slug: Some(a.slug.clone()),
        ..OrgPatch::default()
    };
    let r = store
        .update_organization(&b.id, &taken, AT, &|_| None)
        .await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");

    let renamed = store
        .update_organization(
            &b.id,
            &OrgPatch {
                name: Some("Renamed".into()),
                image_url: Some(Some("https://img.example/x.png".into())),
                public_metadata: Some(json!({"plan": "pro"})),
                expected_version: Some(b.version),
                ..OrgPatch::default()
            },
            AT.plus_secs(1),
            &|_| None,
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Renamed");
    assert_eq!(renamed.slug, b.slug, "unchanged");
    assert_eq!(renamed.public_metadata, json!({"plan": "pro"}));
    assert_eq!(renamed.updated_at, AT.plus_secs(1));
    // A merge computed from the old row loses.
    let stale = OrgPatch {
        private_metadata: Some(json!({"x": 1})),
        expected_version: Some(b.version),
        ..OrgPatch::default()
    };
    let r = store
        .update_organization(&b.id, &stale, AT, &|_| None)
        .await;
    assert!(matches!(r, Err(StoreError::Stale)), "{r:?}");
    let r = store
        .update_organization(
            &OrganizationId::generate(),
            &OrgPatch::default(),
            AT,
            &|_| None,
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

pub async fn members_joining_and_leaving_at_once_are_counted_exactly<S: Store>(store: &S) {
    let (o, _) = created(store, "count", 0).await;
    let mut users = Vec::new();
    for i in 0..WRITERS {
        users.push(new_user(store, &format!("count-{i}")).await.id);
    }
    let ms: Vec<Membership> = users
        .iter()
        .map(|u| membership(&o.id, u, RoleKey::member()))
        .collect();
    let joins = join_all(ms.iter().map(|m| store.add_membership(m, &none))).await;
    assert!(joins.iter().all(Result::is_ok), "{joins:?}");
    let now = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!(now.members_count, 1 + WRITERS as i64);
    let half = &users[..WRITERS / 2];
    let leaves = join_all(
        half.iter()
            .map(|u| store.remove_membership(&o.id, u, &none)),
    )
    .await;
    assert!(leaves.iter().all(Result::is_ok), "{leaves:?}");
    // Leaving twice: the second finds nothing and counts nothing.
    let twice =
        join_all((0..4).map(|_| store.remove_membership(&o.id, &users[WRITERS - 1], &none))).await;
    assert_eq!(twice.iter().filter(|r| r.is_ok()).count(), 1, "{twice:?}");
    let expected = 1 + (WRITERS - WRITERS / 2 - 1) as i64;
    let now = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!(now.members_count, expected);
    let page = store.list_memberships(&member_query(&o.id)).await.unwrap();
    assert_eq!(page.total_count, expected);
    assert_eq!(page.data.len() as i64, expected);
}

pub async fn a_full_organization_takes_exactly_its_limit<S: Store>(store: &S) {
    let (o, _) = created(store, "full", 3).await;
    let mut users = Vec::new();
    for i in 0..WRITERS {
        users.push(new_user(store, &format!("full-{i}")).await.id);
    }
    let ms: Vec<Membership> = users
        .iter()
        .map(|u| membership(&o.id, u, RoleKey::member()))
        .collect();
    let joins = join_all(ms.iter().map(|m| store.add_membership(m, &none))).await;
    assert_eq!(joins.iter().filter(|r| r.is_ok()).count(), 2, "{joins:?}");
    assert!(
        joins
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Refused(Refusal::MembershipLimit))))
    );
    let now = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!(now.members_count, 3);
    assert_eq!(
        store
            .list_memberships(&member_query(&o.id))
            .await
            .unwrap()
            .data
            .len(),
        3
    );
}

pub async fn one_member_who_manages_the_members_always_stays<S: Store>(store: &S) {
    let (o, first) = created(store, "managers", 0).await;
    let mut admins = vec![first.clone()];
    for i in 0..WRITERS - 1 {
        let u = new_user(store, &format!("managers-{i}")).await.id;
        store
            .add_membership(&membership(&o.id, &u, RoleKey::admin()), &none)
            .await
            .unwrap();
        admins.push(u);
    }
    // Every admin demoted at once, and the last one alone removed: one stays.
    let demote = MembershipPatch {
        role: Some(RoleKey::member()),
        ..MembershipPatch::default()
    };
    let runs = join_all(
        admins
            .iter()
            .map(|u| store.update_membership(&o.id, u, &demote, AT, &none)),
    )
    .await;
    assert_eq!(runs.iter().filter(|r| r.is_err()).count(), 1, "{runs:?}");
    assert!(
        runs.iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Refused(Refusal::LastManager))))
    );
    let admin_only = MemberQuery {
        roles: vec![RoleKey::admin()],
        ..member_query(&o.id)
    };
    let left = store.list_memberships(&admin_only).await.unwrap();
    assert_eq!(left.total_count, 1);
    let last = left.data[0].membership.user_id.clone();
    let r = store.remove_membership(&o.id, &last, &none).await;
    assert!(
        matches!(r, Err(StoreError::Refused(Refusal::LastManager))),
        "{r:?}"
    );
    // Promoting another first lets the last one go.
    let other = admins.iter().find(|u| **u != last).unwrap();
    let promote = MembershipPatch {
        role: Some(RoleKey::admin()),
        public_metadata: Some(json!({"promoted": true})),
        ..MembershipPatch::default()
    };
    let v = store
        .update_membership(&o.id, other, &promote, AT.plus_secs(2), &none)
        .await
        .unwrap();
    assert_eq!(v.membership.role, RoleKey::admin());
    assert_eq!(v.membership.public_metadata, json!({"promoted": true}));
    assert_eq!(v.membership.updated_at, AT.plus_secs(2));
    store.remove_membership(&o.id, &last, &none).await.unwrap();
}

fn member_query(org: &OrganizationId) -> MemberQuery {
    MemberQuery {
        organization_id: Some(org.clone()),
        roles: Vec::new(),
        user_ids: Vec::new(),
        email_addresses: Vec::new(),
        query: None,
        descending: false,
        limit: 100,
        offset: 0,
    }
}

pub async fn members_and_organizations_list_by_page_and_filter<S: Store>(store: &S) {
    let (o, first) = created(store, "pages", 0).await;
    let mut ids = vec![first.clone()];
    for i in 0..5 {
        let u = new_user(store, &format!("pages-{i}")).await;
        let mut m = membership(&o.id, &u.id, RoleKey::member());
        m.created_at = AT.plus_secs(10 + i);
        store.add_membership(&m, &none).await.unwrap();
        ids.push(u.id);
    }
    let page = store
        .list_memberships(&MemberQuery {
            limit: 2,
            offset: 2,
            ..member_query(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(page.total_count, 6);
    let got: Vec<&UserId> = page.data.iter().map(|v| &v.membership.user_id).collect();
    assert_eq!(got, [&ids[2], &ids[3]]);
    let newest = store
        .list_memberships(&MemberQuery {
            descending: true,
            limit: 1,
            ..member_query(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(newest.data[0].membership.user_id, ids[5]);
    let members = store
        .list_memberships(&MemberQuery {
            roles: vec![RoleKey::member()],
            ..member_query(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(members.total_count, 5);
    let one = store
        .list_memberships(&MemberQuery {
            user_ids: vec![ids[4].clone()],
            ..member_query(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(one.total_count, 1);
    let by_mail = store
        .list_memberships(&MemberQuery {
            email_addresses: vec![one.data[0].user.identifier.to_uppercase()],
            ..member_query(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(by_mail.data[0].membership.user_id, ids[4]);
    let searched = store
        .list_memberships(&MemberQuery {
            query: Some("PAGES-3-".into()),
            ..member_query(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(searched.total_count, 1, "{searched:?}");

    // Organizations: by member, by text, by id; the user's own list.
    let mine = store
        .list_organizations(&OrgQuery {
            user_ids: vec![ids[3].clone()],
            limit: 10,
            ..OrgQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.total_count, 1);
    assert_eq!(mine.data[0].id, o.id);
    let text = store
        .list_organizations(&OrgQuery {
            query: Some(o.slug.to_uppercase()),
            limit: 10,
            ..OrgQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(text.data.iter().map(|x| &x.id).collect::<Vec<_>>(), [&o.id]);
    let all = store
        .list_organizations(&OrgQuery {
            limit: 1,
            descending: true,
            ..OrgQuery::default()
        })
        .await
        .unwrap();
    assert!(all.total_count >= 5);
    assert_eq!(all.data.len(), 1);
    let theirs = store.user_memberships(&ids[3], 10, 0).await.unwrap();
    assert_eq!(theirs.total_count, 1);
    assert_eq!(theirs.data[0].organization.id, o.id);
}

pub async fn a_deleted_user_leaves_its_organizations<S: Store>(store: &S) {
    let (o, _) = created(store, "deleted", 0).await;
    let leaving = new_user(store, "deleted-member").await;
    store
        .add_membership(&membership(&o.id, &leaving.id, RoleKey::member()), &none)
        .await
        .unwrap();
    assert_eq!(
        store
            .organization(&o.id)
            .await
            .unwrap()
            .unwrap()
            .members_count,
        2
    );
    store.delete_user(&leaving.id, &[]).await.unwrap();
    assert_eq!(
        store
            .organization(&o.id)
            .await
            .unwrap()
            .unwrap()
            .members_count,
        1
    );
    assert_eq!(
        store
            .list_memberships(&member_query(&o.id))
            .await
            .unwrap()
            .total_count,
        1
    );
}

pub async fn a_session_activates_only_an_organization_of_its_user<S: Store>(store: &S) {
    let (o, admin) = created(store, "active", 0).await;
    let user = store.get_user(&admin).await.unwrap().unwrap();
    let (_, session) = super::client_and_session(store, &user, AT).await;
    let on = store
        .set_active_organization(&session.id, Some(&o.id), AT.plus_secs(1))
        .await
        .unwrap();
    assert_eq!(
        on.last_active_organization_id.as_deref(),
        Some(o.id.as_str())
    );
    assert_eq!(
        store
            .get_session(&session.id)
            .await
            .unwrap()
            .unwrap()
            .last_active_organization_id,
        Some(o.id.to_string())
    );
    let (other, _) = created(store, "active-other", 0).await;
    let r = store
        .set_active_organization(&session.id, Some(&other.id), AT)
        .await;
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "not a member: {r:?}"
    );
    let personal = store
        .set_active_organization(&session.id, None, AT.plus_secs(2))
        .await
        .unwrap();
    assert_eq!(personal.last_active_organization_id, None);
    // A member who leaves (or is removed) leaves the sessions that had the
    // organization active in the personal workspace; so does a deleted
    // organization.
    let leaver = new_user(store, "active-leaver").await;
    store
        .add_membership(&membership(&o.id, &leaver.id, RoleKey::member()), &none)
        .await
        .unwrap();
    let (_, leavers) = super::client_and_session(store, &leaver, AT).await;
    store
        .set_active_organization(&leavers.id, Some(&o.id), AT)
        .await
        .unwrap();
    store
        .remove_membership(&o.id, &leaver.id, &none)
        .await
        .unwrap();
    let after = store.get_session(&leavers.id).await.unwrap().unwrap();
    assert_eq!(after.last_active_organization_id, None, "left: personal");
    store
        .set_active_organization(&session.id, Some(&o.id), AT)
        .await
        .unwrap();
    let (doomed, _) = created(store, "active-doomed", 0).await;
    let doomed_admin = store
        .list_memberships(&MemberQuery {
            organization_id: Some(doomed.id.clone()),
            roles: vec![],
            user_ids: vec![],
            email_addresses: vec![],
            query: None,
            descending: true,
            limit: 1,
            offset: 0,
        })
        .await
        .unwrap()
        .data[0]
        .membership
        .user_id
        .clone();
    let doomed_user = store.get_user(&doomed_admin).await.unwrap().unwrap();
    let (_, doomed_session) = super::client_and_session(store, &doomed_user, AT).await;
    store
        .set_active_organization(&doomed_session.id, Some(&doomed.id), AT)
        .await
        .unwrap();
    store.delete_organization(&doomed.id, &[]).await.unwrap();
    let after = store
        .get_session(&doomed_session.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.last_active_organization_id, None, "deleted: personal");
    // Leaving and switching at once: the switch never lands on an
    // organization the user has left.
    let member = new_user(store, "active-member").await;
    store
        .add_membership(&membership(&o.id, &member.id, RoleKey::member()), &none)
        .await
        .unwrap();
    let (_, theirs) = super::client_and_session(store, &member, AT).await;
    let (switched, left) = futures_util::future::join(
        store.set_active_organization(&theirs.id, Some(&o.id), AT),
        store.remove_membership(&o.id, &member.id, &none),
    )
    .await;
    left.unwrap();
    if switched.is_ok() {
        // The switch came first; the token then finds no membership.
        assert_eq!(store.org_claims(&o.id, &member.id).await.unwrap(), None);
    }
}
