//! Instance administration: the first administrator made once by a
//! one-time link however many browsers race with it, grants that are
//! idempotent, an audit log read newest first in pages, and the user
//! filters the dashboard offers.
//!
//! Runs before any other story makes an administrator: redeeming a link
//! needs an instance without one.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::{Actor, ActorToken, ActorTokenStatus, AuditAction, AuditEvent};
use frontdesk_store::admin::{AuditQuery, Revoked};
use frontdesk_store::{Bounds, Refusal, Store, StoreError, UserFilter, UserPatch};
use frontdesk_types::{ActorTokenId, AuditEventId, UserId};
use futures_util::future::join_all;
use serde_json::json;

use super::atomic::{WRITERS, new_user};

pub async fn run_all<S: Store>(store: &S) {
    a_setup_link_makes_one_first_admin(store).await;
    grants_are_idempotent_and_need_a_user(store).await;
    revocations_at_once_leave_one_admin(store).await;
    bans_at_once_leave_an_admin_who_can_sign_in(store).await;
    the_audit_log_pages_newest_first(store).await;
    users_filter_by_standing_factors_and_time(store).await;
    an_actor_token_is_spent_once(store).await;
}

fn actor_token(user: &UserId, at: UnixMillis) -> ActorToken {
    ActorToken {
        id: ActorTokenId::generate(),
        user_id: user.clone(),
        actor: json!({"sub": "user_admin"}),
        status: ActorTokenStatus::Pending,
        session_max_secs: 1800,
        expire_at: UnixMillis(at.0 + 3_600_000),
        created_at: at,
        updated_at: at,
    }
}

async fn an_actor_token_is_spent_once<S: Store>(store: &S) {
    let at = UnixMillis(1_700_600_000_000);
    let user = new_user(store, "acted").await;
    let token = actor_token(&user.id, at);
    store
        .insert_actor_token(&token, "act-hash-1")
        .await
        .unwrap();
    assert_eq!(
        store.actor_token(&token.id).await.unwrap(),
        Some(token.clone())
    );
    assert!(matches!(
        store
            .insert_actor_token(&actor_token(&UserId::generate(), at), "act-hash-x")
            .await,
        Err(StoreError::NotFound)
    ));

    let later = UnixMillis(at.0 + 1000);
    let tries = join_all((0..WRITERS).map(|_| store.accept_actor_token("act-hash-1", later))).await;
    let accepted: Vec<_> = tries.into_iter().filter_map(|t| t.unwrap()).collect();
    assert_eq!(accepted.len(), 1, "one browser signs in with it");
    assert_eq!(accepted[0].status, ActorTokenStatus::Accepted);
    assert_eq!(accepted[0].actor, json!({"sub": "user_admin"}));
    assert_eq!(
        store.revoke_actor_token(&token.id, later).await.unwrap(),
        None,
        "a used token is not revoked"
    );

    let second = actor_token(&user.id, at);
    store
        .insert_actor_token(&second, "act-hash-2")
        .await
        .unwrap();
    let revoked = store
        .revoke_actor_token(&second.id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.status, ActorTokenStatus::Revoked);
    assert_eq!(
        store.accept_actor_token("act-hash-2", later).await.unwrap(),
        None
    );

    let third = actor_token(&user.id, at);
    store
        .insert_actor_token(&third, "act-hash-3")
        .await
        .unwrap();
    let expired = UnixMillis(third.expire_at.0);
    assert_eq!(
        store
            .accept_actor_token("act-hash-3", expired)
            .await
            .unwrap(),
        None,
        "not at or after its expiry"
    );
}

