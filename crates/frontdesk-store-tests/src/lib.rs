//! One story per behaviour of the [`Store`] contract, run against every
//! adapter. A behaviour that one database has and the other lacks shows up here
//! as a failure, not in production.
//!
//! The stories share one store, so each makes its own data and never assumes
//! an empty table beyond what `run_all` guarantees on a fresh database.
#![allow(clippy::unwrap_used)]

pub mod activity;
pub mod admin;
pub mod atomic;
pub mod audited;
pub mod external;
pub mod factors;
pub mod images;
pub mod org_domains;
pub mod org_invitations;
pub mod org_roles;
pub mod organizations;
mod passkeys;
pub mod search;
pub mod sessions;
pub mod webhooks;

use frontdesk_domain::entities::{
    Client, DevEmail, FlowRecord, Instance, SecretKeyRecord, Session, SessionActivity,
    SessionStatus, SigningKeyRecord, User, Verification, VerificationStatus,
};
use frontdesk_domain::{EmailAddress, InstanceMode, UnixMillis};
use frontdesk_store::{Store, StoreError, UserFilter, UserOrderField, UserPatch, UserQuery};
use frontdesk_types::{ClientId, InstanceId, SecretKeyId, SessionId, SigningKeyId, UserId};
use serde_json::json;

/// Run every story, in order, on a fresh store.
pub async fn run_all<S: Store>(store: &S) {
    instance_is_created_once(store).await;
    secret_keys_are_found_by_hash_until_revoked(store).await;
    signing_keys_rotate_and_keep_history(store).await;
    users_round_trip_with_email_addresses(store).await;
    a_taken_email_is_a_conflict_and_writes_nothing(store).await;
    users_update_and_delete(store).await;
    sessions::sessions_end_once_and_move_client_updated_at(store).await;
    sessions::deleting_a_user_removes_its_sessions(store).await;
    users_list_with_filters_order_and_pages(store).await;
    search::run_all(store).await;
    email_addresses_are_added_updated_and_deleted(store).await;
    sessions::sessions_list_by_filter_and_end_in_bulk(store).await;
    sessions::touching_a_session_records_activity(store).await;
    sessions::factor_checks_are_recorded_on_live_sessions(store).await;
    sessions::pending_sessions_become_active_once_their_task_is_done(store).await;
    flows_are_versioned_and_found_per_client(store).await;
    dev_emails_list_newest_first(store).await;
    settings_are_set_replaced_and_removed(store).await;
    client_tokens_are_replaced(store).await;
    admin::run_all(store).await;
    activity::run_all(store).await;
    atomic::run_all(store).await;
    factors::run_all(store).await;
    images::run_all(store).await;
    passkeys::run_all(store).await;
    external::run_all(store).await;
    organizations::run_all(store).await;
    org_invitations::run_all(store).await;
    org_roles::run_all(store).await;
    org_domains::run_all(store).await;
    webhooks::run_all(store).await;
    audited::run_all(store).await;
}

pub async fn client_tokens_are_replaced<S: Store>(store: &S) {
    let now = UnixMillis(5);
    let client = frontdesk_domain::entities::Client {
        id: frontdesk_types::ClientId::generate(),
        token_hash: "old-hash".to_owned(),
        last_active_session_id: None,
        created_at: now,
        updated_at: now,
    };
    store.create_client(&client).await.unwrap();
    store
        .set_client_token(&client.id, "new-hash")
        .await
        .unwrap();
    assert!(
        store
            .find_client_by_token_hash("old-hash")
            .await
            .unwrap()
            .is_none()
    );
    let found = store
        .find_client_by_token_hash("new-hash")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, client.id);
    assert!(matches!(
        store
            .set_client_token(&frontdesk_types::ClientId::generate(), "x")
            .await,
        Err(frontdesk_store::StoreError::NotFound)
    ));
}

pub async fn settings_are_set_replaced_and_removed<S: Store>(store: &S) {
    let name = "session_token_template";
    assert_eq!(store.setting(name).await.unwrap(), None);
    let first = serde_json::json!({"metadata": "{{user.public_metadata}}"});
    store
        .put_setting(name, Some(&first), UnixMillis(1))
        .await
        .unwrap();
    assert_eq!(store.setting(name).await.unwrap(), Some(first));
    let second = serde_json::json!({"tier": "{{user.public_metadata.tier}}", "n": [1, 2]});
    store
        .put_setting(name, Some(&second), UnixMillis(2))
        .await
        .unwrap();
    assert_eq!(store.setting(name).await.unwrap(), Some(second));
    store.put_setting(name, None, UnixMillis(3)).await.unwrap();
    assert_eq!(store.setting(name).await.unwrap(), None);
    store.put_setting(name, None, UnixMillis(4)).await.unwrap();
}

