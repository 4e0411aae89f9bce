//! Profile images: one per user, replaced whole, removed with the user.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{ImageRecord, Session, User};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_store::Store;

use super::atomic::new_user;

fn no_events(_: &User, _: &[Session]) -> Vec<OutboxEvent> {
    Vec::new()
}

fn image(user: &User, id: &str, bytes: &[u8]) -> ImageRecord {
    ImageRecord {
        id: id.to_owned(),
        user_id: user.id.clone(),
        content_type: "image/png".to_owned(),
        bytes: bytes.to_vec(),
        created_at: UnixMillis(1_700_400_000_000),
    }
}

pub async fn run_all<S: Store>(store: &S) {
    let user = new_user(store, "avatar").await;
    let at = UnixMillis(1_700_400_000_000);
    let tag = user.id.as_str().to_owned();
    let first = format!("img_a_{tag}");
    let u = store
        .set_profile_image(
            &image(&user, &first, b"\x89PNG one"),
            "http://x/a",
            at,
            &no_events,
        )
        .await
        .unwrap();
    assert_eq!(u.image_url.as_deref(), Some("http://x/a"));
    assert!(u.version > user.version);
    let stored = store.image(&first).await.unwrap().expect("stored");
    assert_eq!(stored.bytes, b"\x89PNG one");
    let second = format!("img_b_{tag}");
    store
        .set_profile_image(
            &image(&user, &second, b"\x89PNG two"),
            "http://x/b",
            at,
            &no_events,
        )
        .await
        .unwrap();
    assert!(
        store.image(&first).await.unwrap().is_none(),
        "the earlier image goes"
    );
    let cleared = store
        .remove_profile_image(&user.id, at, &no_events)
        .await
        .unwrap()
        .expect("had one");
    assert_eq!(cleared.image_url, None);
    assert!(store.image(&second).await.unwrap().is_none());
    assert!(
        store
            .remove_profile_image(&user.id, at, &no_events)
            .await
            .unwrap()
            .is_none()
    );
    let third = format!("img_c_{tag}");
    store
        .set_profile_image(
            &image(&user, &third, b"GIF89a"),
            "http://x/c",
            at,
            &no_events,
        )
        .await
        .unwrap();
    store.delete_user(&user.id, &[]).await.unwrap();
    assert!(
        store.image(&third).await.unwrap().is_none(),
        "deleted with the user"
    );
}
