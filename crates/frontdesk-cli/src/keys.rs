//! `frontdesk keys …`.

use clap::{Subcommand, ValueEnum};
use frontdesk_crypto::SigningKey;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::admin::AuditAction;
use frontdesk_server::config::{PublicUrl, default_public_url};
use frontdesk_server::engine::admin::{self as audited, Audit};
use frontdesk_server::{Config, ConfigError, admin, startup};
use frontdesk_store::Store;
use serde_json::json;

use crate::Failure;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Show the publishable key, key ids, and environment blocks to paste
    Show {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Create a secret key (label `env block`) and print it in the block:
        /// stored keys are hashed and cannot be shown again
        #[arg(long)]
        new_secret_key: bool,
        /// With --format nextjs: sign-in and sign-up on the app's own
        /// /sign-in and /sign-up pages instead of Frontdesk's hosted pages
        #[arg(long)]
        in_app_pages: bool,
    },
    /// Backend API secret keys
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Start signing with a new key; the old one stays published for the retention period
    Rotate,
    /// Print a new encryption key for secrets at rest (`encryption_key`)
    NewEncryptionKey,
    /// Seal every TOTP secret, signing key and webhook secret under the
    /// current `encryption_key` (values in the clear, or sealed under one of
    /// `previous_encryption_keys`)
    RotateEncryption,
}

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Create a secret key and print it (the only time it is shown)
    Create {
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List secret keys (ids and last four characters)
    List,
    /// Revoke a secret key by id (ak_…)
    Revoke { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Human-readable summary with an env block for a Rust app
    Text,
    /// The `.env.local` block for a Next.js app using @clerk/nextjs
    Nextjs,
    /// Machine-readable
    Json,
}

pub(crate) struct Opened {
    pub(crate) store: std::sync::Arc<dyn Store>,
    config: Config,
    pub(crate) public_url: PublicUrl,
}

pub(crate) async fn open(config: Config) -> Result<Opened, Failure> {
    let validated = config.validate()?;
    // Say which database an admin command works on: run from another
    // directory, the default `frontdesk-data` is another instance's.
    let (place, existed) = match &validated.database {
        frontdesk_server::config::Database::Sqlite(path) => {
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            (shown.display().to_string(), path.exists())
        }
        frontdesk_server::config::Database::Postgres(url) => {
            (frontdesk_server::config::redact_url(url.expose()), true)
        }
    };
    let store = startup::open_store(&config, &validated).await?;
    let had_instance = existed && store.instance().await?.is_some();
    let instance = startup::ensure_instance(store.as_ref(), &config).await?;
    if !had_instance {
        eprintln!(
            "frontdesk: no instance was in {place}: created a new {} instance {} there \
             (to work on an existing one, run from its directory or set FRONTDESK_DATA_DIR / FRONTDESK_DATABASE_URL)",
            instance.mode, instance.id
        );
    }
    admin::ensure_signing_key(store.as_ref())
        .await
        .map_err(StartupError::from)?;
    let public_url = match validated.public_url {
        Some(u) => u,
        None => default_public_url(config.host, config.port)?,
    };
    Ok(Opened {
        store,
        config,
        public_url,
    })
}

use frontdesk_server::StartupError;

pub async fn run(cmd: KeysCommand, config: Config) -> Result<(), Failure> {
    match cmd {
        KeysCommand::NewEncryptionKey => {
            println!("{}", frontdesk_crypto::Sealer::generate_key());
            return Ok(());
        }
        KeysCommand::RotateEncryption
            if config.encryption_key.is_none() && config.encryption_key_file.is_none() =>
        {
            return Err(ConfigError::new(
                "encryption_key",
                "set the key to seal with (FRONTDESK_ENCRYPTION_KEY or encryption_key_file)",
            )
            .into());
        }
        _ => {}
    }
    let o = open(config).await?;
    let store = o.store.as_ref();
    // What the terminal changes is in the audit log as the command line's.
    let by = Audit::command_line();
    let instance = store
        .instance()
        .await?
        .ok_or(frontdesk_store::StoreError::NotFound)?;
    match cmd {
        KeysCommand::Show {
            format,
            new_secret_key,
            in_app_pages,
        } => {
            let secret = if new_secret_key {
                let (key, record) =
                    audited::store_secret_key(store, instance.mode, &by, "env block").await?;
                eprintln!("created {} for this block (shown only now)", record.id);
                Some(key)
            } else {
                None
            };
            let pages = if in_app_pages {
                admin::SignInPages::InApp
            } else {
                admin::SignInPages::Hosted
            };
            show(&o, &instance, format, secret.as_ref(), pages).await
        }
        KeysCommand::Secret(SecretCommand::Create { label }) => {
            let (key, record) =
                audited::store_secret_key(store, instance.mode, &by, &label).await?;
            eprintln!("created {} (shown only now):", record.id);
            println!("{}", key.expose());
            Ok(())
        }
        KeysCommand::Secret(SecretCommand::List) => {
            for k in store.list_secret_keys().await? {
                let state = match k.revoked_at {
                    Some(_) => "revoked",
                    None => "active",
                };
                println!(
                    "{}  sk_{}_…{}  {state}  {}",
                    k.id,
                    instance.mode.key_infix(),
                    k.hint,
                    k.label
                );
            }
            Ok(())
        }
        KeysCommand::Secret(SecretCommand::Revoke { id }) => {
            if id.starts_with("sk_") {
                // A secret key pasted instead of its id: never echo it.
                return Err(Failure {
                    code: 2,
                    message: "that is a secret key, not its id: revoke by the id (ak_…) that `frontdesk keys secret list` shows"
                        .to_owned(),
                });
            }
            let id = id.parse().map_err(|e| {
                Failure::from(ConfigError::new(
                    "id",
                    format!("not a secret key id (ak_…): {e}"),
                ))
            })?;
            let revoke = store.revoke_secret_key(&id, UnixMillis::now());
            let at = Some(id.as_str());
            match by
                .around(store, AuditAction::SecretKeyRevoked, at, json!({}), revoke)
                .await
            {
                Ok(()) => {
                    println!("revoked {id}");
                    Ok(())
                }
                Err(frontdesk_store::StoreError::NotFound) => Err(Failure {
                    code: 1,
                    message: format!("no active secret key {id}"),
                }),
                Err(e) => Err(e.into()),
            }
        }
        KeysCommand::NewEncryptionKey => Ok(()),
        KeysCommand::RotateEncryption => {
            let done = store.reseal_secrets().await?;
            println!(
                "sealed under the current key: {} TOTP secrets, {} signing keys, {} webhook secrets, {} OAuth secrets and tokens",
                done.totp_secrets, done.signing_keys, done.webhook_secrets, done.oauth_secrets
            );
            Ok(())
        }
        KeysCommand::Rotate => {
            let kid = audited::store_signing_key(store, &by)
                .await
                .map_err(StartupError::from)?;
            println!(
                "now signing with {kid}; the previous key stays in the JWKS for {} s",
                o.config.retired_key_retention_secs
            );
            Ok(())
        }
    }
}

async fn show(
    o: &Opened,
    instance: &frontdesk_domain::entities::Instance,
    format: Format,
    secret: Option<&frontdesk_domain::SecretKey>,
    pages: admin::SignInPages,
) -> Result<(), Failure> {
    let store = o.store.as_ref();
    let pk = o.public_url.publishable_key(instance.mode)?;
    let api = o.public_url.origin();
    let signing = store.signing_keys().await?;
    let active = signing
        .iter()
        .find(|k| k.retired_at.is_none())
        .map(SigningKey::from_record)
        .transpose()
        .map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
    // Never a value that looks like a key but is not one.
    let secret_lines = |names: &[&str]| -> Vec<String> {
        match secret {
            Some(k) => names
                .iter()
                .map(|n| format!("{n}={}", k.expose()))
                .collect(),
            None => vec![format!(
                "# {}: run `frontdesk keys secret create` (or add --new-secret-key) and paste it",
                names.join(", ")
            )],
        }
    };
    match format {
        Format::Json => {
            let body = json!({
                "instance_id": instance.id,
                "mode": instance.mode.as_str(),
                "frontend_api_url": api,
                "backend_api_url": api,
                "publishable_key": pk.as_str(),
                "signing_keys": signing.iter().map(|k| json!({
                    "kid": k.id,
                    "status": if k.retired_at.is_some() { "retired" } else { "active" },
                    "created_at": k.created_at,
                    "retired_at": k.retired_at,
                })).collect::<Vec<_>>(),
                "jwt_public_key_pem": active.as_ref().and_then(|k| k.public_pem().ok()),
                "secret_keys": store.list_secret_keys().await?.iter().map(|k| json!({
                    "id": k.id, "hint": k.hint, "label": k.label, "revoked": k.revoked_at.is_some(),
                })).collect::<Vec<_>>(),
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
        }
        Format::Nextjs => {
            let secret = secret.map(|k| k.expose());
            for line in admin::nextjs_env(&api, &pk, secret, pages) {
                println!("{line}");
            }
        }
        Format::Text => {
            println!("Instance         {} ({})", instance.id, instance.mode);
            println!("Frontend API     {api}");
            println!("Backend API      {api}");
            println!("Publishable key  {pk}");
            for k in &signing {
                match k.retired_at {
                    None => println!("Signing key      {} (active)", k.id),
                    Some(at) => {
                        let until = at.plus_secs(i64::from(o.config.retired_key_retention_secs));
                        if until > UnixMillis::now() {
                            println!(
                                "Signing key      {} (retired, published until {} ms)",
                                k.id, until.0
                            );
                        }
                    }
                }
            }
            println!("\n# Environment for an app using the Frontdesk SDK or @clerk/backend:");
            println!("FRONTDESK_PUBLISHABLE_KEY={pk}");
            println!("FRONTDESK_API_URL={api}");
            println!("FRONTDESK_PROXY_URL={api}");
            println!("CLERK_PUBLISHABLE_KEY={pk}");
            println!("CLERK_API_URL={api}");
            for line in secret_lines(&["FRONTDESK_SECRET_KEY", "CLERK_SECRET_KEY"]) {
                println!("{line}");
            }
        }
    }
    Ok(())
}
