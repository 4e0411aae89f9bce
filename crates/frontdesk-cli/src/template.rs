//! `frontdesk session-template …`: the extra claims in every session token.
//! Running servers pick a change up within 10 s.

use clap::Subcommand;
use frontdesk_server::Config;
use frontdesk_server::services::template::{self, SaveError, TemplateHolder};

use crate::Failure;
use crate::keys::open;

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Print the template (`{}` when there is none)
    Show,
    /// Replace it, e.g. '{"metadata": "{{user.public_metadata}}"}'
    Set {
        /// A JSON object; string values may hold {{user.…}} and {{session.…}} shortcodes
        json: String,
    },
    /// Remove it
    Clear,
}

fn bad(message: String) -> Failure {
    Failure::usage(message)
}

pub async fn run(cmd: TemplateCommand, config: Config) -> Result<(), Failure> {
    let opened = open(config).await?;
    let store = opened.store.as_ref();
    let saved = match cmd {
        TemplateCommand::Show => {
            let holder = TemplateHolder::default();
            holder.reload(store).await?;
            holder.get()
        }
        TemplateCommand::Set { json } => {
            let value: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| bad(format!("the template is not JSON: {e}")))?;
            template::save(store, Some(&value))
                .await
                .map_err(|e| match e {
                    SaveError::Template(e) => bad(format!("the template was refused: {e}")),
                    SaveError::Store(e) => e.into(),
                })?
        }
        TemplateCommand::Clear => template::save(store, None).await.map_err(|e| match e {
            SaveError::Template(e) => bad(e.to_string()),
            SaveError::Store(e) => e.into(),
        })?,
    };
    let claims = saved.map_or_else(
        || serde_json::Value::Object(Default::default()),
        |t| serde_json::Value::Object(t.as_map().clone()),
    );
    println!("{claims}");
    Ok(())
}
