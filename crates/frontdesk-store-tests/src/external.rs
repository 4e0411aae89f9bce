//! Accounts at other identity providers: joined once per provider identity
//! (parallel joins of one identity to many users: one wins), every account
//! joined to a user at once listed on it (the user row's lock orders the
//! rewrites), tokens and client secrets read back as written, removal only
//! by the owner.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{ExternalAccount, ProviderTokens};
use frontdesk_store::{Store, StoreError};
use futures_util::future::join_all;

use super::atomic::{WRITERS, new_user};
use super::passkeys::no_events;

pub async fn run_all<S: Store>(store: &S) {
    an_account_is_joined_listed_and_removed(store).await;
    a_provider_identity_joins_one_user(store).await;
    accounts_joined_at_once_are_all_listed(store).await;
    client_secrets_are_set_and_removed(store).await;
}

const AT: UnixMillis = UnixMillis(1_700_400_000_000);

fn account(provider_user_id: &str, n: usize) -> ExternalAccount {
    ExternalAccount {
        id: format!("eac_{provider_user_id}_{n}"),
        provider: "oauth_custom_corp".to_owned(),
        provider_user_id: provider_user_id.to_owned(),
        identification_id: format!("idn_{provider_user_id}_{n}"),
        email_address: Some(format!("{provider_user_id}@corp.example")),
        email_address_verified: true,
        first_name: Some("Ada".to_owned()),
        last_name: None,
        image_url: None,
        username: None,
        approved_scopes: "openid email profile".to_owned(),
        created_at: AT,
        updated_at: AT,
    }
}

fn tokens(access: &str) -> ProviderTokens {
    ProviderTokens {
        access_token: access.to_owned(),
        refresh_token: Some(format!("refresh-{access}")),
        expires_at: Some(AT.plus_secs(3600)),
        scopes: "openid email profile".to_owned(),
    }
}

pub async fn an_account_is_joined_listed_and_removed<S: Store>(store: &S) {
    let user = new_user(store, "eac").await;
    let other = new_user(store, "eac-other").await;
    let a = account(&format!("ada-{}", user.id), 0);
    let joined = store
        .link_external_account(&user.id, &a, Some(&tokens("t1")), AT, &no_events)
        .await
        .unwrap();
    assert_eq!(joined.external_accounts, vec![a.clone()]);
    assert!(
        joined.version > user.version,
        "a joined account changes the user"
    );
    let read = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(
        read.external_accounts,
        vec![a.clone()],
        "listed on every read"
    );
    assert_eq!(
        store
            .external_account_owner(&a.provider, &a.provider_user_id)
            .await
            .unwrap(),
        Some(user.id.clone())
    );
    assert_eq!(
        store
            .external_account_owner(&a.provider, "nobody")
            .await
            .unwrap(),
        None
    );
    let held = store.provider_tokens(&user.id, &a.provider).await.unwrap();
    assert_eq!(held, vec![(a.id.clone(), tokens("t1"))]);
    store
        .store_provider_tokens(&a.id, &tokens("t2"), AT.plus_secs(5))
        .await
        .unwrap();
    assert_eq!(
        store.provider_tokens(&user.id, &a.provider).await.unwrap()[0].1,
        tokens("t2")
    );
    assert!(
        store
            .provider_tokens(&other.id, &a.provider)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(
        store
            .unlink_external_account(&other.id, &a.id, AT, &no_events)
            .await
            .unwrap(),
        None,
        "only its owner removes it"
    );
    let after = store
        .unlink_external_account(&user.id, &a.id, AT, &no_events)
        .await
        .unwrap()
        .unwrap();
    assert!(after.external_accounts.is_empty());
    assert!(
        store
            .get_user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .external_accounts
            .is_empty()
    );
    assert_eq!(
        store
            .external_account_owner(&a.provider, &a.provider_user_id)
            .await
            .unwrap(),
        None
    );
    let gone = frontdesk_types::UserId::generate();
    assert!(matches!(
        store
            .link_external_account(&gone, &account("gone", 0), None, AT, &no_events)
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn a_provider_identity_joins_one_user<S: Store>(store: &S) {
    let mut users = Vec::new();
    for i in 0..WRITERS {
        users.push(new_user(store, &format!("race{i}")).await);
    }
    let identity = format!("race-{}", users[0].id);
    let joins = join_all(users.iter().enumerate().map(|(i, u)| {
        let a = account(&identity, i);
        async move {
            store
                .link_external_account(&u.id, &a, None, AT, &no_events)
                .await
        }
    }))
    .await;
    let won = joins.iter().filter(|j| j.is_ok()).count();
    assert_eq!(won, 1, "one user gets the identity");
    assert!(
        joins
            .iter()
            .filter_map(|j| j.as_ref().err())
            .all(|e| matches!(e, StoreError::Conflict(_))),
        "the others are told it is taken"
    );
    let mut listed = 0;
    for u in &users {
        listed += store
            .get_user(&u.id)
            .await
            .unwrap()
            .unwrap()
            .external_accounts
            .len();
    }
    assert_eq!(listed, 1, "and only the winner lists it");
}

pub async fn accounts_joined_at_once_are_all_listed<S: Store>(store: &S) {
    let user = new_user(store, "many").await;
    let joins = join_all((0..WRITERS).map(|i| {
        let a = account(&format!("many-{}-{i}", user.id), i);
        let id = user.id.clone();
        async move {
            store
                .link_external_account(&id, &a, None, AT, &no_events)
                .await
        }
    }))
    .await;
    assert!(joins.iter().all(Result::is_ok), "{joins:?}");
    let read = store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(read.external_accounts.len(), WRITERS, "no join lost");
    assert_eq!(read.version, user.version + WRITERS as i64);
}

pub async fn client_secrets_are_set_and_removed<S: Store>(store: &S) {
    assert_eq!(store.client_secret("oauth_github").await.unwrap(), None);
    store
        .set_client_secret("oauth_github", Some("one"), AT)
        .await
        .unwrap();
    store
        .set_client_secret("oauth_github", Some("two"), AT)
        .await
        .unwrap();
    assert_eq!(
        store
            .client_secret("oauth_github")
            .await
            .unwrap()
            .as_deref(),
        Some("two")
    );
    store
        .set_client_secret("oauth_github", None, AT)
        .await
        .unwrap();
    assert_eq!(store.client_secret("oauth_github").await.unwrap(), None);
}
