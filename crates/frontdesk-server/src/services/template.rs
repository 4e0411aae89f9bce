//! The instance's session token template (extra claims in every session
//! token), kept in memory: loaded at start-up, replaced at once when changed
//! through this node's Backend API, and reloaded with the signing keys every
//! 10 s so that every node follows a change made elsewhere (another node,
//! the CLI).

use std::sync::RwLock;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, User};
use frontdesk_domain::template::{SessionTemplate, TemplateError};
use frontdesk_store::{Store, StoreResult};
use serde_json::{Value, json};

/// The setting's name in the store.
pub const SETTING: &str = "session_token_template";

/// The template in force, if any.
#[derive(Default)]
pub struct TemplateHolder(RwLock<Option<SessionTemplate>>);

impl TemplateHolder {
    pub fn get(&self) -> Option<SessionTemplate> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, t: Option<SessionTemplate>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = t;
    }

    /// Read the stored template again. One that no longer parses (written by
    /// hand?) is ignored with a warning rather than breaking every token.
    pub async fn reload(&self, store: &dyn Store) -> StoreResult<()> {
        let stored = store.setting(SETTING).await?;
        let parsed = stored.and_then(|v| match SessionTemplate::parse(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(error = %e, "the stored session token template is invalid; ignored");
                None
            }
        });
        self.set(parsed);
        Ok(())
    }
}

/// Check, store and return a new template; `None` removes it.
pub async fn save(
    store: &dyn Store,
    claims: Option<&Value>,
) -> Result<Option<SessionTemplate>, SaveError> {
    let parsed = claims
        .filter(|c| c.as_object().is_none_or(|m| !m.is_empty()))
        .map(SessionTemplate::parse)
        .transpose()?;
    let value = parsed.as_ref().map(|t| Value::Object(t.as_map().clone()));
    store
        .put_setting(SETTING, value.as_ref(), UnixMillis::now())
        .await?;
    Ok(parsed)
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Store(#[from] frontdesk_store::StoreError),
}

/// What shortcodes can name: `user.*` (the Backend API's fields) and
/// `session.*`.
pub fn context(user: &User, session: &Session) -> Value {
    let primary = user
        .primary_email_address_id
        .as_ref()
        .and_then(|id| user.email_addresses.iter().find(|e| &e.id == id))
        .map(|e| e.email_address.clone());
    let full_name = match (&user.first_name, &user.last_name) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n.clone()),
        (None, None) => None,
    };
    json!({
        "user": {
            "id": user.id.to_string(),
            "external_id": user.external_id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "full_name": full_name,
            "username": user.username,
            "primary_email_address": primary,
            "image_url": user.image_url,
            "public_metadata": user.public_metadata,
            "unsafe_metadata": user.unsafe_metadata,
            "created_at": user.created_at.0,
        },
        "session": {
            "id": session.id.to_string(),
            "created_at": session.created_at.0,
        }
    })
}