pub fn sample_instance() -> Instance {
    Instance {
        id: InstanceId::generate(),
        mode: InstanceMode::Development,
        created_at: UnixMillis(1_700_000_000_000),
    }
}

fn email(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

/// A fresh address. Not from an id: ids are mixed-case base62, and addresses
/// compare case-insensitively.
fn unique(tag: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{tag}-{n}-{}@example.com",
        frontdesk_types::id::random_base62(8).to_lowercase()
    )
}

pub async fn instance_is_created_once<S: Store>(store: &S) {
    store.ping().await.unwrap();
    assert_eq!(
        store.instance().await.unwrap(),
        None,
        "fresh store has no instance"
    );
    let first = sample_instance();
    assert_eq!(store.ensure_instance(&first).await.unwrap(), first);
    let second = Instance {
        id: InstanceId::generate(),
        mode: InstanceMode::Production,
        created_at: UnixMillis(1),
    };
    assert_eq!(
        store.ensure_instance(&second).await.unwrap(),
        first,
        "the first instance wins; a second start does not replace it"
    );
}

pub async fn secret_keys_are_found_by_hash_until_revoked<S: Store>(store: &S) {
    let key = SecretKeyRecord {
        id: SecretKeyId::generate(),
        key_hash: "a".repeat(64),
        hint: "wxyz".into(),
        label: "ci".into(),
        created_at: UnixMillis(10),
        revoked_at: None,
    };
    store.insert_secret_key(&key).await.unwrap();
    assert_eq!(
        store.find_active_secret_key(&key.key_hash).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(
        store.find_active_secret_key(&"b".repeat(64)).await.unwrap(),
        None
    );

    let dup = SecretKeyRecord {
        id: SecretKeyId::generate(),
        ..key.clone()
    };
    assert!(matches!(
        store.insert_secret_key(&dup).await,
        Err(StoreError::Conflict(_))
    ));

    store
        .revoke_secret_key(&key.id, UnixMillis(20))
        .await
        .unwrap();
    assert_eq!(
        store.find_active_secret_key(&key.key_hash).await.unwrap(),
        None
    );
    assert!(matches!(
        store.revoke_secret_key(&key.id, UnixMillis(30)).await,
        Err(StoreError::NotFound)
    ));
    let listed = store.list_secret_keys().await.unwrap();
    let stored = listed.iter().find(|k| k.id == key.id).unwrap();
    assert_eq!(stored.revoked_at, Some(UnixMillis(20)));
}

fn signing_key(created: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        id: SigningKeyId::generate(),
        private_pkcs8: vec![1, 2, 3, created as u8],
        created_at: UnixMillis(created),
        retired_at: None,
    }
}

pub async fn signing_keys_rotate_and_keep_history<S: Store>(store: &S) {
    let first = signing_key(100);
    assert_eq!(store.ensure_signing_key(&first).await.unwrap(), first);
    let racer = signing_key(101);
    assert_eq!(
        store.ensure_signing_key(&racer).await.unwrap(),
        first,
        "a second node starting up adopts the existing key"
    );
    let second = signing_key(200);
    store.rotate_signing_key(&second).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], second, "newest first");
    assert_eq!(keys[1].id, first.id);
    assert_eq!(keys[1].retired_at, Some(UnixMillis(200)));
    assert_eq!(keys[1].private_pkcs8, first.private_pkcs8);
}

fn sample_user(addr: &str) -> User {
    let now = UnixMillis(1_700_000_000_123);
    let mut user = User::new(now);
    user.first_name = Some("Ada".into());
    // Usernames compare case-insensitively, so the id (base62, mixed case)
    // cannot make them unique; a process-wide counter can.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    user.username = Some(format!(
        "ada_{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    user.public_metadata = json!({"tier": "pro", "n": [1, 2]});
    user.password_digest = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    user.add_email(
        &email(addr),
        Some(Verification {
            status: VerificationStatus::Verified,
            strategy: "email_code".into(),
            attempts: Some(1),
            expire_at: Some(now.plus_secs(600)),
        }),
        now,
    );
    user
}

