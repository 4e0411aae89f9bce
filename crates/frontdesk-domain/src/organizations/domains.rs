//! Verified domains (issue 17): an organization claims a domain, proves it
//! (a code mailed to an address there, or the Backend API's word), and
//! users whose verified address is in it are invited or may ask to join,
//! as its enrollment mode says.

use frontdesk_types::{
    MembershipRequestId, OrganizationDomainId, OrganizationId, OrganizationSuggestionId, UserId,
};

use super::OrgError;
use crate::UnixMillis;
use crate::flows::CodeChallenge;

/// Mailbox providers anyone can have an address at: claiming one would
/// offer an organization to half the internet (Clerk refuses them too).
const PUBLIC_PROVIDERS: &[&str] = &[
    "aol.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "googlemail.com",
    "hey.com",
    "hotmail.com",
    "icloud.com",
    "live.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "yahoo.com",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
];

/// A domain an organization may claim: a host name in lower-case ASCII,
/// with a dot, not a public mailbox provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> Result<Self, OrgError> {
        let ascii = crate::email::domain_ascii(raw.trim().trim_end_matches('.'))
            .map_err(|_| OrgError::Domain)?
            .to_lowercase();
        if PUBLIC_PROVIDERS.contains(&ascii.as_str()) {
            return Err(OrgError::PublicDomain);
        }
        Ok(Self(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `address` (an email address) is at this domain: its part
    /// after `@`, exactly (a subdomain is another domain).
    pub fn holds(&self, address: &str) -> bool {
        address
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.eq_ignore_ascii_case(&self.0))
    }
}

impl From<DomainName> for String {
    fn from(d: DomainName) -> String {
        d.0
    }
}

/// How users with an address at a verified domain join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentMode {
    /// Only by an invitation an admin sends.
    ManualInvitation,
    /// They find an invitation waiting and may accept it.
    AutomaticInvitation,
    /// They are offered to ask; an admin accepts or rejects the request.
    AutomaticSuggestion,
}

impl EnrollmentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManualInvitation => "manual_invitation",
            Self::AutomaticInvitation => "automatic_invitation",
            Self::AutomaticSuggestion => "automatic_suggestion",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "manual_invitation" => Self::ManualInvitation,
            "automatic_invitation" => Self::AutomaticInvitation,
            "automatic_suggestion" => Self::AutomaticSuggestion,
            _ => return None,
        })
    }
}

/// How a domain was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainProof {
    /// A code mailed to `affiliation_email_address` came back.
    EmailCode,
    /// The Backend API said so (`verified: true`): Clerk's ownership
    /// verification by an operator.
    Admin,
}

impl DomainProof {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailCode => "email_code",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email_code" => Some(Self::EmailCode),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A domain an organization claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub id: OrganizationDomainId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub enrollment_mode: EnrollmentMode,
    /// When and how it was verified; unverified domains enroll nobody.
    pub verified: Option<(DomainProof, UnixMillis)>,
    /// Where the affiliation code went.
    pub affiliation_email_address: Option<String>,
    /// The affiliation code sent last (hashed), with its tries and expiry.
    pub challenge: Option<CodeChallenge>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// Bumped by every change: a code is checked against the row it was
    /// read from (two tries never both count as the same one).
    pub version: i64,
}

/// Where a suggestion stands: offered, or taken up (a request was sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionStatus {
    Pending,
    Accepted,
}

impl SuggestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            _ => None,
        }
    }
}

/// An offer to ask to join an organization, from one of its verified
/// domains in `automatic_suggestion` mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub id: OrganizationSuggestionId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub domain_id: Option<OrganizationDomainId>,
    pub status: SuggestionStatus,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// Where a request to join stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Accepted,
    Rejected,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// A user's request to join an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRequest {
    pub id: MembershipRequestId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub status: RequestStatus,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_host_names_not_mailbox_providers() {
        assert_eq!(
            DomainName::parse(" Acme.COM. ").unwrap().as_str(),
            "acme.com"
        );
        assert_eq!(
            DomainName::parse("bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(DomainName::parse("gmail.com"), Err(OrgError::PublicDomain));
        for bad in [
            "",
            "acme",
            "acme..com",
            "-acme.com",
            "1.2.3.4",
            "a b.com",
            "acme.com/x",
        ] {
            assert_eq!(DomainName::parse(bad), Err(OrgError::Domain), "{bad}");
        }
    }

    #[test]
    fn a_domain_holds_addresses_exactly_there() {
        let d = DomainName::parse("acme.com").unwrap();
        assert!(d.holds("ada@acme.com"));
        assert!(d.holds("Ada@ACME.com"));
        assert!(!d.holds("ada@eu.acme.com"));
        assert!(!d.holds("ada@notacme.com"));
        assert!(!d.holds("acme.com"));
    }

    #[test]
    fn modes_and_statuses_round_trip() {
        for m in [
            EnrollmentMode::ManualInvitation,
            EnrollmentMode::AutomaticInvitation,
            EnrollmentMode::AutomaticSuggestion,
        ] {
            assert_eq!(EnrollmentMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(EnrollmentMode::parse("enterprise_sso"), None);
        for s in [
            RequestStatus::Pending,
            RequestStatus::Accepted,
            RequestStatus::Rejected,
        ] {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
    }
}
