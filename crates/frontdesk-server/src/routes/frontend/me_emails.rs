//! `/v1/me/email_addresses…` and `DELETE /v1/me`: the wire of
//! [`crate::engine::emails`], as `<UserProfile/>`'s Account tab drives it.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_types::common::DeletedObject;
use serde::Deserialize;

use super::envelope;
use super::me::current;
use crate::engine::{emails, reverify};
use crate::error::ApiResult;
use crate::extract::{ApiBody, Browser, QueryParams};
use crate::render;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let list: Vec<_> = user.email_addresses.iter().map(render::email).collect();
    envelope(&state, &mut fapi, list).await
}

#[derive(Deserialize)]
pub struct Add {
    email_address: String,
}

pub async fn add(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    ApiBody(body): ApiBody<Add>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let added = emails::add(&state, &user, &body.email_address).await?;
    envelope(&state, &mut fapi, render::email(&added)).await
}

pub async fn show(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let email = render::email(emails::own(&user, &id)?);
    envelope(&state, &mut fapi, email).await
}

pub async fn remove(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let gone = emails::remove(&state, &user, &id).await?;
    envelope(
        &state,
        &mut fapi,
        DeletedObject::new("email_address", gone.as_str()),
    )
    .await
}

/// Only `email_code` is offered (links come with issue 16's flows).
#[derive(Deserialize)]
pub struct Prepare {
    strategy: Option<String>,
}

pub async fn prepare(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    if let Some(s) = body.strategy.as_deref().filter(|s| *s != "email_code") {
        return Err(frontdesk_domain::flows::UnknownStrategy(s.to_owned()).into());
    }
    let (_, user) = current(&state, &fapi, &q).await?;
    let email = emails::prepare(&state, &mut fapi, &user, &id).await?;
    envelope(&state, &mut fapi, render::email(&email)).await
}

#[derive(Deserialize)]
pub struct Attempt {
    code: Option<String>,
}

pub async fn attempt(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let code = body.code.unwrap_or_default();
    match emails::attempt(&state, &mut fapi, &user, &id, &code).await {
        Ok(email) => envelope(&state, &mut fapi, render::email(&email)).await,
        Err(e) => Ok(fapi.respond_error(e)),
    }
}

/// Delete one's own account; the browser is left signed out.
pub async fn delete_me(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let id = emails::delete_self(&state, &user).await?;
    envelope(&state, &mut fapi, DeletedObject::new("user", id.as_str())).await
}
