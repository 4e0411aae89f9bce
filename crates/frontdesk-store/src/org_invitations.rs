//! Invitations to organizations (issue 17), the part of the storage port
//! that creates, lists, revokes and accepts them.
//!
//! Like every change to an organization's members, each of these takes the
//! organization row first: `pending_invitations_count`, "one pending
//! invitation per address" and "an invitation is accepted once" are decided
//! on what the previous change left.

use async_trait::async_trait;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::organizations::{Invitation, InvitationStatus, Membership, Organization};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_types::{OrganizationId, OrganizationInvitationId};

use crate::StoreResult;
use crate::organizations::{MemberUser, MembershipEvents, MembershipView, Page};

/// An invitation with what its wire shapes show: the organization
/// (`public_organization_data`), the role's name and the inviter.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub organization: Organization,
    /// Empty when the role was deleted after the invitation was sent.
    pub role_name: String,
    pub inviter: Option<MemberUser>,
}

/// A new invitation and the SHA-256 (hex) of the ticket its link carries.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvitation {
    pub invitation: Invitation,
    pub ticket_hash: String,
}

/// Which invitations to list: one organization's, or those sent to some
/// addresses (a user's verified ones), in any of `statuses` (all when
/// empty), newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationQuery {
    pub organization_id: Option<OrganizationId>,
    pub email_addresses: Vec<String>,
    pub statuses: Vec<InvitationStatus>,
    /// What "expired" means: pending with `expires_at` at or before this.
    pub now: UnixMillis,
    pub limit: i64,
    pub offset: i64,
}

/// Renders an invitation's event inside the transaction that changed it.
pub type InvitationEvents<'a> = &'a (dyn Fn(&InvitationView) -> Option<OutboxEvent> + Send + Sync);

#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Store invitations to one organization, all or none. An address with
    /// a pending invitation there already is
    /// `Conflict("organization_invitations.email_address")` (one past its
    /// expiry is marked expired first and does not count).
    async fn create_invitations(
        &self,
        organization: &OrganizationId,
        invitations: &[NewInvitation],
        events: InvitationEvents<'_>,
    ) -> StoreResult<Vec<InvitationView>>;

    async fn invitation(
        &self,
        id: &OrganizationInvitationId,
    ) -> StoreResult<Option<InvitationView>>;

    /// The invitation whose ticket hashes to `ticket_hash`.
    async fn invitation_by_ticket(&self, ticket_hash: &str) -> StoreResult<Option<InvitationView>>;

    async fn list_invitations(&self, query: &InvitationQuery) -> StoreResult<Page<InvitationView>>;

    /// Revoke a pending invitation of `organization`:
    /// `Refused(InvitationClosed)` when it is not pending (any more),
    /// `NotFound` when it is not that organization's.
    async fn revoke_invitation(
        &self,
        organization: &OrganizationId,
        id: &OrganizationInvitationId,
        at: UnixMillis,
        events: InvitationEvents<'_>,
    ) -> StoreResult<InvitationView>;

    /// Mark pending invitations past their expiry `expired`, up to
    /// `organizations` organizations at a time, each under its row lock so
    /// its `pending_invitations_count` moves with them (the periodic
    /// clean-up: a lapsed invitation stops counting as pending). How many
    /// were marked.
    async fn expire_invitations(&self, now: UnixMillis, organizations: i64) -> StoreResult<u64>;

    /// Accept a pending, unexpired invitation as `member` (a membership of
    /// its organization with its role and metadata), in one transaction:
    /// the invitation is accepted exactly once, and the membership counts
    /// against the limit. A user who is a member already stays as they are
    /// (the invitation is still accepted). `Refused(InvitationClosed)` when
    /// it is not pending, `Refused(MembershipLimit)` when the organization
    /// is full (the invitation stays pending).
    async fn accept_invitation(
        &self,
        id: &OrganizationInvitationId,
        member: &Membership,
        at: UnixMillis,
        events: InvitationEvents<'_>,
        member_events: MembershipEvents<'_>,
    ) -> StoreResult<(InvitationView, MembershipView)>;
}
