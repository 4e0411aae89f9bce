//! Outgoing email.
//!
//! Requests never talk to the mail server: they queue the message
//! ([`outbox::send_code`]) in the database, and a worker in every node
//! ([`outbox::worker`]) delivers it over SMTP with retries. So a request for a
//! code answers in the same time, with the same status, whether or not the
//! address has an account and whether the mail server is fast, slow or down
//! (findings F5, F6). Codes sent to one address are limited per window.
//!
//! Development instances keep every message in the dev mailbox
//! (`GET /v1/dev/emails`), written with the queued row, so local users and
//! tests read codes without a mail server. Addresses containing `+clerk_test`
//! get no mail at all: they accept the fixed code 424242, as on Clerk's
//! development instances. With `[smtp] host` set, every message is also
//! delivered over SMTP, in either mode, by the [`Mailer`] built once at
//! start-up.

pub mod outbox;

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use outbox::{
    Purpose, invitation_within_quota, inviter_within_quota, queue, send_code, worker,
};

use frontdesk_domain::email_templates::MessageTemplate;

use crate::config::{ConfigError, SmtpConfig, SmtpTls};
use crate::state::AppState;

/// The code `+clerk_test` addresses accept while the instance is in test mode
/// (`test_mode`, on by default on development instances).
pub const TEST_CODE: &str = "424242";

/// Whether `address` is a test address whose code is [`TEST_CODE`].
pub fn is_test_address(state: &AppState, address: &str) -> bool {
    state.settings().settings.test_mode && address.contains("+clerk_test")
}

/// A rendered message: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A notice to the owner of an address that someone tried to sign up with it
/// (sent instead of a code when `hide_user_existence` is on).
pub fn taken_email(app: &str) -> Email {
    let text = format!(
        "Someone tried to create an account with this email address, which already has one.\n\n\
         If it was you, sign in instead, or reset your password if you forgot it. \
         If it was not you, ignore this email.\n\n— {app}\n"
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Someone tried to create an account \
         with this email address, which already has one.</p><p>If it was you, sign in instead, or reset your \
         password if you forgot it. If it was not you, ignore this email.</p><p>— {}</p></body></html>",
        escape_html(app)
    );
    Email {
        subject: "You already have an account".to_owned(),
        text,
        html,
    }
}

/// A message in the instance's own wording (`emails` in the settings):
/// the plain text as rendered, and its HTML the same text escaped,
/// paragraph by paragraph.
fn from_template(t: &MessageTemplate, values: &[(&str, &str)]) -> Email {
    let (subject, text) = t.render(values);
    let paragraphs: String = text
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p.trim()).replace('\n', "<br>")))
        .collect();
    Email {
        subject,
        text: format!("{}\n", text.trim_end()),
        html: format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\">{paragraphs}</body></html>"
        ),
    }
}

/// An invitation to join an organization: who invites, to what, and the
/// link that accepts (it carries the ticket; the only copy outside the
/// recipient's mailbox is its hash). In the instance's wording when it has
/// one.
pub fn invitation_email(
    org: &str,
    inviter: Option<&str>,
    url: &str,
    days: i64,
    app: &str,
    template: Option<&MessageTemplate>,
) -> Email {
    if let Some(t) = template {
        let days = days.to_string();
        return from_template(
            t,
            &[
                ("org", org),
                ("inviter", inviter.unwrap_or("Someone")),
                ("url", url),
                ("days", &days),
                ("app", app),
            ],
        );
    }
    let who = inviter.map_or_else(|| "You have been".to_owned(), |i| format!("{i} has"));
    let text = format!(
        "{who} invited you to join {org} on {app}.\n\nAccept the invitation: {url}\n\n\
         The link expires in {days} days. If you did not expect it, ignore this email.\n\n— {app}\n"
    );
    let (who_h, org_h, url_h, app_h) = (
        escape_html(&who),
        escape_html(org),
        escape_html(url),
        escape_html(app),
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{who_h} invited you to join \
         <strong>{org_h}</strong> on {app_h}.</p><p><a href=\"{url_h}\">Accept the invitation</a></p>\
         <p>The link expires in {days} days. If you did not expect it, ignore this email.</p>\
         <p>— {app_h}</p></body></html>"
    );
    Email {
        subject: format!("Invitation to join {org}"),
        text,
        html,
    }
}

/// The verification code message, in the instance's wording when it has
/// one.
pub fn code_email(
    code: &str,
    purpose: &str,
    app: &str,
    template: Option<&MessageTemplate>,
) -> Email {
    if let Some(t) = template {
        let minutes = (frontdesk_domain::flows::CODE_TTL_SECS / 60).to_string();
        let values = [
            ("code", code),
            ("purpose", purpose),
            ("app", app),
            ("minutes", minutes.as_str()),
        ];
        return from_template(t, &values);
    }
    Email {
        subject: format!("{code} is your {purpose} code"),
        text: code_text(code, purpose, app),
        html: code_html(code, purpose, app),
    }
}

/// The plain-text body of the code message.
fn code_text(code: &str, purpose: &str, app: &str) -> String {
    format!(
        "Your {purpose} code is {code}.\n\nIt expires in 10 minutes. If you did not ask for it, ignore this email.\n\n— {app}\n"
    )
}

