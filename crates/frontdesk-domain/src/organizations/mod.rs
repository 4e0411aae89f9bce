//! Organizations (issue 17): multi-tenancy with roles and permissions.
//!
//! - [`keys`]: names, slugs, role and permission keys as Clerk accepts them,
//!   and the system roles every instance starts with;
//! - [`records`]: what the store keeps (organizations, memberships, roles,
//!   invitations);
//! - [`claims`]: the `o` claim of a v2 session token.

pub mod claims;
pub mod keys;
pub mod records;

pub use claims::org_claims;
pub use keys::{
    ADMIN, CREATOR_NEEDS, MEMBER, OrgError, OrgName, OrgSlug, PermissionKey, RoleKey,
    SYSTEM_PERMISSIONS, system_roles,
};
pub use records::{Invitation, InvitationStatus, Membership, Organization, Permission, Role};
