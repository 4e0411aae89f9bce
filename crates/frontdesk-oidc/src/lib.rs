//! Frontdesk as a relying party of OAuth 2.0 and OpenID Connect providers
//! (issue 16): the part of "Sign in with Google" that talks to the provider.
//!
//! - [`ProviderMetadata`]: a provider's endpoints, from its discovery
//!   document (`/.well-known/openid-configuration`, whose `issuer` must be
//!   the one asked for) or written down for a provider without one (GitHub).
//! - [`AuthorizationRequest`]: where to send the browser, with a fresh
//!   `state` (the callback's lookup key, bound to the browser's flow by the
//!   caller), `nonce` (bound into the ID token) and PKCE verifier (RFC 7636,
//!   S256), each 256 bits from the OS's generator.
//! - [`exchange_code`]: the code and verifier for tokens at the token
//!   endpoint.
//! - [`IdTokenCheck`]: an ID token's signature against the provider's JWKS
//!   (RS256 or ES256, the algorithm taken from the key, never from the token
//!   alone) and its claims (issuer, audience, authorized party, expiry,
//!   issue time, nonce), per OpenID Connect Core §3.1.3.7.
//!
//! What the caller keeps between the redirect and the callback (`state`,
//! `nonce`, the verifier) and what it does with the identity is Frontdesk's
//! engine's business; nothing here stores anything.

mod apple;
mod authorize;
mod error;
mod id_token;
mod jose;
mod metadata;
mod pkce;
mod token;

pub use apple::AppleSigner;
pub use authorize::AuthorizationRequest;
pub use error::OidcError;
pub use id_token::{IdTokenCheck, IdTokenClaims, Issuer, LEEWAY_SECS};
pub use jose::{JsonWebKeySet, Verified};
pub use metadata::ProviderMetadata;
pub use pkce::{challenge_s256, new_verifier};
pub use token::{ClientAuth, ClientCredentials, TokenResponse, exchange_code};

/// 256 random bits, base64url without padding (43 characters): `state`,
/// `nonce` and PKCE verifiers.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
