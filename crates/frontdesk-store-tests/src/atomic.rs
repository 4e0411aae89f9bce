//! No lost updates: every counter and status the store keeps, changed by 50
//! writers at once, ends where 50 serial changes would have left it.
//!
//! These are the store's half of findings F1, F2 and F7 (lockout counters,
//! bans and metadata overwritten by concurrent sign-ins, code tries counted
//! from stale copies). The writers run concurrently on the store's pool, so on
//! PostgreSQL they are concurrent transactions and on SQLite they queue for
//! the write lock, as in production.

use std::collections::BTreeSet;

use frontdesk_domain::entities::{Client, FlowRecord, Session, SessionStatus, User};
use frontdesk_domain::{Lockout, UnixMillis};
use frontdesk_store::{
    EndSessions, MailOutcome, NewSignIn, PurgePolicy, QueuedMail, SessionQuery, SignInOutcome,
    Store, StoreError, UserPatch,
};
use frontdesk_types::{ClientId, SessionId};
use futures_util::future::join_all;
use serde_json::{Value, json};

use super::{client_and_session, sample_user, unique};

/// Writers per story.
pub(crate) const WRITERS: usize = 50;

pub async fn run_all<S: Store>(store: &S) {
    failed_attempts_are_each_counted(store).await;
    a_lapsed_lock_starts_a_fresh_count(store).await;
    patches_of_different_columns_keep_each_other(store).await;
    version_checked_merges_all_land(store).await;
    sign_ins_and_a_ban_leave_no_live_session(store).await;
    sign_in_is_refused_while_locked_and_rotates_the_client_token(store).await;
    flow_writes_over_a_version_are_each_counted(store).await;
    quota_hits_are_each_counted(store).await;
    handshake_nonces_are_taken_once(store).await;
    mail_is_claimed_by_one_worker_at_a_time(store).await;
    digest_upgrades_never_undo_a_password_change(store).await;
    purge_removes_only_what_outlived_its_use(store).await;
    setting_swaps_are_each_applied(store).await;
    a_code_mailed_late_never_unverifies_an_address(store).await;
}

pub(crate) async fn new_user<S: Store>(store: &S, tag: &str) -> User {
    let user = sample_user(&unique(tag));
    store.create_user(&user, &[]).await.unwrap();
    user
}

pub async fn failed_attempts_are_each_counted<S: Store>(store: &S) {
    let user = new_user(store, "fail").await;
    let lockout = Lockout::default();
    let at = UnixMillis(1_700_100_000_000);
    let states =
        join_all((0..WRITERS).map(|_| store.record_failed_attempt(&user.id, &lockout, at))).await;
    let counts: BTreeSet<i32> = states
        .iter()
        .map(|s| s.as_ref().unwrap().unwrap().failed_attempts)
        .collect();
    assert_eq!(
        counts,
        (1..=WRITERS as i32).collect(),
        "each writer saw its own count"
    );
    let locked: Vec<_> = states
        .iter()
        .map(|s| s.as_ref().unwrap().unwrap())
        .filter(|s| s.locked_at.is_some())
        .collect();
    assert_eq!(
        locked.len(),
        WRITERS - lockout.max_attempts as usize + 1,
        "from the 10th failure on, every writer sees the lock"
    );
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_attempts, WRITERS as i32);
    assert_eq!(stored.locked_at, Some(at));
    assert_eq!(
        store
            .record_failed_attempt(&frontdesk_types::UserId::generate(), &lockout, at)
            .await
            .unwrap(),
        None
    );
}

