//! Verified domains and what they offer: a domain is claimed once per
//! organization and listed by organization, state, mode and name; a code
//! is tried on the row it was read from (of many writers holding one
//! version, one wins); a verified domain offers a user one invitation or
//! one suggestion however many look at once, nothing once an admin revoked
//! it, nothing to members; a suggestion becomes one request and a request
//! is decided once; removing a domain withdraws what it offered. Logos and
//! membership metadata written over a stale read are here too.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{
    Domain, DomainProof, EnrollmentMode, Membership, Organization, RequestStatus, RoleKey,
    SuggestionStatus,
};
use frontdesk_store::org_domains::{DomainPatch, DomainQuery};
use frontdesk_store::org_invitations::InvitationQuery;
use frontdesk_store::organizations::{LogoRecord, MembershipPatch, MembershipView};
use frontdesk_store::{Refusal, Store, StoreError};
use frontdesk_types::{
    MembershipRequestId, OrganizationDomainId, OrganizationId, OrganizationMembershipId, UserId,
};
use futures_util::future::join_all;
use serde_json::json;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    domains_are_claimed_once_and_listed(store).await;
    a_code_is_tried_on_the_row_it_was_read_from(store).await;
    a_verified_domain_invites_once_and_never_again_after_a_revoke(store).await;
    a_suggestion_becomes_one_request_decided_once(store).await;
    removing_a_domain_withdraws_what_it_offered(store).await;
    logos_replace_each_other_and_go(store).await;
    membership_metadata_is_written_over_what_was_read(store).await;
}

fn none(_: &MembershipView) -> Option<frontdesk_domain::webhooks::OutboxEvent> {
    None
}

async fn organization<S: Store>(store: &S, tag: &str, max: i64) -> (Organization, UserId) {
    let admin = new_user(store, tag).await;
    let o = super::organizations::org(tag, max);
    let now = UnixMillis::now();
    let m = Membership {
        id: OrganizationMembershipId::generate(),
        organization_id: o.id.clone(),
        user_id: admin.id.clone(),
        role: RoleKey::admin(),
        public_metadata: json!({}),
        private_metadata: json!({}),
        created_at: now,
        updated_at: now,
    };
    let stored = store
        .create_organization(&o, Some(&m), &|_| None, &|_| None)
        .await
        .unwrap();
    (stored, admin.id)
}

/// A domain name no other story uses.
fn name(tag: &str) -> String {
    format!(
        "{tag}-{}.test",
        frontdesk_types::id::random_base62(8).to_lowercase()
    )
}

fn domain(org: &OrganizationId, name: &str, mode: EnrollmentMode, verified: bool) -> Domain {
    let now = UnixMillis::now();
    Domain {
        id: OrganizationDomainId::generate(),
        organization_id: org.clone(),
        name: name.to_owned(),
        enrollment_mode: mode,
        verified: verified.then_some((DomainProof::Admin, now)),
        affiliation_email_address: None,
        challenge: None,
        created_at: now,
        updated_at: now,
        version: 0,
    }
}

fn of(org: &OrganizationId) -> DomainQuery {
    DomainQuery {
        organization_id: Some(org.clone()),
        limit: 100,
        ..DomainQuery::default()
    }
}

