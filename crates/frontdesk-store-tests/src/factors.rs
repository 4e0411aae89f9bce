//! Second factors: an authenticator app's life (pending, confirmed, removed),
//! backup codes spent once, and the user row's summary kept in step — with
//! parallel writers on every decision, so a code is never spent twice.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{BackupCodeSet, TotpRecord, User};
use frontdesk_store::Store;
use futures_util::future::join_all;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    an_app_is_pending_until_confirmed_then_kept(store).await;
    a_step_is_accepted_once_among_parallel_tries(store).await;
    a_pending_secret_is_confirmed_once(store).await;
    backup_codes_are_spent_once_and_run_out(store).await;
    removing_the_app_removes_backup_codes(store).await;
}

fn pending(user: &User, id: &str, secret: &str, at: UnixMillis) -> TotpRecord {
    TotpRecord {
        id: id.to_owned(),
        user_id: user.id.clone(),
        secret: secret.to_owned(),
        verified: false,
        last_used_step: None,
        created_at: at,
        updated_at: at,
    }
}

fn codes(salt: &str, n: usize) -> BackupCodeSet {
    BackupCodeSet {
        salt: salt.to_owned(),
        hashes: (0..n).map(|i| format!("{salt}-hash-{i}")).collect(),
    }
}

fn no_events(
    _: &User,
    _: &[frontdesk_domain::entities::Session],
) -> Vec<frontdesk_domain::webhooks::OutboxEvent> {
    Vec::new()
}

/// An enabled user: app confirmed at step 100 with `n` backup codes.
async fn enabled<S: Store>(store: &S, tag: &str, n: usize) -> User {
    let user = new_user(store, tag).await;
    let at = UnixMillis(1_700_200_000_000);
    assert!(
        store
            .put_pending_totp(&pending(&user, &format!("totp_{tag}"), "SECRET", at))
            .await
            .unwrap()
    );
    store
        .enable_totp(
            &user.id,
            &format!("totp_{tag}"),
            100,
            Some(&codes(tag, n)),
            at,
            &no_events,
        )
        .await
        .unwrap()
        .expect("a pending secret is confirmed")
}

pub async fn an_app_is_pending_until_confirmed_then_kept<S: Store>(store: &S) {
    let user = new_user(store, "totp-life").await;
    let at = UnixMillis(1_700_200_000_000);
    assert!(store.totp(&user.id).await.unwrap().is_none());
    assert!(
        store
            .put_pending_totp(&pending(&user, "totp_a", "AAAA", at))
            .await
            .unwrap()
    );
    assert!(
        store
            .put_pending_totp(&pending(&user, "totp_b", "BBBB", at))
            .await
            .unwrap(),
        "a pending secret is replaced by a new enrolment"
    );
    let stored = store.totp(&user.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.id.as_str(), stored.secret.as_str(), stored.verified),
        ("totp_b", "BBBB", false)
    );
    assert!(
        !store.spend_totp_step(&user.id, 5, at).await.unwrap(),
        "a pending secret signs nobody in"
    );
    assert!(
        store
            .enable_totp(&user.id, "totp_a", 5, None, at, &no_events)
            .await
            .unwrap()
            .is_none(),
        "the replaced secret cannot be confirmed"
    );
    let before = store.get_user(&user.id).await.unwrap().unwrap();
    let u = store
        .enable_totp(&user.id, "totp_b", 5, None, at.plus_secs(1), &no_events)
        .await
        .unwrap()
        .expect("confirmed");
    assert!(u.mfa.totp_enabled && u.mfa.two_factor_enabled());
    assert!(!u.mfa.backup_code_enabled);
    assert_eq!(u.mfa.enabled_at, Some(at.plus_secs(1)));
    assert!(u.version > before.version, "the user row moved on");
    assert!(
        !store
            .put_pending_totp(&pending(&user, "totp_c", "CCCC", at))
            .await
            .unwrap(),
        "a confirmed secret is never replaced by an enrolment"
    );
    assert_eq!(store.totp(&user.id).await.unwrap().unwrap().secret, "BBBB");
    assert!(
        !store.spend_totp_step(&user.id, 5, at).await.unwrap(),
        "the confirming step is spent"
    );
    assert!(
        !store.spend_totp_step(&user.id, 4, at).await.unwrap(),
        "earlier steps are too"
    );
    assert!(store.spend_totp_step(&user.id, 6, at).await.unwrap());
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.mfa, u.mfa, "the summary is read back with the user");
}

