//! Stories of the webhook outbox: endpoints, fan-out in the writer's
//! transaction, leases, retries, recovery. Each story deletes its endpoints
//! so that later stories' events go nowhere.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::User;
use frontdesk_domain::webhooks::{
    DeliveryAttempt, DeliveryOutcome, DeliveryStatus, EndpointUrl, NextStep, OutboxEvent,
    RetiringSecret, WebhookEndpoint, WebhookSecret,
};
use frontdesk_store::{Store, StoreError};
use frontdesk_types::{AttemptId, MessageId, WebhookEndpointId};

pub async fn run_all<S: Store>(store: &S) {
    endpoints_round_trip_and_delete(store).await;
    events_fan_out_in_the_writers_transaction(store).await;
    claims_lease_and_outcomes_move_deliveries_on(store).await;
    failed_messages_are_recovered_and_resent(store).await;
    concurrent_claims_never_share_a_delivery(store).await;
    failing_endpoints_are_disabled_and_old_messages_purged(store).await;
}

fn endpoint(filter: &[&str], at: i64) -> WebhookEndpoint {
    WebhookEndpoint {
        id: WebhookEndpointId::generate(),
        url: EndpointUrl::parse("https://hooks.example.com/in").unwrap(),
        description: "tests".to_owned(),
        filter_types: filter.iter().map(|s| (*s).to_owned()).collect(),
        disabled: false,
        secret: WebhookSecret::from_random([1; 24]),
        previous_secret: None,
        failing_since: None,
        created_at: UnixMillis(at),
        updated_at: UnixMillis(at),
    }
}