async fn a_setup_link_makes_one_first_admin<S: Store>(store: &S) {
    let at = UnixMillis(1_700_300_000_000);
    let later = UnixMillis(at.0 + 3_600_000);
    store
        .replace_setup_token("old-link", at, later)
        .await
        .unwrap();
    store
        .replace_setup_token("new-link", at, later)
        .await
        .unwrap();
    let stranger = new_user(store, "setup-old").await;
    assert!(
        !store
            .redeem_setup_token("old-link", &stranger.id, at)
            .await
            .unwrap(),
        "a newer link replaces the unused one before it"
    );
    assert!(
        !store
            .redeem_setup_token("new-link", &stranger.id, later)
            .await
            .unwrap(),
        "an expired link makes no one an administrator"
    );

    let racers = [
        new_user(store, "setup-a").await,
        new_user(store, "setup-b").await,
    ];
    let tries = join_all((0..WRITERS).map(|i| {
        let user = &racers[i % 2];
        async move {
            (
                user.id.clone(),
                store.redeem_setup_token("new-link", &user.id, at).await,
            )
        }
    }))
    .await;
    let winners: Vec<&UserId> = tries
        .iter()
        .filter(|(_, r)| *r.as_ref().unwrap())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(winners.len(), 1, "the link is spent once");
    let admins = store.list_admins().await.unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(&admins[0].user_id, winners[0]);
    assert_eq!(admins[0].granted_by, "setup_link");

    // Once there is an administrator, no link makes another.
    store
        .replace_setup_token("third-link", at, later)
        .await
        .unwrap();
    assert!(
        !store
            .redeem_setup_token("third-link", &stranger.id, at)
            .await
            .unwrap()
    );
    assert!(!store.is_admin(&stranger.id).await.unwrap());
}

async fn grants_are_idempotent_and_need_a_user<S: Store>(store: &S) {
    let at = UnixMillis(1_700_300_100_000);
    let user = new_user(store, "grant").await;
    let grants = join_all((0..WRITERS).map(|_| store.grant_admin(&user.id, "cli", at))).await;
    assert_eq!(
        grants.iter().filter(|g| *g.as_ref().unwrap()).count(),
        1,
        "one grant of many made the administrator"
    );
    assert!(store.is_admin(&user.id).await.unwrap());
    assert!(matches!(
        store.grant_admin(&UserId::generate(), "cli", at).await,
        Err(StoreError::NotFound)
    ));
    store.delete_user(&user.id, &[]).await.unwrap();
    assert!(
        !store.is_admin(&user.id).await.unwrap(),
        "the grant goes with the user"
    );
}

async fn revocations_at_once_leave_one_admin<S: Store>(store: &S) {
    let at = UnixMillis(1_700_300_200_000);
    let before = admin_ids(store).await;
    let mut all = before.clone();
    for tag in ["revoke-a", "revoke-b", "revoke-c"] {
        let user = new_user(store, tag).await;
        assert!(store.grant_admin(&user.id, "cli", at).await.unwrap());
        all.push(user.id);
    }
    // Every administrator revoked, each by several writers, all at once.
    let tries =
        join_all((0..WRITERS.max(all.len())).map(|i| store.revoke_admin(&all[i % all.len()])))
            .await;
    let outcomes: Vec<Revoked> = tries.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == Revoked::Done).count(),
        all.len() - 1,
        "{outcomes:?}"
    );
    let left = store.list_admins().await.unwrap();
    assert_eq!(left.len(), 1, "an instance keeps one administrator");
    assert_eq!(
        store.revoke_admin(&left[0].user_id).await.unwrap(),
        Revoked::LastAdmin
    );
    assert_eq!(
        store.revoke_admin(&UserId::generate()).await.unwrap(),
        Revoked::NotAnAdmin
    );
    // The administrators before the story are back; the rest go.
    for id in &before {
        store.grant_admin(id, "cli", at).await.unwrap();
    }
    for id in all.iter().filter(|id| !before.contains(id)) {
        store.revoke_admin(id).await.unwrap();
    }
    assert_eq!(admin_ids(store).await.len(), before.len().max(1));
}

