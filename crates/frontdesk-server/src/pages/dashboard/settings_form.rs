//! The settings form's fields, by name: filled from the stored settings
//! for a page, or as posted; turned into one JSON merge patch for
//! [`crate::engine::admin::change_settings`]. A refused form is shown again
//! from what was posted, so nothing typed is lost.
//!
//! A provider's fields are `<strategy>.<field>` (`oauth_google.client_id`);
//! its client secret is write-only: never shown, sent only when typed.

use std::collections::BTreeMap;

use frontdesk_domain::InstanceSettings;
use frontdesk_domain::email_templates::MessageKind;
use frontdesk_domain::oauth::{OAuthStrategy, Provider, SocialConnection};
use frontdesk_domain::settings::Attribute;
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The providers the page always lists, whether on or not.
pub const NAMED: [&str; 4] = [
    "oauth_google",
    "oauth_github",
    "oauth_microsoft",
    "oauth_apple",
];

/// The prefix of the fields that add a custom OpenID Connect provider.
pub const NEW_CUSTOM: &str = "new_custom";

/// A duration field: typed in `unit`s, stored in seconds at `param`, the
/// stored seconds carried in the hidden field `stored`.
#[derive(Debug, Clone, Copy)]
pub struct Duration {
    pub name: &'static str,
    pub stored: &'static str,
    pub unit: u64,
    pub param: &'static str,
    pub label: &'static str,
}

pub const LIFETIME: Duration = Duration {
    name: "lifetime_hours",
    stored: "lifetime_secs_stored",
    unit: 3600,
    param: "sessions.lifetime_secs",
    label: "Session lifetime",
};

pub const INACTIVITY: Duration = Duration {
    name: "inactivity_minutes",
    stored: "inactivity_secs_stored",
    unit: 60,
    param: "sessions.inactivity_timeout_secs",
    label: "Inactivity timeout",
};

