//! The `[branding]` section: how the hosted pages look.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use super::ConfigError;

/// A CSS colour as `#rgb` or `#rrggbb`. Parsed once, so it can be written
/// into a stylesheet without escaping: nothing else gets through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexColor(String);

impl TryFrom<String> for HexColor {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let digits = text.strip_prefix('#').unwrap_or("");
        if matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(format!(
                "`{text}` is not a colour; write it as #rrggbb or #rgb"
            ))
        }
    }
}

impl From<HexColor> for String {
    fn from(c: HexColor) -> String {
        c.0
    }
}

impl fmt::Display for HexColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `[branding]` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrandingConfig {
    /// Shown in page titles, headings and mail; also a word passwords must
    /// not be built from.
    pub application_name: String,
    /// An image shown above every hosted page; unset: the name alone.
    pub logo_url: Option<Url>,
    /// Buttons, links and focus rings.
    pub primary_color: HexColor,
}

impl Default for BrandingConfig {
    fn default() -> Self {
        Self {
            application_name: "Frontdesk".to_owned(),
            logo_url: None,
            primary_color: HexColor("#4f46e5".to_owned()),
        }
    }
}

impl BrandingConfig {
    /// Check the `[branding]` section; errors name `branding.<key>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let name = self.application_name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(ConfigError::new(
                "branding.application_name",
                "must be 1 to 64 printable characters",
            ));
        }
        if let Some(url) = &self.logo_url
            && !matches!(url.scheme(), "https" | "http")
        {
            return Err(ConfigError::new(
                "branding.logo_url",
                format!("`{url}` must be an http(s) URL"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_hex_only() {
        assert!(HexColor::try_from("#A1b2C3".to_owned()).is_ok());
        assert!(HexColor::try_from("#abc".to_owned()).is_ok());
        for bad in ["red", "#abcd", "#ggg", "#fff;} body{x:y", ""] {
            assert!(HexColor::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
