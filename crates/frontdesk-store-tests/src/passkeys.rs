//! Passkeys: a registration pending until verified once, a credential id
//! registered once, a use that moves the counter only over the version it
//! was checked with (parallel uses: one wins), and the user row's list kept
//! in step with every change.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{PasskeyRecord, User};
use frontdesk_store::{Store, StoreError};
use futures_util::future::join_all;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    a_passkey_is_pending_until_verified_once(store).await;
    a_credential_is_registered_once(store).await;
    parallel_uses_move_the_counter_once(store).await;
    rename_and_delete_keep_the_user_list_in_step(store).await;
}

const AT: UnixMillis = UnixMillis(1_700_300_000_000);

fn pending(user: &User, id: &str, at: UnixMillis) -> PasskeyRecord {
    PasskeyRecord {
        id: id.to_owned(),
        user_id: user.id.clone(),
        name: "Chrome on Linux".to_owned(),
        credential_id: None,
        credential: None,
        registration: Some("{\"state\":1}".to_owned()),
        rp_id: "localhost".to_owned(),
        verified: false,
        expire_at: at.plus_secs(300),
        last_used_at: None,
        created_at: at,
        updated_at: at,
        version: 0,
    }
}

pub(crate) fn no_events(
    _: &User,
    _: &[frontdesk_domain::entities::Session],
) -> Vec<frontdesk_domain::webhooks::OutboxEvent> {
    Vec::new()
}

/// A user with one verified passkey `pk_{tag}` (credential `cred-{tag}`).
async fn with_passkey<S: Store>(store: &S, tag: &str) -> (User, PasskeyRecord) {
    let user = new_user(store, tag).await;
    let id = format!("pk_{tag}");
    store
        .create_pending_passkey(&pending(&user, &id, AT))
        .await
        .unwrap();
    store
        .verify_passkey(
            &user.id,
            &id,
            &format!("cred-{tag}"),
            "{\"counter\":0}",
            AT.plus_secs(10),
            &no_events,
        )
        .await
        .unwrap()
        .expect("verified")
}

async fn a_passkey_is_pending_until_verified_once<S: Store>(store: &S) {
    let user = new_user(store, "pk-pending").await;
    store
        .create_pending_passkey(&pending(&user, "pk_pending", AT))
        .await
        .unwrap();
    let read = store
        .passkey(&user.id, "pk_pending")
        .await
        .unwrap()
        .unwrap();
    assert!(!read.verified);
    assert_eq!(read.registration.as_deref(), Some("{\"state\":1}"));
    assert!(store.passkeys_of(&user.id).await.unwrap().is_empty());
    let other = new_user(store, "pk-pending-other").await;
    assert_eq!(
        store.passkey(&other.id, "pk_pending").await.unwrap(),
        None,
        "another user's passkey is not found"
    );

    // Too late: the ceremony expired.
    let late = store
        .verify_passkey(
            &user.id,
            "pk_pending",
            "cred-late",
            "{}",
            AT.plus_secs(301),
            &no_events,
        )
        .await
        .unwrap();
    assert!(late.is_none());

    // Parallel verifications of one pending passkey: one wins.
    let tries = join_all((0..WRITERS).map(|i| {
        store.verify_passkey(
            &user.id,
            "pk_pending",
            "cred-pending",
            "{}",
            AT.plus_secs(20 + i as i64),
            &no_events,
        )
    }))
    .await;
    let won: Vec<_> = tries.into_iter().filter_map(|r| r.unwrap()).collect();
    assert_eq!(won.len(), 1, "one verification");
    let (user, passkey) = &won[0];
    assert!(passkey.verified);
    assert_eq!(passkey.registration, None, "the ceremony state is dropped");
    assert_eq!(user.passkeys.len(), 1);
    assert_eq!(user.passkeys[0].id, "pk_pending");
    let found = store
        .passkey_by_credential("cred-pending")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user_id, user.id);
    let reread = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(reread.passkeys, user.passkeys, "the list is stored");
}

async fn a_credential_is_registered_once<S: Store>(store: &S) {
    let (_, _) = with_passkey(store, "pk-dup").await;
    let other = new_user(store, "pk-dup-other").await;
    store
        .create_pending_passkey(&pending(&other, "pk_dup2", AT))
        .await
        .unwrap();
    let again = store
        .verify_passkey(
            &other.id,
            "pk_dup2",
            "cred-pk-dup",
            "{}",
            AT.plus_secs(5),
            &no_events,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let other = store.get_user(&other.id).await.unwrap().unwrap();
    assert!(other.passkeys.is_empty());
}

async fn parallel_uses_move_the_counter_once<S: Store>(store: &S) {
    let (user, passkey) = with_passkey(store, "pk-use").await;
    let tries = join_all((0..WRITERS).map(|i| {
        store.use_passkey(
            &passkey.id,
            passkey.version,
            "{\"counter\":1}",
            AT.plus_secs(100 + i as i64),
        )
    }))
    .await;
    let won = tries.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(won, 1, "one use over one version");
    let now = store.passkey(&user.id, &passkey.id).await.unwrap().unwrap();
    assert_eq!(now.credential.as_deref(), Some("{\"counter\":1}"));
    assert_eq!(now.version, passkey.version + 1);
    let user = store.get_user(&user.id).await.unwrap().unwrap();
    assert!(
        user.passkeys[0].last_used_at.is_some(),
        "the user's list shows the use"
    );
    assert!(
        !store
            .use_passkey(&passkey.id, passkey.version, "{}", AT.plus_secs(200))
            .await
            .unwrap(),
        "a stale version is refused"
    );
}

async fn rename_and_delete_keep_the_user_list_in_step<S: Store>(store: &S) {
    let (user, passkey) = with_passkey(store, "pk-rename").await;
    let (renamed, record) = store
        .rename_passkey(
            &user.id,
            &passkey.id,
            "Work laptop",
            AT.plus_secs(50),
            &no_events,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.name, "Work laptop");
    assert_eq!(renamed.passkeys[0].name, "Work laptop");
    assert!(renamed.version > user.version);
    let other = new_user(store, "pk-rename-other").await;
    assert!(
        store
            .delete_passkey(&other.id, &passkey.id, AT.plus_secs(60), &no_events)
            .await
            .unwrap()
            .is_none(),
        "only the owner deletes"
    );
    let gone = store
        .delete_passkey(&user.id, &passkey.id, AT.plus_secs(60), &no_events)
        .await
        .unwrap()
        .unwrap();
    assert!(gone.passkeys.is_empty());
    assert!(
        store
            .passkey_by_credential("cred-pk-rename")
            .await
            .unwrap()
            .is_none()
    );
}
