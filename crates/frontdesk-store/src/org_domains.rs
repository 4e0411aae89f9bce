//! Verified domains, suggestions and requests to join (issue 17): the part
//! of the storage port that claims and proves domains and enrolls users by
//! them.
//!
//! A user is offered what their verified addresses' domains grant when they
//! look ([`DomainStore::enroll_by_domains`], called by the lists the
//! organization switcher asks for): one statement per offer, under the
//! organization's row lock like every change to its members, so an offer
//! is made once however many tabs look at once.

use async_trait::async_trait;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::flows::CodeChallenge;
use frontdesk_domain::organizations::{
    Domain, DomainProof, EnrollmentMode, MembershipRequest, Organization, RequestStatus, RoleKey,
    Suggestion, SuggestionStatus,
};
use frontdesk_domain::webhooks::OutboxEvent;
use frontdesk_types::{
    MembershipRequestId, OrganizationDomainId, OrganizationId, OrganizationSuggestionId, UserId,
};
use sqlx::types::Json;

use crate::org_rows::OrgRow;
use crate::organizations::{MemberUser, MembershipEvents, MembershipView, Page};
use crate::rows::parse;
use crate::{StoreError, StoreResult};

/// A domain with its organization and what it has offered that is still
/// open.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainView {
    pub domain: Domain,
    pub organization: Organization,
    pub pending_invitations: i64,
    pub pending_suggestions: i64,
}

/// Which domains to list: one organization's or the instance's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainQuery {
    pub organization_id: Option<OrganizationId>,
    pub verified: Option<bool>,
    /// Only these modes (all when empty), and never those in `excluded`.
    pub modes: Vec<EnrollmentMode>,
    pub excluded: Vec<EnrollmentMode>,
    /// Exact names.
    pub names: Vec<String>,
    /// Part of the name.
    pub query: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A change to a domain; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainPatch {
    pub enrollment_mode: Option<EnrollmentMode>,
    /// `Some(None)` marks it unverified.
    pub verified: Option<Option<(DomainProof, UnixMillis)>>,
    pub affiliation_email_address: Option<String>,
    /// `Some(None)` clears the code.
    pub challenge: Option<Option<CodeChallenge>>,
    /// Revoke the pending invitations and withdraw the pending suggestions
    /// the domain made (a mode change with `delete_pending`).
    pub delete_pending: bool,
    /// Written only over this version (a code checked against the row
    /// read); `Stale` otherwise.
    pub expected_version: Option<i64>,
}

/// A suggestion with the organization it is to.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionView {
    pub suggestion: Suggestion,
    pub organization: Organization,
}

/// A request to join with who asks.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    pub request: MembershipRequest,
    pub user: MemberUser,
}

/// Renders a domain's event inside the transaction that changed it.
pub type DomainEvents<'a> = &'a (dyn Fn(&DomainView) -> Option<OutboxEvent> + Send + Sync);

#[async_trait]
pub trait DomainStore: Send + Sync {
    /// Claim a domain for its organization: `Conflict("organization_domains.name")`
    /// when the organization has it already, `NotFound` when the
    /// organization is gone.
    async fn create_domain(
        &self,
        domain: &Domain,
        events: DomainEvents<'_>,
    ) -> StoreResult<DomainView>;

    async fn domain(
        &self,
        org: &OrganizationId,
        id: &OrganizationDomainId,
    ) -> StoreResult<Option<DomainView>>;

    /// Newest first.
    async fn list_domains(&self, query: &DomainQuery) -> StoreResult<Page<DomainView>>;

    async fn update_domain(
        &self,
        org: &OrganizationId,
        id: &OrganizationDomainId,
        patch: &DomainPatch,
        at: UnixMillis,
        events: DomainEvents<'_>,
    ) -> StoreResult<DomainView>;

    /// Remove a domain; the invitations it made that are still pending are
    /// revoked and its pending suggestions withdrawn. The domain as it was.
    async fn delete_domain(
        &self,
        org: &OrganizationId,
        id: &OrganizationDomainId,
        at: UnixMillis,
        events: DomainEvents<'_>,
    ) -> StoreResult<DomainView>;