/// Form fields by name; a ticked checkbox is present, an unticked one is
/// not.
#[derive(Debug, Default, Clone)]
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    pub fn on(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    fn tick(&mut self, name: &str, on: bool) {
        if on {
            self.set(name, "on");
        }
    }

    /// The fields as the stored settings fill them.
    pub fn from_settings(s: &InstanceSettings) -> Self {
        let mut f = Self::default();
        f.set("application_name", s.branding.application_name.clone());
        f.set("primary_color", s.branding.primary_color.to_string());
        f.tick("email_code", s.sign_in.email_code);
        f.tick("passkey", s.sign_in.passkey);
        f.set("sign_up_mode", s.sign_up.mode.as_str());
        for (name, a) in [
            ("first_name", s.sign_up.first_name),
            ("last_name", s.sign_up.last_name),
            ("username", s.sign_up.username),
        ] {
            f.set(name, attribute_choice(a));
        }
        f.tick("mfa_totp", s.mfa.totp);
        f.tick("mfa_backup_codes", s.mfa.backup_codes);
        f.tick("mfa_required", s.mfa.required);
        f.set("min_length", s.passwords.min_length.to_string());
        for (field, secs) in [
            (LIFETIME, s.sessions.lifetime_secs),
            (INACTIVITY, s.sessions.inactivity_timeout_secs),
        ] {
            f.set(field.name, (u64::from(secs) / field.unit).to_string());
            f.set(field.stored, secs.to_string());
        }
        f.set("allowed_origins", s.allowed_origins.join("\n"));
        for kind in MessageKind::ALL {
            let t = s.emails.get(kind);
            for (field, value) in [
                ("subject", t.map(|t| t.subject.as_str())),
                ("body", t.map(|t| t.body.as_str())),
            ] {
                f.set(template_field(kind, field), value.unwrap_or_default());
            }
        }
        for strategy in strategies(s) {
            let c = s
                .social
                .get(&strategy)
                .cloned()
                .unwrap_or_else(SocialConnection::default);
            let k = |field: &str| format!("{strategy}.{field}");
            f.tick(&k("stored"), s.social.contains_key(&strategy));
            f.tick(&k("enabled"), c.enabled);
            f.set(k("client_id"), c.client_id);
            for (field, value) in [
                ("issuer", c.issuer),
                ("name", c.name),
                ("team_id", c.team_id),
                ("key_id", c.key_id),
            ] {
                f.set(k(field), value.unwrap_or_default());
            }
        }
        f
    }

    /// The merge patch this form makes.
    pub fn patch(&self) -> Result<Value, ApiError> {
        let origins: Vec<&str> = self
            .get("allowed_origins")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut patch = json!({
            "branding": {
                "application_name": self.get("application_name").trim(),
                "primary_color": self.get("primary_color").trim(),
            },
            "sign_in": {"email_code": self.on("email_code"), "passkey": self.on("passkey")},
            "mfa": {
                "totp": self.on("mfa_totp"),
                "backup_codes": self.on("mfa_backup_codes"),
                "required": self.on("mfa_required"),
            },
            "passwords": {"min_length": self.number("min_length", "passwords.min_length", "Minimum length")?},
            "sessions": {
                "lifetime_secs": self.duration(LIFETIME)?,
                "inactivity_timeout_secs": self.duration(INACTIVITY)?,
            },
            "allowed_origins": origins,
        });
        if self.on("sign_up_mode") {
            patch["sign_up"] = self.sign_up()?;
        }
        if self.on(&template_field(MessageKind::VerificationCode, "subject")) {
            patch["emails"] = self.emails();
        }
        let social = self.social()?;
        if !social.is_empty() {
            patch["social"] = Value::Object(social);
        }
        Ok(patch)
    }

    /// A duration typed in whole units. The form shows a stored duration
    /// rounded down to its unit; sent back as shown, the stored seconds
    /// are kept (90 minutes saved with an unrelated change stays 90
    /// minutes, not one hour).
    fn duration(&self, field: Duration) -> Result<u64, ApiError> {
        let typed = self.number(field.name, field.param, field.label)?;
        match self.get(field.stored).parse::<u64>() {
            Ok(stored) if stored / field.unit == typed => Ok(stored),
            _ => Ok(typed.saturating_mul(field.unit)),
        }
    }

    /// A duration stored in seconds that is not a whole number of the
    /// unit its field is shown in: the seconds, to say so beside it.
    pub fn inexact(&self, field: Duration) -> Option<u64> {
        self.get(field.stored)
            .parse::<u64>()
            .ok()
            .filter(|s| s % field.unit != 0)
    }

    fn number(&self, field: &str, param: &str, label: &str) -> Result<u64, ApiError> {
        self.get(field).trim().parse::<u64>().map_err(|_| {
            ApiError::bad_param(
                param,
                "form_param_format_invalid",
                format!("{label} must be a whole number."),
            )
        })
    }

    /// Each message's template; both fields empty: the built-in wording
    /// (`null` removes the template).
    fn emails(&self) -> Value {
        let mut out = Map::new();
        for kind in MessageKind::ALL {
            let subject = self.get(&template_field(kind, "subject")).trim();
            let body = self.get(&template_field(kind, "body")).trim();
            let value = if subject.is_empty() && body.is_empty() {
                Value::Null
            } else {
                json!({"subject": subject, "body": body})
            };
            out.insert(kind.key().to_owned(), value);
        }
        Value::Object(out)
    }

    fn sign_up(&self) -> Result<Value, ApiError> {
        let mode = match self.get("sign_up_mode") {
            m @ ("public" | "restricted") => m,
            _ => {
                return Err(ApiError::bad_param(
                    "sign_up.mode",
                    "form_param_value_invalid",
                    "Who may sign up must be anyone or no one.",
                ));
            }
        };
        let mut out = json!({ "mode": mode });
        for name in ["first_name", "last_name", "username"] {
            let (enabled, required) = match self.get(name) {
                "off" => (false, false),
                "optional" => (true, false),
                "required" => (true, true),
                _ => {
                    return Err(ApiError::bad_param(
                        &format!("sign_up.{name}"),
                        "form_param_value_invalid",
                        "Each sign-up field is off, optional or required.",
                    ));
                }
            };
            out[name] = json!({"enabled": enabled, "required": required});
        }
        Ok(out)
    }

    /// `social.<strategy>` for each provider whose fields were posted, and
    /// a new custom one when its slug is filled in.
    fn social(&self) -> Result<Map<String, Value>, ApiError> {
        let mut out = Map::new();
        let posted = self
            .0
            .keys()
            .filter_map(|k| k.strip_suffix(".client_id"))
            .filter(|k| *k != NEW_CUSTOM);
        for raw in posted {
            let strategy = parse_strategy(raw, raw)?;
            let enabled = self.on(&format!("{raw}.enabled"));
            // A provider never set up and left blank is not written.
            let blank = ["client_id", "client_secret"]
                .iter()
                .all(|f| self.get(&format!("{raw}.{f}")).trim().is_empty());
            if !enabled && blank && !self.on(&format!("{raw}.stored")) {
                continue;
            }
            out.insert(strategy.to_string(), self.connection(raw, enabled));
        }
        let slug = self.get(&format!("{NEW_CUSTOM}.slug")).trim();
        if !slug.is_empty() {
            let strategy = parse_strategy(&format!("oauth_custom_{slug}"), "new_custom.slug")?;
            if out.contains_key(strategy.as_str()) {
                return Err(ApiError::bad_param(
                    "new_custom.slug",
                    "form_param_value_invalid",
                    format!("A provider named {strategy} is already set up."),
                ));
            }
            out.insert(strategy.to_string(), self.connection(NEW_CUSTOM, true));
        }
        Ok(out)
    }

    /// One provider's patch from the fields under `prefix`: blanks are
    /// unset, and the secret only when one was typed.
    fn connection(&self, prefix: &str, enabled: bool) -> Value {
        let field = |f: &str| self.get(&format!("{prefix}.{f}")).trim().to_owned();
        let optional = |f: &str| {
            let v = field(f);
            if v.is_empty() { Value::Null } else { json!(v) }
        };
        let mut c = json!({
            "enabled": enabled,
            "client_id": field("client_id"),
            "issuer": optional("issuer"),
            "name": optional("name"),
            "team_id": optional("team_id"),
            "key_id": optional("key_id"),
        });
        // Pasted `.p8` keys keep their line breaks; other secrets are one
        // token.
        let secret = self.get(&format!("{prefix}.client_secret")).trim();
        if !secret.is_empty() {
            c["client_secret"] = json!(secret);
        }
        c
    }
}

