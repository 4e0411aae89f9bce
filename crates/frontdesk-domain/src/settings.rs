//! Instance settings: what Clerk's dashboard toggles, stored per instance in
//! the database so that every node reads the same and a change needs no
//! restart.
//!
//! One document, validated as a whole ([`InstanceSettings::validate`]) after
//! every change. Clerk's own Backend API edits parts of it
//! (`PATCH /v1/instance`, `/v1/instance/restrictions`,
//! `/v1/instance/organization_settings`); the rest is edited through
//! Frontdesk's `/v1/instance/settings` and `frontdesk settings`. The first
//! start seeds it from the configuration file.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

/// The shortest password an instance may allow (NIST 800-63B).
pub const MIN_PASSWORD_LENGTH_FLOOR: u32 = 8;

/// Every setting of an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceSettings {
    /// `+clerk_test` addresses receive no mail and take the code 424242.
    pub test_mode: bool,
    /// Where users can write for help (shown on the hosted pages).
    pub support_email: Option<String>,
    /// Origins of the apps that may receive sessions (handshake, redirects
    /// after sign-in, credentialed CORS). Development instances also accept
    /// any loopback origin.
    pub allowed_origins: Vec<String>,
    /// Recorded as Clerk records them; Frontdesk serves the clerk-js it has
    /// installed and always syncs development sessions through the URL.
    pub clerk_js_version: Option<String>,
    pub development_origin: Option<String>,
    pub url_based_session_syncing: bool,
    pub preferred_sign_in_strategy_when_password_required: Option<String>,
    /// Refuse accounts to anyone whose existence a form would otherwise
    /// reveal (see `hide_user_existence` in frontdesk.toml).
    pub hide_user_existence: bool,
    pub sign_in: SignInSettings,
    pub sign_up: SignUpSettings,
    pub mfa: MfaSettings,
    pub passwords: PasswordSettings,
    pub sessions: SessionSettings,
    pub branding: Branding,
    pub restrictions: Restrictions,
    pub organizations: OrganizationSettings,
    pub paths: Paths,
    /// Identity providers users may sign in with, by strategy
    /// (`oauth_google`, `oauth_custom_corp`, …); client secrets are kept
    /// sealed apart from this document.
    pub social: crate::oauth::SocialSettings,
    /// The wording of the mail Frontdesk sends; unset, the built-in one.
    pub emails: crate::email_templates::EmailTemplates,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        Self {
            test_mode: true,
            support_email: None,
            allowed_origins: Vec::new(),
            clerk_js_version: None,
            development_origin: None,
            url_based_session_syncing: true,
            preferred_sign_in_strategy_when_password_required: None,
            hide_user_existence: false,
            sign_in: SignInSettings::default(),
            sign_up: SignUpSettings::default(),
            mfa: MfaSettings::default(),
            passwords: PasswordSettings::default(),
            sessions: SessionSettings::default(),
            branding: Branding::default(),
            restrictions: Restrictions::default(),
            organizations: OrganizationSettings::default(),
            paths: Paths::default(),
            social: crate::oauth::SocialSettings::new(),
            emails: crate::email_templates::EmailTemplates::default(),
        }
    }
}

/// How users may sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInSettings {
    /// A code mailed to the address, instead of the password.
    pub email_code: bool,
    /// Passkeys (WebAuthn): users may register them and sign in with one.
    pub passkey: bool,
    /// The relying party passkeys are bound to. Unset: the host of the page
    /// that registers or uses the passkey (the app, or the hosted pages).
    /// Set it to the registrable domain the app and Frontdesk share (say
    /// `example.com` for `app.example.com` and `auth.example.com`) so that
    /// one passkey works on both.
    pub passkey_rp_id: Option<String>,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            email_code: true,
            passkey: true,
            passkey_rp_id: None,
        }
    }
}

/// Second factors: which ones users may add, and whether everyone must.
///
/// New instances offer every factor; each user opts in. With `required`,
/// a user without a second factor is sent to add one after signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MfaSettings {
    /// An authenticator app (TOTP, RFC 6238).
    pub totp: bool,
    /// One-time recovery codes, offered once a real second factor exists.
    pub backup_codes: bool,
    /// Every user must have a second factor.
    pub required: bool,
}

impl Default for MfaSettings {
    fn default() -> Self {
        Self {
            totp: true,
            backup_codes: true,
            required: false,
        }
    }
}

impl MfaSettings {
    /// Whether any second factor can be added at all.
    pub fn any(&self) -> bool {
        self.totp
    }
}

