//! Sessions: ended once, listed by filter, ended in bulk, touched, and gone
//! with their user.

#![allow(clippy::unwrap_used)]

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionActivity, SessionStatus};
use frontdesk_store::{SessionQuery, Store, StoreError};
use frontdesk_types::{ClientId, SessionId, UserId};

use super::{client_and_session, sample_user, unique};

pub async fn sessions_end_once_and_move_client_updated_at<S: Store>(store: &S) {
    let user = sample_user(&unique("sess"));
    store.create_user(&user, &[]).await.unwrap();
    let t0 = UnixMillis(1_700_000_100_000);
    let (client, session) = client_and_session(store, &user, t0).await;

    assert_eq!(
        store.get_session(&session.id).await.unwrap(),
        Some(session.clone())
    );
    let (for_token, client_updated) = store.session_for_token(&session.id).await.unwrap().unwrap();
    assert_eq!(for_token, session);
    assert_eq!(
        client_updated, session.created_at,
        "the client's updated_at comes along"
    );
    assert_eq!(
        store
            .session_for_token(&SessionId::generate())
            .await
            .unwrap(),
        None
    );
    let c = store.get_client(&client.id).await.unwrap().unwrap();
    assert_eq!(c.last_active_session_id, Some(session.id.clone()));
    assert_eq!(
        c.updated_at, session.created_at,
        "new session bumps the client"
    );
    assert_eq!(
        store
            .find_client_by_token_hash(&client.token_hash)
            .await
            .unwrap()
            .map(|c| c.id),
        Some(client.id.clone())
    );

    let ended = store
        .end_session(
            &session.id,
            SessionStatus::Revoked,
            t0.plus_secs(60),
            &|_| None,
        )
        .await
        .unwrap();
    assert_eq!(ended.status, SessionStatus::Revoked);
    assert!(
        matches!(
            store
                .end_session(&session.id, SessionStatus::Ended, t0.plus_secs(61), &|_| {
                    None
                })
                .await,
            Err(StoreError::NotFound)
        ),
        "an ended session cannot end again"
    );
    assert_eq!(
        store
            .get_client(&client.id)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        t0.plus_secs(60)
    );
    // The client's updated_at never moves backwards.
    let (_, other) = client_and_session(store, &user, t0).await;
    store
        .end_session(&other.id, SessionStatus::Ended, UnixMillis(5), &|_| None)
        .await
        .unwrap();
    let c2 = store.get_client(&other.client_id).await.unwrap().unwrap();
    assert_eq!(c2.updated_at, other.created_at);

    let listed = store.list_sessions_for_user(&user.id).await.unwrap();
    assert_eq!(listed.len(), 2);
}

