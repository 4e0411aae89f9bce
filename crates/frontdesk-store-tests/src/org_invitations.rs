//! Invitations to organizations: created all or none with one pending
//! invitation per address, found by their ticket's hash, listed by
//! organization, address and status (a pending one past its expiry is
//! expired), and decided once: many accepts of one invitation make one
//! member, an accept racing a revoke ends one way, a full organization
//! keeps the invitation pending, and the organization's pending count is
//! what those changes left.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{
    Invitation, InvitationStatus, Membership, Organization, RoleKey,
};
use frontdesk_store::org_invitations::{InvitationQuery, NewInvitation};
use frontdesk_store::organizations::MembershipView;
use frontdesk_store::{Refusal, Store, StoreError};
use frontdesk_types::{OrganizationId, OrganizationInvitationId, OrganizationMembershipId, UserId};
use futures_util::future::join_all;
use serde_json::json;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    invitations_are_created_all_or_none_and_listed(store).await;
    an_expired_invitation_gives_way_to_a_new_one(store).await;
    an_invitation_is_accepted_exactly_once(store).await;
    accepts_racing_revokes_end_one_way_each(store).await;
    a_full_organization_keeps_the_invitation_pending(store).await;
    lapsed_invitations_stop_counting_as_pending(store).await;
}

const AT: UnixMillis = UnixMillis(1_700_600_000_000);
const DAY: i64 = 86_400;

async fn organization<S: Store>(store: &S, tag: &str, max: i64) -> (Organization, UserId) {
    let admin = new_user(store, tag).await;
    let o = super::organizations::org(tag, max);
    let m = member(&o.id, &admin.id);
    let m = Membership {
        role: RoleKey::admin(),
        ..m
    };
    let stored = store
        .create_organization(&o, Some(&m), &|_| None, &|_| None)
        .await
        .unwrap();
    (stored, admin.id)
}

fn invitation(org: &OrganizationId, email: &str, expires_at: UnixMillis) -> NewInvitation {
    let id = OrganizationInvitationId::generate();
    NewInvitation {
        ticket_hash: format!("hash-{id}"),
        invitation: Invitation {
            id,
            organization_id: org.clone(),
            email_address: email.to_lowercase(),
            role: RoleKey::member(),
            status: InvitationStatus::Pending,
            public_metadata: json!({"team": "red"}),
            private_metadata: json!({"source": "test"}),
            inviter_id: None,
            redirect_url: Some("https://app.example.com/welcome".to_owned()),
            expires_at,
            created_at: AT,
            updated_at: AT,
        },
    }
}

fn member(org: &OrganizationId, user: &UserId) -> Membership {
    Membership {
        id: OrganizationMembershipId::generate(),
        organization_id: org.clone(),
        user_id: user.clone(),
        role: RoleKey::member(),
        public_metadata: json!({"team": "red"}),
        private_metadata: json!({}),
        created_at: AT,
        updated_at: AT,
    }
}

fn none(_: &MembershipView) -> Option<frontdesk_domain::webhooks::OutboxEvent> {
    None
}

fn query(
    org: Option<&OrganizationId>,
    emails: &[&str],
    statuses: &[InvitationStatus],
) -> InvitationQuery {
    InvitationQuery {
        organization_id: org.cloned(),
        email_addresses: emails.iter().map(|e| e.to_string()).collect(),
        statuses: statuses.to_vec(),
        now: AT,
        limit: 100,
        offset: 0,
    }
}

async fn pending_count<S: Store>(store: &S, org: &OrganizationId) -> i64 {
    store
        .organization(org)
        .await
        .unwrap()
        .unwrap()
        .pending_invitations_count
}

