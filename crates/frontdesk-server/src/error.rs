//! The HTTP edge's error type: every failure becomes Clerk's error envelope.
//!
//! Lower layers have their own errors (`StoreError`, `CryptoError`); they are
//! mapped to a status and a Clerk error code here, once. Client errors say what
//! is wrong and which parameter (`meta.param_name`); server errors say nothing
//! but the trace id, and the cause goes to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use frontdesk_store::{Refusal, StoreError};
use frontdesk_types::{ClerkError, ClerkErrors};

/// A request failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 4xx with a Clerk error body.
    #[error("{status}: {}", .error.code)]
    Client {
        status: StatusCode,
        error: Box<ClerkError>,
        /// Seconds to wait before retrying (429).
        retry_after: Option<u64>,
    },
    /// 5xx; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// Clerk's code of a client error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Client { error, .. } => Some(&error.code),
            Self::Internal(_) => None,
        }
    }

    pub fn client(status: StatusCode, error: ClerkError) -> Self {
        Self::Client {
            status,
            error: Box::new(error),
            retry_after: None,
        }
    }

    pub fn unauthorized(long_message: &str) -> Self {
        Self::client(
            StatusCode::UNAUTHORIZED,
            ClerkError::new(
                "authentication_invalid",
                "Unauthorized request",
                long_message,
            ),
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            ClerkError::new(
                "resource_not_found",
                "not found",
                format!("The requested {what} was not found."),
            ),
        )
    }

    pub fn bad_param(param: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            ClerkError::new(code, message.clone(), message).with_param(param),
        )
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::Client {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: Box::new(ClerkError::new(
                "too_many_requests",
                "Too many requests",
                "Too many requests, retry later.",
            )),
            retry_after: Some(retry_after),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// 422 `form_identifier_exists`: `what` (an email address, a username…)
    /// belongs to another account.
    pub fn identifier_taken(param: &str, what: &str) -> Self {
        let text = format!("That {what} is taken. Please try another.");
        Self::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            ClerkError::new("form_identifier_exists", text.clone(), text).with_param(param),
        )
    }

    /// 503 with `Retry-After`: the database is restarting, unreachable or
    /// busy. Not the caller's fault, and worth retrying (finding F14).
    pub fn unavailable(retry_after: u64) -> Self {
        Self::Client {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: Box::new(ClerkError::new(
                "service_unavailable",
                "The service is temporarily unavailable",
                "The service is temporarily unavailable. Please try again in a moment.",
            )),
            retry_after: Some(retry_after),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Conflict(what) => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "form_identifier_exists",
                    "That identifier is taken.",
                    format!("A resource with the same unique value already exists ({what})."),
                ),
            ),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::unavailable(2)
            }
            // Compare-and-swap lost over and over: heavy contention on one
            // row. The next try will most likely land.
            StoreError::Stale => Self::unavailable(1),
            StoreError::Refused(Refusal::MembershipLimit) => Self::client(
                StatusCode::FORBIDDEN,
                ClerkError::new(
                    "organization_membership_quota_exceeded",
                    "Membership quota exceeded",
                    "The organization has reached its maximum number of members.",
                ),
            ),
            StoreError::Refused(Refusal::LastManager) => Self::client(
                StatusCode::FORBIDDEN,
                ClerkError::new(
                    "organization_minimum_permissions_needed",
                    "Minimum permissions needed",
                    "There has to be at least one organization member with the minimum \
                     required permissions.",
                ),
            ),
            StoreError::Refused(Refusal::InvitationClosed) => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "organization_invitation_not_pending",
                    "This invitation is no longer pending",
                    "The invitation has been accepted, revoked or has expired.",
                ),
            ),
            StoreError::Refused(Refusal::RoleInUse) => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "role_in_use",
                    "This role is held by members",
                    "Members or pending invitations hold this role: give them another first.",
                ),
            ),
            StoreError::Refused(Refusal::System) => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "system_permission_immutable",
                    "System permissions cannot be changed",
                    "System permissions (`org:sys_*`) cannot be changed or deleted.",
                ),
            ),
            StoreError::Refused(Refusal::RequestClosed) => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "organization_membership_request_not_pending",
                    "This request is no longer pending",
                    "The request to join has been accepted or rejected already.",
                ),
            ),
            StoreError::Refused(Refusal::LastAdmin) => Self::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "instance_minimum_administrators_needed",
                    "An administrator must remain",
                    "An instance keeps at least one administrator who can sign in.",
                ),
            ),
            other => Self::internal(other),
        }
    }
}

/// The cause of a 5xx, left in the response extensions for the logging
/// middleware: the error is logged once, where the request id is known.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Client {
                status,
                error,
                retry_after,
            } => {
                let mut res = json_response(
                    status,
                    &ClerkErrors {
                        errors: vec![*error],
                        clerk_trace_id: None,
                    },
                );
                if let Some(secs) = retry_after {
                    res.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                res
            }
            Self::Internal(cause) => {
                let mut res = internal_error_body(None);
                res.extensions_mut().insert(InternalCause(cause));
                res
            }
        }
    }
}

/// The opaque 500 body: Clerk's envelope and, once the request id is known,
/// the trace id — never the cause.
pub fn internal_error_body(trace_id: Option<&str>) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &ClerkErrors {
            errors: vec![ClerkError::new(
                "internal_clerk_error",
                "Oops, an unexpected error occurred",
                "There was an internal error on our servers. We've been notified and are working on fixing it.",
            )],
            clerk_trace_id: trace_id.map(str::to_owned),
        },
    )
}

/// A JSON response with `Content-Type` exactly `application/json`:
/// `@clerk/backend` compares the header by string equality and treats
/// `application/json; charset=utf-8` as text.
pub fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("serialising response: {e}")).into_response(),
    }
}

/// Like [`json_response`] with status 200, as a handler return type.
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

/// A route that exists, called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::client(
        StatusCode::METHOD_NOT_ALLOWED,
        ClerkError::new(
            "method_not_allowed",
            "Method not allowed",
            "This endpoint does not accept this HTTP method.",
        ),
    )
}

/// Clerk's 404 for unknown routes.
pub async fn route_not_found() -> ApiError {
    ApiError::client(
        StatusCode::NOT_FOUND,
        ClerkError::new(
            "resource_not_found",
            "not found",
            "The requested resource was not found.",
        ),
    )
}