pub async fn deleting_a_user_removes_its_sessions<S: Store>(store: &S) {
    let user = sample_user(&unique("gone"));
    store.create_user(&user, &[]).await.unwrap();
    let (_, session) = client_and_session(store, &user, UnixMillis(1_700_000_200_000)).await;
    store.delete_user(&user.id, &[]).await.unwrap();
    assert_eq!(store.get_session(&session.id).await.unwrap(), None);
    assert!(
        store
            .list_sessions_for_user(&user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn sessions_list_by_filter_and_end_in_bulk<S: Store>(store: &S) {
    let user = sample_user(&unique("bulk"));
    store.create_user(&user, &[]).await.unwrap();
    let t0 = UnixMillis(1_700_000_300_000);
    let (c1, s1) = client_and_session(store, &user, t0).await;
    let (_, s2) = client_and_session(store, &user, t0.plus_secs(10)).await;
    let q = |user_id: Option<UserId>, client_id: Option<ClientId>, status| SessionQuery {
        user_id,
        client_id,
        status,
        limit: 10,
        offset: 0,
    };
    let ids = |v: Vec<Session>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store
            .list_sessions(&q(Some(user.id.clone()), None, None))
            .await
            .unwrap()),
        [s2.id.clone(), s1.id.clone()]
    );
    assert_eq!(
        ids(store
            .list_sessions(&q(None, Some(c1.id.clone()), None))
            .await
            .unwrap()),
        vec![s1.id.clone()]
    );
    assert_eq!(
        ids(store
            .list_sessions(&SessionQuery {
                limit: 1,
                offset: 1,
                ..q(Some(user.id.clone()), None, None)
            })
            .await
            .unwrap()),
        vec![s1.id.clone()]
    );
    let ended = store
        .end_user_sessions(&user.id, SessionStatus::Revoked, t0.plus_secs(100), &|_| {
            None
        })
        .await
        .unwrap();
    assert_eq!(ended.len(), 2);
    assert!(
        store
            .end_user_sessions(&user.id, SessionStatus::Revoked, t0.plus_secs(101), &|_| {
                None
            })
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(store
            .list_sessions(&q(
                Some(user.id.clone()),
                None,
                Some(SessionStatus::Revoked)
            ))
            .await
            .unwrap())
        .len(),
        2
    );
    assert!(
        store
            .list_sessions(&q(Some(user.id.clone()), None, Some(SessionStatus::Active)))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.get_client(&c1.id).await.unwrap().unwrap().updated_at,
        t0.plus_secs(100)
    );
    let clients = store.list_clients(500, 0).await.unwrap();
    assert!(clients.iter().any(|c| c.id == c1.id));
}

pub async fn touching_a_session_records_activity<S: Store>(store: &S) {
    let user = sample_user(&unique("touch"));
    store.create_user(&user, &[]).await.unwrap();
    let t0 = UnixMillis(1_700_000_400_000);
    let (client, session) = client_and_session(store, &user, t0).await;
    let seen = SessionActivity {
        ip_address: Some("10.0.0.9".into()),
        user_agent: Some("Firefox".into()),
        browser_name: Some("Firefox".into()),
        browser_version: Some("140".into()),
        device_type: Some("desktop".into()),
        is_mobile: false,
        city: None,
        country: None,
    };
    let later = t0.plus_secs(30);
    let touched = store
        .touch_session(&session.id, later, later.plus_secs(3600), &seen)
        .await
        .unwrap();
    assert_eq!(touched.last_active_at, later);
    assert_eq!(touched.abandon_at, later.plus_secs(3600));
    assert_eq!(
        touched.latest_activity.ip_address.as_deref(),
        Some("10.0.0.9")
    );
    let c = store.get_client(&client.id).await.unwrap().unwrap();
    assert_eq!(c.updated_at, later);
    assert_eq!(c.last_active_session_id, Some(session.id.clone()));
    // Past its end, or once ended, a session cannot be touched.
    assert!(matches!(
        store
            .touch_session(
                &session.id,
                session.expire_at,
                session.expire_at.plus_secs(1),
                &seen
            )
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .end_session(
            &session.id,
            SessionStatus::Ended,
            later.plus_secs(1),
            &|_| None,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .touch_session(&session.id, later.plus_secs(2), later.plus_secs(99), &seen)
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn factor_checks_are_recorded_on_live_sessions<S: Store>(store: &S) {
    let user = sample_user(&unique("reverify"));
    store.create_user(&user, &[]).await.unwrap();
    let t0 = UnixMillis(1_700_000_500_000);
    let (_, session) = client_and_session(store, &user, t0).await;
    let later = t0.plus_secs(600);
    let s = store
        .record_factor_check(&session.id, Some(later), None, later)
        .await
        .unwrap();
    assert_eq!(s.first_factor_verified_at, later);
    assert_eq!(
        s.second_factor_verified_at, session.second_factor_verified_at,
        "a factor not checked keeps its time"
    );
    let s = store
        .record_factor_check(&session.id, None, Some(later.plus_secs(1)), later)
        .await
        .unwrap();
    assert_eq!(s.second_factor_verified_at, Some(later.plus_secs(1)));
    assert_eq!(s.first_factor_verified_at, later);
    store
        .end_session(&session.id, SessionStatus::Revoked, later, &|_| None)
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_factor_check(&session.id, Some(later), None, later)
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn pending_sessions_become_active_once_their_task_is_done<S: Store>(store: &S) {
    let user = sample_user(&unique("pending"));
    store.create_user(&user, &[]).await.unwrap();
    let t0 = UnixMillis(1_700_000_600_000);
    let (client, session) = client_and_session(store, &user, t0).await;
    let pending = Session {
        id: SessionId::generate(),
        status: SessionStatus::Pending,
        ..session.clone()
    };
    store.create_session(&pending, &[]).await.unwrap();
    let later = t0.plus_secs(5);
    let done = store
        .activate_pending_sessions(&user.id, later)
        .await
        .unwrap();
    assert_eq!(
        done.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![pending.id.clone()]
    );
    assert_eq!(done[0].status, SessionStatus::Active);
    let c = store.get_client(&client.id).await.unwrap().unwrap();
    assert!(c.updated_at >= later, "the client moved on");
    assert!(
        store
            .activate_pending_sessions(&user.id, later)
            .await
            .unwrap()
            .is_empty()
    );
}