    /// Offer `user` what the verified domains of `addresses` (their
    /// verified email addresses) grant in organizations they are not in: an
    /// invitation with `role` (`automatic_invitation`; never again for an
    /// address whose domain invitation was revoked) or a suggestion
    /// (`automatic_suggestion`; one per organization).
    async fn enroll_by_domains(
        &self,
        user: &UserId,
        addresses: &[String],
        role: &RoleKey,
        at: UnixMillis,
    ) -> StoreResult<()>;

    /// The user's suggestions in `statuses` (all when empty), newest first.
    async fn list_suggestions(
        &self,
        user: &UserId,
        statuses: &[SuggestionStatus],
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<SuggestionView>>;

    /// Take up a suggestion: it becomes `accepted` and a pending request to
    /// join is made (one per organization). `NotFound` unless it is the
    /// user's.
    async fn accept_suggestion(
        &self,
        user: &UserId,
        id: &OrganizationSuggestionId,
        request: MembershipRequestId,
        at: UnixMillis,
    ) -> StoreResult<SuggestionView>;

    /// An organization's requests in `statuses` (all when empty), newest
    /// first.
    async fn list_requests(
        &self,
        org: &OrganizationId,
        statuses: &[RequestStatus],
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<RequestView>>;

    /// Accept a pending request (`accept_as`: the role of the membership
    /// it becomes, counted against the limit) or reject it (`None`), once:
    /// `Refused(RequestClosed)` when it is not pending, `NotFound` when it
    /// is not the organization's.
    async fn decide_request(
        &self,
        org: &OrganizationId,
        id: &MembershipRequestId,
        accept_as: Option<&RoleKey>,
        at: UnixMillis,
        member_events: MembershipEvents<'_>,
    ) -> StoreResult<(RequestView, Option<MembershipView>)>;
}

/// The columns of [`DomainRow`]: the domain (`d`), its open offers and its
/// organization (`o`).
pub const DOMAIN_COLUMNS: &str = "d.id AS d_id, d.name AS d_name, \
    d.enrollment_mode AS d_enrollment_mode, d.verification_strategy AS d_verification_strategy, \
    d.verified_at AS d_verified_at, d.affiliation_email_address AS d_affiliation_email_address, \
    d.challenge AS d_challenge, d.created_at AS d_created_at, d.updated_at AS d_updated_at, \
    d.version AS d_version, \
    (SELECT COUNT(*) FROM organization_invitations i WHERE i.domain_id = d.id \
     AND i.status = 'pending' AND i.expires_at > $1) AS d_pending_invitations, \
    (SELECT COUNT(*) FROM organization_suggestions s WHERE s.domain_id = d.id \
     AND s.status = 'pending') AS d_pending_suggestions, \
    o.id, o.name, o.slug, o.image_url, o.public_metadata, \
    o.private_metadata, o.max_allowed_memberships, o.admin_delete_enabled, o.members_count, \
    o.pending_invitations_count, o.created_by, o.created_at, o.updated_at, o.version";

/// What [`DOMAIN_COLUMNS`] reads from (its `$1` is now).
pub const DOMAIN_FROM: &str =
    "organization_domains d JOIN organizations o ON o.id = d.organization_id";

#[derive(Debug, sqlx::FromRow)]
pub struct DomainRow {
    pub d_id: String,
    pub d_name: String,
    pub d_enrollment_mode: String,
    pub d_verification_strategy: Option<String>,
    pub d_verified_at: Option<i64>,
    pub d_affiliation_email_address: Option<String>,
    pub d_challenge: Option<Json<CodeChallenge>>,
    pub d_created_at: i64,
    pub d_updated_at: i64,
    pub d_version: i64,
    pub d_pending_invitations: i64,
    pub d_pending_suggestions: i64,
    #[sqlx(flatten)]
    pub org: OrgRow,
}

impl TryFrom<DomainRow> for DomainView {
    type Error = StoreError;
    fn try_from(r: DomainRow) -> Result<Self, StoreError> {
        let organization = Organization::try_from(r.org)?;
        let mode = EnrollmentMode::parse(&r.d_enrollment_mode).ok_or_else(|| {
            StoreError::Corrupt(format!("enrollment mode `{}`", r.d_enrollment_mode))
        })?;
        let verified = match (r.d_verification_strategy.as_deref(), r.d_verified_at) {
            (Some(s), Some(at)) => Some((
                DomainProof::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("domain proof `{s}`")))?,
                UnixMillis(at),
            )),
            _ => None,
        };
        Ok(DomainView {
            domain: Domain {
                id: parse("domain id", &r.d_id)?,
                organization_id: organization.id.clone(),
                name: r.d_name,
                enrollment_mode: mode,
                verified,
                affiliation_email_address: r.d_affiliation_email_address,
                challenge: r.d_challenge.map(|c| c.0),
                created_at: UnixMillis(r.d_created_at),
                updated_at: UnixMillis(r.d_updated_at),
                version: r.d_version,
            },
            organization,
            pending_invitations: r.d_pending_invitations,
            pending_suggestions: r.d_pending_suggestions,
        })
    }
}

