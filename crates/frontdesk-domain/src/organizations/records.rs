//! What the store keeps of organizations: the organization, a user's
//! membership, and the instance's roles and custom permissions. The wire
//! shapes (Frontend and Backend API, webhooks) are rendered from these by
//! the server.

use frontdesk_types::{
    OrganizationId, OrganizationInvitationId, OrganizationMembershipId, PermissionId, RoleId,
    UserId,
};
use serde_json::Value;

use super::keys::{PermissionKey, RoleKey};
use crate::UnixMillis;

/// An organization: a tenant of the app, with members.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub slug: String,
    pub image_url: Option<String>,
    pub public_metadata: Value,
    pub private_metadata: Value,
    /// 0: no limit.
    pub max_allowed_memberships: i64,
    pub admin_delete_enabled: bool,
    /// Kept by the transactions that add and remove members, so a page of
    /// organizations shows its counts without counting.
    pub members_count: i64,
    pub pending_invitations_count: i64,
    pub created_by: Option<UserId>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// Bumped by every change, a membership change included: the row is
    /// the lock that orders changes to one organization's members.
    pub version: i64,
}

/// A user's membership of an organization, with the role it grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub id: OrganizationMembershipId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub role: RoleKey,
    pub public_metadata: Value,
    pub private_metadata: Value,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// A role of the instance: the system ones (`org:admin`, `org:member`) and
/// custom ones, each with its permissions (system and custom keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub key: RoleKey,
    pub name: String,
    pub description: String,
    pub permissions: Vec<PermissionKey>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Role {
    /// Whether members with this role may manage the members: an
    /// organization keeps at least one (Clerk's
    /// `organization_minimum_permissions_needed`).
    pub fn manages_members(&self) -> bool {
        self.permissions
            .iter()
            .any(|p| p.as_str() == "org:sys_memberships:manage")
    }

    /// Whether the role may be an organization's creator role.
    pub fn is_creator_eligible(&self) -> bool {
        super::CREATOR_NEEDS
            .iter()
            .all(|need| self.permissions.iter().any(|p| p.as_str() == *need))
    }
}

/// A custom permission of the instance (system permissions are constants,
/// [`super::SYSTEM_PERMISSIONS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub id: PermissionId,
    pub key: PermissionKey,
    pub name: String,
    pub description: String,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// Where an invitation stands. A pending invitation past its expiry is
/// [`InvitationStatus::Expired`] ([`Invitation::status_at`]), whatever the
/// row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "revoked" => Self::Revoked,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// An invitation to join an organization, sent to an email address; whoever
/// proves they own the address (signed in with it verified, or through
/// the emailed ticket) becomes a member with `role`.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: OrganizationInvitationId,
    pub organization_id: OrganizationId,
    /// Lower-cased, as addresses are compared.
    pub email_address: String,
    pub role: RoleKey,
    /// As stored; see [`Invitation::status_at`].
    pub status: InvitationStatus,
    /// Given to the membership the invitation becomes.
    pub public_metadata: Value,
    pub private_metadata: Value,
    pub inviter_id: Option<UserId>,
    /// Where the emailed link leads once the ticket is checked.
    pub redirect_url: Option<String>,
    pub expires_at: UnixMillis,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Invitation {
    /// The status as of `now`: pending ones expire.
    pub fn status_at(&self, now: UnixMillis) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && self.expires_at.0 <= now.0 {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}