fn parse_strategy(raw: &str, param: &str) -> Result<OAuthStrategy, ApiError> {
    OAuthStrategy::parse(raw).map_err(|e| {
        ApiError::bad_param(
            param,
            "form_param_value_invalid",
            format!("{e}. Use lowercase letters, digits and _."),
        )
    })
}

/// `emails.<message>.<field>`.
pub fn template_field(kind: MessageKind, field: &str) -> String {
    format!("emails.{}.{field}", kind.key())
}

/// `off`, `optional` or `required`.
pub fn attribute_choice(a: Attribute) -> &'static str {
    match (a.enabled, a.required) {
        (false, _) => "off",
        (true, false) => "optional",
        (true, true) => "required",
    }
}

/// The providers the page lists: the named ones, then the custom ones set
/// up.
pub fn strategies(s: &InstanceSettings) -> Vec<OAuthStrategy> {
    let mut out: Vec<OAuthStrategy> = NAMED
        .iter()
        .filter_map(|n| OAuthStrategy::parse(n).ok())
        .collect();
    out.extend(
        s.social
            .keys()
            .filter(|k| k.provider() == Provider::Custom)
            .cloned(),
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_stored_settings_make_a_form_that_changes_nothing() {
        let s = InstanceSettings::default();
        let f = Fields::from_settings(&s);
        let patch = f.patch().unwrap();
        assert_eq!(
            patch["sign_up"]["username"],
            json!({"enabled": false, "required": false})
        );
        assert!(
            patch.get("social").is_none(),
            "no provider was set up: {patch}"
        );
    }

    #[test]
    fn a_secret_is_sent_only_when_typed_and_a_custom_provider_is_added_by_slug() {
        let f = posted(&[
            ("min_length", "8"),
            ("lifetime_hours", "1"),
            ("inactivity_minutes", "0"),
            ("oauth_github.enabled", "on"),
            ("oauth_github.client_id", "Iv1.abc"),
            ("oauth_github.client_secret", "  s3cret "),
            ("oauth_google.client_id", ""),
            ("oauth_google.client_secret", ""),
            ("oauth_apple.stored", "on"),
            ("oauth_apple.client_id", ""),
            ("new_custom.slug", "corp"),
            ("new_custom.issuer", "https://id.corp.example"),
            ("new_custom.client_id", "frontdesk"),
        ]);
        let p = f.patch().unwrap();
        assert_eq!(p["social"]["oauth_github"]["client_secret"], "s3cret");
        assert_eq!(p["social"]["oauth_github"]["enabled"], true);
        assert!(
            p["social"].get("oauth_google").is_none(),
            "never set up, left blank"
        );
        assert_eq!(
            p["social"]["oauth_apple"]["enabled"], false,
            "set up, turned off"
        );
        assert_eq!(
            p["social"]["oauth_custom_corp"]["issuer"],
            "https://id.corp.example"
        );
        assert_eq!(p["social"]["oauth_custom_corp"]["enabled"], true);
        assert!(p.get("sign_up").is_none(), "not posted, not changed");
    }

    #[test]
    fn templates_left_empty_are_the_built_in_wording() {
        let f = posted(&[
            ("min_length", "8"),
            ("lifetime_hours", "1"),
            ("inactivity_minutes", "0"),
            ("emails.verification_code.subject", "Your code"),
            ("emails.verification_code.body", "It is {{code}}."),
            ("emails.invitation.subject", ""),
            ("emails.invitation.body", " "),
        ]);
        let p = f.patch().unwrap();
        assert_eq!(p["emails"]["verification_code"]["body"], "It is {{code}}.");
        assert_eq!(p["emails"]["invitation"], Value::Null);
    }

    #[test]
    fn bad_names_and_choices_are_refused_by_field() {
        let base = [
            ("min_length", "8"),
            ("lifetime_hours", "1"),
            ("inactivity_minutes", "0"),
        ];
        let mut f = posted(&base);
        f.set("new_custom.slug", "Corp Inc");
        assert!(f.patch().is_err());
        let mut f = posted(&base);
        f.set("sign_up_mode", "everyone");
        assert!(f.patch().is_err());
        let mut f = posted(&base);
        f.set("sign_up_mode", "public");
        f.set("first_name", "maybe");
        assert!(f.patch().is_err());
    }
}
