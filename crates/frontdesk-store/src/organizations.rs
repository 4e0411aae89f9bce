//! The organizations part of the storage port (issue 17): organizations,
//! memberships and the instance's roles.
//!
//! Every change to one organization's members takes the organization row
//! first (its `version` moves on), so two of them on one organization run
//! one after the other on both databases: the member count, the membership
//! limit and "someone can still manage the members" are decided on what the
//! previous change left, never on a copy read before it.

use async_trait::async_trait;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::Session;
use frontdesk_domain::organizations::{Membership, Organization, PermissionKey, Role, RoleKey};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_types::{OrganizationId, SessionId, UserId};
use serde_json::Value;

use crate::StoreResult;

/// A member as the membership lists show them (`public_user_data`): read
/// with the membership, from the user row and its primary address.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberUser {
    pub user_id: UserId,
    /// The primary email address, or `""`.
    pub identifier: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub image_url: Option<String>,
}

/// A membership with its organization, its member and its role's
/// permissions: everything any of its wire shapes shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipView {
    pub membership: Membership,
    pub organization: Organization,
    pub user: MemberUser,
    /// The role's name (`role_name`) and permissions; empty when the role
    /// was deleted after the membership was given it.
    pub role_name: String,
    pub permissions: Vec<PermissionKey>,
}

/// A page of a list, and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total_count: i64,
}

/// Which organizations to list (`GET /v1/organizations`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgQuery {
    /// Matched against id, name and slug.
    pub query: Option<String>,
    /// Only those these users are members of.
    pub user_ids: Vec<UserId>,
    pub organization_ids: Vec<OrganizationId>,
    /// `created_at`, `name` or `members_count`; descending with `true`.
    pub order_by: OrgOrder,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Sort key for organizations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrgOrder {
    #[default]
    CreatedAt,
    Name,
    MembersCount,
}

impl OrgOrder {
    /// Clerk's `order_by`: `[+-]field`, `-` descending (the default).
    pub fn parse(s: &str) -> Option<(Self, bool)> {
        let (desc, name) = match s.as_bytes().first() {
            Some(b'+') => (false, &s[1..]),
            Some(b'-') => (true, &s[1..]),
            _ => (true, s),
        };
        let field = match name {
            "created_at" => Self::CreatedAt,
            "name" => Self::Name,
            "members_count" => Self::MembersCount,
            _ => return None,
        };
        Some((field, desc))
    }
}

/// Which members of one organization (or of all: the instance's list) to
/// list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuery {
    pub organization_id: Option<OrganizationId>,
    pub roles: Vec<RoleKey>,
    pub user_ids: Vec<UserId>,
    pub email_addresses: Vec<String>,
    /// Matched against the member's id, names and email addresses.
    pub query: Option<String>,
    /// Newest first with `true` (the default `-created_at`).
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A change to an organization; `None` leaves a field as it is. Metadata
/// given here replaces; a merge is computed by the caller from the row
/// it read and written with `expected_version`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub image_url: Option<Option<String>>,
    pub max_allowed_memberships: Option<i64>,
    pub admin_delete_enabled: Option<bool>,
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    /// Written only over this version (a metadata merge computed from the
    /// row read); `None`: whatever is stored.
    pub expected_version: Option<i64>,
}

/// A change to a membership.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MembershipPatch {
    pub role: Option<RoleKey>,
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    /// Written only while the membership's (public, private) metadata is
    /// still this (a merge computed from the row read); `Stale` otherwise.
    pub if_metadata: Option<(Value, Value)>,
}

/// Renders an organization's event inside the transaction that changed it.
pub type OrgEvents<'a> = &'a (dyn Fn(&Organization) -> Option<OutboxEvent> + Send + Sync);
/// Renders a membership's event inside the transaction that changed it.
pub type MembershipEvents<'a> = &'a (dyn Fn(&MembershipView) -> Option<OutboxEvent> + Send + Sync);

