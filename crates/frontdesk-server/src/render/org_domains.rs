//! Verified domains, suggestions and requests to join in Clerk's wire
//! shapes (one shape for both APIs and webhooks).

use frontdesk_domain::flows::CodeStatus;
use frontdesk_domain::organizations::DomainProof;
use frontdesk_store::org_domains::{DomainView, RequestView, SuggestionView};
use frontdesk_types::organization as wire;

use super::organizations::public_organization;

/// A domain: how it was proven (`affiliation_verification` for a code,
/// `ownership_verification` for the Backend API's word; `verification`
/// is the deprecated twin of the first) and what it has offered.
pub fn domain(v: &DomainView) -> wire::OrganizationDomain {
    let d = &v.domain;
    let affiliation = match (d.verified, &d.challenge) {
        (Some((DomainProof::EmailCode, _)), c) => Some(wire::DomainVerification {
            status: "verified".to_owned(),
            strategy: "email_code".to_owned(),
            attempts: c.as_ref().map(|c| i64::from(c.attempts)),
            expire_at: c.as_ref().map(|c| c.expire_at.0),
            verified_at: None,
        }),
        (None, Some(c)) => Some(wire::DomainVerification {
            status: match c.status {
                CodeStatus::Unverified => "unverified",
                CodeStatus::Verified => "verified",
                CodeStatus::Failed => "failed",
                CodeStatus::Expired => "expired",
            }
            .to_owned(),
            strategy: "email_code".to_owned(),
            attempts: Some(i64::from(c.attempts)),
            expire_at: Some(c.expire_at.0),
            verified_at: None,
        }),
        _ => None,
    };
    let ownership = match d.verified {
        Some((DomainProof::Admin, at)) => Some(wire::DomainVerification {
            status: "verified".to_owned(),
            strategy: "admin".to_owned(),
            attempts: None,
            expire_at: None,
            verified_at: Some(at.0),
        }),
        _ => None,
    };
    wire::OrganizationDomain {
        object: "organization_domain".to_owned(),
        id: d.id.to_string(),
        organization_id: d.organization_id.to_string(),
        name: d.name.clone(),
        enrollment_mode: d.enrollment_mode.as_str().to_owned(),
        affiliation_email_address: d.affiliation_email_address.clone(),
        verification: affiliation.clone(),
        affiliation_verification: affiliation,
        ownership_verification: ownership,
        total_pending_invitations: v.pending_invitations,
        total_pending_suggestions: v.pending_suggestions,
        public_organization_data: Some(public_organization(&v.organization)),
        created_at: d.created_at.0,
        updated_at: d.updated_at.0,
    }
}

/// A suggestion to ask to join, with the organization.
pub fn suggestion(v: &SuggestionView) -> wire::OrganizationSuggestion {
    let s = &v.suggestion;
    wire::OrganizationSuggestion {
        object: "organization_suggestion".to_owned(),
        id: s.id.to_string(),
        public_organization_data: public_organization(&v.organization),
        status: s.status.as_str().to_owned(),
        created_at: s.created_at.0,
        updated_at: s.updated_at.0,
    }
}

/// A request to join, with who asks.
pub fn request(v: &RequestView) -> wire::OrganizationMembershipRequest {
    let r = &v.request;
    let image = v.user.image_url.clone();
    wire::OrganizationMembershipRequest {
        object: "organization_membership_request".to_owned(),
        id: r.id.to_string(),
        organization_id: r.organization_id.to_string(),
        status: r.status.as_str().to_owned(),
        public_user_data: Some(wire::PublicUserData {
            user_id: r.user_id.to_string(),
            first_name: v.user.first_name.clone(),
            last_name: v.user.last_name.clone(),
            profile_image_url: None,
            has_image: image.is_some(),
            image_url: image.unwrap_or_default(),
            identifier: Some(v.user.identifier.clone()),
        }),
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    }
}
