//! An administrator's change and its audit entry commit together
//! (`frontdesk_store::audit`): every store method an audited action ends in
//! writes the pending entry in its own transaction, a refused change writes
//! none, and an entry that cannot be written takes its change down with it.
//!
//! Runs last: it rotates the signing key and makes an administrator.

use std::future::Future;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{Actor, ActorToken, ActorTokenStatus, AuditAction, AuditEvent};
use frontdesk_domain::entities::{SecretKeyRecord, SigningKeyRecord};
use frontdesk_domain::webhooks::{EndpointUrl, OutboxEvent, WebhookEndpoint, WebhookSecret};
use frontdesk_store::admin::{AuditQuery, Revoked};
use frontdesk_store::{Store, StoreError, UserPatch, audit};
use frontdesk_types::{
    ActorTokenId, AuditEventId, MessageId, SecretKeyId, SigningKeyId, UserId, WebhookEndpointId,
};
use futures_util::future::join_all;
use serde_json::json;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    each_change_commits_with_its_entry(store).await;
    a_refused_change_writes_no_entry(store).await;
    an_entry_that_cannot_be_written_undoes_its_change(store).await;
    changes_at_once_each_write_their_own_entry(store).await;
}

fn entry(target: &str) -> AuditEvent {
    AuditEvent {
        id: AuditEventId::generate(),
        actor: Actor::command_line(),
        action: AuditAction::UserBanned,
        target_id: Some(target.to_owned()),
        detail: json!({"n": 1}),
        ip_address: Some("203.0.113.7".to_owned()),
        user_agent: Some("audited".to_owned()),
        created_at: UnixMillis(1_700_500_000_000),
    }
}

fn target() -> String {
    format!("audited_{}", frontdesk_types::id::random_base62(10))
}

