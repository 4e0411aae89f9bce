//! Organizations (issue 17): multi-tenancy with roles and permissions.
//!
//! - [`keys`]: names, slugs, role and permission keys as Clerk accepts them,
//!   and the system roles every instance starts with;
//! - [`records`]: what the store keeps (organizations, memberships, roles,
//!   invitations);
//! - [`claims`]: the `o` claim of a v2 session token;
//! - [`domains`]: verified domains, suggestions and requests to join.

pub mod claims;
pub mod domains;
pub mod keys;
pub mod records;

pub use claims::org_claims;
pub use domains::{
    Domain, DomainName, DomainProof, EnrollmentMode, MembershipRequest, RequestStatus, Suggestion,
    SuggestionStatus,
};
pub use keys::{
    ADMIN, CREATOR_NEEDS, MEMBER, OrgError, OrgName, OrgSlug, PermissionKey, RoleKey,
    SYSTEM_PERMISSIONS, system_roles,
};
pub use records::{Invitation, InvitationStatus, Membership, Organization, Permission, Role};