/// An optional attribute of a user, as Clerk's "User & authentication"
/// settings have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Attribute {
    /// Offered on the sign-up form.
    pub enabled: bool,
    /// A sign-up cannot complete without it.
    pub required: bool,
}

impl Default for Attribute {
    fn default() -> Self {
        Self {
            enabled: true,
            required: false,
        }
    }
}

/// Who may sign up, and what they give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignUpSettings {
    /// Anyone may sign up (`public`), or no one through the forms
    /// (`restricted`: accounts are made through the Backend API).
    pub mode: SignUpMode,
    pub first_name: Attribute,
    pub last_name: Attribute,
    pub username: Attribute,
}

impl Default for SignUpSettings {
    fn default() -> Self {
        Self {
            mode: SignUpMode::Public,
            first_name: Attribute::default(),
            last_name: Attribute::default(),
            username: Attribute {
                enabled: false,
                required: false,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignUpMode {
    Public,
    Restricted,
}

impl SignUpMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Restricted => "restricted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordSettings {
    /// In characters; at least [`MIN_PASSWORD_LENGTH_FLOOR`].
    pub min_length: u32,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self { min_length: 8 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// A session ends this long after it started (Clerk: 7 days).
    pub lifetime_secs: u32,
    /// A session ends after this long without activity; 0: never.
    pub inactivity_timeout_secs: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            lifetime_secs: 604_800,
            inactivity_timeout_secs: 0,
        }
    }
}

/// How the hosted pages and mail look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Branding {
    /// Shown in page titles, headings and mail; also a word passwords must
    /// not be built from.
    pub application_name: String,
    /// An image shown above every hosted page; unset: the name alone.
    pub logo_url: Option<Url>,
    /// Buttons, links and focus rings.
    pub primary_color: HexColor,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            application_name: "Frontdesk".to_owned(),
            logo_url: None,
            primary_color: HexColor("#4f46e5".to_owned()),
        }
    }
}

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

impl HexColor {
    /// Red, green and blue, each 0–255 (`#abc` is `#aabbcc`).
    pub fn rgb(&self) -> [u8; 3] {
        let digits = self.0.trim_start_matches('#');
        let channel = |s: &str| u8::from_str_radix(s, 16).unwrap_or(0);
        if digits.len() == 3 {
            let d: Vec<String> = digits.chars().map(|c| format!("{c}{c}")).collect();
            [channel(&d[0]), channel(&d[1]), channel(&d[2])]
        } else {
            [
                channel(&digits[0..2]),
                channel(&digits[2..4]),
                channel(&digits[4..6]),
            ]
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

/// Where the app's own sign-in and sign-up pages are (Clerk's component
/// paths): `display_config` sends clerk-js there, and the link in an
/// invitation email leads there with its ticket. `None`: Frontdesk's
/// hosted pages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    pub sign_in_url: Option<Url>,
    pub sign_up_url: Option<Url>,
}

/// Clerk's sign-up restrictions (`/v1/instance/restrictions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Restrictions {
    pub allowlist: bool,
    pub blocklist: bool,
    pub allowlist_blocklist_disabled_on_sign_in: bool,
    /// Refuse sign-ups with `+tag` addresses (`alice+1@example.com`), which
    /// would let one mailbox hold many accounts.
    pub block_email_subaddresses: bool,
    pub block_disposable_email_domains: bool,
}

/// Clerk's organization settings (`/v1/instance/organization_settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrganizationSettings {
    pub enabled: bool,
    /// 0: unlimited.
    pub max_allowed_memberships: u32,
    pub admin_delete_enabled: bool,
    pub domains_enabled: bool,
    pub slug_disabled: bool,
    pub domains_enrollment_modes: Vec<String>,
    pub creator_role: String,
    pub domains_default_role: String,
}

impl Default for OrganizationSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            max_allowed_memberships: 0,
            admin_delete_enabled: true,
            domains_enabled: false,
            slug_disabled: false,
            domains_enrollment_modes: Vec::new(),
            creator_role: "org:admin".to_owned(),
            domains_default_role: "org:member".to_owned(),
        }
    }
}

/// A setting that cannot be: which one (a dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct SettingError {
    pub path: String,
    pub reason: String,
}