/// The columns of [`SuggestionRow`]: the suggestion (`s`) and its
/// organization (`o`).
pub const SUGGESTION_COLUMNS: &str = "s.id AS s_id, s.user_id AS s_user_id, \
    s.domain_id AS s_domain_id, s.status AS s_status, s.created_at AS s_created_at, \
    s.updated_at AS s_updated_at, \
    o.id, o.name, o.slug, o.image_url, o.public_metadata, \
    o.private_metadata, o.max_allowed_memberships, o.admin_delete_enabled, o.members_count, \
    o.pending_invitations_count, o.created_by, o.created_at, o.updated_at, o.version";

#[derive(Debug, sqlx::FromRow)]
pub struct SuggestionRow {
    pub s_id: String,
    pub s_user_id: String,
    pub s_domain_id: Option<String>,
    pub s_status: String,
    pub s_created_at: i64,
    pub s_updated_at: i64,
    #[sqlx(flatten)]
    pub org: OrgRow,
}

impl TryFrom<SuggestionRow> for SuggestionView {
    type Error = StoreError;
    fn try_from(r: SuggestionRow) -> Result<Self, StoreError> {
        let organization = Organization::try_from(r.org)?;
        Ok(SuggestionView {
            suggestion: Suggestion {
                id: parse("suggestion id", &r.s_id)?,
                organization_id: organization.id.clone(),
                user_id: parse("suggestion user", &r.s_user_id)?,
                domain_id: r
                    .s_domain_id
                    .map(|d| parse("suggestion domain", &d))
                    .transpose()?,
                status: SuggestionStatus::parse(&r.s_status).ok_or_else(|| {
                    StoreError::Corrupt(format!("suggestion status `{}`", r.s_status))
                })?,
                created_at: UnixMillis(r.s_created_at),
                updated_at: UnixMillis(r.s_updated_at),
            },
            organization,
        })
    }
}

/// The columns of [`RequestRow`]: the request (`q`) and who asks (`u`).
pub const REQUEST_COLUMNS: &str = "q.id AS q_id, q.organization_id AS q_organization_id, \
    q.user_id AS q_user_id, q.status AS q_status, q.created_at AS q_created_at, \
    q.updated_at AS q_updated_at, \
    COALESCE((SELECT e.email_address FROM email_addresses e WHERE e.id = u.primary_email_address_id), '') AS u_identifier, \
    u.first_name AS u_first_name, u.last_name AS u_last_name, u.image_url AS u_image_url";

#[derive(Debug, sqlx::FromRow)]
pub struct RequestRow {
    pub q_id: String,
    pub q_organization_id: String,
    pub q_user_id: String,
    pub q_status: String,
    pub q_created_at: i64,
    pub q_updated_at: i64,
    pub u_identifier: String,
    pub u_first_name: Option<String>,
    pub u_last_name: Option<String>,
    pub u_image_url: Option<String>,
}

impl TryFrom<RequestRow> for RequestView {
    type Error = StoreError;
    fn try_from(r: RequestRow) -> Result<Self, StoreError> {
        let user_id: UserId = parse("request user", &r.q_user_id)?;
        Ok(RequestView {
            request: MembershipRequest {
                id: parse("request id", &r.q_id)?,
                organization_id: parse("request organization", &r.q_organization_id)?,
                user_id: user_id.clone(),
                status: RequestStatus::parse(&r.q_status).ok_or_else(|| {
                    StoreError::Corrupt(format!("request status `{}`", r.q_status))
                })?,
                created_at: UnixMillis(r.q_created_at),
                updated_at: UnixMillis(r.q_updated_at),
            },
            user: MemberUser {
                user_id,
                identifier: r.u_identifier,
                first_name: r.u_first_name,
                last_name: r.u_last_name,
                image_url: r.u_image_url,
            },
        })
    }
}
