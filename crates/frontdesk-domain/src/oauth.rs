//! Sign-in through other identity providers ("Continue with Google"): which
//! ones an instance offers, how each is reached, and when a provider's word
//! about an email address is enough to join its account to an existing
//! user.
//!
//! # When an external account joins an existing user
//!
//! An external account whose email address belongs to a user joins that
//! user only when the provider vouches for the address **and** the user's
//! own address is verified; otherwise the person proves the address with a
//! code first (as Clerk's account linking does). What "vouches" means is
//! per provider, written down in [`Provider::vouches_for`]:
//!
//! | Provider | The address is taken when |
//! |---|---|
//! | Google | `email_verified` is `true` (Google verifies every Gmail and Workspace address) |
//! | GitHub | it is the account's primary address and GitHub marks it `verified` (`GET /user/emails`) |
//! | Microsoft | `xms_edov` is `true` (the tenant proved it owns the domain); `email` alone is any text an admin typed |
//! | Apple | `email_verified` is `true` or `"true"` (Apple verifies, relay addresses included) |
//! | other OpenID Connect | `email_verified` is `true` and the operator has not set `trust_email = false` |
//! | enterprise SSO (a custom provider bound to `domains`) | the address is in one of its domains (the operator made it the authority for them) |

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

/// The providers Frontdesk knows by name, and the generic one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Google,
    GitHub,
    Microsoft,
    Apple,
    /// Any OpenID Connect provider, from its discovery document
    /// (`oauth_custom_<slug>`).
    Custom,
}

/// A social strategy: `oauth_google`, `oauth_custom_corp`, … (Clerk's
/// pattern `^oauth_(custom_)?[a-z0-9_]+$`, for the providers Frontdesk
/// speaks).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OAuthStrategy(String);

/// Why a text is not a strategy Frontdesk offers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a provider Frontdesk offers (oauth_google, oauth_github, oauth_microsoft, oauth_apple or oauth_custom_<slug>)"
)]
pub struct UnknownProvider(pub String);

