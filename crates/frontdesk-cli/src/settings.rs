//! `frontdesk settings …`: the instance settings stored in the database
//! (what Clerk's dashboard toggles). Running servers pick a change up within
//! a second, and `/v1/environment` at once.

use clap::Subcommand;
use frontdesk_domain::admin::AuditAction;
use frontdesk_server::Config;
use frontdesk_server::engine::admin::Audit;
use frontdesk_server::services::settings::{self, SettingsError};

use crate::Failure;
use crate::keys::open;

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Print every setting as JSON, or one by its dotted path
    /// (`sessions.lifetime_secs`)
    Get {
        /// A dotted path; all settings when absent
        path: Option<String>,
    },
    /// Change settings, e.g. `passwords.min_length=12 branding.application_name=Acme`;
    /// values are JSON when they parse as JSON, text otherwise
    Set {
        /// `path=value` pairs, applied together or not at all
        #[arg(required = true)]
        changes: Vec<String>,
    },
}

pub async fn run(cmd: SettingsCommand, config: Config) -> Result<(), Failure> {
    let opened = open(config.clone()).await?;
    let store = opened.store.as_ref();
    let mode = store
        .instance()
        .await?
        .map(|i| i.mode)
        .unwrap_or(config.mode);
    let seed = settings::seed_from(&config, mode);
    let (current, _) = settings::load_or_seed(store, &seed).await?;
    let shown = match cmd {
        SettingsCommand::Get { path } => settings::get_path(&current, path.as_deref())
            .map_err(|e| Failure::usage(e.to_string()))?,
        SettingsCommand::Set { changes } => {
            let pairs = changes
                .iter()
                .map(|c| {
                    c.split_once('=').ok_or_else(|| {
                        Failure::usage(format!("`{c}`: write a change as path=value"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            // Client secrets are kept apart, sealed; the rest goes into the
            // document.
            let (secret_pairs, pairs): (Vec<_>, Vec<_>) = pairs
                .into_iter()
                .partition(|(path, _)| settings::client_secret_path(path.trim()).is_some());
            let mut patch = serde_json::json!({"social": {}});
            for (path, value) in &secret_pairs {
                if let Some(strategy) = settings::client_secret_path(path.trim()) {
                    patch["social"][strategy] = serde_json::json!({"client_secret": value});
                }
            }
            let secrets = settings::take_client_secrets(&mut patch)
                .map_err(|e| Failure::usage(format!("refused: {e}")))?;
            let update = settings::update(store, &seed, |s| {
                pairs
                    .iter()
                    .try_for_each(|(path, value)| settings::set_path(s, path.trim(), value))
            });
            // Recorded as the command line's, by path (values may be secrets).
            let changed: Vec<&str> = pairs
                .iter()
                .chain(&secret_pairs)
                .map(|(p, _)| p.trim())
                .collect();
            let updated = Audit::command_line()
                .around_when(
                    store,
                    AuditAction::SettingsChanged,
                    None,
                    serde_json::json!({ "paths": changed }),
                    update,
                    Result::is_ok,
                )
                .await;
            let new = match updated {
                Ok(Ok(new)) => new,
                Ok(Err(e)) | Err(SettingsError::Invalid(e)) => {
                    return Err(Failure::usage(format!("refused: {e}")));
                }
                Err(SettingsError::Store(e)) => return Err(e.into()),
            };
            settings::store_client_secrets(store, &secrets).await?;
            let paths: Vec<&str> = pairs.iter().map(|(p, _)| p.trim()).collect();
            let mut out = serde_json::Map::new();
            for p in paths {
                let v =
                    settings::get_path(&new, Some(p)).map_err(|e| Failure::usage(e.to_string()))?;
                out.insert(p.to_owned(), v);
            }
            for (path, _) in &secret_pairs {
                out.insert(path.trim().to_owned(), "[set]".into());
            }
            serde_json::Value::Object(out)
        }
    };
    let text = serde_json::to_string_pretty(&shown).map_err(|e| Failure::usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}