/// Two administrators who ban each other at once (the dashboard's ban
/// keeps an administrator): one ban lands, the other is refused, round
/// after round; and the one left cannot have the role revoked.
async fn bans_at_once_leave_an_admin_who_can_sign_in<S: Store>(store: &S) {
    let at = UnixMillis(1_700_300_300_000);
    let before = admin_ids(store).await;
    let a = new_user(store, "ban-a").await;
    let b = new_user(store, "ban-b").await;
    for u in [&a, &b] {
        assert!(store.grant_admin(&u.id, "cli", at).await.unwrap());
    }
    for id in &before {
        assert_eq!(store.revoke_admin(id).await.unwrap(), Revoked::Done);
    }
    let standing = |banned: bool, keep_an_admin: bool| UserPatch {
        banned: Some(banned),
        keep_an_admin,
        ..UserPatch::default()
    };
    let ban = standing(true, true);
    let unban = standing(false, false);
    for round in 0..10 {
        let (x, y) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let both = join_all([
            store.patch_user(&x.id, &ban, at, &|_, _| vec![]),
            store.patch_user(&y.id, &ban, at, &|_, _| vec![]),
        ])
        .await;
        let shown: Vec<Result<(), String>> = both
            .iter()
            .map(|r| r.as_ref().map(|_| ()).map_err(ToString::to_string))
            .collect();
        let landed = both.iter().filter(|r| r.is_ok()).count();
        assert_eq!(landed, 1, "round {round}: {shown:?}");
        assert!(
            both.iter()
                .any(|r| matches!(r, Err(StoreError::Refused(Refusal::LastAdmin)))),
            "round {round}: {shown:?}"
        );
        let banned = if both[0].is_ok() { x } else { y };
        let free = if both[0].is_ok() { y } else { x };
        assert!(store.get_user(&banned.id).await.unwrap().unwrap().banned);
        assert!(!store.get_user(&free.id).await.unwrap().unwrap().banned);
        // The one who can sign in keeps the role while the other is banned.
        assert_eq!(
            store.revoke_admin(&free.id).await.unwrap(),
            Revoked::LastAdmin,
            "round {round}"
        );
        store
            .patch_user(&banned.id, &unban, at, &|_, _| vec![])
            .await
            .unwrap();
    }
    // A ban that keeps no administrator is refused alone too; a user who is
    // not one is banned as ever.
    let other = new_user(store, "ban-c").await;
    assert!(
        store
            .patch_user(&other.id, &ban, at, &|_, _| vec![])
            .await
            .is_ok()
    );
    store
        .patch_user(&a.id, &ban, at, &|_, _| vec![])
        .await
        .unwrap();
    assert!(matches!(
        store.patch_user(&b.id, &ban, at, &|_, _| vec![]).await,
        Err(StoreError::Refused(Refusal::LastAdmin))
    ));
    assert!(
        store
            .patch_user(&b.id, &standing(true, false), at, &|_, _| vec![])
            .await
            .is_ok(),
        "without the rule (the Backend API's ban) nothing is refused"
    );
    for u in [&a, &b] {
        store
            .patch_user(&u.id, &unban, at, &|_, _| vec![])
            .await
            .unwrap();
    }
    for id in &before {
        store.grant_admin(id, "cli", at).await.unwrap();
    }
    for u in [&a, &b] {
        assert_eq!(store.revoke_admin(&u.id).await.unwrap(), Revoked::Done);
    }
    let mut after = admin_ids(store).await;
    let mut expected = before.clone();
    after.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    expected.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(after, expected);
}

async fn admin_ids<S: Store>(store: &S) -> Vec<UserId> {
    let admins = store.list_admins().await.unwrap();
    admins.into_iter().map(|a| a.user_id).collect()
}

fn event(target: &str, n: i64, at: UnixMillis) -> AuditEvent {
    AuditEvent {
        id: AuditEventId::generate(),
        actor: Actor::command_line(),
        action: AuditAction::UserBanned,
        target_id: Some(target.to_owned()),
        detail: json!({"n": n}),
        ip_address: Some("203.0.113.9".to_owned()),
        user_agent: Some("test".to_owned()),
        created_at: at,
    }
}

