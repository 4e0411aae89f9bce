//! `/v1/me/totp…` and `/v1/me/backup_codes`: the wire of
//! [`crate::engine::mfa`], as `<UserProfile/>`'s Security tab drives it
//! (clerk-protocol-wave2.md §2.2–2.3).

use axum::extract::State;
use axum::response::Response;
use frontdesk_domain::entities::TotpRecord;
use frontdesk_types::common::DeletedObject;
use frontdesk_types::frontend as fe;
use serde::Deserialize;

use super::envelope;
use super::me::current;
use crate::engine::{mfa, reverify};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser, QueryParams};
use crate::state::AppState;
use frontdesk_domain::flows::reverify::Proven;

fn totp(record: &TotpRecord, uri: Option<String>, backup_codes: Option<Vec<String>>) -> fe::Totp {
    fe::Totp {
        object: "totp".to_owned(),
        id: record.id.clone(),
        // The secret leaves the server only while the app is being added.
        secret: (!record.verified).then(|| record.secret.clone()),
        uri,
        verified: record.verified,
        backup_codes,
        created_at: record.created_at.0,
        updated_at: record.updated_at.0,
    }
}

/// Start adding an app: a pending secret, its QR code's URI.
pub async fn create_totp(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let record = mfa::create_totp(&state, &user).await?;
    let uri = mfa::uri(&state, &user, &record)?;
    envelope(&state, &mut fapi, totp(&record, Some(uri), None)).await
}

#[derive(Deserialize)]
pub struct Verify {
    code: Option<String>,
}

/// Confirm the app with a code from it; the answer carries the backup codes.
pub async fn verify_totp(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    ApiBody(body): ApiBody<Verify>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    let code = body.code.unwrap_or_default();
    let (record, codes, _) = match mfa::verify_totp(&state, &user, &code).await {
        Ok(done) => done,
        Err(e) => return Ok(fapi.respond_error(e)),
    };
    reverify::proven(&state, &session, Proven::Second).await?;
    envelope(&state, &mut fapi, totp(&record, None, codes)).await
}

/// Remove the app (and the backup codes that recover it).
pub async fn delete_totp(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let (id, _) = mfa::delete_totp(&state, &user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("totp"))?;
    envelope(&state, &mut fapi, DeletedObject::new("totp", id)).await
}

/// A new set of backup codes, replacing the old one.
pub async fn create_backup_codes(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let (codes, updated) = mfa::regenerate_backup_codes(&state, &user).await?;
    let set = fe::BackupCodes {
        object: "backup_code".to_owned(),
        id: format!("bcode_{}", frontdesk_types::id::random_base62(24)),
        codes,
        created_at: updated.updated_at.0,
        updated_at: updated.updated_at.0,
    };
    envelope(&state, &mut fapi, set).await
}
