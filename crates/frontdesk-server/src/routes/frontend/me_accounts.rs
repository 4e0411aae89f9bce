//! `/v1/me/external_accounts`: `<UserProfile/>` connecting an account at
//! another provider, and disconnecting one (the wire of
//! [`crate::engine::external`]).

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_types::common::DeletedObject;

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::ExternalAccount;

use super::envelope;
use super::me::current;
use super::render;
use crate::engine::external;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser, QueryParams};
use crate::state::AppState;

#[derive(serde::Deserialize)]
pub struct Connect {
    strategy: String,
    redirect_url: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    ApiBody(body): ApiBody<Connect>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    let trip = external::connect(
        &state,
        &fapi,
        &session,
        &user,
        &body.strategy,
        body.redirect_url.as_deref(),
    )
    .await?;
    // The account-to-be, as clerk-js reads it: it goes where the
    // verification says.
    let now = UnixMillis::now();
    let pending = ExternalAccount {
        id: format!("eac_{}", frontdesk_types::id::random_base62(24)),
        provider: trip.strategy.as_str().to_owned(),
        provider_user_id: String::new(),
        identification_id: String::new(),
        email_address: None,
        email_address_verified: false,
        first_name: None,
        last_name: None,
        image_url: None,
        username: None,
        approved_scopes: String::new(),
        created_at: now,
        updated_at: now,
    };
    let mut json = crate::render::external_account(&pending);
    json["verification"] =
        serde_json::to_value(render::oauth_verification(&trip)).map_err(ApiError::internal)?;
    envelope(&state, &mut fapi, json).await
}

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

/// `GET /v1/me/enterprise_connections` (`<UserProfile/>` asks when
/// enterprise SSO is on): the connections whose domains hold the user's
/// verified primary address. None allows account linking through an
/// organization, so a question about those (`with_organization_account_linking`)
/// gets none.
pub async fn enterprise_connections(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let linking = q.text("with_organization_account_linking").as_deref() == Some("true");
    let primary = user
        .primary_email()
        .filter(|e| crate::render::is_verified(e))
        .map(|e| e.email_address.clone());
    let settings = state.settings();
    let list: Vec<serde_json::Value> = match (&primary, linking) {
        (Some(email), false) => settings
            .settings
            .social
            .iter()
            .filter(|(_, c)| c.enabled && c.is_enterprise() && c.covers(email))
            .map(|(s, c)| {
                let factor = frontdesk_domain::flows::oauth::EnterpriseFactor {
                    strategy: s.clone(),
                    name: c.name_for(s.provider()),
                };
                serde_json::json!({
                    "id": factor.connection_id(), "name": factor.name, "provider": "oidc_custom",
                    "logo_public_url": c.logo_url.as_ref().map(url::Url::as_str),
                    "active": true, "domains": c.domains,
                    "sync_user_attributes": false, "disable_additional_identifications": false,
                    "allow_organization_account_linking": false, "authenticatable": true,
                    "created_at": 0, "updated_at": 0,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    envelope(&state, &mut fapi, list).await
}
