//! Secrets at rest: with an `encryption_key`, TOTP secrets, signing keys,
//! webhook secrets, providers' client secrets and their tokens are sealed in their columns (read here with plain SQL),
//! open only under a configured key and in their own row, are resealed
//! under a new key by `reseal_secrets` (`frontdesk keys rotate-encryption`)
//! while the previous key still opens them; a production instance without a
//! key does not start.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{ExternalAccount, ProviderTokens, TotpRecord, User};
use frontdesk_domain::webhooks::{EndpointUrl, WebhookEndpoint, WebhookSecret};
use frontdesk_server::config::Secret;
use frontdesk_server::{Config, admin, startup};
use frontdesk_store::Store;
use frontdesk_types::WebhookEndpointId;

use crate::helpers::{Backend, fresh_config};

const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const CLIENT_SECRET: &str = "GOCSPX-client-secret-of-the-test";
const ACCESS_TOKEN: &str = "ya29.access-token-of-the-test";

fn external_account(user: &User, now: UnixMillis) -> ExternalAccount {
    ExternalAccount {
        id: "eac_sealed".into(),
        provider: "oauth_google".into(),
        provider_user_id: format!("google-{}", user.id),
        identification_id: "idn_sealed".into(),
        email_address: None,
        email_address_verified: false,
        first_name: None,
        last_name: None,
        image_url: None,
        username: None,
        approved_scopes: "openid email".into(),
        created_at: now,
        updated_at: now,
    }
}

async fn open(config: &Config) -> Result<std::sync::Arc<dyn Store>, String> {
    let validated = config.validate().map_err(|e| e.to_string())?;
    startup::open_store(config, &validated)
        .await
        .map_err(|e| e.to_string())
}

/// Every stored secret, as the columns hold them.
async fn columns(config: &Config) -> Vec<Vec<u8>> {
    let sql = [
        "SELECT CAST(secret AS BLOB) FROM totps",
        "SELECT private_pkcs8 FROM signing_keys",
        "SELECT CAST(secret AS BLOB) FROM webhook_endpoints",
        "SELECT CAST(secret AS BLOB) FROM oauth_client_secrets",
        "SELECT CAST(access_token AS BLOB) FROM external_accounts",
    ];
    let mut out = Vec::new();
    match &config.database_url {
        None => {
            let pool = sqlx::SqlitePool::connect(&format!(
                "sqlite://{}",
                config.data_dir.join("frontdesk.db").display()
            ))
            .await
            .unwrap();
            for q in sql {
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(q).fetch_all(&pool).await.unwrap();
                out.extend(rows.into_iter().map(|r| r.0));
            }
        }
        Some(url) => {
            let pool = sqlx::PgPool::connect(url.expose()).await.unwrap();
            for q in sql {
                let q = q
                    .replace("CAST(secret AS BLOB)", "convert_to(secret, 'UTF8')")
                    .replace(
                        "CAST(access_token AS BLOB)",
                        "convert_to(access_token, 'UTF8')",
                    );
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(&q).fetch_all(&pool).await.unwrap();
                out.extend(rows.into_iter().map(|r| r.0));
            }
        }
    }
    out
}

