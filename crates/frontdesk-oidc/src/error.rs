//! What can go wrong talking to a provider, in words an operator can act on
//! (the engine maps them to the errors users see: "provider down", "try
//! again").

/// A failure of the relying-party side of a sign-in.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered with an error status.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// A document (discovery, JWKS, token response) was not what the
    /// protocol says it is.
    #[error("the provider's {what} is malformed: {why}")]
    Malformed { what: &'static str, why: String },
    /// The discovery document names another issuer than the one configured
    /// (OpenID Connect Discovery §4.3: it must be identical).
    #[error("the discovery document is for issuer `{found}`, not `{expected}`")]
    IssuerMismatch { expected: String, found: String },
    /// The token endpoint refused the code (`invalid_grant`: used, expired,
    /// or the PKCE verifier does not match).
    #[error("the provider refused the code: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    /// The ID token is not to be trusted; the reason is for the log.
    #[error("the ID token was refused: {0}")]
    IdToken(String),
}

impl OidcError {
    pub(crate) fn malformed(what: &'static str, why: impl std::fmt::Display) -> Self {
        Self::Malformed {
            what,
            why: why.to_string(),
        }
    }

    pub(crate) fn id_token(why: impl Into<String>) -> Self {
        Self::IdToken(why.into())
    }
}
