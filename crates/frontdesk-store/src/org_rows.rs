//! Rows of the organization tables, shared by both adapters, and the
//! columns each `SELECT` names in their order.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{
    Invitation, InvitationStatus, Membership, Organization, Permission, PermissionKey, Role,
};
use frontdesk_types::UserId;
use serde_json::Value;
use sqlx::types::Json;

use crate::StoreError;
use crate::org_invitations::InvitationView;
use crate::organizations::{MemberUser, MembershipView};
use crate::rows::parse;

/// The columns of `organizations` (prefixed `o.`), in the order of [`OrgRow`].
pub const ORG_COLUMNS: &str = "o.id, o.name, o.slug, o.image_url, o.public_metadata, \
    o.private_metadata, o.max_allowed_memberships, o.admin_delete_enabled, o.members_count, \
    o.pending_invitations_count, o.created_by, o.created_at, o.updated_at, o.version";

/// [`ORG_COLUMNS`] unprefixed, for `RETURNING` (SQLite takes no alias there).
pub const ORG_RETURNING: &str = "id, name, slug, image_url, public_metadata, \
    private_metadata, max_allowed_memberships, admin_delete_enabled, members_count, \
    pending_invitations_count, created_by, created_at, updated_at, version";

/// A membership with its organization, member and role (`m`, `o`, `u`,
/// `r`): the columns of [`MembershipRow`].
pub const MEMBERSHIP_COLUMNS: &str = "m.id AS m_id, m.user_id AS m_user_id, m.role AS m_role, \
    m.public_metadata AS m_public_metadata, m.private_metadata AS m_private_metadata, \
    m.created_at AS m_created_at, m.updated_at AS m_updated_at, \
    o.id, o.name, o.slug, o.image_url, o.public_metadata, \
    o.private_metadata, o.max_allowed_memberships, o.admin_delete_enabled, o.members_count, \
    o.pending_invitations_count, o.created_by, o.created_at, o.updated_at, o.version, \
    COALESCE((SELECT e.email_address FROM email_addresses e WHERE e.id = u.primary_email_address_id), '') AS u_identifier, \
    u.first_name AS u_first_name, u.last_name AS u_last_name, u.image_url AS u_image_url, \
    r.name AS r_name, r.permissions AS r_permissions";

/// The joins [`MEMBERSHIP_COLUMNS`] reads from, after `FROM organization_memberships m`.
pub const MEMBERSHIP_JOINS: &str = "JOIN organizations o ON o.id = m.organization_id \
    JOIN users u ON u.id = m.user_id \
    LEFT JOIN organization_roles r ON r.key = m.role";

pub const ROLE_COLUMNS: &str = "id, key, name, description, permissions, created_at, updated_at";

