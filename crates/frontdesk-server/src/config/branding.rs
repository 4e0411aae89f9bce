//! The `[branding]` section: how the hosted pages look. Its type is the
//! instance setting's ([`frontdesk_domain::settings::Branding`]), which the
//! first start seeds from this section.

pub use frontdesk_domain::settings::{Branding as BrandingConfig, HexColor};

use super::ConfigError;

/// Check the `[branding]` section; errors name `branding.<key>`.
pub fn validate(branding: &BrandingConfig) -> Result<(), ConfigError> {
    let settings = frontdesk_domain::InstanceSettings {
        branding: branding.clone(),
        ..Default::default()
    };
    settings
        .validate()
        .map_err(|e| ConfigError::new(&e.path, e.reason))
}
