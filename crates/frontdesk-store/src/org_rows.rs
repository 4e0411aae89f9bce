//! Rows of the organization tables, shared by both adapters, and the
//! columns each `SELECT` names in their order.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{Membership, Organization, PermissionKey, Role};
use serde_json::Value;
use sqlx::types::Json;

use crate::StoreError;
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
