//! The instance's organization roles and permissions (issue 17): custom
//! ones created, renamed, given and taken permissions, and deleted.
//!
//! Roles keep the keys of their permissions, and memberships and
//! invitations the key of their role, so a key that changes is rewritten
//! wherever it is, in the transaction that changes it. Every change here
//! takes one lock row first (`organization_role_catalog`): changes are
//! rare, and two can then never rewrite one role's permission list from the
//! same copy.

use async_trait::async_trait;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{Permission, PermissionKey, Role, RoleKey};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_types::{PermissionId, RoleId};

use crate::StoreResult;

/// A change to a role; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RolePatch {
    pub key: Option<RoleKey>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces the role's permissions.
    pub permissions: Option<Vec<PermissionKey>>,
    /// Adds one permission (kept once).
    pub add: Option<PermissionKey>,
    /// Takes one permission away.
    pub remove: Option<PermissionKey>,
}

/// A change to a custom permission.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PermissionPatch {
    pub key: Option<PermissionKey>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Renders a role's event inside the transaction that changed it.
pub type RoleEvents<'a> = &'a (dyn Fn(&Role) -> Option<OutboxEvent> + Send + Sync);
/// Renders a permission's event inside the transaction that changed it.
pub type PermissionEvents<'a> = &'a (dyn Fn(&Permission) -> Option<OutboxEvent> + Send + Sync);

#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Store each permission whose key is not stored yet (the system ones
    /// at first start, on any number of nodes).
    async fn ensure_permissions(&self, permissions: &[Permission]) -> StoreResult<()>;

    /// The instance's permissions, system ones first.
    async fn permissions(&self) -> StoreResult<Vec<Permission>>;

    /// `Conflict("organization_permissions.key")` when the key is taken.
    async fn create_permission(
        &self,
        permission: &Permission,
        events: PermissionEvents<'_>,
    ) -> StoreResult<Permission>;

    /// Change a permission; a new key is rewritten in every role that has
    /// it (each such role's event recorded too).
    async fn update_permission(
        &self,
        id: &PermissionId,
        patch: &PermissionPatch,
        at: UnixMillis,
        events: PermissionEvents<'_>,
        role_events: RoleEvents<'_>,
    ) -> StoreResult<Permission>;

    /// Delete a permission and take it from every role that has it; the
    /// permission as it was.
    async fn delete_permission(
        &self,
        id: &PermissionId,
        events: PermissionEvents<'_>,
        role_events: RoleEvents<'_>,
    ) -> StoreResult<Permission>;

    /// `Conflict("organization_roles.key")` when the key is taken.
    async fn create_role(&self, role: &Role, events: RoleEvents<'_>) -> StoreResult<Role>;

    async fn role(&self, id: &RoleId) -> StoreResult<Option<Role>>;

    /// Change a role. A new key moves its memberships and invitations with
    /// it. Changing which *system* permissions a role has is
    /// `Refused(RoleInUse)` while members hold it: it could leave an
    /// organization with nobody to manage its members.
    async fn update_role(
        &self,
        id: &RoleId,
        patch: &RolePatch,
        at: UnixMillis,
        events: RoleEvents<'_>,
    ) -> StoreResult<Role>;

    /// Delete a role nobody holds (`Refused(RoleInUse)` while a membership
    /// or a pending invitation has it); the role as it was.
    async fn delete_role(&self, id: &RoleId, events: RoleEvents<'_>) -> StoreResult<Role>;
}