pub async fn invitations_are_created_all_or_none_and_listed<S: Store>(store: &S) {
    let (o, admin) = organization(store, "inv-list", 0).await;
    let later = AT.plus_secs(30 * DAY);
    let batch: Vec<NewInvitation> = ["a", "b", "c"]
        .iter()
        .map(|n| invitation(&o.id, &format!("{n}-{}@Example.com", o.id), later))
        .collect();
    let made = store
        .create_invitations(&o.id, &batch, &|_| None)
        .await
        .unwrap();
    assert_eq!(made.len(), 3);
    assert_eq!(made[0].invitation, batch[0].invitation);
    assert_eq!(made[0].organization.id, o.id);
    assert_eq!(made[0].role_name, "Member");
    assert_eq!(made[2].organization.pending_invitations_count, 3);
    assert_eq!(pending_count(store, &o.id).await, 3);
    let found = store
        .invitation_by_ticket(&batch[1].ticket_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.invitation.id, batch[1].invitation.id);
    assert_eq!(
        store.invitation_by_ticket("hash-nothing").await.unwrap(),
        None
    );

    // One address already pending: nothing of the batch is stored.
    let again = vec![
        invitation(&o.id, &format!("d-{}@example.com", o.id), later),
        invitation(&o.id, &batch[0].invitation.email_address, later),
    ];
    let r = store.create_invitations(&o.id, &again, &|_| None).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert_eq!(
        store.invitation(&again[0].invitation.id).await.unwrap(),
        None
    );
    assert_eq!(pending_count(store, &o.id).await, 3);
    // Another organization may invite the same address.
    let (other, _) = organization(store, "inv-other", 0).await;
    store
        .create_invitations(
            &other.id,
            &[invitation(
                &other.id,
                &batch[0].invitation.email_address,
                later,
            )],
            &|_| None,
        )
        .await
        .unwrap();

    // Lists: by organization (newest first), by address, by status.
    let page = store
        .list_invitations(&query(Some(&o.id), &[], &[]))
        .await
        .unwrap();
    assert_eq!(page.total_count, 3);
    let by_address = store
        .list_invitations(&query(
            None,
            &[&batch[0].invitation.email_address],
            &[InvitationStatus::Pending],
        ))
        .await
        .unwrap();
    assert_eq!(by_address.total_count, 2, "both organizations' invitations");
    let revoked = store
        .revoke_invitation(&o.id, &batch[2].invitation.id, AT, &|_| None)
        .await
        .unwrap();
    assert_eq!(revoked.invitation.status, InvitationStatus::Revoked);
    assert_eq!(revoked.organization.pending_invitations_count, 2);
    let again = store
        .revoke_invitation(&o.id, &batch[2].invitation.id, AT, &|_| None)
        .await;
    assert!(
        matches!(again, Err(StoreError::Refused(Refusal::InvitationClosed))),
        "{again:?}"
    );
    let elsewhere = store
        .revoke_invitation(&other.id, &batch[1].invitation.id, AT, &|_| None)
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound)),
        "{elsewhere:?}"
    );
    let pending = store
        .list_invitations(&query(Some(&o.id), &[], &[InvitationStatus::Pending]))
        .await
        .unwrap();
    assert_eq!(pending.total_count, 2);
    let closed = store
        .list_invitations(&query(
            Some(&o.id),
            &[],
            &[InvitationStatus::Revoked, InvitationStatus::Accepted],
        ))
        .await
        .unwrap();
    assert_eq!(closed.total_count, 1);
    assert_eq!(closed.data[0].invitation.id, batch[2].invitation.id);
    let _ = admin;
}

pub async fn an_expired_invitation_gives_way_to_a_new_one<S: Store>(store: &S) {
    let (o, _) = organization(store, "inv-expired", 0).await;
    let email = format!("late-{}@example.com", o.id).to_lowercase();
    let old = invitation(&o.id, &email, AT.plus_secs(-1));
    store
        .create_invitations(&o.id, std::slice::from_ref(&old), &|_| None)
        .await
        .unwrap();
    let expired = store
        .list_invitations(&query(Some(&o.id), &[], &[InvitationStatus::Expired]))
        .await
        .unwrap();
    assert_eq!(expired.total_count, 1, "pending past its expiry");
    assert_eq!(
        expired.data[0].invitation.status_at(AT),
        InvitationStatus::Expired
    );
    // It cannot be accepted…
    let user = new_user(store, "inv-late").await;
    let r = store
        .accept_invitation(
            &old.invitation.id,
            &member(&o.id, &user.id),
            AT,
            &|_| None,
            &none,
        )
        .await;
    assert!(
        matches!(r, Err(StoreError::Refused(Refusal::InvitationClosed))),
        "{r:?}"
    );
    // …and the address can be invited again; the count stays exact.
    let new = invitation(&o.id, &email, AT.plus_secs(DAY));
    store
        .create_invitations(&o.id, std::slice::from_ref(&new), &|_| None)
        .await
        .unwrap();
    assert_eq!(pending_count(store, &o.id).await, 1);
    let old_now = store.invitation(&old.invitation.id).await.unwrap().unwrap();
    assert_eq!(old_now.invitation.status, InvitationStatus::Expired);
}

pub async fn an_invitation_is_accepted_exactly_once<S: Store>(store: &S) {
    let (o, admin) = organization(store, "inv-once", 0).await;
    let user = new_user(store, "inv-once-user").await;
    let inv = invitation(
        &o.id,
        &format!("once-{}@example.com", o.id),
        AT.plus_secs(DAY),
    );
    store
        .create_invitations(&o.id, std::slice::from_ref(&inv), &|_| None)
        .await
        .unwrap();
    let members: Vec<Membership> = (0..WRITERS).map(|_| member(&o.id, &user.id)).collect();
    let runs = join_all(
        members
            .iter()
            .map(|m| store.accept_invitation(&inv.invitation.id, m, AT, &|_| None, &none)),
    )
    .await;
    let accepted: Vec<_> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(accepted.len(), 1, "{runs:?}");
    assert!(runs.iter().all(|r| match r {
        Ok(_) => true,
        Err(StoreError::Refused(Refusal::InvitationClosed)) => true,
        Err(_) => false,
    }));
    let (view, joined) = accepted[0];
    assert_eq!(view.invitation.status, InvitationStatus::Accepted);
    assert_eq!(joined.membership.role, RoleKey::member());
    assert_eq!(joined.membership.public_metadata, json!({"team": "red"}));
    let now = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!((now.members_count, now.pending_invitations_count), (2, 0));

    // A member already: the invitation is accepted, the membership kept.
    let inv2 = invitation(
        &o.id,
        &format!("admin-{}@example.com", o.id),
        AT.plus_secs(DAY),
    );
    store
        .create_invitations(&o.id, std::slice::from_ref(&inv2), &|_| None)
        .await
        .unwrap();
    let (_, kept) = store
        .accept_invitation(
            &inv2.invitation.id,
            &member(&o.id, &admin),
            AT,
            &|_| None,
            &none,
        )
        .await
        .unwrap();
    assert_eq!(kept.membership.role, RoleKey::admin());
    let now = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!((now.members_count, now.pending_invitations_count), (2, 0));
}

