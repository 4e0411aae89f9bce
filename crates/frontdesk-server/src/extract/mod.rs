//! Extractors: authenticated callers, and request input parsed into our types
//! with Clerk-shaped errors (`meta.param_name` names the offending parameter).

mod backend;
mod body;
mod query;

pub use backend::{BackendCaller, UnlimitedBackendCaller};
pub use body::ApiBody;
pub use query::QueryParams;