pub async fn a_lapsed_lock_starts_a_fresh_count<S: Store>(store: &S) {
    let user = new_user(store, "lapse").await;
    let lockout = Lockout {
        max_attempts: 3,
        duration_secs: 60,
    };
    let t0 = UnixMillis(1_700_100_000_000);
    for _ in 0..3 {
        store
            .record_failed_attempt(&user.id, &lockout, t0)
            .await
            .unwrap();
    }
    let later = t0.plus_secs(61);
    let state = store
        .record_failed_attempt(&user.id, &lockout, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((state.failed_attempts, state.locked_at), (1, None));
}

pub async fn patches_of_different_columns_keep_each_other<S: Store>(store: &S) {
    let user = new_user(store, "patch").await;
    let at = UnixMillis(1_700_100_000_000);
    let patches: Vec<UserPatch> = (0..WRITERS)
        .map(|i| match i % 5 {
            0 => UserPatch {
                banned: Some(true),
                ..UserPatch::default()
            },
            1 => UserPatch {
                locked: Some(true),
                ..UserPatch::default()
            },
            2 => UserPatch {
                public_metadata: Some(json!({"role": "user"})),
                ..UserPatch::default()
            },
            3 => UserPatch {
                last_name: Some(Some(format!("n{i}"))),
                ..UserPatch::default()
            },
            _ => UserPatch {
                first_name: Some(Some("Ada".into())),
                ..UserPatch::default()
            },
        })
        .collect();
    let results = join_all(
        patches
            .iter()
            .map(|p| store.patch_user(&user.id, p, at, &|_, _| vec![])),
    )
    .await;
    assert!(results.iter().all(Result::is_ok));
    // Bookkeeping writes interleaved with the patches must not revert them.
    let lockout = Lockout::default();
    join_all((0..WRITERS).map(|_| store.record_failed_attempt(&user.id, &lockout, at))).await;
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    assert!(stored.banned, "the ban held");
    assert_eq!(stored.locked_at, Some(at), "the lock held");
    assert_eq!(stored.public_metadata, json!({"role": "user"}));
    assert_eq!(stored.version, user.version + WRITERS as i64);
    assert_eq!(stored.failed_attempts, WRITERS as i32);
}

/// Read, merge one key, write over the version read; on `Stale`, again.
async fn merge_key<S: Store>(store: &S, user: &User, key: String) -> u32 {
    let mut tries = 0;
    loop {
        tries += 1;
        let current = store.get_user(&user.id).await.unwrap().unwrap();
        let mut merged = current.public_metadata.clone();
        merged[&key] = json!(true);
        let patch = UserPatch {
            public_metadata: Some(merged),
            if_version: Some(current.version),
            ..UserPatch::default()
        };
        match store
            .patch_user(&user.id, &patch, UnixMillis(1), &|_, _| vec![])
            .await
        {
            Ok(_) => return tries,
            Err(StoreError::Stale) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

pub async fn version_checked_merges_all_land<S: Store>(store: &S) {
    let user = new_user(store, "merge").await;
    join_all((0..WRITERS).map(|i| merge_key(store, &user, format!("k{i}")))).await;
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    let keys = stored.public_metadata.as_object().unwrap();
    for i in 0..WRITERS {
        assert_eq!(keys.get(&format!("k{i}")), Some(&json!(true)), "k{i} lost");
    }
}

async fn fresh_client<S: Store>(store: &S, at: UnixMillis) -> Client {
    let client = Client {
        id: ClientId::generate(),
        token_hash: format!("tok-{}", SessionId::generate()),
        last_active_session_id: None,
        created_at: at,
        updated_at: at,
    };
    store.create_client(&client).await.unwrap();
    client
}

fn new_session(user: &User, client: &Client, at: UnixMillis) -> Session {
    Session {
        id: SessionId::generate(),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        status: SessionStatus::Active,
        last_active_at: at,
        expire_at: at.plus_secs(86_400),
        abandon_at: at.plus_secs(86_400),
        last_active_organization_id: None,
        actor: None,
        latest_activity: Default::default(),
        first_factor_verified_at: at,
        second_factor_verified_at: None,
        created_at: at,
        updated_at: at,
    }
}

pub async fn sign_ins_and_a_ban_leave_no_live_session<S: Store>(store: &S) {
    let user = new_user(store, "race").await;
    let at = UnixMillis(1_700_100_000_000);
    let mut clients = Vec::new();
    for _ in 0..WRITERS {
        clients.push(fresh_client(store, at).await);
    }
    let sessions: Vec<Session> = clients.iter().map(|c| new_session(&user, c, at)).collect();
    let lapsed = Lockout::default().lapsed_before(at);
    let sign_ins = sessions.iter().map(|s| async {
        store
            .sign_in(
                &NewSignIn {
                    user_id: &user.id,
                    session: s,
                    lock_lapsed_before: lapsed,
                    new_client_token_hash: None,
                    events: &|_, _, _| vec![],
                },
                at,
            )
            .await
            .unwrap()
    });
    let ban = UserPatch {
        banned: Some(true),
        end_sessions: Some(EndSessions {
            status: SessionStatus::Revoked,
            except: None,
        }),
        ..UserPatch::default()
    };
    let (outcomes, banned) = futures_util::future::join(
        join_all(sign_ins),
        store.patch_user(&user.id, &ban, at, &|_, _| vec![]),
    )
    .await;
    let banned = banned.unwrap();
    let signed_in = outcomes
        .iter()
        .filter(|o| matches!(o, SignInOutcome::SignedIn(_)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, SignInOutcome::Banned))
        .count();
    assert_eq!(signed_in + refused, WRITERS);
    assert_eq!(
        banned.ended.len(),
        signed_in,
        "the ban ended every session created before it"
    );
    let live = store
        .list_sessions(&SessionQuery {
            user_id: Some(user.id.clone()),
            client_id: None,
            status: Some(SessionStatus::Active),
            limit: 500,
            offset: 0,
        })
        .await
        .unwrap();
    assert!(live.is_empty(), "{} sessions outlived the ban", live.len());
}

pub async fn sign_in_is_refused_while_locked_and_rotates_the_client_token<S: Store>(store: &S) {
    let user = new_user(store, "lockedin").await;
    let at = UnixMillis(1_700_100_000_000);
    let lockout = Lockout::default();
    let client = fresh_client(store, at).await;
    let (_, old) = client_and_session(store, &user, at).await;
    // An earlier session on this very browser.
    let first = new_session(&user, &client, at);
    let sign_in = |session: &Session, token: Option<&'static str>, at: UnixMillis| {
        let session = session.clone();
        let user_id = user.id.clone();
        async move {
            store
                .sign_in(
                    &NewSignIn {
                        user_id: &user_id,
                        session: &session,
                        lock_lapsed_before: lockout.lapsed_before(at),
                        new_client_token_hash: token,
                        events: &|_, _, _| vec![],
                    },
                    at,
                )
                .await
                .unwrap()
        }
    };
    assert!(matches!(
        sign_in(&first, None, at).await,
        SignInOutcome::SignedIn(_)
    ));
    store
        .patch_user(
            &user.id,
            &UserPatch {
                locked: Some(true),
                ..UserPatch::default()
            },
            at,
            &|_, _| vec![],
        )
        .await
        .unwrap();
    let second = new_session(&user, &client, at.plus_secs(1));
    assert_eq!(
        sign_in(&second, Some("rotated-hash"), at.plus_secs(1)).await,
        SignInOutcome::Locked { locked_at: at }
    );
    assert!(
        store.get_session(&second.id).await.unwrap().is_none(),
        "nothing written"
    );
    // An hour later the lock has lapsed: the sign-in ends the browser's
    // earlier session (not the other browser's) and rotates its token.
    let later = at.plus_secs(lockout.duration_secs + 1);
    let third = new_session(&user, &client, later);
    let SignInOutcome::SignedIn(done) = sign_in(&third, Some("rotated-hash"), later).await else {
        panic!("the lapsed lock still held");
    };
    let (u, ended) = (done.user, done.ended);
    assert_eq!((u.locked_at, u.failed_attempts), (None, 0));
    assert_eq!(u.last_sign_in_at, Some(later));
    assert_eq!(
        ended.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![first.id.clone()]
    );
    assert_eq!(
        store.get_session(&old.id).await.unwrap().unwrap().status,
        SessionStatus::Active
    );
    assert!(
        store
            .find_client_by_token_hash(&client.token_hash)
            .await
            .unwrap()
            .is_none(),
        "the token held before the sign-in identifies nothing"
    );
    let rotated = store
        .find_client_by_token_hash("rotated-hash")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rotated.last_active_session_id, Some(third.id.clone()));
    let gone = new_session(&User::new(at), &client, later);
    assert_eq!(
        store
            .sign_in(
                &NewSignIn {
                    user_id: &gone.user_id,
                    session: &gone,
                    lock_lapsed_before: later,
                    new_client_token_hash: None,
                    events: &|_, _, _| vec![],
                },
                later,
            )
            .await
            .unwrap(),
        SignInOutcome::UserGone
    );
}

/// Read a flow, count one more try in its document, write it over the
/// version read; on `Stale`, again.
async fn count_try<S: Store>(store: &S, id: &str) {
    loop {
        let mut flow = store.get_flow(id).await.unwrap().unwrap();
        let n = flow.data["tries"].as_i64().unwrap_or(0);
        flow.data["tries"] = json!(n + 1);
        match store.update_flow(&flow).await {
            Ok(_) => return,
            Err(StoreError::Stale) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

pub async fn flow_writes_over_a_version_are_each_counted<S: Store>(store: &S) {
    let at = UnixMillis(1_700_100_000_000);
    let client = fresh_client(store, at).await;
    let flow = FlowRecord {
        id: format!("sua_{}", &SessionId::generate().as_str()[5..]),
        client_id: client.id.clone(),
        kind: "sign_up".into(),
        data: json!({"tries": 0}),
        created_at: at,
        updated_at: at,
        version: 0,
    };
    store.insert_flow(&flow).await.unwrap();
    join_all((0..WRITERS).map(|_| count_try(store, &flow.id))).await;
    let stored = store.get_flow(&flow.id).await.unwrap().unwrap();
    assert_eq!(stored.data["tries"], json!(WRITERS));
    assert_eq!(stored.version, WRITERS as i64);
}

pub async fn quota_hits_are_each_counted<S: Store>(store: &S) {
    let name = unique("quota");
    let now = UnixMillis(1_700_100_000_000);
    let hits = join_all((0..WRITERS).map(|_| store.hit_quota(&name, 600, now))).await;
    let counts: BTreeSet<i32> = hits.iter().map(|h| h.as_ref().unwrap().hits).collect();
    assert_eq!(counts, (1..=WRITERS as i32).collect());
    let hit = hits[0].as_ref().unwrap();
    assert_eq!(hit.window_start, now);
    assert_eq!(hit.check(WRITERS as i32, 600, now), Ok(()));
    let over = store
        .hit_quota(&name, 600, now.plus_secs(30))
        .await
        .unwrap();
    assert_eq!(over.check(WRITERS as i32, 600, now.plus_secs(30)), Err(570));
    // A new window starts once the last one is over.
    let fresh = store
        .hit_quota(&name, 600, now.plus_secs(600))
        .await
        .unwrap();
    assert_eq!((fresh.hits, fresh.window_start), (1, now.plus_secs(600)));
}

pub async fn handshake_nonces_are_taken_once<S: Store>(store: &S) {
    let now = UnixMillis(1_700_100_000_000);
    let id = unique("nonce");
    let directives = json!(["__session=x; Path=/"]);
    store
        .insert_handshake_nonce(&id, &directives, now.plus_secs(60), now)
        .await
        .unwrap();
    let taken: Vec<Option<Value>> = join_all(
        (0..WRITERS).map(|_| async { store.take_handshake_nonce(&id, now).await.unwrap() }),
    )
    .await;
    assert_eq!(
        taken.iter().flatten().collect::<Vec<_>>(),
        vec![&directives],
        "exactly one reader gets the directives"
    );
    let late = unique("nonce");
    store
        .insert_handshake_nonce(&late, &directives, now.plus_secs(60), now)
        .await
        .unwrap();
    assert_eq!(
        store
            .take_handshake_nonce(&late, now.plus_secs(60))
            .await
            .unwrap(),
        None,
        "expired"
    );
}

fn mail(i: usize, now: UnixMillis) -> QueuedMail {
    QueuedMail {
        id: format!("mail_{i}_{}", &SessionId::generate().as_str()[5..]),
        to_address: format!("m{i}@example.com"),
        subject: "123456 is your code".into(),
        text_body: "123456".into(),
        html_body: "<p>123456</p>".into(),
        created_at: now,
        give_up_at: now.plus_secs(600),
        next_attempt_at: now,
        attempts: 0,
    }
}

pub async fn mail_is_claimed_by_one_worker_at_a_time<S: Store>(store: &S) {
    // Far in the future, so that no other story's mail is due.
    let now = UnixMillis(1_900_000_000_000);
    let queued: Vec<QueuedMail> = (0..20).map(|i| mail(i, now)).collect();
    for m in &queued {
        store.queue_mail(Some(m), None, &[]).await.unwrap();
    }
    let lease_until = now.plus_secs(30);
    let claims = join_all((0..8).map(|w| async move {
        store
            .claim_mail(5, now, lease_until, &format!("worker-{w}"))
            .await
            .unwrap()
    }))
    .await;
    let mut ids: Vec<&str> = claims.iter().flatten().map(|m| m.id.as_str()).collect();
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((total, ids.len()), (20, 20), "each mail claimed once");
    assert!(claims.iter().flatten().all(|m| m.attempts == 1));
    assert!(
        store
            .claim_mail(50, now, lease_until, "late")
            .await
            .unwrap()
            .is_empty(),
        "leased mail is hidden"
    );
    // A retry comes back when due; an outcome under a lost lease is ignored.
    let first = &claims.iter().flatten().next().unwrap().clone();
    let lease = claims
        .iter()
        .position(|c| c.iter().any(|m| m.id == first.id))
        .map(|w| format!("worker-{w}"))
        .unwrap();
    store
        .finish_mail(&first.id, "not-the-lease", MailOutcome::Done)
        .await
        .unwrap();
    store
        .finish_mail(&first.id, &lease, MailOutcome::RetryAt(now.plus_secs(5)))
        .await
        .unwrap();
    let again = store
        .claim_mail(50, now.plus_secs(5), now.plus_secs(60), "again")
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        vec![first.id.as_str()]
    );
    assert_eq!(again[0].attempts, 2);
    for w in claims.iter().flatten().chain(again.iter()) {
        let lease = if w.id == first.id {
            "again".to_owned()
        } else {
            claims
                .iter()
                .position(|c| c.iter().any(|m| m.id == w.id))
                .map(|i| format!("worker-{i}"))
                .unwrap()
        };
        store
            .finish_mail(&w.id, &lease, MailOutcome::Done)
            .await
            .unwrap();
    }
    assert!(
        store
            .claim_mail(50, now.plus_secs(3600), now.plus_secs(3700), "end")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn digest_upgrades_never_undo_a_password_change<S: Store>(store: &S) {
    let user = new_user(store, "rehash").await;
    let old = user.password_digest.clone().unwrap();
    store
        .patch_user(
            &user.id,
            &UserPatch {
                password_digest: Some(Some("changed".into())),
                ..UserPatch::default()
            },
            UnixMillis(7),
            &|_, _| vec![],
        )
        .await
        .unwrap();
    assert!(
        !store
            .upgrade_password_digest(&user.id, &old, "stronger-old")
            .await
            .unwrap()
    );
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_digest.as_deref(), Some("changed"));
    assert_eq!(stored.password_last_updated_at, Some(UnixMillis(7)));
    assert!(
        store
            .upgrade_password_digest(&user.id, "changed", "stronger")
            .await
            .unwrap()
    );
    let upgraded = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(upgraded.password_digest.as_deref(), Some("stronger"));
    assert_eq!(upgraded.version, stored.version, "bookkeeping only");
}

pub async fn purge_removes_only_what_outlived_its_use<S: Store>(store: &S) {
    let old = UnixMillis(1_000);
    let recent = UnixMillis(1_800_000_000_000);
    let user = new_user(store, "purge").await;
    let anonymous = fresh_client(store, old).await;
    let (signed_in, _) = client_and_session(store, &user, old).await;
    let with_flow = fresh_client(store, old).await;
    let fresh_anonymous = fresh_client(store, recent).await;
    let stale_flow = FlowRecord {
        id: format!("sia_{}", &SessionId::generate().as_str()[5..]),
        client_id: with_flow.id.clone(),
        kind: "sign_in".into(),
        data: json!({}),
        created_at: old,
        updated_at: old,
        version: 0,
    };
    let live_flow = FlowRecord {
        id: format!("sia_{}", &SessionId::generate().as_str()[5..]),
        created_at: recent,
        updated_at: recent,
        client_id: fresh_anonymous.id.clone(),
        ..stale_flow.clone()
    };
    store.insert_flow(&stale_flow).await.unwrap();
    store.insert_flow(&live_flow).await.unwrap();
    store
        .insert_handshake_nonce(&unique("pn"), &json!([]), old, old)
        .await
        .unwrap();
    store.hit_quota(&unique("pq"), 60, old).await.unwrap();
    let policy = PurgePolicy {
        now: recent,
        flows_created_before: recent.plus_secs(-86_400),
        anonymous_clients_before: recent.plus_secs(-86_400),
        quotas_before: recent.plus_secs(-86_400),
    };
    let counts = store.purge(&policy).await.unwrap();
    assert!(counts.flows >= 1 && counts.nonces >= 1 && counts.quotas >= 1);
    assert!(counts.clients >= 2, "{counts:?}");
    assert_eq!(store.get_flow(&stale_flow.id).await.unwrap(), None);
    assert!(store.get_flow(&live_flow.id).await.unwrap().is_some());
    assert_eq!(store.get_client(&anonymous.id).await.unwrap(), None);
    assert_eq!(
        store.get_client(&with_flow.id).await.unwrap(),
        None,
        "its only attempt was purged first"
    );
    assert!(store.get_client(&signed_in.id).await.unwrap().is_some());
    assert!(
        store
            .get_client(&fresh_anonymous.id)
            .await
            .unwrap()
            .is_some()
    );
}

/// 50 writers each add their own key to one settings document by
/// compare-and-swap (read, change, swap; again on a lost race): every key is
/// there at the end, and only one writer could create the document.
pub async fn setting_swaps_are_each_applied<S: Store>(store: &S) {
    let name = unique("swapped");
    let at = UnixMillis(1_700_400_000_000);
    let empty = json!({});
    let creators =
        join_all((0..WRITERS).map(|_| store.swap_setting(&name, None, &empty, at))).await;
    assert_eq!(
        creators.iter().filter(|c| *c.as_ref().unwrap()).count(),
        1,
        "one writer creates the document"
    );
    let writer = |i: usize| {
        let name = name.clone();
        async move {
            loop {
                let mut doc = store.setting(&name).await.unwrap().unwrap();
                let old = doc.clone();
                doc[format!("w{i}")] = json!(i);
                if store
                    .swap_setting(&name, Some(&old), &doc, at)
                    .await
                    .unwrap()
                {
                    return;
                }
            }
        }
    };
    join_all((0..WRITERS).map(writer)).await;
    let doc = store.setting(&name).await.unwrap().unwrap();
    assert_eq!(
        doc.as_object().unwrap().len(),
        WRITERS,
        "no writer's change was lost: {doc}"
    );
    assert!(
        !store
            .swap_setting(&name, Some(&json!({})), &json!({"late": true}), at)
            .await
            .unwrap(),
        "a swap over a stale copy is refused"
    );
}

/// Codes mailed to an address (`pend_email_verification`) while an admin
/// verifies it: it ends verified, whatever the order, and a code asked for
/// afterwards writes nothing.
pub async fn a_code_mailed_late_never_unverifies_an_address<S: Store>(store: &S) {
    use frontdesk_domain::entities::{Verification, VerificationStatus};
    let user = new_user(store, "pend").await;
    let id = user.primary_email_address_id.clone().unwrap();
    let mut email = store.get_email(&id).await.unwrap().unwrap();
    let at = UnixMillis(1_700_200_000_000);
    email.verification = None;
    store.update_email(&email, &[]).await.unwrap();
    let pending = Verification {
        status: VerificationStatus::Unverified,
        strategy: "email_code".into(),
        attempts: Some(0),
        expire_at: Some(at.plus_secs(600)),
    };
    email.verification = Some(Verification {
        status: VerificationStatus::Verified,
        strategy: "admin".into(),
        attempts: None,
        expire_at: None,
    });
    email.updated_at = at;
    let pends = join_all((0..WRITERS).map(|_| store.pend_email_verification(&id, &pending, at)));
    let (pends, verified) =
        futures_util::future::join(pends, store.update_email(&email, &[])).await;
    verified.unwrap();
    for p in pends {
        p.unwrap();
    }
    let after = store.get_email(&id).await.unwrap().unwrap();
    assert_eq!(
        after.verification.map(|v| v.status),
        Some(VerificationStatus::Verified),
        "no pending code undid the verification"
    );
    assert!(
        !store
            .pend_email_verification(&id, &pending, at)
            .await
            .unwrap(),
        "a verified address takes no pending code"
    );
    let gone = frontdesk_types::EmailAddressId::generate();
    assert!(
        !store
            .pend_email_verification(&gone, &pending, at)
            .await
            .unwrap()
    );
}