async fn entries<S: Store>(store: &S, target: &str) -> Vec<AuditEvent> {
    store
        .list_audit(&AuditQuery {
            target_id: Some(target.to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

/// Run `change` with a fresh entry pending; the entry, and whether the
/// change left it unwritten.
async fn audited<F: Future>(change: F) -> (F::Output, AuditEvent, bool) {
    let e = entry(&target());
    let (out, left) = audit::recorded(e.clone(), change).await;
    (out, e, left.is_some())
}

fn ban() -> UserPatch {
    UserPatch {
        banned: Some(true),
        ..UserPatch::default()
    }
}

fn secret_key() -> SecretKeyRecord {
    SecretKeyRecord {
        id: SecretKeyId::generate(),
        key_hash: frontdesk_types::id::random_base62(40),
        hint: "audt".into(),
        label: "audited".into(),
        created_at: UnixMillis(20),
        revoked_at: None,
    }
}

fn signing_key() -> SigningKeyRecord {
    SigningKeyRecord {
        id: SigningKeyId::generate(),
        private_pkcs8: vec![7; 48],
        created_at: UnixMillis(1_700_500_000_000),
        retired_at: None,
    }
}

fn endpoint() -> WebhookEndpoint {
    WebhookEndpoint {
        id: WebhookEndpointId::generate(),
        url: EndpointUrl::parse("https://hooks.example.com/audited").unwrap(),
        description: "audited".to_owned(),
        filter_types: vec!["audited.test".to_owned()],
        disabled: false,
        secret: WebhookSecret::from_random([3; 24]),
        previous_secret: None,
        failing_since: None,
        created_at: UnixMillis(30),
        updated_at: UnixMillis(30),
    }
}

fn actor_token(user: &UserId) -> ActorToken {
    ActorToken {
        id: ActorTokenId::generate(),
        user_id: user.clone(),
        actor: json!({"sub": "user_audited"}),
        status: ActorTokenStatus::Pending,
        session_max_secs: 600,
        expire_at: UnixMillis(i64::MAX / 2),
        created_at: UnixMillis(40),
        updated_at: UnixMillis(40),
    }
}

/// The entry was written, once, exactly as it was pending.
async fn assert_written<S: Store>(store: &S, e: &AuditEvent, left: bool, what: &str) {
    assert!(!left, "{what}: the change's transaction wrote the entry");
    assert_eq!(
        entries(store, e.target_id.as_deref().unwrap()).await,
        vec![e.clone()],
        "{what}"
    );
}

async fn each_change_commits_with_its_entry<S: Store>(store: &S) {
    let at = UnixMillis(1_700_500_000_000);
    let user = new_user(store, "audited").await;

    let (out, e, left) = audited(store.patch_user(&user.id, &ban(), at, &|_, _| vec![])).await;
    assert!(out.unwrap().user.banned);
    assert_written(store, &e, left, "patch_user").await;

    let (out, e, left) = audited(store.grant_admin(&user.id, "cli", at)).await;
    assert!(out.unwrap());
    assert_written(store, &e, left, "grant_admin").await;

    let (out, e, left) = audited(store.revoke_admin(&user.id)).await;
    assert_eq!(out.unwrap(), Revoked::Done);
    assert_written(store, &e, left, "revoke_admin").await;

    let token = actor_token(&user.id);
    let (out, e, left) = audited(store.insert_actor_token(&token, "audited-hash")).await;
    out.unwrap();
    assert_written(store, &e, left, "insert_actor_token").await;

    let key = secret_key();
    let (out, e, left) = audited(store.insert_secret_key(&key)).await;
    out.unwrap();
    assert_written(store, &e, left, "insert_secret_key").await;
    let (out, e, left) = audited(store.revoke_secret_key(&key.id, at)).await;
    out.unwrap();
    assert_written(store, &e, left, "revoke_secret_key").await;

    let (out, e, left) = audited(store.rotate_signing_key(&signing_key())).await;
    out.unwrap();
    assert_written(store, &e, left, "rotate_signing_key").await;

    let name = target();
    let (out, e, left) = audited(store.swap_setting(&name, None, &json!({"a": 1}), at)).await;
    assert!(out.unwrap());
    assert_written(store, &e, left, "swap_setting (first)").await;
    let (out, e, left) =
        audited(store.swap_setting(&name, Some(&json!({"a": 1})), &json!({"a": 2}), at)).await;
    assert!(out.unwrap());
    assert_written(store, &e, left, "swap_setting").await;

    let mut ep = endpoint();
    let (out, e, left) = audited(store.create_endpoint(&ep)).await;
    out.unwrap();
    assert_written(store, &e, left, "create_endpoint").await;
    let read_at = ep.updated_at;
    ep.description = "audited, changed".to_owned();
    ep.updated_at = UnixMillis(read_at.0 + 1);
    let (out, e, left) = audited(store.update_endpoint(&ep, read_at)).await;
    assert!(out.unwrap());
    assert_written(store, &e, left, "update_endpoint").await;
    let message = OutboxEvent {
        id: MessageId::generate(),
        event_type: "audited.test".to_owned(),
        payload: r#"{"type":"audited.test"}"#.to_owned(),
        created_at: UnixMillis(50),
    };
    store.enqueue(std::slice::from_ref(&message)).await.unwrap();
    let (out, e, left) = audited(store.resend(&ep.id, &message.id, at)).await;
    out.unwrap();
    assert_written(store, &e, left, "resend").await;

    let (out, e, left) = audited(store.delete_user(&user.id, &[])).await;
    out.unwrap();
    assert_written(store, &e, left, "delete_user").await;
}

async fn a_refused_change_writes_no_entry<S: Store>(store: &S) {
    let at = UnixMillis(1_700_500_000_000);
    let user = new_user(store, "audited-refused").await;
    let (out, e, left) =
        audited(store.patch_user(&UserId::generate(), &ban(), at, &|_, _| vec![])).await;
    assert!(matches!(out, Err(StoreError::NotFound)));
    assert!(left, "no such user: the entry is handed back");
    assert!(
        entries(store, e.target_id.as_deref().unwrap())
            .await
            .is_empty()
    );

    store.grant_admin(&user.id, "cli", at).await.unwrap();
    let (out, e, left) = audited(store.grant_admin(&user.id, "cli", at)).await;
    assert!(!out.unwrap(), "an administrator already");
    assert!(left);
    assert!(
        entries(store, e.target_id.as_deref().unwrap())
            .await
            .is_empty()
    );

    let (out, e, left) = audited(store.revoke_admin(&UserId::generate())).await;
    assert_eq!(out.unwrap(), Revoked::NotAnAdmin);
    assert!(left, "a revocation that revoked nothing writes no entry");
    assert!(
        entries(store, e.target_id.as_deref().unwrap())
            .await
            .is_empty()
    );

    let name = target();
    store
        .swap_setting(&name, None, &json!({"a": 1}), at)
        .await
        .unwrap();
    let (out, e, left) =
        audited(store.swap_setting(&name, Some(&json!({"a": 0})), &json!({"a": 2}), at)).await;
    assert!(!out.unwrap(), "a stale compare-and-swap");
    assert!(left);
    assert!(
        entries(store, e.target_id.as_deref().unwrap())
            .await
            .is_empty()
    );
}

async fn an_entry_that_cannot_be_written_undoes_its_change<S: Store>(store: &S) {
    let at = UnixMillis(1_700_500_000_000);
    // An entry whose id is taken cannot be written: its change must not be
    // either.
    let taken = entry(&target());
    store.record_audit(&taken).await.unwrap();
    let clash = || AuditEvent {
        target_id: Some(target()),
        ..taken.clone()
    };

    let user = new_user(store, "audited-undone").await;
    let (out, _) = audit::recorded(
        clash(),
        store.patch_user(&user.id, &ban(), at, &|_, _| vec![]),
    )
    .await;
    assert!(out.is_err());
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    assert!(!stored.banned, "the ban went with its entry");

    let (out, _) = audit::recorded(clash(), store.grant_admin(&user.id, "cli", at)).await;
    assert!(out.is_err());
    assert!(!store.is_admin(&user.id).await.unwrap());

    let key = secret_key();
    let (out, _) = audit::recorded(clash(), store.insert_secret_key(&key)).await;
    assert!(out.is_err());
    assert_eq!(
        store.find_active_secret_key(&key.key_hash).await.unwrap(),
        None
    );

    let name = target();
    let (out, _) = audit::recorded(
        clash(),
        store.swap_setting(&name, None, &json!({"a": 1}), at),
    )
    .await;
    assert!(out.is_err());
    assert_eq!(store.setting(&name).await.unwrap(), None);

    let ep = endpoint();
    let (out, _) = audit::recorded(clash(), store.create_endpoint(&ep)).await;
    assert!(out.is_err());
    assert_eq!(store.get_endpoint(&ep.id).await.unwrap(), None);

    let (out, _) = audit::recorded(clash(), store.delete_user(&user.id, &[])).await;
    assert!(out.is_err());
    assert!(
        store.get_user(&user.id).await.unwrap().is_some(),
        "the user stays when the entry cannot be written"
    );
}

async fn changes_at_once_each_write_their_own_entry<S: Store>(store: &S) {
    let at = UnixMillis(1_700_500_000_000);
    let mut users = Vec::new();
    for _ in 0..WRITERS {
        users.push(new_user(store, "audited-many").await);
    }
    let pending: Vec<AuditEvent> = users.iter().map(|u| entry(u.id.as_str())).collect();
    let patch = ban();
    // One task, many actions interleaved: each keeps its own entry.
    let outcomes = join_all(users.iter().zip(&pending).map(|(u, e)| {
        audit::recorded(
            e.clone(),
            store.patch_user(&u.id, &patch, at, &|_, _| vec![]),
        )
    }))
    .await;
    for ((out, left), (u, e)) in outcomes.into_iter().zip(users.iter().zip(&pending)) {
        assert!(out.unwrap().user.banned);
        assert!(left.is_none());
        assert_eq!(entries(store, u.id.as_str()).await, vec![e.clone()]);
    }
}
