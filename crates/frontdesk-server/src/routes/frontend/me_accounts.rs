//! `/v1/me/external_accounts/{id}`: `<UserProfile/>` disconnecting an
//! account at another provider (the wire of [`crate::engine::external`]).

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_types::common::DeletedObject;

use super::envelope;
use super::me::current;
use crate::engine::external;
use crate::error::ApiResult;
use crate::extract::{Browser, QueryParams};
use crate::state::AppState;

pub async fn delete(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    external::disconnect(&state, &session, &user, &id).await?;
    envelope(
        &state,
        &mut fapi,
        DeletedObject::new("external_account", id),
    )
    .await
}
