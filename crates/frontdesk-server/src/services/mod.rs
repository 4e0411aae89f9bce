//! Use cases shared by the Backend API, the Frontend API and the CLI: domain
//! rules plus store calls, no HTTP types beyond `ApiError`.

pub mod codes;
pub mod credentials;
pub mod events;
pub mod mail;
pub mod oidc;
pub mod passwords;
pub mod search_index;
pub mod sessions;
pub mod settings;
pub mod template;
pub mod tokens;
pub mod upkeep;