impl SettingError {
    pub fn new(path: &str, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What a feature needs that this version does not have.
const NOT_AVAILABLE: &str = "is not available in this version of Frontdesk";

impl InstanceSettings {
    /// Check the whole document. Features Frontdesk does not have yet cannot
    /// be switched on: a toggle that does nothing would say the instance is
    /// protected when it is not.
    pub fn validate(&self) -> Result<(), SettingError> {
        if self.passwords.min_length < MIN_PASSWORD_LENGTH_FLOOR || self.passwords.min_length > 256
        {
            return Err(SettingError::new(
                "passwords.min_length",
                format!("must be from {MIN_PASSWORD_LENGTH_FLOOR} to 256"),
            ));
        }
        if self.sessions.lifetime_secs < 60 {
            return Err(SettingError::new(
                "sessions.lifetime_secs",
                "must be at least 60",
            ));
        }
        if self.mfa.required && !self.mfa.any() {
            return Err(SettingError::new(
                "mfa.required",
                "needs a second factor users can add (mfa.totp)",
            ));
        }
        let name = self.branding.application_name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(SettingError::new(
                "branding.application_name",
                "must be 1 to 64 printable characters",
            ));
        }
        if let Some(url) = &self.branding.logo_url
            && !matches!(url.scheme(), "https" | "http")
        {
            return Err(SettingError::new(
                "branding.logo_url",
                format!("`{url}` must be an http(s) URL"),
            ));
        }
        self.emails
            .check()
            .map_err(|(path, why)| SettingError::new(&path, why))?;
        for (strategy, connection) in &self.social {
            crate::oauth::check_connection(strategy, connection).map_err(|(field, why)| {
                SettingError::new(&format!("social.{strategy}.{field}"), why)
            })?;
        }
        for origin in &self.allowed_origins {
            let ok = Url::parse(origin)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(SettingError::new(
                    "allowed_origins",
                    format!("`{origin}` is not an http(s) origin"),
                ));
            }
        }
        if let Some(email) = &self.support_email
            && email.parse::<crate::EmailAddress>().is_err()
        {
            return Err(SettingError::new(
                "support_email",
                format!("`{email}` is not an email address"),
            ));
        }
        for (path, attr) in [
            ("sign_up.first_name", self.sign_up.first_name),
            ("sign_up.last_name", self.sign_up.last_name),
            ("sign_up.username", self.sign_up.username),
        ] {
            if attr.required && !attr.enabled {
                return Err(SettingError::new(
                    path,
                    "cannot be required when not enabled",
                ));
            }
        }
        for (path, url) in [
            ("paths.sign_in_url", &self.paths.sign_in_url),
            ("paths.sign_up_url", &self.paths.sign_up_url),
        ] {
            if let Some(u) = url
                && (!matches!(u.scheme(), "http" | "https")
                    || !u.username().is_empty()
                    || u.password().is_some())
            {
                return Err(SettingError::new(
                    path,
                    "must be an http(s) URL without credentials",
                ));
            }
        }
        for m in &self.organizations.domains_enrollment_modes {
            if crate::organizations::EnrollmentMode::parse(m).is_none() {
                return Err(SettingError::new(
                    "organizations.domains_enrollment_modes",
                    format!(
                        "`{m}` is not one of manual_invitation, automatic_invitation, automatic_suggestion"
                    ),
                ));
            }
        }
        let r = &self.restrictions;
        for (path, on) in [
            ("restrictions.allowlist", r.allowlist),
            ("restrictions.blocklist", r.blocklist),
            (
                "restrictions.block_disposable_email_domains",
                r.block_disposable_email_domains,
            ),
        ] {
            if on {
                return Err(SettingError::new(path, NOT_AVAILABLE));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(InstanceSettings::default().validate(), Ok(()));
    }

    #[test]
    fn colours_are_hex_only() {
        assert!(HexColor::try_from("#A1b2C3".to_owned()).is_ok());
        assert!(HexColor::try_from("#abc".to_owned()).is_ok());
        for bad in ["red", "#abcd", "#ggg", "#fff;} body{x:y", ""] {
            assert!(HexColor::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_shorter_than_nist_allows_are_refused() {
        let mut s = InstanceSettings::default();
        s.passwords.min_length = 6;
        assert_eq!(
            s.validate().expect_err("refused").path,
            "passwords.min_length"
        );
    }

    #[test]
    fn features_that_do_not_exist_cannot_be_switched_on() {
        let mut s = InstanceSettings::default();
        s.restrictions.allowlist = true;
        assert_eq!(
            s.validate().expect_err("refused").path,
            "restrictions.allowlist"
        );
    }

    #[test]
    fn a_stored_document_missing_new_keys_reads_with_defaults() {
        let s: InstanceSettings =
            serde_json::from_str(r#"{"passwords": {"min_length": 12}}"#).expect("parses");
        assert_eq!(s.passwords.min_length, 12);
        assert_eq!(s.sessions, SessionSettings::default());
    }
}