pub async fn accepts_racing_revokes_end_one_way_each<S: Store>(store: &S) {
    let (o, _) = organization(store, "inv-race", 0).await;
    let n = WRITERS / 2;
    let mut users = Vec::new();
    for i in 0..n {
        users.push(new_user(store, &format!("inv-race-{i}")).await);
    }
    let batch: Vec<NewInvitation> = (0..n)
        .map(|i| {
            invitation(
                &o.id,
                &format!("race{i}-{}@example.com", o.id),
                AT.plus_secs(DAY),
            )
        })
        .collect();
    store
        .create_invitations(&o.id, &batch, &|_| None)
        .await
        .unwrap();
    assert_eq!(pending_count(store, &o.id).await, n as i64);
    let members: Vec<Membership> = users.iter().map(|u| member(&o.id, &u.id)).collect();
    let accepts = join_all(
        batch
            .iter()
            .zip(&members)
            .map(|(inv, m)| store.accept_invitation(&inv.invitation.id, m, AT, &|_| None, &none)),
    );
    let revokes = join_all(
        batch
            .iter()
            .map(|inv| store.revoke_invitation(&o.id, &inv.invitation.id, AT, &|_| None)),
    );
    let (accepts, revokes) = futures_util::future::join(accepts, revokes).await;
    let mut accepted = 0;
    for (a, r) in accepts.iter().zip(&revokes) {
        assert!(a.is_ok() != r.is_ok(), "one way each: {a:?} {r:?}");
        accepted += usize::from(a.is_ok());
    }
    let now = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!(now.pending_invitations_count, 0);
    assert_eq!(now.members_count, 1 + accepted as i64);
}

pub async fn a_full_organization_keeps_the_invitation_pending<S: Store>(store: &S) {
    let (o, _) = organization(store, "inv-full", 1).await;
    let user = new_user(store, "inv-full-user").await;
    let inv = invitation(
        &o.id,
        &format!("full-{}@example.com", o.id),
        AT.plus_secs(DAY),
    );
    store
        .create_invitations(&o.id, std::slice::from_ref(&inv), &|_| None)
        .await
        .unwrap();
    let r = store
        .accept_invitation(
            &inv.invitation.id,
            &member(&o.id, &user.id),
            AT,
            &|_| None,
            &none,
        )
        .await;
    assert!(
        matches!(r, Err(StoreError::Refused(Refusal::MembershipLimit))),
        "{r:?}"
    );
    let still = store.invitation(&inv.invitation.id).await.unwrap().unwrap();
    assert_eq!(still.invitation.status, InvitationStatus::Pending);
    assert_eq!(pending_count(store, &o.id).await, 1);
    assert_eq!(store.membership(&o.id, &user.id).await.unwrap(), None);
}

pub async fn lapsed_invitations_stop_counting_as_pending<S: Store>(store: &S) {
    let (o, _) = organization(store, "inv-lapsed", 0).await;
    let lapsed = invitation(
        &o.id,
        &format!("gone-{}@example.com", o.id),
        AT.plus_secs(-1),
    );
    let live = invitation(
        &o.id,
        &format!("here-{}@example.com", o.id),
        AT.plus_secs(30 * DAY),
    );
    store
        .create_invitations(&o.id, &[lapsed.clone(), live.clone()], &|_| None)
        .await
        .unwrap();
    assert_eq!(pending_count(store, &o.id).await, 2);
    // Clean-ups on several nodes at once: each lapsed one is counted out once.
    let runs = join_all((0..WRITERS).map(|_| store.expire_invitations(AT, 100))).await;
    assert!(runs.iter().all(Result::is_ok), "{runs:?}");
    assert!(runs.iter().map(|r| *r.as_ref().unwrap()).sum::<u64>() >= 1);
    assert_eq!(pending_count(store, &o.id).await, 1, "the live one only");
    let gone = store
        .invitation(&lapsed.invitation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.invitation.status, InvitationStatus::Expired);
    assert_eq!(gone.invitation.updated_at, AT);
    let here = store
        .invitation(&live.invitation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(here.invitation.status, InvitationStatus::Pending);
    store.expire_invitations(AT, 100).await.unwrap();
    assert_eq!(
        pending_count(store, &o.id).await,
        1,
        "nothing counted out twice"
    );
}
