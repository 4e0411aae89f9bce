//! One file from a `multipart/form-data` body: clerk-js's `setProfileImage`
//! and the hosted profile's image form both send the image as `file`.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequest, Multipart, Request};

use crate::error::{ApiError, ApiResult};

/// A multipart upload, read field by field when the handler asks
/// ([`Upload::file`]); a body that is not multipart is an error on `file`.
pub struct Upload(Multipart);

fn bad(why: String) -> ApiError {
    ApiError::bad_param("file", "form_param_format_invalid", why)
}

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Multipart::from_request(req, state)
            .await
            .map(Upload)
            .map_err(|e: MultipartRejection| bad(e.body_text()))
    }
}

impl Upload {
    /// The bytes of the field `name`: the file, or (for the hosted page's
    /// guard) a text field sent beside it.
    pub async fn field(mut self, name: &str) -> ApiResult<Vec<u8>> {
        while let Some(field) = self.0.next_field().await.map_err(|e| bad(e.body_text()))? {
            if field.name() == Some(name) {
                return Ok(field
                    .bytes()
                    .await
                    .map_err(|e| bad(e.body_text()))?
                    .to_vec());
            }
        }
        Err(ApiError::bad_param(
            name,
            "form_param_missing",
            "Choose an image to upload.",
        ))
    }

    /// The `file` part.
    pub async fn file(self) -> ApiResult<Vec<u8>> {
        self.field("file").await
    }
}