/// The HTML body of the code message; every interpolated value is escaped.
fn code_html(code: &str, purpose: &str, app: &str) -> String {
    let (code, purpose, app) = (escape_html(code), escape_html(purpose), escape_html(app));
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Your {purpose} code is</p>\
         <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
         <p>It expires in 10 minutes. If you did not ask for it, ignore this email.</p><p>— {app}</p></body></html>"
    )
}

/// Escape text for HTML element content and quoted attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Why a message was not delivered. Never contains the password or the body.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("recipient address not accepted: {0}")]
    Recipient(#[from] lettre::address::AddressError),
    #[error("building the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("{0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("no answer within {0} s")]
    Timeout(u64),
}

/// Delivers mail over SMTP when `[smtp] host` is set; built once at start-up.
pub struct Mailer {
    smtp: Option<Smtp>,
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// `host:port (tls)`, for logs.
    server: String,
}

impl fmt::Display for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.smtp {
            Some(smtp) => f.write_str(&smtp.server),
            None => f.write_str("no SMTP"),
        }
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mailer({self})")
    }
}

impl Mailer {
    /// A mailer that delivers nothing.
    pub fn disabled() -> Self {
        Self { smtp: None }
    }

    /// Build the SMTP transport from `[smtp]` (no connection is made yet).
    pub fn new(config: &SmtpConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let Some(host) = &config.host else {
            return Ok(Self::disabled());
        };
        let from = config.from_mailbox()?;
        let timeout = Duration::from_secs(u64::from(config.timeout_secs));
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                let params = TlsParameters::new(host.clone()).map_err(|e| {
                    ConfigError::new("smtp.host", format!("cannot set up TLS for `{host}`: {e}"))
                })?;
                if config.tls == SmtpTls::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
            .port(config.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
            if config.tls == SmtpTls::None && !is_loopback(host) {
                tracing::warn!(
                    host = %host,
                    "smtp.tls is \"none\": the SMTP password crosses the network unencrypted"
                );
            }
        }
        let tls_name = match config.tls {
            SmtpTls::None => "none",
            SmtpTls::Starttls => "starttls",
            SmtpTls::Tls => "tls",
        };
        Ok(Self {
            smtp: Some(Smtp {
                transport: builder.build(),
                from,
                timeout,
                server: format!("{host}:{} (tls = {tls_name})", config.port),
            }),
        })
    }

    /// Whether mail is delivered over SMTP.
    pub fn delivers(&self) -> bool {
        self.smtp.is_some()
    }

    /// Deliver `email` to `to` as multipart/alternative (plain text and HTML),
    /// within the configured timeout. Without SMTP this does nothing.
    pub async fn deliver(&self, to: &str, email: &Email) -> Result<(), DeliveryError> {
        let Some(smtp) = &self.smtp else {
            return Ok(());
        };
        let to: Address = to.parse()?;
        let message = Message::builder()
            .from(smtp.from.clone())
            .to(Mailbox::new(None, to))
            .message_id(Some(format!(
                "<{}@{}>",
                frontdesk_types::id::random_base62(24),
                smtp.from.email.domain()
            )))
            .subject(email.subject.as_str())
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))?;
        // lettre's timeout bounds each step; this bounds the whole delivery.
        match tokio::time::timeout(smtp.timeout, smtp.transport.send(message)).await {
            Ok(result) => result.map(drop).map_err(DeliveryError::from),
            Err(_) => Err(DeliveryError::Timeout(smtp.timeout.as_secs())),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_what_they_interpolate() {
        let html = code_html("<b>1</b>", "sign-in & \"more\"", "A'pp");
        assert!(
            html.contains("<strong>&lt;b&gt;1&lt;/b&gt;</strong>"),
            "{html}"
        );
        assert!(html.contains("sign-in &amp; &quot;more&quot;"), "{html}");
        assert!(html.contains("— A&#39;pp"), "{html}");
        let email = code_email("123456", "verification", "Frontdesk", None);
        assert_eq!(email.subject, "123456 is your verification code");
        assert!(email.text.starts_with("Your verification code is 123456."));
        assert!(email.html.contains("<strong>123456</strong>"));
    }

    #[test]
    fn no_host_means_no_delivery() {
        assert!(
            !Mailer::new(&SmtpConfig::default())
                .expect("valid")
                .delivers()
        );
        let smtp = SmtpConfig {
            host: Some("smtp.example.com".into()),
            ..SmtpConfig::default()
        };
        let mailer = Mailer::new(&smtp).expect("valid");
        assert!(mailer.delivers());
        assert_eq!(mailer.to_string(), "smtp.example.com:587 (tls = starttls)");
    }

    #[test]
    fn the_password_never_prints() {
        let smtp = SmtpConfig {
            host: Some("smtp.example.com".into()),
            username: Some("frontdesk".into()),
            password: Some(crate::config::Secret::new("hunter6")),
            ..SmtpConfig::default()
        };
        let mailer = Mailer::new(&smtp).expect("valid");
        let shown = format!("{mailer} {mailer:?} {smtp:?}");
        assert!(!shown.contains("hunter6"), "{shown}");
    }
}
