//! Extractors: who is calling (a browser by its client, an app by its secret
//! key), and request input parsed into our types
//! with Clerk-shaped errors (`meta.param_name` names the offending parameter).

mod backend;
mod body;
mod browser;
mod peer;
mod query;
mod upload;

pub use backend::{BackendCaller, UnlimitedBackendCaller};
pub use body::{ApiBody, ListBody, form_bool, parse_value};
pub use browser::{
    Browser, DEV_BROWSER_PARAM, HandshakeCaller, client_cookie, cookie, cookies,
    cross_site_loopback, dev_browser_unauthenticated, new_client, other_loopback_spelling,
    set_cookie_header,
};
pub use peer::{client_ip, peer_ip};
pub use query::QueryParams;
pub use upload::Upload;
