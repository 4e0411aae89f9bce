//! Finding users by part of a name, address, username or id
//! (`UserFilter::query`): the index each database keeps follows every change
//! to the user and their addresses, and pages come newest first.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::User;
use frontdesk_store::{Store, UserFilter, UserOrderField, UserPatch, UserQuery};
use frontdesk_types::UserId;

use futures_util::future::join_all;

use crate::atomic::WRITERS;
use crate::email;

pub async fn run_all<S: Store>(store: &S) {
    users_are_found_by_any_part_of_them(store).await;
    pages_of_a_common_word_come_newest_first(store).await;
    indexing_while_users_change_misses_nobody(store).await;
}

/// Bring the index up to date, batch after batch.
async fn catch_up<S: Store>(store: &S) {
    while store.index_user_search(7).await.unwrap() > 0 {}
}

/// The ids of the users `text` finds, newest first: the same before the
/// index has caught up with the latest changes and after.
async fn found<S: Store>(store: &S, text: &str) -> Vec<UserId> {
    let before = found_now(store, text).await;
    catch_up(store).await;
    let after = found_now(store, text).await;
    assert_eq!(before, after, "{text:?} before and after indexing");
    after
}

async fn found_now<S: Store>(store: &S, text: &str) -> Vec<UserId> {
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
    // The order of the list without text (ties by id, as the database
    // orders text).
    let reference = |descending| UserQuery {
        filter: UserFilter {
            user_ids: made.iter().map(|u| u.id.to_string()).collect(),
            ..UserFilter::default()
        },
        limit: 30,
        descending,
        ..UserQuery::default()
    };
    let ids = |users: Vec<User>| users.into_iter().map(|u| u.id).collect::<Vec<_>>();
    let newest = ids(store.list_users(&reference(true)).await.unwrap());
    let oldest = ids(store.list_users(&reference(false)).await.unwrap());
    assert_eq!(newest.len(), 30);
    for indexed in [false, true, true] {
        if indexed {
            catch_up(store).await;
        }
        let mut seen = Vec::new();
        for offset in [0, 10, 20] {
            let users = store
                .list_users(&page(10, offset, true, None))
                .await
                .unwrap();
            assert_eq!(users.len(), 10);
            assert_eq!(users[0].email_addresses.len(), 1, "with their addresses");
            seen.extend(ids(users));
        }
        assert_eq!(seen, newest, "pages of 10 (indexed: {indexed})");
        // Pages that end inside a millisecond of two users, and past the end.
        for (limit, offset) in [(3, 0), (1, 0), (5, 2), (4, 26), (10, 30), (7, 9)] {
            for (descending, all) in [(true, &newest), (false, &oldest)] {
                let got = store
                    .list_users(&page(limit, offset, descending, None))
                    .await
                    .unwrap();
                let want = all
                    .iter()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .cloned()
                    .collect::<Vec<_>>();
                assert_eq!(
                    ids(got),
                    want,
                    "limit {limit} offset {offset} descending {descending} (indexed: {indexed})"
                );
            }
        }
        // Index again the first of each pair made in one millisecond by
        // id: within its millisecond it is now last in the index's order,
        // unlike the list's (ties by id).
        for pair in made[..28].chunks(2) {
            let first = pair.iter().map(|u| &u.id).min().unwrap();
            let patch = UserPatch {
                first_name: Some(Some(format!("Again{indexed}"))),
                ..UserPatch::default()
            };
            store
                .patch_user(first, &patch, at, &|_, _| vec![])
                .await
                .unwrap();
        }
    }

    // Some banned, two of them made in one millisecond: pages of the word
    // among the banned and among the others, in the list's own order,
    // all indexed and with two of them pending.
    let banned_ones = [7, 12, 13, 20];
    for i in banned_ones {
        let patch = UserPatch {
            banned: Some(true),
            ..UserPatch::default()
        };
        store
            .patch_user(&made[i].id, &patch, at, &|_, _| vec![])
            .await
            .unwrap();
    }
    let standing = |descending, banned| UserQuery {
        filter: UserFilter {
            banned: Some(banned),
            ..reference(descending).filter
        },
        ..reference(descending)
    };
    for pending in [false, true] {
        if !pending {
            catch_up(store).await;
        } else {
            for i in [12, 20] {
                let patch = UserPatch {
                    first_name: Some(Some("Pending".into())),
                    ..UserPatch::default()
                };
                store
                    .patch_user(&made[i].id, &patch, at, &|_, _| vec![])
                    .await
                    .unwrap();
            }
        }
        for banned in [true, false] {
            for descending in [true, false] {
                let all = ids(store
                    .list_users(&standing(descending, banned))
                    .await
                    .unwrap());
                assert_eq!(all.len(), if banned { 4 } else { 26 });
                for (limit, offset) in [(1, 0), (2, 1), (1, 2), (3, 0), (10, 20), (30, 0)] {
                    let got = store
                        .list_users(&page(limit, offset, descending, Some(banned)))
                        .await
                        .unwrap();
                    let want = all
                        .iter()
                        .skip(offset as usize)
                        .take(limit as usize)
                        .cloned()
                        .collect::<Vec<_>>();
                    assert_eq!(
                        ids(got),
                        want,
                        "banned {banned} limit {limit} offset {offset} descending {descending} \
                         (pending: {pending})"
                    );
                }
            }
        }
    }
    let count = store
        .count_users(&page(10, 0, true, None).filter)
        .await
        .unwrap();
    assert_eq!(count, 30);
}

/// Users renamed while indexers run at the same time: once they are done,
/// each user is found by the new name and by nothing of the old.
pub async fn indexing_while_users_change_misses_nobody<S: Store>(store: &S) {
    let tag = frontdesk_types::id::random_base62(10).to_lowercase();
    let at = UnixMillis(1_870_000_000_000);
    let mut made = Vec::new();
    for i in 0..WRITERS {
        let mut u = User::new(UnixMillis(at.0 + (i as i64) / 3));
        u.last_name = Some(format!("Alpha{tag}x{i}"));
        store.create_user(&u, &[]).await.unwrap();
        made.push(u);
    }
    let tag_ref = &tag;
    let renames = join_all(made.iter().enumerate().map(|(i, u)| async move {
        let patch = UserPatch {
            last_name: Some(Some(format!("Omega{tag_ref}x{i}"))),
            ..UserPatch::default()
        };
        store
            .patch_user(&u.id, &patch, at.plus_secs(1), &|_, _| vec![])
            .await
    }));
    let indexers = join_all((0..3).map(|_| async {
        let mut n = 0;
        for _ in 0..10 {
            n += store.index_user_search(2).await?;
        }
        frontdesk_store::StoreResult::Ok(n)
    }));
    let (renamed, indexed) = futures_util::future::join(renames, indexers).await;
    assert!(renamed.iter().all(Result::is_ok), "{renamed:?}");
    assert!(indexed.iter().all(Result::is_ok), "{indexed:?}");

    assert!(found(store, &format!("alpha{tag}")).await.is_empty());
    let mut omega = found(store, &format!("omega{tag}")).await;
    omega.sort();
    let mut want = made.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
    want.sort();
    assert_eq!(omega, want);
}