pub async fn domains_are_claimed_once_and_listed<S: Store>(store: &S) {
    let (o, _) = organization(store, "dom-list", 0).await;
    let (a, b) = (name("alpha"), name("beta"));
    let made = store
        .create_domain(
            &domain(&o.id, &a, EnrollmentMode::ManualInvitation, false),
            &|_| None,
        )
        .await
        .unwrap();
    assert_eq!(made.domain.name, a);
    assert_eq!(made.organization.id, o.id);
    assert_eq!((made.pending_invitations, made.pending_suggestions), (0, 0));
    let again = store
        .create_domain(
            &domain(&o.id, &a, EnrollmentMode::ManualInvitation, false),
            &|_| None,
        )
        .await;
    assert!(
        matches!(&again, Err(StoreError::Conflict(c)) if c == "organization_domains.name"),
        "{again:?}"
    );
    store
        .create_domain(
            &domain(&o.id, &b, EnrollmentMode::AutomaticInvitation, true),
            &|_| None,
        )
        .await
        .unwrap();
    // Another organization may claim the same name.
    let (other, _) = organization(store, "dom-list-2", 0).await;
    store
        .create_domain(
            &domain(&other.id, &a, EnrollmentMode::ManualInvitation, false),
            &|_| None,
        )
        .await
        .unwrap();

    let all = store.list_domains(&of(&o.id)).await.unwrap();
    assert_eq!(all.total_count, 2);
    assert_eq!(all.data[0].domain.name, b, "newest first");
    let verified = store
        .list_domains(&DomainQuery {
            verified: Some(true),
            ..of(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(verified.total_count, 1);
    assert_eq!(verified.data[0].domain.name, b);
    let manual = store
        .list_domains(&DomainQuery {
            excluded: vec![EnrollmentMode::AutomaticInvitation],
            ..of(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(manual.total_count, 1);
    assert_eq!(manual.data[0].domain.name, a);
    let by_name = store
        .list_domains(&DomainQuery {
            names: vec![a.to_uppercase()],
            limit: 100,
            ..DomainQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_name.total_count, 2, "both organizations' claims of it");
    let by_part = store
        .list_domains(&DomainQuery {
            query: Some("beta".to_owned()),
            ..of(&o.id)
        })
        .await
        .unwrap();
    assert_eq!(by_part.total_count, 1);
}

pub async fn a_code_is_tried_on_the_row_it_was_read_from<S: Store>(store: &S) {
    let (o, _) = organization(store, "dom-code", 0).await;
    let d = store
        .create_domain(
            &domain(
                &o.id,
                &name("code"),
                EnrollmentMode::ManualInvitation,
                false,
            ),
            &|_| None,
        )
        .await
        .unwrap();
    let now = UnixMillis::now();
    let (oid, did) = (&o.id, &d.domain.id);
    let tries = join_all((0..WRITERS).map(|i| {
        let patch = DomainPatch {
            affiliation_email_address: Some(format!("try{i}@{}", d.domain.name)),
            expected_version: Some(d.domain.version),
            ..DomainPatch::default()
        };
        async move { store.update_domain(oid, did, &patch, now, &|_| None).await }
    }))
    .await;
    let won = tries.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "one write per version");
    assert!(
        tries
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Stale)))
    );
    let stored = store.domain(&o.id, &d.domain.id).await.unwrap().unwrap();
    assert_eq!(stored.domain.version, d.domain.version + 1);
    let proven = store
        .update_domain(
            &o.id,
            &d.domain.id,
            &DomainPatch {
                verified: Some(Some((DomainProof::EmailCode, now))),
                expected_version: Some(stored.domain.version),
                ..DomainPatch::default()
            },
            now,
            &|_| None,
        )
        .await
        .unwrap();
    assert_eq!(proven.domain.verified, Some((DomainProof::EmailCode, now)));
    assert_eq!(
        proven.domain.affiliation_email_address,
        stored.domain.affiliation_email_address
    );
}

async fn pending_invitations<S: Store>(
    store: &S,
    org: &OrganizationId,
    email: &str,
) -> Vec<String> {
    store
        .list_invitations(&InvitationQuery {
            organization_id: Some(org.clone()),
            email_addresses: vec![email.to_owned()],
            statuses: vec![frontdesk_domain::organizations::InvitationStatus::Pending],
            now: UnixMillis::now(),
            limit: 100,
            offset: 0,
        })
        .await
        .unwrap()
        .data
        .into_iter()
        .map(|v| v.invitation.id.to_string())
        .collect()
}

pub async fn a_verified_domain_invites_once_and_never_again_after_a_revoke<S: Store>(store: &S) {
    let (o, admin) = organization(store, "dom-inv", 0).await;
    let n = name("inv");
    let d = store
        .create_domain(
            &domain(&o.id, &n, EnrollmentMode::AutomaticInvitation, true),
            &|_| None,
        )
        .await
        .unwrap();
    let user = new_user(store, "dom-invitee").await;
    let address = format!("Ada@{}", n.to_uppercase());
    let now = UnixMillis::now();
    let member = RoleKey::member();
    let runs =
        join_all((0..WRITERS).map(|_| {
            store.enroll_by_domains(&user.id, std::slice::from_ref(&address), &member, now)
        }))
        .await;
    assert!(runs.iter().all(Result::is_ok), "{runs:?}");
    let lower = address.to_lowercase();
    let made = pending_invitations(store, &o.id, &lower).await;
    assert_eq!(made.len(), 1, "one invitation however many looked");
    let org = store.organization(&o.id).await.unwrap().unwrap();
    assert_eq!(org.pending_invitations_count, 1);
    let view = store.domain(&o.id, &d.domain.id).await.unwrap().unwrap();
    assert_eq!(view.pending_invitations, 1);

    // Revoked by an admin: not offered again.
    store
        .revoke_invitation(&o.id, &made[0].parse().unwrap(), now, &|_| None)
        .await
        .unwrap();
    store
        .enroll_by_domains(
            &user.id,
            std::slice::from_ref(&address),
            &RoleKey::member(),
            now,
        )
        .await
        .unwrap();
    assert!(pending_invitations(store, &o.id, &lower).await.is_empty());

    // Members and unverified domains get nothing.
    let (u2, unverified) = (new_user(store, "dom-unverified").await, name("unverified"));
    store
        .create_domain(
            &domain(
                &o.id,
                &unverified,
                EnrollmentMode::AutomaticInvitation,
                false,
            ),
            &|_| None,
        )
        .await
        .unwrap();
    let elsewhere = format!("bob@{unverified}");
    store
        .enroll_by_domains(
            &u2.id,
            std::slice::from_ref(&elsewhere),
            &RoleKey::member(),
            now,
        )
        .await
        .unwrap();
    assert!(
        pending_invitations(store, &o.id, &elsewhere)
            .await
            .is_empty()
    );
    let own = format!("admin@{n}");
    store
        .enroll_by_domains(&admin, std::slice::from_ref(&own), &RoleKey::member(), now)
        .await
        .unwrap();
    assert!(pending_invitations(store, &o.id, &own).await.is_empty());
}

pub async fn a_suggestion_becomes_one_request_decided_once<S: Store>(store: &S) {
    let (o, _) = organization(store, "dom-sug", 0).await;
    let n = name("sug");
    store
        .create_domain(
            &domain(&o.id, &n, EnrollmentMode::AutomaticSuggestion, true),
            &|_| None,
        )
        .await
        .unwrap();
    let now = UnixMillis::now();
    let (ada, bob) = (
        new_user(store, "dom-ada").await,
        new_user(store, "dom-bob").await,
    );
    let member = RoleKey::member();
    for u in [&ada, &bob] {
        let addresses = vec![format!("{}@{n}", u.id.as_str().to_lowercase())];
        join_all((0..WRITERS).map(|_| store.enroll_by_domains(&u.id, &addresses, &member, now)))
            .await;
    }
    let mine = store.list_suggestions(&ada.id, &[], 100, 0).await.unwrap();
    assert_eq!(mine.total_count, 1, "one suggestion per organization");
    let s = &mine.data[0];
    assert_eq!(s.suggestion.status, SuggestionStatus::Pending);
    assert_eq!(s.organization.id, o.id);

    // Taken up from many tabs at once: one request.
    let takes = join_all((0..WRITERS).map(|_| {
        store.accept_suggestion(
            &ada.id,
            &s.suggestion.id,
            MembershipRequestId::generate(),
            now,
        )
    }))
    .await;
    assert!(takes.iter().all(|t| {
        t.as_ref()
            .is_ok_and(|v| v.suggestion.status == SuggestionStatus::Accepted)
    }));
    let bobs = store
        .list_suggestions(&bob.id, &[SuggestionStatus::Pending], 100, 0)
        .await
        .unwrap();
    store
        .accept_suggestion(
            &bob.id,
            &bobs.data[0].suggestion.id,
            MembershipRequestId::generate(),
            now,
        )
        .await
        .unwrap();
    // Not someone else's.
    let theirs = store
        .accept_suggestion(
            &bob.id,
            &s.suggestion.id,
            MembershipRequestId::generate(),
            now,
        )
        .await;
    assert!(matches!(theirs, Err(StoreError::NotFound)), "{theirs:?}");

    let pending = store
        .list_requests(&o.id, &[RequestStatus::Pending], 100, 0)
        .await
        .unwrap();
    assert_eq!(pending.total_count, 2);
    let ada_request = pending
        .data
        .iter()
        .find(|r| r.request.user_id == ada.id)
        .unwrap();
    let bob_request = pending
        .data
        .iter()
        .find(|r| r.request.user_id == bob.id)
        .unwrap();
    let before = store
        .organization(&o.id)
        .await
        .unwrap()
        .unwrap()
        .members_count;
    let role = RoleKey::member();
    let decisions =
        join_all((0..WRITERS).map(|_| {
            store.decide_request(&o.id, &ada_request.request.id, Some(&role), now, &none)
        }))
        .await;
    assert_eq!(decisions.iter().filter(|d| d.is_ok()).count(), 1);
    assert!(
        decisions
            .iter()
            .filter(|d| d.is_err())
            .all(|d| matches!(d, Err(StoreError::Refused(Refusal::RequestClosed))))
    );
    let after = store
        .organization(&o.id)
        .await
        .unwrap()
        .unwrap()
        .members_count;
    assert_eq!(after, before + 1);
    assert!(store.membership(&o.id, &ada.id).await.unwrap().is_some());
    // A member's suggestion is done.
    assert_eq!(
        store
            .list_suggestions(&ada.id, &[], 100, 0)
            .await
            .unwrap()
            .total_count,
        0
    );

    let (rejected, joined) = store
        .decide_request(&o.id, &bob_request.request.id, None, now, &none)
        .await
        .unwrap();
    assert_eq!(rejected.request.status, RequestStatus::Rejected);
    assert!(joined.is_none());
    assert!(store.membership(&o.id, &bob.id).await.unwrap().is_none());
    let (other, _) = organization(store, "dom-sug-other", 0).await;
    let wrong = store
        .decide_request(&other.id, &bob_request.request.id, None, now, &none)
        .await;
    assert!(matches!(wrong, Err(StoreError::NotFound)), "{wrong:?}");
}

pub async fn removing_a_domain_withdraws_what_it_offered<S: Store>(store: &S) {
    let (o, _) = organization(store, "dom-del", 0).await;
    let (n, m) = (name("del-inv"), name("del-sug"));
    let inv = store
        .create_domain(
            &domain(&o.id, &n, EnrollmentMode::AutomaticInvitation, true),
            &|_| None,
        )
        .await
        .unwrap();
    let sug = store
        .create_domain(
            &domain(&o.id, &m, EnrollmentMode::AutomaticSuggestion, true),
            &|_| None,
        )
        .await
        .unwrap();
    let user = new_user(store, "dom-del-user").await;
    let now = UnixMillis::now();
    let addresses = vec![format!("eve@{n}"), format!("eve@{m}")];
    store
        .enroll_by_domains(&user.id, &addresses, &RoleKey::member(), now)
        .await
        .unwrap();
    assert_eq!(
        pending_invitations(store, &o.id, &addresses[0]).await.len(),
        1
    );
    assert_eq!(
        store
            .list_suggestions(&user.id, &[], 100, 0)
            .await
            .unwrap()
            .total_count,
        1
    );
    let sug_view = store.domain(&o.id, &sug.domain.id).await.unwrap().unwrap();
    assert_eq!(sug_view.pending_suggestions, 1);

    // A mode change that deletes what is pending, then the removal.
    store
        .update_domain(
            &o.id,
            &sug.domain.id,
            &DomainPatch {
                enrollment_mode: Some(EnrollmentMode::ManualInvitation),
                delete_pending: true,
                ..DomainPatch::default()
            },
            now,
            &|_| None,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .list_suggestions(&user.id, &[], 100, 0)
            .await
            .unwrap()
            .total_count,
        0
    );
    let gone = store
        .delete_domain(&o.id, &inv.domain.id, now, &|_| None)
        .await
        .unwrap();
    assert_eq!(gone.domain.id, inv.domain.id);
    assert!(
        pending_invitations(store, &o.id, &addresses[0])
            .await
            .is_empty()
    );
    assert_eq!(
        store
            .organization(&o.id)
            .await
            .unwrap()
            .unwrap()
            .pending_invitations_count,
        0
    );
    assert_eq!(store.domain(&o.id, &inv.domain.id).await.unwrap(), None);
    let again = store
        .delete_domain(&o.id, &inv.domain.id, now, &|_| None)
        .await;
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
}

pub async fn logos_replace_each_other_and_go<S: Store>(store: &S) {
    let (o, _) = organization(store, "dom-logo", 0).await;
    let now = UnixMillis::now();
    let logo = |n: u8| LogoRecord {
        id: format!("img_logo{n}{}", frontdesk_types::id::random_base62(8)),
        organization_id: o.id.clone(),
        content_type: "image/png".to_owned(),
        bytes: vec![0x89, b'P', b'N', b'G', n],
        created_at: now,
    };
    let (first, second) = (logo(1), logo(2));
    let org = store
        .set_organization_logo(&first, "https://fd.test/v1/images/1", now, &|_| None)
        .await
        .unwrap();
    assert_eq!(
        org.image_url.as_deref(),
        Some("https://fd.test/v1/images/1")
    );
    store
        .set_organization_logo(&second, "https://fd.test/v1/images/2", now, &|_| None)
        .await
        .unwrap();
    assert_eq!(store.organization_logo(&first.id).await.unwrap(), None);
    assert_eq!(
        store.organization_logo(&second.id).await.unwrap(),
        Some(("image/png".to_owned(), second.bytes.clone()))
    );
    let cleared = store
        .remove_organization_logo(&o.id, now, &|_| None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.image_url, None);
    assert_eq!(store.organization_logo(&second.id).await.unwrap(), None);
    assert_eq!(
        store
            .remove_organization_logo(&o.id, now, &|_| None)
            .await
            .unwrap(),
        None
    );
    let missing = LogoRecord {
        organization_id: OrganizationId::generate(),
        ..logo(3)
    };
    let r = store
        .set_organization_logo(&missing, "https://fd.test/x", now, &|_| None)
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

pub async fn membership_metadata_is_written_over_what_was_read<S: Store>(store: &S) {
    let (o, admin) = organization(store, "dom-meta", 0).await;
    let now = UnixMillis::now();
    let read = store
        .membership(&o.id, &admin)
        .await
        .unwrap()
        .unwrap()
        .membership;
    let (oid, admin) = (&o.id, &admin);
    let merges = join_all((0..WRITERS).map(|i| {
        let patch = MembershipPatch {
            public_metadata: Some(json!({ "writer": i })),
            if_metadata: Some((read.public_metadata.clone(), read.private_metadata.clone())),
            ..MembershipPatch::default()
        };
        async move {
            store
                .update_membership(oid, admin, &patch, now, &none)
                .await
        }
    }))
    .await;
    assert_eq!(merges.iter().filter(|m| m.is_ok()).count(), 1);
    assert!(
        merges
            .iter()
            .filter(|m| m.is_err())
            .all(|m| matches!(m, Err(StoreError::Stale)))
    );
}