fn event(event_type: &str, at: i64) -> OutboxEvent {
    OutboxEvent {
        id: MessageId::generate(),
        event_type: event_type.to_owned(),
        payload: format!(r#"{{"type":"{event_type}"}}"#),
        created_at: UnixMillis(at),
    }
}

fn outcome(
    d: &frontdesk_domain::webhooks::ClaimedDelivery,
    ok: bool,
    at: i64,
    next: NextStep,
) -> DeliveryOutcome {
    DeliveryOutcome {
        attempt: DeliveryAttempt {
            id: AttemptId::generate(),
            message_id: d.message_id.clone(),
            endpoint_id: d.endpoint_id.clone(),
            at: UnixMillis(at),
            status_code: Some(if ok { 204 } else { 500 }),
            duration_ms: 3,
            response: if ok { String::new() } else { "boom".into() },
            succeeded: ok,
        },
        lease: d.lease.clone(),
        next,
    }
}

async fn pending_of<S: Store>(store: &S, ep: &WebhookEndpointId) -> Vec<MessageId> {
    store
        .list_endpoint_messages(ep, Some(DeliveryStatus::Pending), None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message_id)
        .collect()
}

pub async fn endpoints_round_trip_and_delete<S: Store>(store: &S) {
    let mut ep = endpoint(&["user.created", "session.ended"], 10);
    store.create_endpoint(&ep).await.unwrap();
    assert_eq!(store.get_endpoint(&ep.id).await.unwrap(), Some(ep.clone()));
    let read_at = ep.updated_at;

    ep.url = EndpointUrl::parse("http://127.0.0.1:9/other").unwrap();
    ep.filter_types.clear();
    ep.disabled = true;
    ep.previous_secret = Some(RetiringSecret {
        secret: ep.secret.clone(),
        until: UnixMillis(99),
    });
    ep.secret = WebhookSecret::from_random([2; 24]);
    ep.updated_at = UnixMillis(20);
    assert!(store.update_endpoint(&ep, read_at).await.unwrap());
    assert_eq!(store.get_endpoint(&ep.id).await.unwrap(), Some(ep.clone()));
    // A copy read before that change writes nothing.
    let mut stale = ep.clone();
    stale.description = "from a stale copy".into();
    stale.updated_at = UnixMillis(21);
    assert!(!store.update_endpoint(&stale, read_at).await.unwrap());
    assert_eq!(store.get_endpoint(&ep.id).await.unwrap(), Some(ep.clone()));
    // Of many writers holding the same copy, one writes.
    let writes = futures_util::future::join_all((0..20).map(|i| {
        let mut next = ep.clone();
        next.description = format!("writer {i}");
        next.updated_at = UnixMillis(30 + i);
        async move { store.update_endpoint(&next, UnixMillis(20)).await.unwrap() }
    }))
    .await;
    assert_eq!(writes.iter().filter(|w| **w).count(), 1, "{writes:?}");
    ep = store.get_endpoint(&ep.id).await.unwrap().unwrap();
    assert!(store.list_endpoints().await.unwrap().contains(&ep));

    store.delete_endpoint(&ep.id).await.unwrap();
    assert_eq!(store.get_endpoint(&ep.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_endpoint(&ep.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_endpoint(&ep, ep.updated_at).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn events_fan_out_in_the_writers_transaction<S: Store>(store: &S) {
    let all = endpoint(&[], 1);
    let users_only = endpoint(&["user.created"], 2);
    let mut off = endpoint(&[], 3);
    off.disabled = true;
    for e in [&all, &users_only, &off] {
        store.create_endpoint(e).await.unwrap();
    }

    // A user and its event commit together…
    let user = User::new(UnixMillis(5));
    let created = event("user.created", 5);
    store
        .create_user(&user, std::slice::from_ref(&created))
        .await
        .unwrap();
    // …and a write that fails records no event.
    let lost = event("user.created", 6);
    assert!(
        store
            .create_user(&user, std::slice::from_ref(&lost))
            .await
            .is_err()
    );

    let ended = event("session.ended", 7);
    store.enqueue(std::slice::from_ref(&ended)).await.unwrap();

    assert_eq!(
        pending_of(store, &all.id).await,
        vec![ended.id.clone(), created.id.clone()]
    );
    assert_eq!(pending_of(store, &users_only.id).await, vec![created.id]);
    assert!(pending_of(store, &off.id).await.is_empty());
    let page = store
        .list_endpoint_messages(&all.id, None, Some(&ended.id), 10)
        .await
        .unwrap();
    assert_eq!(page.len(), 1, "paging continues below `before`");
    assert_eq!(page[0].payload, r#"{"type":"user.created"}"#);

    store.delete_user(&user.id, &[]).await.unwrap();
    for e in [&all, &users_only, &off] {
        store.delete_endpoint(&e.id).await.unwrap();
    }
}

pub async fn claims_lease_and_outcomes_move_deliveries_on<S: Store>(store: &S) {
    let ep = endpoint(&[], 1);
    store.create_endpoint(&ep).await.unwrap();
    let events: Vec<OutboxEvent> = (0..3).map(|i| event("user.updated", 100 + i)).collect();
    store.enqueue(&events).await.unwrap();

    // Not due yet at 99; all three at 200, oldest first, up to the limit.
    let early = store
        .claim_deliveries(&ep.id, 10, UnixMillis(99), UnixMillis(1_000), "a")
        .await
        .unwrap();
    assert!(early.is_empty());
    let first = store
        .claim_deliveries(&ep.id, 2, UnixMillis(200), UnixMillis(1_000), "a")
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].payload, events[0].payload);
    assert_eq!(first[0].attempts, 0);
    // Leased rows are hidden from the next claim until the lease runs out.
    let second = store
        .claim_deliveries(&ep.id, 10, UnixMillis(201), UnixMillis(1_000), "b")
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].message_id, events[2].id);
    let expired = store
        .claim_deliveries(&ep.id, 10, UnixMillis(1_000), UnixMillis(2_000), "c")
        .await
        .unwrap();
    assert_eq!(expired.len(), 3, "every lease ran out at 1,000");

    // The old holders' outcomes are logged but move nothing; the new ones do.
    store
        .complete_deliveries(&[outcome(&first[0], true, 1_100, NextStep::Done)])
        .await
        .unwrap();
    assert_eq!(pending_of(store, &ep.id).await.len(), 3);
    let by_id = |id: &MessageId| expired.iter().find(|d| d.message_id == *id).unwrap();
    store
        .complete_deliveries(&[
            outcome(by_id(&events[0].id), true, 1_200, NextStep::Done),
            outcome(
                by_id(&events[1].id),
                false,
                1_201,
                NextStep::RetryAt(UnixMillis(5_000)),
            ),
            outcome(by_id(&events[2].id), false, 1_202, NextStep::GiveUp),
        ])
        .await
        .unwrap();
    let msgs = store
        .list_endpoint_messages(&ep.id, None, None, 10)
        .await
        .unwrap();
    let status = |id: &MessageId| msgs.iter().find(|m| m.message_id == *id).unwrap();
    assert_eq!(status(&events[0].id).status, DeliveryStatus::Succeeded);
    assert_eq!(status(&events[0].id).attempts, 1);
    assert_eq!(status(&events[1].id).status, DeliveryStatus::Pending);
    assert_eq!(
        status(&events[1].id).next_attempt_at,
        Some(UnixMillis(5_000))
    );
    assert_eq!(status(&events[2].id).status, DeliveryStatus::Failed);
    assert_eq!(store.next_due().await.unwrap(), Some(UnixMillis(5_000)));

    let attempts = store
        .list_attempts(&ep.id, std::slice::from_ref(&events[0].id))
        .await
        .unwrap();
    assert_eq!(
        attempts.len(),
        2,
        "the stale holder's attempt is logged too"
    );
    assert_eq!(attempts[0].at, UnixMillis(1_200));
    assert_eq!(attempts[0].status_code, Some(204));
    // Several messages' attempts in one read: each one's, newest first.
    let ids: Vec<_> = events.iter().map(|e| e.id.clone()).collect();
    let together = store.list_attempts(&ep.id, &ids).await.unwrap();
    let mut one_by_one = Vec::new();
    for id in &ids {
        one_by_one.extend(
            store
                .list_attempts(&ep.id, std::slice::from_ref(id))
                .await
                .unwrap(),
        );
    }
    assert_eq!(together.len(), one_by_one.len());
    assert!(
        together.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    assert!(one_by_one.iter().all(|a| together.contains(a)));
    assert!(store.list_attempts(&ep.id, &[]).await.unwrap().is_empty());

    // The batch's last outcome for the endpoint was a failure.
    let now = store.get_endpoint(&ep.id).await.unwrap().unwrap();
    assert_eq!(now.failing_since, Some(UnixMillis(1_202)));
    let retry = store
        .claim_deliveries(&ep.id, 10, UnixMillis(5_000), UnixMillis(6_000), "d")
        .await
        .unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    store
        .complete_deliveries(&[outcome(&retry[0], true, 5_001, NextStep::Done)])
        .await
        .unwrap();
    let now = store.get_endpoint(&ep.id).await.unwrap().unwrap();
    assert_eq!(now.failing_since, None, "a success ends the failing run");
    store.delete_endpoint(&ep.id).await.unwrap();
}

pub async fn failed_messages_are_recovered_and_resent<S: Store>(store: &S) {
    let ep = endpoint(&[], 1);
    store.create_endpoint(&ep).await.unwrap();
    let events: Vec<OutboxEvent> = (0..3).map(|i| event("user.updated", 10 + i)).collect();
    store.enqueue(&events).await.unwrap();
    let claimed = store
        .claim_deliveries(&ep.id, 10, UnixMillis(20), UnixMillis(100), "x")
        .await
        .unwrap();
    let outcomes: Vec<DeliveryOutcome> = claimed
        .iter()
        .map(|d| outcome(d, false, 30, NextStep::GiveUp))
        .collect();
    store.complete_deliveries(&outcomes).await.unwrap();
    assert!(pending_of(store, &ep.id).await.is_empty());

    // Recover the failed ones created since 11: two of three.
    assert_eq!(
        store
            .recover(&ep.id, UnixMillis(11), UnixMillis(40))
            .await
            .unwrap(),
        2
    );
    assert_eq!(pending_of(store, &ep.id).await.len(), 2);
    store
        .resend(&ep.id, &events[0].id, UnixMillis(41))
        .await
        .unwrap();
    let again = store
        .claim_deliveries(&ep.id, 10, UnixMillis(41), UnixMillis(100), "y")
        .await
        .unwrap();
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|d| d.attempts == 1));
    assert!(matches!(
        store
            .resend(&ep.id, &MessageId::generate(), UnixMillis(41))
            .await,
        Err(StoreError::NotFound)
    ));
    store.delete_endpoint(&ep.id).await.unwrap();
}

pub async fn concurrent_claims_never_share_a_delivery<S: Store>(store: &S) {
    let ep = endpoint(&[], 1);
    store.create_endpoint(&ep).await.unwrap();
    let events: Vec<OutboxEvent> = (0..200).map(|i| event("user.updated", i)).collect();
    store.enqueue(&events).await.unwrap();
    let claims = (0..8).map(|i| {
        let lease = format!("worker-{i}");
        let ep = ep.id.clone();
        async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_deliveries(&ep, 7, UnixMillis(1_000), UnixMillis(9_000), &lease)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|d| d.message_id));
            }
        }
    });
    let mut all: Vec<MessageId> = futures_join_all(claims).await.concat();
    assert_eq!(all.len(), 200);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 200, "no delivery was claimed twice");
    store.delete_endpoint(&ep.id).await.unwrap();
}

