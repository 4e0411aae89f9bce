//! Frontdesk's domain model.
//!
//! Values are parsed once at the edge into types that cannot hold bad data
//! (`EmailAddress`, `PublishableKey`, `SecretKey`, `InstanceMode`), and the
//! entities here are what the store persists and the HTTP layer renders into
//! Clerk's wire shapes. Nothing in this crate does IO.

pub mod admin;
pub mod device;
pub mod email;
pub mod email_templates;
pub mod entities;
pub mod flows;
pub mod keys;
pub mod lockout;
pub mod metadata;
pub mod oauth;
pub mod organizations;
pub mod password;
pub mod redirect;
pub mod settings;
pub mod template;
pub mod text;
pub mod time;
pub mod webhooks;

pub use email::{EmailAddress, EmailError};
pub use keys::{InstanceMode, KeyError, PublishableKey, SecretKey};
pub use lockout::{AuthState, Lockout};
pub use password::{NewPassword, PasswordError};
pub use redirect::{RedirectError, RedirectPolicy, RedirectUrl};
pub use settings::InstanceSettings;
pub use text::{PersonName, TextError, Username};
pub use time::UnixMillis;
