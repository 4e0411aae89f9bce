//! Minting session tokens: Clerk's v2 session JWT.

use frontdesk_domain::UnixMillis;
use frontdesk_types::SessionId;
use frontdesk_types::common::SessionClaims;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Clerk's JWT category for session tokens (`cat` header).
pub const SESSION_TOKEN_CATEGORY: &str = "cl_B7d4PD111AAA";

/// Mint a token for a live session.
///
/// `iat` is never earlier than the client's `updated_at`: apps compare it to
/// the `__client_uat` cookie and treat an older token as stale, which would
/// send the browser into a handshake loop.
pub async fn mint(
    state: &AppState,
    session_id: &SessionId,
    azp: Option<String>,
    lifetime_secs: Option<u32>,
) -> ApiResult<String> {
    let now = UnixMillis::now();
    let (session, client_updated_at) = state
        .store
        .session_for_token(session_id)
        .await?
        .ok_or_else(|| ApiError::not_found("session"))?;
    let status = session.status_at(now);
    if !status.is_live() {
        return Err(ApiError::not_found("active session"));
    }
    let iat = now
        .as_secs()
        .max((client_updated_at.0 + 999).div_euclid(1000));
    let lifetime = i64::from(lifetime_secs.unwrap_or(state.config.session_token_lifetime_secs));
    let claims = SessionClaims {
        azp,
        exp: iat + lifetime,
        fva: [(now.0 - session.created_at.0).max(0) / 60_000, -1],
        iat,
        iss: state.instance.public_url.origin(),
        nbf: iat - 10,
        sid: session.id.to_string(),
        sts: status.as_str().to_owned(),
        sub: session.user_id.to_string(),
        v: 2,
        jti: frontdesk_types::id::random_base62(15),
        custom: serde_json::Map::new(),
    };
    state
        .keys
        .active()
        .sign_jwt(&[("cat", SESSION_TOKEN_CATEGORY)], &claims)
        .map_err(ApiError::internal)
}