#[derive(Debug, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub image_url: Option<String>,
    pub public_metadata: Json<Value>,
    pub private_metadata: Json<Value>,
    pub max_allowed_memberships: i64,
    pub admin_delete_enabled: bool,
    pub members_count: i64,
    pub pending_invitations_count: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl TryFrom<OrgRow> for Organization {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Organization {
            id: parse("organization id", &r.id)?,
            name: r.name,
            slug: r.slug,
            image_url: r.image_url,
            public_metadata: r.public_metadata.0,
            private_metadata: r.private_metadata.0,
            max_allowed_memberships: r.max_allowed_memberships,
            admin_delete_enabled: r.admin_delete_enabled,
            members_count: r.members_count,
            pending_invitations_count: r.pending_invitations_count,
            created_by: r
                .created_by
                .map(|u| parse("organization creator", &u))
                .transpose()?,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
            version: r.version,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct MembershipRow {
    pub m_id: String,
    pub m_user_id: String,
    pub m_role: String,
    pub m_public_metadata: Json<Value>,
    pub m_private_metadata: Json<Value>,
    pub m_created_at: i64,
    pub m_updated_at: i64,
    #[sqlx(flatten)]
    pub org: OrgRow,
    pub u_identifier: String,
    pub u_first_name: Option<String>,
    pub u_last_name: Option<String>,
    pub u_image_url: Option<String>,
    pub r_name: Option<String>,
    pub r_permissions: Option<Json<Vec<PermissionKey>>>,
}

impl TryFrom<MembershipRow> for MembershipView {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> Result<Self, StoreError> {
        let organization = Organization::try_from(r.org)?;
        let user_id = parse("membership user", &r.m_user_id)?;
        Ok(MembershipView {
            membership: Membership {
                id: parse("membership id", &r.m_id)?,
                organization_id: organization.id.clone(),
                user_id,
                role: parse_role(&r.m_role)?,
                public_metadata: r.m_public_metadata.0,
                private_metadata: r.m_private_metadata.0,
                created_at: UnixMillis(r.m_created_at),
                updated_at: UnixMillis(r.m_updated_at),
            },
            user: MemberUser {
                user_id: parse("membership user", &r.m_user_id)?,
                identifier: r.u_identifier,
                first_name: r.u_first_name,
                last_name: r.u_last_name,
                image_url: r.u_image_url,
            },
            organization,
            role_name: r.r_name.unwrap_or_default(),
            permissions: r.r_permissions.map(|p| p.0).unwrap_or_default(),
        })
    }
}

fn parse_role(s: &str) -> Result<frontdesk_domain::organizations::RoleKey, StoreError> {
    frontdesk_domain::organizations::RoleKey::parse(s)
        .map_err(|_| StoreError::Corrupt(format!("role `{s}`")))
}

#[derive(Debug, sqlx::FromRow)]
pub struct RoleRow {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub permissions: Json<Vec<PermissionKey>>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<RoleRow> for Role {
    type Error = StoreError;
    fn try_from(r: RoleRow) -> Result<Self, StoreError> {
        Ok(Role {
            id: parse("role id", &r.id)?,
            key: parse_role(&r.key)?,
            name: r.name,
            description: r.description,
            permissions: r.permissions.0,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}

/// An invitation with its organization, role name and inviter (`i`, `o`,
/// `r`, `u`): the columns of [`InvitationRow`].
pub const INVITATION_COLUMNS: &str = "i.id AS i_id, i.email_address AS i_email_address, \
    i.role AS i_role, i.status AS i_status, i.public_metadata AS i_public_metadata, \
    i.private_metadata AS i_private_metadata, i.inviter_id AS i_inviter_id, \
    i.redirect_url AS i_redirect_url, i.expires_at AS i_expires_at, \
    i.created_at AS i_created_at, i.updated_at AS i_updated_at, \
    o.id, o.name, o.slug, o.image_url, o.public_metadata, \
    o.private_metadata, o.max_allowed_memberships, o.admin_delete_enabled, o.members_count, \
    o.pending_invitations_count, o.created_by, o.created_at, o.updated_at, o.version, \
    COALESCE((SELECT e.email_address FROM email_addresses e WHERE e.id = u.primary_email_address_id), '') AS u_identifier, \
    u.first_name AS u_first_name, u.last_name AS u_last_name, u.image_url AS u_image_url, \
    r.name AS r_name";

/// The joins [`INVITATION_COLUMNS`] reads from, after `FROM organization_invitations i`.
pub const INVITATION_JOINS: &str = "JOIN organizations o ON o.id = i.organization_id \
    LEFT JOIN users u ON u.id = i.inviter_id \
    LEFT JOIN organization_roles r ON r.key = i.role";

#[derive(Debug, sqlx::FromRow)]
pub struct InvitationRow {
    pub i_id: String,
    pub i_email_address: String,
    pub i_role: String,
    pub i_status: String,
    pub i_public_metadata: Json<Value>,
    pub i_private_metadata: Json<Value>,
    pub i_inviter_id: Option<String>,
    pub i_redirect_url: Option<String>,
    pub i_expires_at: i64,
    pub i_created_at: i64,
    pub i_updated_at: i64,
    #[sqlx(flatten)]
    pub org: OrgRow,
    pub u_identifier: Option<String>,
    pub u_first_name: Option<String>,
    pub u_last_name: Option<String>,
    pub u_image_url: Option<String>,
    pub r_name: Option<String>,
}

impl TryFrom<InvitationRow> for InvitationView {
    type Error = StoreError;
    fn try_from(r: InvitationRow) -> Result<Self, StoreError> {
        let organization = Organization::try_from(r.org)?;
        let inviter_id: Option<UserId> = r
            .i_inviter_id
            .map(|u| parse("invitation inviter", &u))
            .transpose()?;
        let status = InvitationStatus::parse(&r.i_status)
            .ok_or_else(|| StoreError::Corrupt(format!("invitation status `{}`", r.i_status)))?;
        Ok(InvitationView {
            invitation: Invitation {
                id: parse("invitation id", &r.i_id)?,
                organization_id: organization.id.clone(),
                email_address: r.i_email_address,
                role: parse_role(&r.i_role)?,
                status,
                public_metadata: r.i_public_metadata.0,
                private_metadata: r.i_private_metadata.0,
                inviter_id: inviter_id.clone(),
                redirect_url: r.i_redirect_url,
                expires_at: UnixMillis(r.i_expires_at),
                created_at: UnixMillis(r.i_created_at),
                updated_at: UnixMillis(r.i_updated_at),
            },
            inviter: inviter_id.map(|user_id| MemberUser {
                user_id,
                identifier: r.u_identifier.unwrap_or_default(),
                first_name: r.u_first_name,
                last_name: r.u_last_name,
                image_url: r.u_image_url,
            }),
            organization,
            role_name: r.r_name.unwrap_or_default(),
        })
    }
}

pub const PERMISSION_COLUMNS: &str = "id, key, name, description, created_at, updated_at";

#[derive(Debug, sqlx::FromRow)]
pub struct PermissionRow {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<PermissionRow> for Permission {
    type Error = StoreError;
    fn try_from(r: PermissionRow) -> Result<Self, StoreError> {
        Ok(Permission {
            id: parse("permission id", &r.id)?,
            key: PermissionKey::parse(&r.key)
                .map_err(|_| StoreError::Corrupt(format!("permission `{}`", r.key)))?,
            name: r.name,
            description: r.description,
            created_at: UnixMillis(r.created_at),
            updated_at: UnixMillis(r.updated_at),
        })
    }
}