pub async fn users_round_trip_with_email_addresses<S: Store>(store: &S) {
    let before = store.count_users(&UserFilter::default()).await.unwrap();
    let addr = unique("Ada");
    let mut user = sample_user(&addr);
    // Email addresses come back in creation order.
    user.add_email(
        &email(&unique("second")),
        None,
        user.created_at.plus_secs(1),
    );
    store.create_user(&user, &[]).await.unwrap();
    assert_eq!(store.get_user(&user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(
        store
            .find_user_by_email(&addr.to_uppercase())
            .await
            .unwrap()
            .map(|u| u.id),
        Some(user.id.clone()),
        "email lookup ignores case"
    );
    assert_eq!(store.get_user(&UserId::generate()).await.unwrap(), None);
    assert_eq!(
        store.count_users(&UserFilter::default()).await.unwrap(),
        before + 1
    );
}

pub async fn a_taken_email_is_a_conflict_and_writes_nothing<S: Store>(store: &S) {
    let addr = unique("taken");
    store.create_user(&sample_user(&addr), &[]).await.unwrap();
    let before = store.count_users(&UserFilter::default()).await.unwrap();
    let mut clash = sample_user(&unique("fresh"));
    clash.add_email(&email(&addr.to_uppercase()), None, clash.created_at);
    assert!(matches!(
        store.create_user(&clash, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.count_users(&UserFilter::default()).await.unwrap(),
        before,
        "no partial user row"
    );
    assert_eq!(store.get_user(&clash.id).await.unwrap(), None);
}

pub async fn users_update_and_delete<S: Store>(store: &S) {
    let user = sample_user(&unique("upd"));
    store.create_user(&user, &[]).await.unwrap();
    let at = UnixMillis(user.updated_at.0 + 1);
    let patch = UserPatch {
        last_name: Some(Some("Lovelace".into())),
        private_metadata: Some(json!({"stripe": "cus_1"})),
        banned: Some(true),
        locked: Some(true),
        ..UserPatch::default()
    };
    let events_seen = std::sync::atomic::AtomicUsize::new(0);
    let patched = store
        .patch_user(&user.id, &patch, at, &|u, ended| {
            assert_eq!(
                u.last_name.as_deref(),
                Some("Lovelace"),
                "events see the new row"
            );
            assert!(ended.is_empty());
            events_seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            vec![]
        })
        .await
        .unwrap();
    assert_eq!(events_seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    let expected = User {
        last_name: Some("Lovelace".into()),
        private_metadata: json!({"stripe": "cus_1"}),
        banned: true,
        locked_at: Some(at),
        updated_at: at,
        version: user.version + 1,
        ..user.clone()
    };
    assert_eq!(patched.user, expected);
    assert_eq!(
        store.get_user(&user.id).await.unwrap(),
        Some(expected.clone())
    );

    // Unlocking clears the count; a stale version is refused and changes nothing.
    store
        .record_failed_attempt(&user.id, &frontdesk_domain::Lockout::default(), at)
        .await
        .unwrap();
    let stale = UserPatch {
        first_name: Some(Some("Stale".into())),
        if_version: Some(user.version),
        ..UserPatch::default()
    };
    assert!(matches!(
        store.patch_user(&user.id, &stale, at, &|_, _| vec![]).await,
        Err(StoreError::Stale)
    ));
    let unlocked = store
        .patch_user(
            &user.id,
            &UserPatch {
                locked: Some(false),
                if_version: Some(expected.version),
                ..UserPatch::default()
            },
            at,
            &|_, _| vec![],
        )
        .await
        .unwrap()
        .user;
    assert_eq!((unlocked.locked_at, unlocked.failed_attempts), (None, 0));
    assert_eq!(unlocked.first_name, user.first_name);

    let ghost = User::new(UnixMillis(0));
    assert!(matches!(
        store
            .patch_user(&ghost.id, &UserPatch::default(), at, &|_, _| vec![])
            .await,
        Err(StoreError::NotFound)
    ));
    store.delete_user(&user.id, &[]).await.unwrap();
    assert_eq!(store.get_user(&user.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_user(&user.id, &[]).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .find_user_by_email(&user.email_addresses[0].email_address)
            .await
            .unwrap(),
        None
    );
}

pub(crate) async fn client_and_session<S: Store>(
    store: &S,
    user: &User,
    at: UnixMillis,
) -> (Client, Session) {
    let client = Client {
        id: ClientId::generate(),
        token_hash: SessionId::generate().to_string(),
        last_active_session_id: None,
        created_at: at,
        updated_at: at,
    };
    store.create_client(&client).await.unwrap();
    let session = Session {
        id: SessionId::generate(),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        status: SessionStatus::Active,
        last_active_at: at.plus_secs(1),
        expire_at: at.plus_secs(7 * 86_400),
        abandon_at: at.plus_secs(86_400),
        last_active_organization_id: None,
        actor: Some(json!({"sub": "user_admin"})),
        latest_activity: SessionActivity {
            ip_address: Some("127.0.0.1".into()),
            user_agent: Some("Mozilla/5.0".into()),
            browser_name: Some("Chrome".into()),
            browser_version: Some("156.0".into()),
            device_type: Some("desktop".into()),
            is_mobile: false,
            city: None,
            country: None,
        },
        first_factor_verified_at: at.plus_secs(1),
        second_factor_verified_at: Some(at.plus_secs(2)),
        created_at: at.plus_secs(1),
        updated_at: at.plus_secs(1),
    };
    store.create_session(&session, &[]).await.unwrap();
    (client, session)
}

pub async fn users_list_with_filters_order_and_pages<S: Store>(store: &S) {
    let tag = format!("lst{}", &UserId::generate().as_str()[20..]).to_lowercase();
    let mut ids = Vec::new();
    for (i, name) in ["Carol", "alice", "Bob"].iter().enumerate() {
        let mut u = User::new(UnixMillis(1_800_000_000_000 + i as i64));
        u.first_name = Some((*name).into());
        u.username = Some(format!("{tag}_{i}"));
        u.external_id = Some(format!("ext-{tag}-{i}"));
        u.last_sign_in_at = (i != 1).then_some(UnixMillis(i as i64));
        u.add_email(
            &email(&format!("{name}.{tag}@example.com")),
            None,
            u.created_at,
        );
        store.create_user(&u, &[]).await.unwrap();
        ids.push(u.id);
    }
    let by_tag = UserFilter {
        query: Some(tag.to_uppercase()),
        ..UserFilter::default()
    };
    assert_eq!(store.count_users(&by_tag).await.unwrap(), 3);

    let page = |order_by, descending, limit, offset| UserQuery {
        filter: by_tag.clone(),
        order_by,
        descending,
        limit,
        offset,
    };
    let names = |users: Vec<User>| {
        users
            .into_iter()
            .map(|u| u.first_name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            store
                .list_users(&page(UserOrderField::CreatedAt, true, 10, 0))
                .await
                .unwrap()
        ),
        ["Bob", "alice", "Carol"]
    );
    assert_eq!(
        names(
            store
                .list_users(&page(UserOrderField::CreatedAt, false, 2, 1))
                .await
                .unwrap()
        ),
        ["alice", "Bob"]
    );
    assert_eq!(
        names(
            store
                .list_users(&page(UserOrderField::EmailAddress, false, 10, 0))
                .await
                .unwrap()
        ),
        ["alice", "Bob", "Carol"]
    );
    assert_eq!(
        names(
            store
                .list_users(&page(UserOrderField::LastSignInAt, true, 10, 0))
                .await
                .unwrap()
        ),
        ["Bob", "Carol", "alice"],
        "NULLs last"
    );
    let listed = store
        .list_users(&page(UserOrderField::CreatedAt, true, 1, 0))
        .await
        .unwrap();
    assert_eq!(
        listed[0].email_addresses.len(),
        1,
        "listed users carry their email addresses"
    );

    let exact = |f: UserFilter| async move { store.count_users(&f).await.unwrap() };
    assert_eq!(
        exact(UserFilter {
            email_addresses: vec![format!("ALICE.{tag}@example.com")],
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        exact(UserFilter {
            user_ids: vec![ids[0].to_string(), ids[2].to_string()],
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        exact(UserFilter {
            external_ids: vec![format!("ext-{tag}-1")],
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        exact(UserFilter {
            usernames: vec![format!("{}_2", tag.to_uppercase())],
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        exact(UserFilter {
            query: Some(format!("{tag}%")),
            ..Default::default()
        })
        .await,
        0,
        "LIKE wildcards in the query are literal"
    );
    assert_eq!(
        exact(UserFilter {
            user_ids: vec![ids[0].to_string()],
            query: Some(tag.clone()),
            ..Default::default()
        })
        .await,
        1,
        "filters combine with AND"
    );
}

pub async fn email_addresses_are_added_updated_and_deleted<S: Store>(store: &S) {
    let mut user = sample_user(&unique("mail"));
    store.create_user(&user, &[]).await.unwrap();
    let primary = user.primary_email_address_id.clone().unwrap();
    let mut second = {
        let id = user.add_email(&email(&unique("extra")), None, user.created_at.plus_secs(5));
        user.email_addresses
            .iter()
            .find(|e| e.id == id)
            .unwrap()
            .clone()
    };
    store.add_email(&second, &[]).await.unwrap();
    let taken = frontdesk_domain::entities::EmailAddressRecord {
        id: frontdesk_types::EmailAddressId::generate(),
        email_address: second.email_address.to_uppercase(),
        ..second.clone()
    };
    assert!(matches!(
        store.add_email(&taken, &[]).await,
        Err(StoreError::Conflict(_))
    ));

    second.verification = Some(Verification {
        status: VerificationStatus::Verified,
        strategy: "admin".into(),
        attempts: None,
        expire_at: None,
    });
    second.updated_at = second.updated_at.plus_secs(1);
    store.update_email(&second, &[]).await.unwrap();
    assert_eq!(
        store.get_email(&second.id).await.unwrap(),
        Some(second.clone())
    );

    store.delete_email(&primary, &[]).await.unwrap();
    let reloaded = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(
        reloaded.primary_email_address_id, None,
        "deleting the primary clears the pointer"
    );
    assert_eq!(reloaded.email_addresses, vec![second.clone()]);
    assert!(matches!(
        store.delete_email(&primary, &[]).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.get_email(&primary).await.unwrap(), None);
}

pub async fn flows_are_versioned_and_found_per_client<S: Store>(store: &S) {
    let t0 = UnixMillis(1_700_000_500_000);
    let client = Client {
        id: ClientId::generate(),
        token_hash: SessionId::generate().to_string(),
        last_active_session_id: None,
        created_at: t0,
        updated_at: t0,
    };
    store.create_client(&client).await.unwrap();
    let first = FlowRecord {
        id: format!("sia_{}", &SessionId::generate().as_str()[5..]),
        client_id: client.id.clone(),
        kind: "sign_in".into(),
        data: json!({"status": "needs_first_factor"}),
        created_at: t0,
        updated_at: t0,
        version: 0,
    };
    store.insert_flow(&first).await.unwrap();
    let changed = FlowRecord {
        data: json!({"status": "complete"}),
        updated_at: t0.plus_secs(1),
        ..first.clone()
    };
    let saved = store.update_flow(&changed).await.unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        store.get_flow(&first.id).await.unwrap(),
        Some(saved.clone())
    );
    assert!(
        matches!(store.update_flow(&changed).await, Err(StoreError::Stale)),
        "a write over version 0 after version 1 is refused"
    );
    assert_eq!(store.get_flow(&first.id).await.unwrap(), Some(saved));
    let second = FlowRecord {
        id: format!("sia_{}", &SessionId::generate().as_str()[5..]),
        created_at: t0.plus_secs(5),
        updated_at: t0.plus_secs(5),
        ..first.clone()
    };
    store.insert_flow(&second).await.unwrap();
    assert_eq!(
        store.latest_flow(&client.id, "sign_in").await.unwrap(),
        Some(second.clone())
    );
    // The older attempt acted on again (a provider's answer coming back
    // after another attempt was started) is the current one again.
    let answered = FlowRecord {
        data: json!({"status": "needs_identifier"}),
        updated_at: t0.plus_secs(6),
        ..store.get_flow(&first.id).await.unwrap().unwrap()
    };
    let answered = store.update_flow(&answered).await.unwrap();
    assert_eq!(
        store.latest_flow(&client.id, "sign_in").await.unwrap(),
        Some(answered)
    );
    assert_eq!(
        store.latest_flow(&client.id, "sign_up").await.unwrap(),
        None
    );
    assert_eq!(store.get_flow("sia_missing").await.unwrap(), None);
    let ghost = FlowRecord {
        id: "sia_ghost".into(),
        ..first
    };
    assert!(matches!(
        store.update_flow(&ghost).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn dev_emails_list_newest_first<S: Store>(store: &S) {
    for i in 0..3 {
        let copy = DevEmail {
            id: format!("em_{i}_{}", &SessionId::generate().as_str()[5..]),
            to_address: "a@example.com".into(),
            subject: format!("subject {i}"),
            text_body: "123456".into(),
            html_body: "<p>123456</p>".into(),
            created_at: UnixMillis(1_700_000_600_000 + i),
        };
        store.queue_mail(None, Some(&copy), &[]).await.unwrap();
    }
    let got = store.list_dev_emails(2).await.unwrap();
    assert_eq!(
        got.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>(),
        ["subject 2", "subject 1"]
    );
}
