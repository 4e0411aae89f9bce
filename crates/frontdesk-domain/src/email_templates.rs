//! The instance's own wording for the mail Frontdesk sends (`emails` in the
//! settings): a subject and a plain-text body per message, with
//! `{{placeholders}}` Frontdesk fills in. Unset, the built-in wording is
//! sent.
//!
//! A template is checked when the settings change, not when mail is sent:
//! only the message's own placeholders, and the ones it cannot do without
//! (a code message without `{{code}}` would lock people out). Values are
//! put in as text: the HTML part escapes them and the template's own text,
//! so an operator's template cannot inject markup either.

use serde::{Deserialize, Serialize};

/// The messages whose wording an instance may set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailTemplates {
    /// A one-time code: sign-in, sign-up, a new address, a password reset.
    pub verification_code: Option<MessageTemplate>,
    /// An invitation to join an organization.
    pub invitation: Option<MessageTemplate>,
}

/// One message's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    pub subject: String,
    pub body: String,
}

/// Which message a template is for: its placeholders, and the ones it must
/// have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    VerificationCode,
    Invitation,
}

impl MessageKind {
    pub const ALL: [Self; 2] = [Self::VerificationCode, Self::Invitation];

    /// The key under `emails`.
    pub fn key(self) -> &'static str {
        match self {
            Self::VerificationCode => "verification_code",
            Self::Invitation => "invitation",
        }
    }

    /// What the dashboard calls it.
    pub fn title(self) -> &'static str {
        match self {
            Self::VerificationCode => "Verification code",
            Self::Invitation => "Organization invitation",
        }
    }

    /// The placeholders it may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Self::VerificationCode => &["code", "purpose", "app", "minutes"],
            Self::Invitation => &["org", "inviter", "url", "days", "app"],
        }
    }

    /// The placeholders its body must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Self::VerificationCode => &["code"],
            Self::Invitation => &["url"],
        }
    }

    /// The built-in wording, as a template (shown as the starting point).
    pub fn default_template(self) -> MessageTemplate {
        match self {
            Self::VerificationCode => MessageTemplate {
                subject: "{{code}} is your {{purpose}} code".to_owned(),
                body: "Your {{purpose}} code is {{code}}.\n\nIt expires in {{minutes}} minutes. \
                       If you did not ask for it, ignore this email.\n\n— {{app}}"
                    .to_owned(),
            },
            Self::Invitation => MessageTemplate {
                subject: "Invitation to join {{org}}".to_owned(),
                body: "{{inviter}} invited you to join {{org}} on {{app}}.\n\n\
                       Accept the invitation: {{url}}\n\nThe link expires in {{days}} days. \
                       If you did not expect it, ignore this email.\n\n— {{app}}"
                    .to_owned(),
            },
        }
    }
}

impl EmailTemplates {
    pub fn get(&self, kind: MessageKind) -> Option<&MessageTemplate> {
        match kind {
            MessageKind::VerificationCode => self.verification_code.as_ref(),
            MessageKind::Invitation => self.invitation.as_ref(),
        }
    }

    /// Each template against its message: `(the setting's path, why)`.
    pub fn check(&self) -> Result<(), (String, String)> {
        for kind in MessageKind::ALL {
            if let Some(t) = self.get(kind) {
                t.check(kind)
                    .map_err(|(field, why)| (format!("emails.{}.{field}", kind.key()), why))?;
            }
        }
        Ok(())
    }
}

/// A piece of a template: text as written, or a placeholder's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Slot(&'a str),
}

/// `text` cut at `{{name}}`; an opening `{{` without its `}}` is an error.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "has a `{{` without its `}}`".to_owned())?;
        out.push(Piece::Slot(after[..end].trim()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

impl MessageTemplate {
    fn check(&self, kind: MessageKind) -> Result<(), (&'static str, String)> {
        for (field, text, max, lines) in [
            ("subject", &self.subject, 200, false),
            ("body", &self.body, 5000, true),
        ] {
            if text.trim().is_empty() || text.chars().count() > max {
                return Err((field, format!("must be 1 to {max} characters")));
            }
            if text
                .chars()
                .any(|c| c.is_control() && !(lines && matches!(c, '\n' | '\r' | '\t')))
            {
                return Err((field, "must not hold control characters".to_owned()));
            }
            for piece in pieces(text).map_err(|why| (field, why))? {
                if let Piece::Slot(name) = piece
                    && !kind.placeholders().contains(&name)
                {
                    return Err((
                        field,
                        format!(
                            "uses {{{{{name}}}}}, which this message does not have (it has {})",
                            kind.placeholders()
                                .iter()
                                .map(|p| format!("{{{{{p}}}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        let body = pieces(&self.body).unwrap_or_default();
        for needed in kind.required() {
            if !body.contains(&Piece::Slot(needed)) {
                return Err(("body", format!("must contain {{{{{needed}}}}}")));
            }
        }
        Ok(())
    }

    /// The subject and plain-text body with `values` put in (a placeholder
    /// without a value becomes empty).
    pub fn render(&self, values: &[(&str, &str)]) -> (String, String) {
        let fill = |text: &str| {
            pieces(text)
                .unwrap_or_else(|_| vec![Piece::Text(text)])
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t,
                    Piece::Slot(name) => values
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map_or("", |(_, v)| v),
                })
                .collect::<String>()
        };
        // A subject is one line whatever a value holds.
        let subject = fill(&self.subject).replace(['\r', '\n'], " ");
        (subject, fill(&self.body))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(subject: &str, body: &str) -> MessageTemplate {
        MessageTemplate {
            subject: subject.to_owned(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn the_built_in_wording_passes_its_own_check() {
        for kind in MessageKind::ALL {
            assert_eq!(kind.default_template().check(kind), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn unknown_missing_and_unclosed_placeholders_are_refused_by_field() {
        let kind = MessageKind::VerificationCode;
        assert_eq!(t("Hi", "Your code: {{ code }}").check(kind), Ok(()));
        assert_eq!(
            t("Hi {{url}}", "{{code}}").check(kind).unwrap_err().0,
            "subject"
        );
        assert_eq!(t("Hi", "no code here").check(kind).unwrap_err().0, "body");
        assert_eq!(
            t("Hi", "{{code}} {{oops").check(kind).unwrap_err().0,
            "body"
        );
        assert_eq!(t("", "{{code}}").check(kind).unwrap_err().0, "subject");
        assert_eq!(
            t("a\u{7}b", "{{code}}").check(kind).unwrap_err().0,
            "subject"
        );
        let all = EmailTemplates {
            invitation: Some(t("Join", "no link")),
            ..EmailTemplates::default()
        };
        assert_eq!(all.check().unwrap_err().0, "emails.invitation.body");
    }

    #[test]
    fn values_are_put_in_and_subjects_stay_one_line() {
        let (subject, body) = t("{{code}} for {{app}}", "Code: {{code}}\nBye {{nobody}}.")
            .render(&[("code", "123456"), ("app", "Acme\nRockets")]);
        assert_eq!(subject, "123456 for Acme Rockets");
        assert_eq!(body, "Code: 123456\nBye .");
    }
}
