//! `GET /v1/instance`, and the session token template
//! (`/v1/instance/session_token_template`, Frontdesk's own endpoint: Clerk
//! edits it in its dashboard).

use axum::extract::State;
use frontdesk_types::instance::Instance;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller};
use crate::services::template::{self, SaveError};
use crate::state::AppState;

pub async fn get(_caller: BackendCaller, State(state): State<AppState>) -> ApiJson<Instance> {
    let info = &state.instance;
    ApiJson(Instance {
        object: "instance".to_owned(),
        id: info.instance.id.clone(),
        environment_type: info.instance.mode.as_str().to_owned(),
        // Frontdesk's own origin, then the apps'.
        allowed_origins: Some(
            std::iter::once(info.public_url.origin())
                .chain(
                    state
                        .fresh_settings()
                        .await
                        .settings
                        .allowed_origins
                        .clone(),
                )
                .collect(),
        ),
        workspace_id: None,
    })
}

fn template_body(t: Option<&frontdesk_domain::template::SessionTemplate>) -> Value {
    json!({
        "object": "session_token_template",
        "claims": t.map_or_else(|| Value::Object(Default::default()), |t| Value::Object(t.as_map().clone())),
    })
}

/// `GET /v1/instance/session_token_template`: `{object, claims}`.
pub async fn template(_caller: BackendCaller, State(state): State<AppState>) -> ApiJson<Value> {
    ApiJson(template_body(state.session_template.get().as_ref()))
}

#[derive(Deserialize)]
pub struct PutTemplate {
    claims: Value,
}

/// `PUT /v1/instance/session_token_template` with `{"claims": {...}}`
/// (an empty object removes the template).
pub async fn put_template(
    _caller: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<PutTemplate>,
) -> ApiResult<ApiJson<Value>> {
    let saved = template::save(state.store.as_ref(), Some(&body.claims))
        .await
        .map_err(|e| match e {
            SaveError::Template(e) => {
                ApiError::bad_param("claims", "form_param_value_invalid", e.to_string())
            }
            SaveError::Store(e) => e.into(),
        })?;
    state.session_template.set(saved.clone());
    Ok(ApiJson(template_body(saved.as_ref())))
}

/// `DELETE /v1/instance/session_token_template`.
pub async fn delete_template(
    _caller: BackendCaller,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<Value>> {
    template::save(state.store.as_ref(), None)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    state.session_template.set(None);
    Ok(ApiJson(template_body(None)))
}
