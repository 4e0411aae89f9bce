//! The instance settings through the Backend API: Clerk's endpoints for the
//! parts Clerk's Backend API edits (`PATCH /v1/instance`,
//! `/v1/instance/restrictions`, `/v1/instance/organization_settings`), and
//! Frontdesk's own `/v1/instance/settings` for the whole document (what
//! Clerk edits in its dashboard), as a JSON merge patch (RFC 7386).
//!
//! Every change is validated as a whole and written by compare-and-swap
//! ([`crate::engine::settings`], over [`settings::update`]); this node uses it at once, the others within a
//! second, and `/v1/environment` everywhere at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use frontdesk_domain::settings::{OrganizationSettings, Restrictions, SettingError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::settings::change;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller};
use crate::services::settings;
use crate::state::AppState;

/// `PATCH /v1/instance`'s body, as Clerk's spec has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstancePatch {
    test_mode: Option<bool>,
    hibp: Option<bool>,
    support_email: Option<String>,
    clerk_js_version: Option<String>,
    development_origin: Option<String>,
    allowed_origins: Option<Vec<String>>,
    cookieless_dev: Option<bool>,
    url_based_session_syncing: Option<bool>,
    preferred_sign_in_strategy_when_password_required: Option<String>,
}

/// `PATCH /v1/instance`: 204.
pub async fn patch_instance(
    _caller: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<InstancePatch>,
) -> ApiResult<Response> {
    change(&state, |s| {
        if body.hibp == Some(true) {
            // Checking passwords against Have I Been Pwned needs the network.
            return Err(SettingError::new(
                "hibp",
                "is not available: Frontdesk checks passwords against its built-in list of common passwords",
            ));
        }
        if let Some(v) = body.test_mode {
            s.test_mode = v;
        }
        if let Some(v) = &body.support_email {
            s.support_email = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if let Some(v) = &body.clerk_js_version {
            s.clerk_js_version = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if let Some(v) = &body.development_origin {
            s.development_origin = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if let Some(v) = &body.allowed_origins {
            s.allowed_origins = v.iter().map(|o| o.trim_end_matches('/').to_owned()).collect();
        }
        if let Some(v) = body.url_based_session_syncing.or(body.cookieless_dev) {
            s.url_based_session_syncing = v;
        }
        if let Some(v) = &body.preferred_sign_in_strategy_when_password_required {
            if !matches!(v.as_str(), "password" | "otp") {
                return Err(SettingError::new(
                    "preferred_sign_in_strategy_when_password_required",
                    "must be `password` or `otp`",
                ));
            }
            s.preferred_sign_in_strategy_when_password_required = Some(v.clone());
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn restrictions_body(r: &Restrictions) -> Value {
    json!({
        "object": "instance_restrictions",
        "allowlist": r.allowlist,
        "blocklist": r.blocklist,
        "allowlist_blocklist_disabled_on_sign_in": r.allowlist_blocklist_disabled_on_sign_in,
        "block_email_subaddresses": r.block_email_subaddresses,
        "block_disposable_email_domains": r.block_disposable_email_domains,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionsPatch {
    allowlist: Option<bool>,
    blocklist: Option<bool>,
    allowlist_blocklist_disabled_on_sign_in: Option<bool>,
    block_email_subaddresses: Option<bool>,
    block_disposable_email_domains: Option<bool>,
}

/// `PATCH /v1/instance/restrictions`.
pub async fn patch_restrictions(
    _caller: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<RestrictionsPatch>,
) -> ApiResult<ApiJson<Value>> {
    let new = change(&state, |s| {
        let r = &mut s.restrictions;
        for (slot, value) in [
            (&mut r.allowlist, body.allowlist),
            (&mut r.blocklist, body.blocklist),
            (
                &mut r.allowlist_blocklist_disabled_on_sign_in,
                body.allowlist_blocklist_disabled_on_sign_in,
            ),
            (
                &mut r.block_email_subaddresses,
                body.block_email_subaddresses,
            ),
            (
                &mut r.block_disposable_email_domains,
                body.block_disposable_email_domains,
            ),
        ] {
            if let Some(v) = value {
                *slot = v;
            }
        }
        Ok(())
    })
    .await?;
    Ok(ApiJson(restrictions_body(&new.restrictions)))
}

fn organization_body(o: &OrganizationSettings) -> Value {
    json!({
        "object": "organization_settings",
        "enabled": o.enabled,
        "max_allowed_memberships": o.max_allowed_memberships,
        "max_allowed_roles": 0,
        "max_allowed_domains": 0,
        "max_role_sets_allowed": 0,
        "creator_role": o.creator_role,
        "admin_delete_enabled": o.admin_delete_enabled,
        "domains_enabled": o.domains_enabled,
        "slug_disabled": o.slug_disabled,
        "domains_enrollment_modes": o.domains_enrollment_modes,
        "domains_default_role": o.domains_default_role,
        "initial_role_set_key": null,
    })
}

/// `GET /v1/instance/organization_settings`.
pub async fn organization_settings(
    _caller: BackendCaller,
    State(state): State<AppState>,
) -> ApiJson<Value> {
    ApiJson(organization_body(
        &state.fresh_settings().await.settings.organizations,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    enabled: Option<bool>,
    max_allowed_memberships: Option<u32>,
    admin_delete_enabled: Option<bool>,
    domains_enabled: Option<bool>,
    slug_disabled: Option<bool>,
    domains_enrollment_modes: Option<Vec<String>>,
    creator_role_id: Option<String>,
    domains_default_role_id: Option<String>,
}

/// `PATCH /v1/instance/organization_settings`.
pub async fn patch_organization_settings(
    _caller: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<OrganizationPatch>,
) -> ApiResult<ApiJson<Value>> {
    let new = change(&state, |s| {
        let o = &mut s.organizations;
        if let Some(v) = body.enabled {
            o.enabled = v;
        }
        if let Some(v) = body.max_allowed_memberships {
            o.max_allowed_memberships = v;
        }
        if let Some(v) = body.admin_delete_enabled {
            o.admin_delete_enabled = v;
        }
        if let Some(v) = body.domains_enabled {
            o.domains_enabled = v;
        }
        if let Some(v) = body.slug_disabled {
            o.slug_disabled = v;
        }
        if let Some(modes) = &body.domains_enrollment_modes {
            if let Some(bad) = modes.iter().find(|m| {
                !matches!(
                    m.as_str(),
                    "manual_invitation" | "automatic_invitation" | "automatic_suggestion"
                )
            }) {
                return Err(SettingError::new(
                    "domains_enrollment_modes",
                    format!("`{bad}` is not an enrollment mode"),
                ));
            }
            o.domains_enrollment_modes = modes.clone();
        }
        if let Some(v) = &body.creator_role_id {
            o.creator_role = v.clone();
        }
        if let Some(v) = &body.domains_default_role_id {
            o.domains_default_role = v.clone();
        }
        Ok(())
    })
    .await?;
    Ok(ApiJson(organization_body(&new.organizations)))
}

/// `GET /v1/instance/settings`: every setting (Frontdesk's endpoint).
pub async fn all(
    _caller: BackendCaller,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<Value>> {
    let snapshot = state.fresh_settings().await;
    settings::get_path(&snapshot.settings, None)
        .map(ApiJson)
        .map_err(ApiError::internal)
}

/// `PATCH /v1/instance/settings` with a JSON merge patch of the document;
/// answers the whole document as changed. A key removed (`null`) takes its
/// default.
pub async fn patch_all(
    _caller: BackendCaller,
    State(state): State<AppState>,
    ApiBody(patch): ApiBody<Value>,
) -> ApiResult<ApiJson<Value>> {
    let new = crate::engine::settings::patch(&state, patch).await?;
    settings::get_path(&new, None)
        .map(ApiJson)
        .map_err(ApiError::internal)
}
