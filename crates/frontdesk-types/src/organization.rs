//! Organizations on the wire: Clerk's `Organization`,
//! `OrganizationMembership`, `Role` and `Permission`, shared by the Backend
//! API, the Frontend API (`Client.*`, which leaves the private fields out)
//! and the SDK.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An organization. `private_metadata` and `created_by` are the Backend
/// API's only (`None`: left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub object: String,
    pub id: String,
    pub name: String,
    pub slug: String,
    /// `""` makes the components draw initials.
    pub image_url: String,
    pub has_image: bool,
    pub members_count: i64,
    pub pending_invitations_count: i64,
    pub max_allowed_memberships: i64,
    pub admin_delete_enabled: bool,
    pub public_metadata: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub private_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who a member is, as membership lists show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicUserData {
    pub user_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Clerk still sends the deprecated twin of `image_url` with
    /// memberships (not with an invitation's inviter).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub profile_image_url: Option<String>,
    pub image_url: String,
    pub has_image: bool,
    pub identifier: Option<String>,
}

/// A user's membership of an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationMembership {
    pub object: String,
    pub id: String,
    pub role: String,
    pub role_name: String,
    /// Every permission of the role, system ones included: what the
    /// components' `has()` checks.
    pub permissions: Vec<String>,
    pub public_metadata: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub private_metadata: Option<Value>,
    pub organization: Organization,
    pub public_user_data: PublicUserData,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A permission: a system one (`type: "system"`) or the instance's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub object: String,
    pub id: String,
    pub name: String,
    pub key: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A role with its permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub object: String,
    pub id: String,
    pub name: String,
    pub key: String,
    pub description: String,
    pub is_creator_eligible: bool,
    pub permissions: Vec<Permission>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A page of a list and the size of the whole (`{data, total_count}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paginated<T> {
    pub data: Vec<T>,
    pub total_count: i64,
}

/// The organization an invitation is to, as the invitee sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicOrganizationData {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub image_url: String,
    pub has_image: bool,
}

/// An invitation to an organization. `inviter_id`, `public_inviter_data`
/// and `private_metadata` are the Backend API's (and webhooks') only;
/// `public_organization_data` is shown to the invitee (the Frontend API's
/// `/v1/me/organization_invitations`) and in webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationInvitation {
    pub object: String,
    pub id: String,
    pub email_address: String,
    pub role: String,
    pub role_name: String,
    pub organization_id: String,
    pub status: String,
    pub public_metadata: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub private_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inviter_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_inviter_data: Option<Option<PublicUserData>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_organization_data: Option<PublicOrganizationData>,
    /// The link that accepts the invitation: in the answer that created it
    /// only (its ticket is stored hashed), `null` afterwards.
    pub url: Option<String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How far a domain's claim is proven: `affiliation_verification` (a code
/// mailed to an address at the domain) or `ownership_verification` (set by
/// the Backend API, `verified: true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainVerification {
    pub status: String,
    pub strategy: String,
    pub attempts: Option<i64>,
    pub expire_at: Option<i64>,
    pub verified_at: Option<i64>,
}

/// A domain an organization claims, and how users with an address there
/// join (`enrollment_mode`). One shape for both APIs and webhooks;
/// `verification` is Clerk's deprecated twin of `affiliation_verification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationDomain {
    pub object: String,
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub enrollment_mode: String,
    pub affiliation_email_address: Option<String>,
    pub affiliation_verification: Option<DomainVerification>,
    pub ownership_verification: Option<DomainVerification>,
    pub verification: Option<DomainVerification>,
    pub total_pending_invitations: i64,
    pub total_pending_suggestions: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_organization_data: Option<PublicOrganizationData>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A suggestion to ask to join an organization whose verified domain holds
/// one of the user's verified addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationSuggestion {
    pub object: String,
    pub id: String,
    pub public_organization_data: PublicOrganizationData,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user's request to join an organization, for its admins to accept or
/// reject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationMembershipRequest {
    pub object: String,
    pub id: String,
    pub organization_id: String,
    pub status: String,
    pub public_user_data: Option<PublicUserData>,
    pub created_at: i64,
    pub updated_at: i64,
}
