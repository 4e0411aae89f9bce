//! The names, slugs, role and permission keys Clerk's API accepts, and the
//! system roles and permissions every instance has.
//!
//! Everything here is parsed once at the edge: a handler holding a
//! [`RoleKey`] knows it is `org:<name>`, a [`PermissionKey`] that it is
//! `org:<feature>:<action>`, so the token encoding cannot be handed
//! something `@clerk/backend` would fail to decode.

use serde::{Deserialize, Serialize};

/// Why a name, slug or key was refused (shown to the caller as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    #[error("the name must be between 1 and {MAX_NAME} characters")]
    Name,
    #[error(
        "the slug must be 1 to {MAX_SLUG} lowercase letters, digits or dashes, \
         not starting or ending with a dash"
    )]
    Slug,
    #[error("a role key is `org:` followed by lowercase letters, digits or underscores")]
    RoleKey,
    #[error(
        "a permission key is `org:<feature>:<action>`, each part lowercase letters, \
         digits or underscores"
    )]
    PermissionKey,
    #[error("system permissions (`org:sys_…`) cannot be created or changed")]
    SystemPermission,
    #[error("a domain is a host name such as `example.com`")]
    Domain,
    #[error(
        "a public email provider's domain (anyone can have an address there) cannot be an organization's"
    )]
    PublicDomain,
}

const MAX_NAME: usize = 256;
const MAX_SLUG: usize = 256;
const MAX_KEY_PART: usize = 64;

/// An organization's display name: trimmed, 1 to 256 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(raw: &str) -> Result<Self, OrgError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            return Err(OrgError::Name);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgName {
    type Error = OrgError;
    fn try_from(s: String) -> Result<Self, OrgError> {
        Self::parse(&s)
    }
}

impl From<OrgName> for String {
    fn from(n: OrgName) -> String {
        n.0
    }
}