impl OAuthStrategy {
    pub fn parse(s: &str) -> Result<Self, UnknownProvider> {
        let known = matches!(
            s,
            "oauth_google" | "oauth_github" | "oauth_microsoft" | "oauth_apple"
        );
        let custom = s.strip_prefix("oauth_custom_").is_some_and(|slug| {
            (1..=40).contains(&slug.len())
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
        if known || custom {
            Ok(Self(s.to_owned()))
        } else {
            Err(UnknownProvider(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn provider(&self) -> Provider {
        match self.0.as_str() {
            "oauth_google" => Provider::Google,
            "oauth_github" => Provider::GitHub,
            "oauth_microsoft" => Provider::Microsoft,
            "oauth_apple" => Provider::Apple,
            _ => Provider::Custom,
        }
    }

    /// Clerk's `from_oauth_google` verification strategy of an address the
    /// provider gave.
    pub fn from_strategy(&self) -> String {
        format!("from_{}", self.0)
    }
}

impl fmt::Display for OAuthStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OAuthStrategy {
    type Error = UnknownProvider;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<OAuthStrategy> for String {
    fn from(s: OAuthStrategy) -> Self {
        s.0
    }
}

/// What a provider said about the person, as far as linking cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailClaim {
    pub email: Option<String>,
    /// OpenID Connect's `email_verified` (Apple's `"true"` read as true).
    pub verified: bool,
    /// Microsoft's `xms_edov`: the tenant owns the address's domain.
    pub domain_owner_verified: bool,
    /// GitHub: the address is the account's primary one.
    pub primary: bool,
}

impl Provider {
    /// The name on the button.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::GitHub => "GitHub",
            Self::Microsoft => "Microsoft",
            Self::Apple => "Apple",
            Self::Custom => "OpenID Connect",
        }
    }

    /// Scopes asked for when the operator names none.
    pub fn default_scopes(self) -> &'static [&'static str] {
        match self {
            Self::GitHub => &["read:user", "user:email"],
            Self::Apple => &["openid", "email", "name"],
            _ => &["openid", "email", "profile"],
        }
    }

    /// The issuer whose discovery document gives the endpoints, for the
    /// providers that publish one under a fixed name.
    pub fn default_issuer(self) -> Option<&'static str> {
        match self {
            Self::Google => Some("https://accounts.google.com"),
            Self::Microsoft => Some("https://login.microsoftonline.com/common/v2.0"),
            Self::Apple => Some("https://appleid.apple.com"),
            Self::GitHub | Self::Custom => None,
        }
    }

    /// Whether the provider vouches for `claim.email` (see the module's
    /// table); `trust_email` is the operator's word for custom providers.
    pub fn vouches_for(self, claim: &EmailClaim, trust_email: bool) -> bool {
        if claim.email.as_deref().is_none_or(str::is_empty) {
            return false;
        }
        match self {
            Self::Google | Self::Apple => claim.verified,
            Self::GitHub => claim.verified && claim.primary,
            Self::Microsoft => claim.domain_owner_verified,
            Self::Custom => claim.verified && trust_email,
        }
    }
}

/// One provider an instance offers (`social.<strategy>` in the settings).
/// The client secret is not here: it is kept sealed beside the settings
/// (`client_secret` in a settings change is taken out and stored apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialConnection {
    /// Buttons shown and sign-ins accepted.
    pub enabled: bool,
    pub client_id: String,
    /// Scopes asked for; empty: the provider's defaults.
    pub scopes: Vec<String>,
    /// The OpenID Connect issuer (discovery): required for custom
    /// providers, a tenant's for Microsoft, else the provider's own.
    pub issuer: Option<String>,
    /// The button's name for a custom provider.
    pub name: Option<String>,
    /// The button's icon for a custom provider (clerk-js shows Clerk's own
    /// icons for the named ones).
    pub logo_url: Option<Url>,
    /// Custom providers: whether their `email_verified` joins an account to
    /// the user with that address (see the module's table).
    pub trust_email: bool,
    /// Apple: the developer team and the key whose `.p8` private key is
    /// the connection's secret; the client secret sent to Apple is a JWT
    /// signed with it for each exchange.
    pub team_id: Option<String>,
    pub key_id: Option<String>,
    /// Enterprise SSO (Clerk's `enterprise_sso`): the email domains this
    /// (custom OpenID Connect) connection answers for. Anyone signing in
    /// with an address there is sent to it (no button: the address decides),
    /// and it vouches for addresses in these domains only.
    pub domains: Vec<String>,
}

impl Default for SocialConnection {
    fn default() -> Self {
        Self {
            enabled: false,
            client_id: String::new(),
            scopes: Vec::new(),
            issuer: None,
            name: None,
            logo_url: None,
            trust_email: true,
            team_id: None,
            key_id: None,
            domains: Vec::new(),
        }
    }
}

impl SocialConnection {
    /// The scopes to ask for.
    pub fn scopes_for(&self, provider: Provider) -> Vec<String> {
        if self.scopes.is_empty() {
            provider
                .default_scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            self.scopes.clone()
        }
    }

    /// The issuer to discover, if the provider has one.
    pub fn issuer_for(&self, provider: Provider) -> Option<String> {
        self.issuer
            .clone()
            .or_else(|| provider.default_issuer().map(str::to_owned))
    }

    /// An enterprise connection: bound to email domains, not a button.
    pub fn is_enterprise(&self) -> bool {
        !self.domains.is_empty()
    }

    /// Whether `email` is in one of the connection's domains.
    pub fn covers(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }

    /// The button's name.
    pub fn name_for(&self, provider: Provider) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| provider.display_name().to_owned())
    }
}

/// The providers of an instance, by strategy.
pub type SocialSettings = BTreeMap<OAuthStrategy, SocialConnection>;

/// The enterprise connection that answers for `email`'s domain, if one is
/// on.
pub fn enterprise_connection<'a>(
    social: &'a SocialSettings,
    email: &str,
) -> Option<(&'a OAuthStrategy, &'a SocialConnection)> {
    social
        .iter()
        .find(|(_, c)| c.enabled && c.is_enterprise() && c.covers(email))
}