async fn sealed_at_rest_opened_in_place_and_rotated(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, schema)) = fresh_config(backend, &dir).await else {
        return;
    };
    let k1 = frontdesk_crypto::Sealer::generate_key();
    let k2 = frontdesk_crypto::Sealer::generate_key();
    config.encryption_key = Some(Secret::new(k1.clone()));
    let store = open(&config).await.unwrap();
    startup::ensure_instance(store.as_ref(), &config)
        .await
        .unwrap();
    let signing = admin::ensure_signing_key(store.as_ref()).await.unwrap();
    let now = UnixMillis::now();
    let user = User::new(now);
    store.create_user(&user, &[]).await.unwrap();
    let totp = TotpRecord {
        id: "totp_sealed".into(),
        user_id: user.id.clone(),
        secret: TOTP_SECRET.into(),
        verified: false,
        last_used_step: None,
        created_at: now,
        updated_at: now,
    };
    assert!(store.put_pending_totp(&totp).await.unwrap());
    let secret = WebhookSecret::from_random([7; 24]);
    store
        .create_endpoint(&WebhookEndpoint {
            id: WebhookEndpointId::generate(),
            url: EndpointUrl::parse("https://hooks.example.com/frontdesk").unwrap(),
            description: String::new(),
            filter_types: Vec::new(),
            disabled: false,
            secret: secret.clone(),
            previous_secret: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();

    // A provider's client secret, and the tokens it gave for an account.
    store
        .set_client_secret("oauth_google", Some(CLIENT_SECRET), now)
        .await
        .unwrap();
    let account = external_account(&user, now);
    let tokens = ProviderTokens {
        access_token: ACCESS_TOKEN.into(),
        refresh_token: None,
        expires_at: None,
        scopes: "openid email".into(),
    };
    store
        .link_external_account(&user.id, &account, Some(&tokens), now, &|_, _| Vec::new())
        .await
        .unwrap();

    // The columns hold ciphertext, nothing of the secrets.
    let stored = columns(&config).await;
    assert_eq!(stored.len(), 5);
    for value in &stored {
        assert!(
            value.starts_with(b"fdseal1."),
            "{}",
            String::from_utf8_lossy(value)
        );
    }
    let text = String::from_utf8_lossy(&stored.concat()).into_owned();
    assert!(!text.contains(TOTP_SECRET));
    assert!(!text.contains(&secret.expose()));
    assert!(!text.contains(CLIENT_SECRET) && !text.contains(ACCESS_TOKEN));
    // Read back in the clear through the store.
    assert_eq!(
        store
            .client_secret("oauth_google")
            .await
            .unwrap()
            .as_deref(),
        Some(CLIENT_SECRET)
    );
    assert_eq!(
        store
            .provider_tokens(&user.id, "oauth_google")
            .await
            .unwrap()[0]
            .1,
        tokens
    );
    assert_eq!(
        store.totp(&user.id).await.unwrap().unwrap().secret,
        TOTP_SECRET
    );
    assert_eq!(
        store.signing_keys().await.unwrap()[0].private_pkcs8,
        signing.private_pkcs8
    );
    assert_eq!(store.list_endpoints().await.unwrap()[0].secret, secret);

    // Without the key they do not open (and say why).
    let mut no_key = config.clone();
    no_key.encryption_key = None;
    let blind = open(&no_key).await.unwrap();
    let err = blind.totp(&user.id).await.unwrap_err().to_string();
    assert!(err.contains("no encryption key"), "{err}");
    assert!(blind.signing_keys().await.is_err());

    // Rotation: k2 current, k1 previous; everything resealed under k2.
    let mut rotated = config.clone();
    rotated.encryption_key = Some(Secret::new(k2.clone()));
    rotated.previous_encryption_keys = vec![Secret::new(k1.clone())];
    let both = open(&rotated).await.unwrap();
    assert_eq!(
        both.totp(&user.id).await.unwrap().unwrap().secret,
        TOTP_SECRET
    );
    let done = both.reseal_secrets().await.unwrap();
    assert_eq!(
        (
            done.totp_secrets,
            done.signing_keys,
            done.webhook_secrets,
            done.oauth_secrets
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(
        both.reseal_secrets().await.unwrap(),
        Default::default(),
        "idempotent"
    );
    let mut only_k2 = config.clone();
    only_k2.encryption_key = Some(Secret::new(k2));
    let after = open(&only_k2).await.unwrap();
    assert_eq!(
        after.totp(&user.id).await.unwrap().unwrap().secret,
        TOTP_SECRET
    );
    assert_eq!(after.list_endpoints().await.unwrap()[0].secret, secret);
    let old = open(&config).await.unwrap();
    assert!(
        old.totp(&user.id).await.is_err(),
        "k1 alone no longer opens them"
    );

    if let Some(schema) = schema {
        schema.drop_schema().await.unwrap();
    }
}

#[tokio::test]
async fn sealed_at_rest_on_sqlite() {
    sealed_at_rest_opened_in_place_and_rotated(Backend::Sqlite).await;
}

#[tokio::test]
async fn sealed_at_rest_on_postgres() {
    sealed_at_rest_opened_in_place_and_rotated(Backend::Postgres).await;
}

#[tokio::test]
async fn plain_secrets_from_before_the_key_are_read_then_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, _)) = fresh_config(Backend::Sqlite, &dir).await else {
        return;
    };
    config.encryption_key = None;
    let store = open(&config).await.unwrap();
    startup::ensure_instance(store.as_ref(), &config)
        .await
        .unwrap();
    admin::ensure_signing_key(store.as_ref()).await.unwrap();
    assert!(!columns(&config).await[0].starts_with(b"fdseal1."));
    config.encryption_key = Some(Secret::new(frontdesk_crypto::Sealer::generate_key()));
    let keyed = open(&config).await.unwrap();
    assert_eq!(
        keyed.signing_keys().await.unwrap().len(),
        1,
        "plain still reads"
    );
    assert_eq!(keyed.reseal_secrets().await.unwrap().signing_keys, 1);
    assert!(columns(&config).await[0].starts_with(b"fdseal1."));
}

#[tokio::test]
async fn a_production_instance_without_a_key_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, _)) = fresh_config(Backend::Sqlite, &dir).await else {
        return;
    };
    config.mode = frontdesk_domain::InstanceMode::Production;
    config.encryption_key = None;
    let err = frontdesk_server::startup::Application::build(config.clone())
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("encryption_key"), "{err}");
    config.encryption_key = Some(Secret::new("too short"));
    let err = frontdesk_server::startup::Application::build(config)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("32 bytes"), "{err}");
}
