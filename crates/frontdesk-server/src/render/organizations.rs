//! Organizations in Clerk's wire shapes: the Backend API's (with private
//! metadata and `created_by`) and the Frontend API's (`Client.*`, without).

use frontdesk_domain::UnixMillis;
use std::collections::HashMap;

use frontdesk_domain::organizations::{Organization, Permission, PermissionKey, Role};
use frontdesk_store::org_invitations::InvitationView;
use frontdesk_store::organizations::MembershipView;
use frontdesk_types::organization as wire;

/// Which API an object is for: the Frontend API leaves private fields out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Backend,
    Frontend,
}

/// An organization.
pub fn organization(o: &Organization, api: Api) -> wire::Organization {
    let backend = api == Api::Backend;
    wire::Organization {
        object: "organization".to_owned(),
        id: o.id.to_string(),
        name: o.name.clone(),
        slug: o.slug.clone(),
        image_url: o.image_url.clone().unwrap_or_default(),
        has_image: o.image_url.is_some(),
        members_count: o.members_count,
        pending_invitations_count: o.pending_invitations_count,
        max_allowed_memberships: o.max_allowed_memberships,
        admin_delete_enabled: o.admin_delete_enabled,
        public_metadata: o.public_metadata.clone(),
        private_metadata: backend.then(|| o.private_metadata.clone()),
        created_by: if backend {
            Some(
                o.created_by
                    .as_ref()
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
            )
        } else {
            None
        },
        created_at: o.created_at.0,
        updated_at: o.updated_at.0,
    }
}

/// A membership, with its organization and member.
pub fn membership(v: &MembershipView, api: Api) -> wire::OrganizationMembership {
    let m = &v.membership;
    let image = v.user.image_url.clone();
    wire::OrganizationMembership {
        object: "organization_membership".to_owned(),
        id: m.id.to_string(),
        role: m.role.to_string(),
        role_name: v.role_name.clone(),
        permissions: v.permissions.iter().map(|p| p.to_string()).collect(),
        public_metadata: m.public_metadata.clone(),
        private_metadata: (api == Api::Backend).then(|| m.private_metadata.clone()),
        organization: organization(&v.organization, api),
        public_user_data: wire::PublicUserData {
            user_id: m.user_id.to_string(),
            first_name: v.user.first_name.clone(),
            last_name: v.user.last_name.clone(),
            profile_image_url: Some(image.clone().unwrap_or_default()),
            has_image: image.is_some(),
            image_url: image.unwrap_or_default(),
            identifier: Some(v.user.identifier.clone()),
        },
        created_at: m.created_at.0,
        updated_at: m.updated_at.0,
    }
}

/// A permission.
pub fn permission(p: &Permission) -> wire::Permission {
    wire::Permission {
        object: "permission".to_owned(),
        id: p.id.to_string(),
        name: p.name.clone(),
        key: p.key.to_string(),
        description: p.description.clone(),
        kind: if p.key.is_system() { "system" } else { "user" }.to_owned(),
        created_at: p.created_at.0,
        updated_at: p.updated_at.0,
    }
}

/// A role with its permissions, as the instance's `catalog` has them (a
/// key the catalog lacks is left out).
pub fn role(r: &Role, catalog: &HashMap<PermissionKey, Permission>) -> wire::Role {
    wire::Role {
        object: "role".to_owned(),
        id: r.id.to_string(),
        name: r.name.clone(),
        key: r.key.to_string(),
        description: r.description.clone(),
        is_creator_eligible: r.is_creator_eligible(),
        permissions: r
            .permissions
            .iter()
            .filter_map(|k| catalog.get(k))
            .map(permission)
            .collect(),
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    }
}

/// The organization of an invitation, as its invitee sees it.
pub fn public_organization(o: &Organization) -> wire::PublicOrganizationData {
    wire::PublicOrganizationData {
        id: o.id.to_string(),
        name: o.name.clone(),
        slug: o.slug.clone(),
        image_url: o.image_url.clone().unwrap_or_default(),
        has_image: o.image_url.is_some(),
    }
}

/// Who an invitation's audience is: the Backend API and webhooks see
/// everything (and, in lists across organizations, which organization each
/// is to); the Frontend API shows an organization's invitations to its
/// admins (no private metadata, no inviter) and a user's own invitations
/// with the organization they are to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationFor {
    Backend,
    BackendAcross,
    Organization,
    Invitee,
}

/// An invitation; `url` is the accept link, known only when it was just
/// created.
pub fn invitation(
    v: &InvitationView,
    audience: InvitationFor,
    url: Option<String>,
    now: UnixMillis,
) -> wire::OrganizationInvitation {
    let i = &v.invitation;
    let backend = matches!(
        audience,
        InvitationFor::Backend | InvitationFor::BackendAcross
    );
    let inviter = v.inviter.as_ref().map(|u| {
        let image = u.image_url.clone();
        wire::PublicUserData {
            user_id: u.user_id.to_string(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            profile_image_url: None,
            has_image: image.is_some(),
            image_url: image.unwrap_or_default(),
            identifier: Some(u.identifier.clone()),
        }
    });
    wire::OrganizationInvitation {
        object: "organization_invitation".to_owned(),
        id: i.id.to_string(),
        email_address: i.email_address.clone(),
        role: i.role.to_string(),
        role_name: v.role_name.clone(),
        organization_id: i.organization_id.to_string(),
        status: i.status_at(now).as_str().to_owned(),
        public_metadata: i.public_metadata.clone(),
        private_metadata: backend.then(|| i.private_metadata.clone()),
        inviter_id: backend.then(|| i.inviter_id.as_ref().map(|u| u.to_string())),
        public_inviter_data: backend.then_some(inviter),
        public_organization_data: matches!(
            audience,
            InvitationFor::BackendAcross | InvitationFor::Invitee
        )
        .then(|| public_organization(&v.organization)),
        url,
        expires_at: Some(i.expires_at.0),
        created_at: i.created_at.0,
        updated_at: i.updated_at.0,
    }
}
