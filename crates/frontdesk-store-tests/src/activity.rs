//! Activity per day, for the dashboard's charts: a user's first sign-in or
//! touched session of a UTC day counts them active that day (once, however
//! many writers touch at once) and moves `last_active_at`; sign-ins count
//! sessions; impersonations are neither; sign-ups count users.
//!
//! The story's days are in 2035, where no other story writes.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionActivity};
use frontdesk_store::admin::DayActivity;
use frontdesk_store::{DAY_MS, Store};
use frontdesk_types::SessionId;
use futures_util::future::join_all;

use super::atomic::WRITERS;
use super::{client_and_session, sample_user, unique};

pub async fn run_all<S: Store>(store: &S) {
    activity_is_counted_once_per_user_and_day(store).await;
}

async fn activity_is_counted_once_per_user_and_day<S: Store>(store: &S) {
    let d0 = UnixMillis(2_050_000_000_000 - 2_050_000_000_000 % DAY_MS);
    let d1 = UnixMillis(d0.0 + DAY_MS);
    let d2 = UnixMillis(d1.0 + DAY_MS);

    // Day 0: Ada signs up; an administrator impersonates her (neither her
    // activity nor a sign-in); she signs in herself and is active.
    let mut ada = sample_user(&unique("active-ada"));
    ada.created_at = d0;
    ada.updated_at = d0;
    store.create_user(&ada, &[]).await.unwrap();
    let (client, acted) = client_and_session(store, &ada, d0).await;
    let ada_now = || async { store.get_user(&ada.id).await.unwrap().unwrap() };
    assert_eq!(ada_now().await.last_active_at, None, "an impersonation");
    let seen = SessionActivity::default();
    let later = UnixMillis(d0.0 + 3_600_000);
    store
        .touch_session(&acted.id, later, later.plus_secs(60), &seen)
        .await
        .unwrap();
    assert_eq!(ada_now().await.last_active_at, None, "touched by the actor");
    let session_of = |user: &frontdesk_domain::entities::User, at: UnixMillis| Session {
        id: SessionId::generate(),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        actor: None,
        abandon_at: d0.plus_secs(6 * 86_400),
        created_at: at,
        updated_at: at,
        ..acted.clone()
    };
    let hers = session_of(&ada, UnixMillis(d0.0 + 7_200_000));
    store.create_session(&hers, &[]).await.unwrap();
    assert_eq!(ada_now().await.last_active_at, Some(hers.created_at));
    let evening = UnixMillis(d0.0 + 20 * 3_600_000);
    store
        .touch_session(&hers.id, evening, evening.plus_secs(3 * 86_400), &seen)
        .await
        .unwrap();
    assert_eq!(
        ada_now().await.last_active_at,
        Some(hers.created_at),
        "moved once a day, not on every touch"
    );

    // Day 1: Bob signs up and signs in; Ada's session is touched.
    let mut bob = sample_user(&unique("active-bob"));
    bob.created_at = d1;
    bob.updated_at = d1;
    store.create_user(&bob, &[]).await.unwrap();
    let own = session_of(&bob, UnixMillis(d1.0 + 5));
    store.create_session(&own, &[]).await.unwrap();
    let ada_day1 = UnixMillis(d1.0 + 60_000);
    store
        .touch_session(&hers.id, ada_day1, ada_day1.plus_secs(60), &seen)
        .await
        .unwrap();
    assert_eq!(ada_now().await.last_active_at, Some(ada_day1));

    // Day 2: many writers touch Bob's session at once; he counts once.
    let at = UnixMillis(d2.0 + 10);
    let touches = join_all((0..WRITERS).map(|i| {
        let t = UnixMillis(at.0 + i as i64);
        store.touch_session(&own.id, t, t.plus_secs(60), &seen)
    }))
    .await;
    assert!(touches.iter().all(Result::is_ok), "{touches:?}");

    let days = store.daily_activity(d0).await.unwrap();
    let day = |d: UnixMillis, sign_ups, sign_ins, active_users| DayActivity {
        day: d,
        sign_ups,
        sign_ins,
        active_users,
    };
    assert_eq!(
        days,
        vec![day(d0, 1, 1, 1), day(d1, 1, 1, 2), day(d2, 0, 0, 1)],
        "oldest first; an impersonation is neither a sign-in nor activity"
    );
    assert_eq!(
        store.daily_activity(d2).await.unwrap(),
        vec![day(d2, 0, 0, 1)]
    );

    store.delete_user(&ada.id, &[]).await.unwrap();
    store.delete_user(&bob.id, &[]).await.unwrap();
    assert_eq!(
        store.daily_activity(d0).await.unwrap(),
        vec![],
        "a deleted user's activity goes with them"
    );
}
