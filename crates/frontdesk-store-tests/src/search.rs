//! Finding users by part of a name, address, username or id
//! (`UserFilter::query`): the index each database keeps follows every change
//! to the user and their addresses, and pages come newest first.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::User;
use frontdesk_store::{Store, UserFilter, UserOrderField, UserPatch, UserQuery};
use frontdesk_types::UserId;

use crate::email;

pub async fn run_all<S: Store>(store: &S) {
    users_are_found_by_any_part_of_them(store).await;
    pages_of_a_common_word_come_newest_first(store).await;
}

/// The ids of the users `text` finds, newest first.
async fn found<S: Store>(store: &S, text: &str) -> Vec<UserId> {
    store
        .list_users(&UserQuery {
            filter: UserFilter {
                query: Some(text.to_owned()),
                ..UserFilter::default()
            },
            limit: 50,
            ..UserQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect()
}

pub async fn users_are_found_by_any_part_of_them<S: Store>(store: &S) {
    let tag = frontdesk_types::id::random_base62(10).to_lowercase();
    let at = UnixMillis(1_850_000_000_000);
    let mut ada = User::new(at);
    ada.first_name = Some("Ada".into());
    ada.last_name = Some(format!("Lovelace{tag}"));
    ada.username = Some(format!("countess_{tag}"));
    ada.add_email(&email(&format!("ada.{tag}@analytical.example")), None, at);
    store.create_user(&ada, &[]).await.unwrap();

    for part in [
        format!("lovelace{tag}"),
        format!("LOVELACE{}", tag.to_uppercase()),
        format!("ada lovelace{tag}"),
        format!("ess_{tag}"),
        format!("ada.{tag}@analytical"),
        format!("  {tag}@analytical.example  "),
        ada.id.as_str()[5..].to_owned(),
    ] {
        assert_eq!(found(store, &part).await, [ada.id.clone()], "{part:?}");
    }
    assert!(
        found(store, &format!("{tag}%")).await.is_empty(),
        "% is literal"
    );
    assert!(
        found(store, &format!("{tag}\"")).await.is_empty(),
        "\" is literal"
    );
    assert!(
        found(store, &format!("lovelac_{tag}")).await.is_empty(),
        "_ is literal"
    );

    // Renamed: found by the new name only.
    store
        .patch_user(
            &ada.id,
            &UserPatch {
                last_name: Some(Some(format!("Byron{tag}"))),
                ..UserPatch::default()
            },
            at.plus_secs(1),
            &|_, _| vec![],
        )
        .await
        .unwrap();
    assert!(found(store, &format!("lovelace{tag}")).await.is_empty());
    assert_eq!(
        found(store, &format!("ada byron{tag}")).await,
        [ada.id.clone()]
    );

    // A second address is found; the first, removed, no longer is.
    let mut again = store.get_user(&ada.id).await.unwrap().unwrap();
    let second = again.add_email(&email(&format!("countess.{tag}@engine.example")), None, at);
    let record = again
        .email_addresses
        .iter()
        .find(|e| e.id == second)
        .unwrap()
        .clone();
    store.add_email(&record, &[]).await.unwrap();
    assert_eq!(
        found(store, &format!("{tag}@engine")).await,
        [ada.id.clone()]
    );
    let first = ada.email_addresses[0].id.clone();
    store.delete_email(&first, &[]).await.unwrap();
    assert!(found(store, &format!("{tag}@analytical")).await.is_empty());
    assert_eq!(
        found(store, &format!("{tag}@engine")).await,
        [ada.id.clone()]
    );

    // Two characters have no trigram: read through, still found.
    let mut short = User::new(at);
    short.last_name = Some(tag.clone());
    store.create_user(&short, &[]).await.unwrap();
    assert!(found(store, &tag[..2]).await.contains(&short.id));

    // Gone: found by nothing.
    store.delete_user(&ada.id, &[]).await.unwrap();
    assert!(found(store, &format!("{tag}@engine")).await.is_empty());
    assert!(found(store, &format!("byron{tag}")).await.is_empty());
}

/// A word many users share: pages of it, newest first, each user once,
/// also with other filters, also in another order.
pub async fn pages_of_a_common_word_come_newest_first<S: Store>(store: &S) {
    let tag = frontdesk_types::id::random_base62(10).to_lowercase();
    let at = UnixMillis(1_860_000_000_000);
    let mut made = Vec::new();
    for i in 0..30i64 {
        // Two users in some milliseconds, and one made after a newer one.
        let created = match i {
            29 => at.plus_secs(5),
            _ => UnixMillis(at.0 + i / 2 * 1000),
        };
        let mut u = User::new(created);
        u.last_name = Some(format!("Member{i}"));
        u.add_email(&email(&format!("m{i}.{tag}@common.example")), None, created);
        store.create_user(&u, &[]).await.unwrap();
        made.push(u);
    }
    let mut newest = made.clone();
    newest.sort_by_key(|u| std::cmp::Reverse(u.created_at));
    let page = |limit, offset, descending, banned| UserQuery {
        filter: UserFilter {
            query: Some(format!("{tag}@common")),
            banned,
            ..UserFilter::default()
        },
        order_by: UserOrderField::CreatedAt,
        descending,
        limit,
        offset,
    };
    let mut seen = Vec::new();
    for offset in [0, 10, 20] {
        let users = store
            .list_users(&page(10, offset, true, None))
            .await
            .unwrap();
        assert_eq!(users.len(), 10);
        seen.extend(users);
    }
    let times = seen.iter().map(|u| u.created_at).collect::<Vec<_>>();
    assert_eq!(
        times,
        newest.iter().map(|u| u.created_at).collect::<Vec<_>>()
    );
    let mut ids = seen.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "each user once");
    assert_eq!(seen[0].email_addresses.len(), 1, "with their addresses");

    let oldest = store.list_users(&page(3, 0, false, None)).await.unwrap();
    assert_eq!(
        oldest.iter().map(|u| u.created_at).collect::<Vec<_>>(),
        [at, at, UnixMillis(at.0 + 1000)]
    );

    store
        .patch_user(
            &made[7].id,
            &UserPatch {
                banned: Some(true),
                ..UserPatch::default()
            },
            at,
            &|_, _| vec![],
        )
        .await
        .unwrap();
    let banned = store
        .list_users(&page(10, 0, true, Some(true)))
        .await
        .unwrap();
    assert_eq!(
        banned.into_iter().map(|u| u.id).collect::<Vec<_>>(),
        [made[7].id.clone()]
    );
    let count = store
        .count_users(&page(10, 0, true, None).filter)
        .await
        .unwrap();
    assert_eq!(count, 30);
}
