//! Changing the instance settings: the Backend API's settings endpoints and
//! the dashboard's configuration page both come here.
//!
//! Every change is validated as a whole and written by compare-and-swap
//! ([`settings::update`]); this node uses it at once, the others within a
//! second, and `/v1/environment` everywhere at once.

use axum::http::StatusCode;
use frontdesk_domain::InstanceSettings;
use frontdesk_domain::settings::SettingError;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::services::settings::{self, SettingsError};
use crate::state::AppState;

/// A setting that does not hold, as Clerk's 422 naming it.
pub fn invalid(e: SettingError) -> ApiError {
    ApiError::client(
        StatusCode::UNPROCESSABLE_ENTITY,
        frontdesk_types::ClerkError::new(
            "form_param_value_invalid",
            "is invalid",
            format!("`{}` {}", e.path, e.reason),
        )
        .with_param(&e.path),
    )
}

/// Apply `change` to the stored settings and put the result in force here.
pub async fn change(
    state: &AppState,
    change: impl FnMut(&mut InstanceSettings) -> Result<(), SettingError>,
) -> ApiResult<InstanceSettings> {
    let seed = settings::seed_from(&state.config, state.instance.instance.mode);
    match settings::update(state.store.as_ref(), &seed, change).await {
        Ok(Ok(new)) => {
            state.settings.set(new.clone());
            Ok(new)
        }
        Ok(Err(e)) | Err(SettingsError::Invalid(e)) => Err(invalid(e)),
        Err(SettingsError::Store(e)) => Err(e.into()),
    }
}

/// RFC 7386: objects merge key by key, `null` removes, anything else
/// replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Apply a JSON merge patch of the whole settings document (a key removed
/// with `null` takes its default). Client secrets are kept apart, sealed:
/// taken out before the merge, stored once the rest is accepted.
pub async fn patch(state: &AppState, patch: Value) -> ApiResult<InstanceSettings> {
    patch_observed(state, patch, |_, _| {}).await
}

/// [`patch`], showing `observe` each document before and after the patch
/// (once per round of the compare-and-swap, before its write).
pub async fn patch_observed(
    state: &AppState,
    mut patch: Value,
    mut observe: impl FnMut(&Value, &Value),
) -> ApiResult<InstanceSettings> {
    if !patch.is_object() {
        return Err(ApiError::bad_param(
            "settings",
            "form_param_format_invalid",
            "The body must be a JSON object of settings to change.",
        ));
    }
    let secrets = settings::take_client_secrets(&mut patch).map_err(invalid)?;
    let new = change(state, |s| {
        let before = serde_json::to_value(&*s).map_err(|e| SettingError::new("", e.to_string()))?;
        let mut doc = before.clone();
        merge(&mut doc, &patch);
        *s = serde_json::from_value(doc)
            .map_err(|e| SettingError::new("settings", e.to_string()))?;
        let after = serde_json::to_value(&*s).map_err(|e| SettingError::new("", e.to_string()))?;
        observe(&before, &after);
        Ok(())
    })
    .await?;
    settings::store_client_secrets(state.store.as_ref(), &secrets).await?;
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches_follow_rfc_7386() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge(&mut doc, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(doc, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }
}
