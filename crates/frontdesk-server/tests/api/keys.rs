use frontdesk_crypto::sha256_hex;
use frontdesk_server::Application;

use crate::helpers::{Backend, fresh_config};

/// First start creates the instance, one signing key and (development) one
/// secret key; a restart on the same database reuses all of them.
async fn first_start_then_restart(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((config, schema)) = fresh_config(backend, &dir).await else {
        return;
    };
    let mut app = Application::build(config.clone()).await.unwrap();
    let first_key = app
        .take_first_secret_key()
        .expect("dev first start shows a key");
    assert!(first_key.expose().starts_with("sk_test_"));
    let instance = app.state().instance.instance.clone();
    let kid = app.state().keys.active().kid().clone();
    let stored = app.state().store.list_secret_keys().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].key_hash,
        sha256_hex(first_key.expose().as_bytes()),
        "stored only as a hash"
    );
    assert_ne!(stored[0].key_hash, first_key.expose());
    drop(app);

    let mut again = Application::build(config).await.unwrap();
    assert!(again.take_first_secret_key().is_none(), "shown once");
    assert_eq!(again.state().instance.instance, instance);
    assert_eq!(again.state().keys.active().kid(), &kid);
    drop(again);
    if let Some(s) = schema {
        s.drop_schema().await.unwrap();
    }
}

async fn bootstrap_key_is_registered_once_and_stays_revoked(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, schema)) = fresh_config(backend, &dir).await else {
        return;
    };
    let key = format!("sk_test_{}", "B".repeat(43));
    config.bootstrap_secret_key = Some(frontdesk_server::config::Secret::new(key.clone()));
    let mut app = Application::build(config.clone()).await.unwrap();
    assert!(
        app.take_first_secret_key().is_none(),
        "bootstrap key replaces the generated one"
    );
    let store = app.state().store.clone();
    let found = store
        .find_active_secret_key(&sha256_hex(key.as_bytes()))
        .await
        .unwrap()
        .unwrap();
    store
        .revoke_secret_key(&found.id, frontdesk_domain::UnixMillis::now())
        .await
        .unwrap();
    drop(app);
    let app = Application::build(config).await.unwrap();
    assert!(
        app.state()
            .store
            .find_active_secret_key(&sha256_hex(key.as_bytes()))
            .await
            .unwrap()
            .is_none(),
        "a restart must not resurrect a revoked bootstrap key"
    );
    drop(app);
    if let Some(s) = schema {
        s.drop_schema().await.unwrap();
    }
}

async fn mode_is_fixed_at_creation(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((config, schema)) = fresh_config(backend, &dir).await else {
        return;
    };
    drop(Application::build(config.clone()).await.unwrap());
    let prod = frontdesk_server::Config {
        mode: frontdesk_domain::InstanceMode::Production,
        ..config
    };
    let err = Application::build(prod).await.err().expect("mode mismatch");
    assert!(
        err.to_string()
            .starts_with("setting `mode` (FRONTDESK_MODE)"),
        "{err}"
    );
    if let Some(s) = schema {
        s.drop_schema().await.unwrap();
    }
}

#[tokio::test]
async fn first_start_then_restart_sqlite() {
    first_start_then_restart(Backend::Sqlite).await;
}
#[tokio::test]
async fn first_start_then_restart_postgres() {
    first_start_then_restart(Backend::Postgres).await;
}
#[tokio::test]
async fn bootstrap_key_sqlite() {
    bootstrap_key_is_registered_once_and_stays_revoked(Backend::Sqlite).await;
}
#[tokio::test]
async fn bootstrap_key_postgres() {
    bootstrap_key_is_registered_once_and_stays_revoked(Backend::Postgres).await;
}
#[tokio::test]
async fn mode_is_fixed_sqlite() {
    mode_is_fixed_at_creation(Backend::Sqlite).await;
}
#[tokio::test]
async fn mode_is_fixed_postgres() {
    mode_is_fixed_at_creation(Backend::Postgres).await;
}