/// Why a provider's settings cannot work: (the field under `social.<strategy>`, why).
pub fn check_connection(
    strategy: &OAuthStrategy,
    c: &SocialConnection,
) -> Result<(), (&'static str, String)> {
    if !c.enabled {
        return Ok(());
    }
    if c.client_id.trim().is_empty() || c.client_id.len() > 512 {
        return Err(("client_id", "is needed to turn the provider on".to_owned()));
    }
    let provider = strategy.provider();
    if provider == Provider::Custom && c.issuer.is_none() {
        return Err((
            "issuer",
            "is needed for a custom OpenID Connect provider (its discovery document is read from it)".to_owned(),
        ));
    }
    if let Some(issuer) = &c.issuer {
        let ok = Url::parse(issuer).is_ok_and(|u| {
            u.scheme() == "https"
                || (u.scheme() == "http"
                    && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
        });
        if !ok {
            return Err((
                "issuer",
                format!("`{issuer}` must be an https URL (http only on loopback)"),
            ));
        }
    }
    if !c.domains.is_empty() && provider != Provider::Custom {
        return Err((
            "domains",
            "bind only a custom OpenID Connect provider (oauth_custom_<slug>) to email domains"
                .to_owned(),
        ));
    }
    if let Some(bad) = c.domains.iter().find(|d| {
        d.len() > 253
            || !d.contains('.')
            || d.starts_with('.')
            || !d
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    }) {
        return Err((
            "domains",
            format!("`{bad}` is not a domain name (lowercase, like corp.example)"),
        ));
    }
    if provider == Provider::Apple {
        for (field, value) in [("team_id", &c.team_id), ("key_id", &c.key_id)] {
            if value.as_deref().is_none_or(|v| {
                v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric())
            }) {
                return Err((
                    field,
                    "is needed for Apple (letters and digits, from Apple's developer account)"
                        .to_owned(),
                ));
            }
        }
    }
    if c.scopes.iter().any(|s| s.is_empty() || s.contains(' ')) {
        return Err(("scopes", "are single words".to_owned()));
    }
    if c.name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 64)
    {
        return Err(("name", "must be 1 to 64 characters".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strategies_are_the_known_providers_and_custom_slugs() {
        for ok in [
            "oauth_google",
            "oauth_github",
            "oauth_microsoft",
            "oauth_apple",
            "oauth_custom_corp_1",
        ] {
            assert!(OAuthStrategy::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "oauth_facebook",
            "oauth_custom_",
            "oauth_custom_Corp",
            "google",
            "oauth_custom_a-b",
            "",
        ] {
            assert!(OAuthStrategy::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            OAuthStrategy::parse("oauth_custom_x").unwrap().provider(),
            Provider::Custom
        );
        assert_eq!(
            OAuthStrategy::parse("oauth_google")
                .unwrap()
                .from_strategy(),
            "from_oauth_google"
        );
    }

    #[test]
    fn each_provider_vouches_by_its_own_rule() {
        let claim = |verified, edov, primary| EmailClaim {
            email: Some("ada@example.com".into()),
            verified,
            domain_owner_verified: edov,
            primary,
        };
        assert!(Provider::Google.vouches_for(&claim(true, false, false), true));
        assert!(!Provider::Google.vouches_for(&claim(false, false, false), true));
        assert!(Provider::GitHub.vouches_for(&claim(true, false, true), true));
        assert!(
            !Provider::GitHub.vouches_for(&claim(true, false, false), true),
            "not primary"
        );
        assert!(
            !Provider::Microsoft.vouches_for(&claim(true, false, false), true),
            "email_verified alone"
        );
        assert!(Provider::Microsoft.vouches_for(&claim(false, true, false), true));
        assert!(Provider::Custom.vouches_for(&claim(true, false, false), true));
        assert!(
            !Provider::Custom.vouches_for(&claim(true, false, false), false),
            "operator said no"
        );
        let none = EmailClaim {
            email: None,
            ..claim(true, true, true)
        };
        assert!(!Provider::Apple.vouches_for(&none, true));
    }

    #[test]
    fn an_enabled_connection_needs_what_it_uses() {
        let google = OAuthStrategy::parse("oauth_google").unwrap();
        let custom = OAuthStrategy::parse("oauth_custom_corp").unwrap();
        let on = |client: &str, issuer: Option<&str>| SocialConnection {
            enabled: true,
            client_id: client.into(),
            issuer: issuer.map(str::to_owned),
            ..SocialConnection::default()
        };
        assert!(check_connection(&google, &on("id", None)).is_ok());
        assert_eq!(
            check_connection(&google, &on("", None)).unwrap_err().0,
            "client_id"
        );
        assert_eq!(
            check_connection(&custom, &on("id", None)).unwrap_err().0,
            "issuer"
        );
        assert_eq!(
            check_connection(&custom, &on("id", Some("http://idp.example")))
                .unwrap_err()
                .0,
            "issuer"
        );
        assert!(check_connection(&custom, &on("id", Some("http://127.0.0.1:5555"))).is_ok());
        assert!(
            check_connection(&custom, &SocialConnection::default()).is_ok(),
            "off needs nothing"
        );
    }
}