/// An organization's uploaded logo, served by every node at
/// `/v1/images/{id}`.
#[derive(Clone, PartialEq)]
pub struct LogoRecord {
    pub id: String,
    pub organization_id: OrganizationId,
    /// Checked by its first bytes.
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub created_at: UnixMillis,
}

impl std::fmt::Debug for LogoRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogoRecord")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What an active organization puts in a session token.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgClaimsRow {
    pub slug: String,
    pub role: RoleKey,
    pub permissions: Vec<PermissionKey>,
}

/// Organizations, memberships and roles.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// Store a new organization and, with `creator`, its first membership,
    /// in one transaction. A taken slug is `Conflict("organizations.slug")`.
    async fn create_organization(
        &self,
        org: &Organization,
        creator: Option<&Membership>,
        events: OrgEvents<'_>,
        member_events: MembershipEvents<'_>,
    ) -> StoreResult<Organization>;

    async fn organization(&self, id: &OrganizationId) -> StoreResult<Option<Organization>>;
    async fn organization_by_slug(&self, slug: &str) -> StoreResult<Option<Organization>>;

    /// Apply `patch` (`Stale` when `expected_version` no longer holds).
    async fn update_organization(
        &self,
        id: &OrganizationId,
        patch: &OrgPatch,
        at: UnixMillis,
        events: OrgEvents<'_>,
    ) -> StoreResult<Organization>;

    /// Delete an organization with its memberships; `events` are recorded
    /// in the same transaction. Sessions that had it active are left in
    /// their personal workspace.
    async fn delete_organization(
        &self,
        id: &OrganizationId,
        events: &[OutboxEvent],
    ) -> StoreResult<()>;

    async fn list_organizations(&self, query: &OrgQuery) -> StoreResult<Page<Organization>>;

    /// Add a member. `Conflict("organization_memberships")` when the user
    /// is one already; `Refused(MembershipLimit)` when the organization is
    /// full; `NotFound` when the organization, user or role is gone.
    async fn add_membership(
        &self,
        membership: &Membership,
        events: MembershipEvents<'_>,
    ) -> StoreResult<MembershipView>;

    async fn membership(
        &self,
        org: &OrganizationId,
        user: &UserId,
    ) -> StoreResult<Option<MembershipView>>;

    /// Change a membership. A role change that would leave nobody able to
    /// manage the members is `Refused(LastManager)`.
    async fn update_membership(
        &self,
        org: &OrganizationId,
        user: &UserId,
        patch: &MembershipPatch,
        at: UnixMillis,
        events: MembershipEvents<'_>,
    ) -> StoreResult<MembershipView>;

    /// Remove a member (`Refused(LastManager)` as above); the membership
    /// as it was. The member's sessions that had the organization active
    /// are left in their personal workspace.
    async fn remove_membership(
        &self,
        org: &OrganizationId,
        user: &UserId,
        events: MembershipEvents<'_>,
    ) -> StoreResult<MembershipView>;

    async fn list_memberships(&self, query: &MemberQuery) -> StoreResult<Page<MembershipView>>;

    /// A user's memberships, oldest first.
    async fn user_memberships(
        &self,
        user: &UserId,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<MembershipView>>;

    /// What a token for `user` with `org` active carries; `None` when the
    /// user is not a member (any more).
    async fn org_claims(
        &self,
        org: &OrganizationId,
        user: &UserId,
    ) -> StoreResult<Option<OrgClaimsRow>>;

    /// Make `org` the session's active organization (`None`: the personal
    /// workspace), in one statement that also checks the session's user is
    /// a member: `NotFound` when the session is not live or the user is not
    /// a member (a membership removed meanwhile wins).
    async fn set_active_organization(
        &self,
        session: &SessionId,
        org: Option<&OrganizationId>,
        at: UnixMillis,
    ) -> StoreResult<Session>;

    /// Store each role whose key is not stored yet (the system roles at
    /// first start, on any number of nodes at once).
    async fn ensure_roles(&self, roles: &[Role]) -> StoreResult<()>;

    /// The instance's roles, by key.
    async fn roles(&self) -> StoreResult<Vec<Role>>;
}