async fn the_audit_log_pages_newest_first<S: Store>(store: &S) {
    let target = format!("user_audit_{}", frontdesk_types::id::random_base62(8));
    let base = 1_700_400_000_000;
    // Two entries share an instant: the id orders them.
    let times = [base, base + 1, base + 1, base + 2, base + 3];
    let written: Vec<AuditEvent> = times
        .iter()
        .enumerate()
        .map(|(n, t)| event(&target, n as i64, UnixMillis(*t)))
        .collect();
    join_all(written.iter().map(|e| store.record_audit(e))).await;

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list_audit(&AuditQuery {
                target_id: Some(target.clone()),
                before: before.clone(),
                limit: 2,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.created_at, last.id.clone()));
        seen.extend(page);
    }
    assert_eq!(seen.len(), written.len(), "every entry once across pages");
    let mut expected = written.clone();
    expected.sort_by(|a, b| (b.created_at, b.id.as_str()).cmp(&(a.created_at, a.id.as_str())));
    assert_eq!(seen, expected, "newest first, read back as written");

    let all = store
        .list_audit(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(all.len() >= written.len(), "no target: every entry");

    // Narrowed by action and by administrator.
    let other = AuditEvent {
        action: AuditAction::UserUnbanned,
        actor: Actor::admin(&UserId::generate(), "ops@example.com"),
        ..event(&target, 9, UnixMillis(base + 9))
    };
    store.record_audit(&other).await.unwrap();
    let by = |action: Option<&str>, actor: Option<&str>| AuditQuery {
        target_id: Some(target.clone()),
        action: action.map(str::to_owned),
        actor_id: actor.map(str::to_owned),
        before: None,
        limit: 100,
    };
    let unbanned = store
        .list_audit(&by(Some("user.unbanned"), None))
        .await
        .unwrap();
    assert_eq!(unbanned, vec![other.clone()]);
    let by_ops = store
        .list_audit(&by(None, Some(&other.actor.id)))
        .await
        .unwrap();
    assert_eq!(by_ops, vec![other.clone()]);
    let cli_banned = store
        .list_audit(&by(Some("user.banned"), Some("cli")))
        .await
        .unwrap();
    assert_eq!(cli_banned.len(), written.len());
    assert!(
        store
            .list_audit(&by(Some("user.unbanned"), Some("cli")))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn users_filter_by_standing_factors_and_time<S: Store>(store: &S) {
    let tag = frontdesk_types::id::random_base62(10).to_lowercase();
    let mut users = Vec::new();
    for i in 0..4 {
        users.push(new_user(store, &format!("filter-{tag}-{i}")).await);
    }
    let at = UnixMillis(1_700_500_000_000);
    store
        .patch_user(
            &users[0].id,
            &UserPatch {
                banned: Some(true),
                ..UserPatch::default()
            },
            at,
            &|_, _| Vec::new(),
        )
        .await
        .unwrap();
    store
        .patch_user(
            &users[1].id,
            &UserPatch {
                locked: Some(true),
                ..UserPatch::default()
            },
            at,
            &|_, _| Vec::new(),
        )
        .await
        .unwrap();
    let tag = tag.as_str();
    let count = |f: UserFilter| async move {
        store
            .count_users(&UserFilter {
                query: Some(format!("filter-{tag}")),
                ..f
            })
            .await
            .unwrap()
    };
    assert_eq!(count(UserFilter::default()).await, 4);
    let only = |banned, locked| UserFilter {
        banned,
        locked,
        ..UserFilter::default()
    };
    assert_eq!(count(only(Some(true), None)).await, 1);
    assert_eq!(count(only(Some(false), None)).await, 3);
    assert_eq!(count(only(None, Some(true))).await, 1);
    assert_eq!(count(only(Some(false), Some(false))).await, 2);
    assert_eq!(
        count(UserFilter {
            two_factor: Some(true),
            ..UserFilter::default()
        })
        .await,
        0
    );
    let created = users[0].created_at.0;
    assert_eq!(
        count(UserFilter {
            created: Bounds {
                after: Some(created - 1),
                before: Some(created + 1),
            },
            ..UserFilter::default()
        })
        .await,
        4
    );
    assert_eq!(
        count(UserFilter {
            last_sign_in: Bounds {
                after: Some(0),
                before: None,
            },
            ..UserFilter::default()
        })
        .await,
        0,
        "no one here has signed in"
    );
}
