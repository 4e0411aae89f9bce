//! The JSON Web Key Set, for verifying session tokens.
//!
//! `@clerk/backend` fetches it from the Backend API with the secret key
//! (`/v1/jwks`); other verifiers use the public well-known URL. Both serve the
//! same pre-serialised body with public members only.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::extract::UnlimitedBackendCaller;
use crate::state::AppState;

fn jwks_response(state: &AppState, visibility: &str) -> Response {
    let cache = format!("{visibility}, max-age={}", state.config.jwks_max_age_secs);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_str(&cache).unwrap_or(HeaderValue::from_static("no-cache")),
            ),
        ],
        state.keys.jwks_body().to_vec(),
    )
        .into_response()
}

/// `GET /.well-known/jwks.json`.
pub async fn public(State(state): State<AppState>) -> Response {
    let mut res = jwks_response(&state, "public");
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// `GET /v1/jwks` (Backend API).
pub async fn backend(_caller: UnlimitedBackendCaller, State(state): State<AppState>) -> Response {
    jwks_response(&state, "private")
}