/// An organization's slug, unique in the instance: lowercase ASCII letters,
/// digits and single dashes inside, as `<CreateOrganization/>` derives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(raw: &str) -> Result<Self, OrgError> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_SLUG
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(OrgError::Slug)
        }
    }

    /// The slug a name gives when none is asked for: ASCII letters and
    /// digits lowercased, every other run of characters one dash
    /// (`"Acme, Inc."` → `acme-inc`). `None` when nothing is left (a name
    /// in another script); the caller then makes one up.
    pub fn from_name(name: &OrgName) -> Option<Self> {
        let mut out = String::new();
        for c in name.as_str().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_end_matches('-').chars().take(MAX_SLUG).collect();
        Self::parse(trimmed.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgSlug {
    type Error = OrgError;
    fn try_from(s: String) -> Result<Self, OrgError> {
        Self::parse(&s)
    }
}

impl From<OrgSlug> for String {
    fn from(s: OrgSlug) -> String {
        s.0
    }
}

fn key_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= MAX_KEY_PART
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A role key, `org:<name>` (`org:admin`, `org:billing_manager`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoleKey(String);

impl RoleKey {
    pub fn parse(raw: &str) -> Result<Self, OrgError> {
        match raw.strip_prefix("org:") {
            Some(name) if key_part(name) => Ok(Self(raw.to_owned())),
            _ => Err(OrgError::RoleKey),
        }
    }

    pub fn admin() -> Self {
        Self(ADMIN.to_owned())
    }

    pub fn member() -> Self {
        Self(MEMBER.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key without `org:`, as the token's `o.rol` carries it.
    pub fn short(&self) -> &str {
        &self.0[4..]
    }
}

impl TryFrom<String> for RoleKey {
    type Error = OrgError;
    fn try_from(s: String) -> Result<Self, OrgError> {
        Self::parse(&s)
    }
}

impl From<RoleKey> for String {
    fn from(k: RoleKey) -> String {
        k.0
    }
}

impl std::fmt::Display for RoleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A permission key, `org:<feature>:<action>` (`org:invoices:read`).
/// Features starting `sys_` are Clerk's system permissions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PermissionKey(String);

impl PermissionKey {
    pub fn parse(raw: &str) -> Result<Self, OrgError> {
        let mut parts = raw.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("org"), Some(feature), Some(action), None)
                if key_part(feature) && key_part(action) =>
            {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(OrgError::PermissionKey),
        }
    }

    /// A key a caller may create: not a system one.
    pub fn parse_custom(raw: &str) -> Result<Self, OrgError> {
        let key = Self::parse(raw)?;
        if key.is_system() {
            return Err(OrgError::SystemPermission);
        }
        Ok(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn feature(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or_default()
    }

    pub fn action(&self) -> &str {
        self.0.split(':').nth(2).unwrap_or_default()
    }

    pub fn is_system(&self) -> bool {
        self.feature().starts_with("sys_")
    }
}

impl TryFrom<String> for PermissionKey {
    type Error = OrgError;
    fn try_from(s: String) -> Result<Self, OrgError> {
        Self::parse(&s)
    }
}

impl From<PermissionKey> for String {
    fn from(k: PermissionKey) -> String {
        k.0
    }
}

impl std::fmt::Display for PermissionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub const ADMIN: &str = "org:admin";
pub const MEMBER: &str = "org:member";

/// Clerk's system permissions that Frontdesk's pages use: `(key, name,
/// description)`. They gate `<OrganizationProfile/>`'s pages and are never
/// written into tokens (see [`org_claims`]).
pub const SYSTEM_PERMISSIONS: &[(&str, &str, &str)] = &[
    (
        "org:sys_profile:manage",
        "Manage organization",
        "Permission to manage an organization.",
    ),
    (
        "org:sys_profile:delete",
        "Delete organization",
        "Permission to delete an organization.",
    ),
    (
        "org:sys_memberships:read",
        "Read members",
        "Permission to read the members of an organization.",
    ),
    (
        "org:sys_memberships:manage",
        "Manage members",
        "Permission to manage the members of an organization.",
    ),
    (
        "org:sys_domains:read",
        "Read domains",
        "Permission to read the domains of an organization.",
    ),
    (
        "org:sys_domains:manage",
        "Manage domains",
        "Permission to manage the domains of an organization.",
    ),
];

/// A system role as every instance starts with it: `(key, name,
/// description, permissions)`. Both can be given custom permissions later.
pub fn system_roles() -> [(RoleKey, &'static str, &'static str, Vec<PermissionKey>); 2] {
    let keys = |ks: &[&str]| ks.iter().map(|k| PermissionKey(k.to_string())).collect();
    [
        (
            RoleKey::admin(),
            "Admin",
            "Role with elevated permissions",
            keys(&SYSTEM_PERMISSIONS.iter().map(|p| p.0).collect::<Vec<_>>()),
        ),
        (
            RoleKey::member(),
            "Member",
            "Role with non-privileged permissions",
            keys(&["org:sys_memberships:read"]),
        ),
    ]
}

/// The permissions a creator's role must hold, or the creator could not
/// manage what they just made (Clerk refuses such a `creator_role`).
pub const CREATOR_NEEDS: &[&str] = &[
    "org:sys_memberships:manage",
    "org:sys_memberships:read",
    "org:sys_profile:delete",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys(ks: &[&str]) -> Vec<PermissionKey> {
        ks.iter()
            .map(|k| PermissionKey::parse(k).unwrap())
            .collect()
    }

    #[test]
    fn keys_names_and_slugs_are_parsed() {
        assert!(RoleKey::parse("org:billing_manager").is_ok());
        for bad in ["admin", "org:", "org:Admin", "org:a:b", "org:a b"] {
            assert_eq!(RoleKey::parse(bad), Err(OrgError::RoleKey), "{bad}");
        }
        assert!(PermissionKey::parse("org:invoices:read").is_ok());
        for bad in [
            "org:invoices",
            "invoices:read",
            "org:a:b:c",
            "org::read",
            "org:A:read",
        ] {
            assert_eq!(
                PermissionKey::parse(bad),
                Err(OrgError::PermissionKey),
                "{bad}"
            );
        }
        assert_eq!(
            PermissionKey::parse_custom("org:sys_profile:manage"),
            Err(OrgError::SystemPermission)
        );
        assert_eq!(OrgName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert_eq!(OrgName::parse(" "), Err(OrgError::Name));
        let slug = |n: &str| OrgSlug::from_name(&OrgName::parse(n).unwrap()).map(|s| s.0);
        assert_eq!(slug("Acme, Inc.").as_deref(), Some("acme-inc"));
        assert_eq!(slug("  --Ünïcode Ltd").as_deref(), Some("n-code-ltd"));
        assert_eq!(slug("日本"), None);
        for bad in ["", "-a", "a-", "A", "a_b", "a b"] {
            assert_eq!(OrgSlug::parse(bad), Err(OrgError::Slug), "{bad}");
        }
    }

    #[test]
    fn the_admin_role_can_create_organizations() {
        let [admin, member] = system_roles();
        for need in CREATOR_NEEDS {
            assert!(admin.3.iter().any(|p| p.as_str() == *need));
        }
        assert_eq!(member.3, keys(&["org:sys_memberships:read"]));
    }
}