pub async fn a_step_is_accepted_once_among_parallel_tries<S: Store>(store: &S) {
    let user = enabled(store, "totp-race", 0).await;
    let at = UnixMillis(1_700_200_000_000);
    let tries = join_all((0..WRITERS).map(|_| store.spend_totp_step(&user.id, 101, at))).await;
    let accepted = tries.into_iter().filter(|t| *t.as_ref().unwrap()).count();
    assert_eq!(accepted, 1, "one code, one sign-in");
}

pub async fn a_pending_secret_is_confirmed_once<S: Store>(store: &S) {
    let user = new_user(store, "totp-confirm-race").await;
    let at = UnixMillis(1_700_200_000_000);
    assert!(
        store
            .put_pending_totp(&pending(&user, "totp_r", "RRRR", at))
            .await
            .unwrap()
    );
    let set = codes("race", 3);
    let tries = join_all(
        (0..WRITERS).map(|_| store.enable_totp(&user.id, "totp_r", 7, Some(&set), at, &no_events)),
    )
    .await;
    let confirmed = tries
        .into_iter()
        .filter(|t| t.as_ref().unwrap().is_some())
        .count();
    assert_eq!(
        confirmed, 1,
        "one code confirms the app once (one set of backup codes)"
    );
}

pub async fn backup_codes_are_spent_once_and_run_out<S: Store>(store: &S) {
    let user = enabled(store, "backup", 2).await;
    assert!(user.mfa.backup_code_enabled);
    let at = UnixMillis(1_700_200_000_000);
    assert_eq!(
        store.backup_code_salt(&user.id).await.unwrap().as_deref(),
        Some("backup")
    );
    let tries =
        join_all((0..WRITERS).map(|_| store.spend_backup_code(&user.id, "backup-hash-0", at)))
            .await;
    assert_eq!(
        tries.into_iter().filter(|t| *t.as_ref().unwrap()).count(),
        1
    );
    assert!(
        !store
            .spend_backup_code(&user.id, "no-such-hash", at)
            .await
            .unwrap()
    );
    assert!(
        store
            .get_user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .mfa
            .backup_code_enabled
    );
    assert!(
        store
            .spend_backup_code(&user.id, "backup-hash-1", at)
            .await
            .unwrap()
    );
    let spent = store.get_user(&user.id).await.unwrap().unwrap();
    assert!(!spent.mfa.backup_code_enabled, "the last code is gone");
    assert!(spent.mfa.totp_enabled, "the app stays");
    assert!(store.backup_code_salt(&user.id).await.unwrap().is_none());

    let renewed = store
        .replace_backup_codes(&user.id, &codes("renewed", 4), at, &no_events)
        .await
        .unwrap();
    assert!(renewed.mfa.backup_code_enabled);
    assert!(
        !store
            .spend_backup_code(&user.id, "backup-hash-0", at)
            .await
            .unwrap(),
        "a new set replaces the old one"
    );
    assert!(
        store
            .spend_backup_code(&user.id, "renewed-hash-3", at)
            .await
            .unwrap()
    );
    let cleared = store
        .delete_backup_codes(&user.id, at, &no_events)
        .await
        .unwrap()
        .expect("had codes");
    assert!(!cleared.mfa.backup_code_enabled);
    assert!(
        store
            .delete_backup_codes(&user.id, at, &no_events)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn removing_the_app_removes_backup_codes<S: Store>(store: &S) {
    let user = enabled(store, "remove", 3).await;
    let at = UnixMillis(1_700_300_000_000);
    let u = store
        .delete_totp(&user.id, at, &no_events)
        .await
        .unwrap()
        .expect("had an app");
    assert!(!u.mfa.totp_enabled && !u.mfa.backup_code_enabled && !u.mfa.two_factor_enabled());
    assert_eq!(u.mfa.disabled_at, Some(at));
    assert!(store.totp(&user.id).await.unwrap().is_none());
    assert!(store.backup_code_salt(&user.id).await.unwrap().is_none());
    assert!(
        store
            .delete_totp(&user.id, at, &no_events)
            .await
            .unwrap()
            .is_none()
    );
    // Deleting the user takes its factors with it.
    let other = enabled(store, "remove-user", 2).await;
    store.delete_user(&other.id, &[]).await.unwrap();
    assert!(store.totp(&other.id).await.unwrap().is_none());
}
