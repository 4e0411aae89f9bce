//! A typed Backend API client, on the wire types Frontdesk itself serves
//! (`frontdesk-types`), so that what the server sends and what the SDK reads
//! cannot drift apart.

use frontdesk_types::user::User;

/// Why a Backend API call failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("no secret key configured")]
    NoSecretKey,
    #[error("the Backend API could not be reached: {0}")]
    Transport(String),
    #[error("the Backend API answered {status}: {code}")]
    Api { status: u16, code: String },
}

/// The Backend API of one instance.
#[derive(Debug, Clone)]
pub struct BackendApi {
    base: String,
    secret_key: String,
    http: reqwest::Client,
}

impl BackendApi {
    pub fn new(api_url: &str, secret_key: &str, http: reqwest::Client) -> Self {
        Self {
            base: api_url.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
            http,
        }
    }

    /// `GET /v1/users/{id}`.
    pub async fn get_user(&self, id: &str) -> Result<User, BackendError> {
        let res = self
            .http
            .get(format!("{}/v1/users/{id}", self.base))
            .bearer_auth(&self.secret_key)
            .header("Clerk-API-Version", "2026-05-12")
            .send()
            .await
            .map_err(|e| BackendError::Transport(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        if status != 200 {
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            let code = body["errors"][0]["code"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned();
            return Err(BackendError::Api { status, code });
        }
        res.json()
            .await
            .map_err(|e| BackendError::Transport(e.without_url().to_string()))
    }
}
