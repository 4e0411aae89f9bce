//! The `[smtp]` section: outgoing mail.

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plaintext throughout: only for a relay on a trusted network or loopback.
    None,
    /// Plaintext, then `STARTTLS`, which is required (no fallback); port 587.
    #[default]
    Starttls,
    /// TLS from the first byte ("implicit TLS", SMTPS); port 465.
    Tls,
}

/// The `[smtp]` section: where outgoing mail goes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// The SMTP server; unset means no SMTP delivery.
    pub host: Option<String>,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: SmtpTls,
    /// Login name, if the server wants one (with `password`).
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<Secret>,
    /// The sender, `Name <address>` or a bare address.
    pub from: String,
    /// Longest a delivery (connect, each command, the whole message) may take.
    pub timeout_secs: u32,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            from: "Frontdesk <no-reply@localhost>".to_owned(),
            timeout_secs: 15,
        }
    }
}

impl SmtpConfig {
    /// Check the `[smtp]` section; errors name `smtp.<key>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(host) = &self.host {
            let bad = host.is_empty()
                || host.contains(|c: char| c.is_whitespace() || c == '/')
                || (host.contains(':') && host.parse::<std::net::Ipv6Addr>().is_err());
            if bad {
                return Err(ConfigError::new(
                    "smtp.host",
                    format!(
                        "`{host}` is not a host name or IP address (the port goes in smtp.port; leave unset for no SMTP delivery)"
                    ),
                ));
            }
        }
        if self.port == 0 {
            return Err(ConfigError::new(
                "smtp.port",
                "must be between 1 and 65535 (587 for starttls, 465 for tls)",
            ));
        }
        if !(1..=600).contains(&self.timeout_secs) {
            return Err(ConfigError::new(
                "smtp.timeout_secs",
                "must be between 1 and 600 seconds",
            ));
        }
        match (&self.username, &self.password) {
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "smtp.password",
                    "must be set when smtp.username is",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "smtp.username",
                    "must be set when smtp.password is",
                ));
            }
            _ => {}
        }
        self.from_mailbox()?;
        Ok(())
    }

    /// `from` as a mailbox.
    pub fn from_mailbox(&self) -> Result<lettre::message::Mailbox, ConfigError> {
        self.from.parse().map_err(|e| {
            ConfigError::new(
                "smtp.from",
                format!(
                    "`{}` is not a mailbox (\"Name <address>\" or an address): {e}",
                    self.from
                ),
            )
        })
    }
}
