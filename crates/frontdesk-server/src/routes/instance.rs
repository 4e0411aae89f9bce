//! `GET /v1/instance`.

use axum::extract::State;
use frontdesk_types::instance::Instance;

use crate::error::ApiJson;
use crate::extract::BackendCaller;
use crate::state::AppState;

pub async fn get(_caller: BackendCaller, State(state): State<AppState>) -> ApiJson<Instance> {
    let info = &state.instance;
    ApiJson(Instance {
        object: "instance".to_owned(),
        id: info.instance.id.clone(),
        environment_type: info.instance.mode.as_str().to_owned(),
        allowed_origins: Some(vec![info.public_url.origin()]),
        workspace_id: None,
    })
}