/// `join_all` without a dependency: poll the claims concurrently on this task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (f, slot) in set.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

pub async fn failing_endpoints_are_disabled_and_old_messages_purged<S: Store>(store: &S) {
    let mut failing = endpoint(&[], 1);
    failing.failing_since = Some(UnixMillis(100));
    let mut recent = endpoint(&[], 2);
    recent.failing_since = Some(UnixMillis(900));
    let healthy = endpoint(&[], 3);
    for e in [&failing, &recent, &healthy] {
        store.create_endpoint(e).await.unwrap();
    }
    let disabled = store
        .disable_failing_endpoints(UnixMillis(500), UnixMillis(1_000))
        .await
        .unwrap();
    assert_eq!(
        disabled.iter().map(|e| &e.id).collect::<Vec<_>>(),
        vec![&failing.id]
    );
    assert!(disabled[0].disabled);
    assert!(
        store
            .disable_failing_endpoints(UnixMillis(500), UnixMillis(1_001))
            .await
            .unwrap()
            .is_empty()
    );
    store.delete_endpoint(&failing.id).await.unwrap();
    store.delete_endpoint(&recent.id).await.unwrap();

    let old = event("user.updated", 50);
    let newer = event("user.updated", 5_000);
    store.enqueue(&[old.clone(), newer.clone()]).await.unwrap();
    // `old` is still pending for `healthy`: purging keeps it (and clears
    // what earlier stories left behind).
    store.purge_messages(UnixMillis(100)).await.unwrap();
    assert!(pending_of(store, &healthy.id).await.contains(&old.id));
    let claimed = store
        .claim_deliveries(&healthy.id, 1, UnixMillis(60), UnixMillis(70), "p")
        .await
        .unwrap();
    store
        .complete_deliveries(&[outcome(&claimed[0], true, 61, NextStep::Done)])
        .await
        .unwrap();
    let counts = store.delivery_counts().await.unwrap();
    assert!(counts.succeeded >= 1 && counts.pending >= 1);
    assert_eq!(store.purge_messages(UnixMillis(100)).await.unwrap(), 1);
    assert_eq!(
        store
            .list_attempts(&healthy.id, std::slice::from_ref(&old.id))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(pending_of(store, &healthy.id).await, vec![newer.id]);
    store.delete_endpoint(&healthy.id).await.unwrap();
}
