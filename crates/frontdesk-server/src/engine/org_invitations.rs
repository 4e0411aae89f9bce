//! Invitations to organizations (issue 17): sending them (one or many, with
//! the email that carries the ticket), revoking them, and accepting them,
//! in-app by a signed-in user whose verified address was invited, or through
//! the emailed link (`/v1/tickets/accept`, then a ticket sign-in or sign-up).
//!
//! A ticket is 32 random bytes (256 bits, 43 base62 characters); the store keeps its
//! SHA-256 only, so the link is shown once: in the email, and in the answer
//! to the Backend API call that created it (for apps that send their own).

use frontdesk_domain::organizations::{Invitation, InvitationStatus, Membership, Organization};
use frontdesk_domain::{EmailAddress, UnixMillis};
use frontdesk_store::StoreError;
use frontdesk_store::org_invitations::{InvitationQuery, InvitationView, NewInvitation};
use frontdesk_store::organizations::MembershipView;
use frontdesk_types::{OrganizationInvitationId, OrganizationMembershipId, UserId};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::engine::organizations::role;
use crate::engine::users::check_metadata;
use crate::error::{ApiError, ApiResult};
use crate::services::mail;
use crate::state::AppState;

/// Clerk's default lifetime of an invitation.
pub const DEFAULT_DAYS: i64 = 30;
/// Most invitations one call sends.
pub const MAX_BULK: usize = 100;

/// One invitation as both APIs take it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvitationRequest {
    pub email_address: String,
    pub role: String,
    pub inviter_user_id: Option<String>,
    pub redirect_url: Option<String>,
    pub expires_in_days: Option<i64>,
    pub public_metadata: Option<Map<String, Value>>,
    pub private_metadata: Option<Map<String, Value>>,
    /// Whether Frontdesk mails the invitation (default `true`).
    pub notify: Option<bool>,
}

/// An invitation just sent, with its link (shown this once).
pub struct Sent {
    pub view: InvitationView,
    pub url: String,
}

/// The SHA-256 of a ticket, as stored.
pub fn ticket_hash(ticket: &str) -> String {
    frontdesk_crypto::sha256_hex(ticket.as_bytes())
}

/// The link that accepts an invitation.
fn accept_url(state: &AppState, ticket: &str) -> String {
    format!(
        "{}/v1/tickets/accept?ticket={ticket}",
        state.instance.public_url.origin()
    )
}

/// Check every request and build its invitation; none is stored when one
/// is wrong.
async fn prepare(
    state: &AppState,
    org: &Organization,
    requests: &[InvitationRequest],
    inviter: Option<&UserId>,
    now: UnixMillis,
) -> ApiResult<Vec<(NewInvitation, String, bool)>> {
    let settings = state.settings();
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let email: EmailAddress = r.email_address.parse().map_err(|e| {
            ApiError::bad_param(
                "email_address",
                "form_param_format_invalid",
                format!("`{}` is not a valid email address: {e}", r.email_address),
            )
        })?;
        let email = email.normalized();
        if out
            .iter()
            .any(|(n, _, _): &(NewInvitation, String, bool)| n.invitation.email_address == email)
        {
            return Err(duplicate(&email));
        }
        let role = role(state, &r.role).await?;
        let days = r.expires_in_days.unwrap_or(DEFAULT_DAYS);
        if !(1..=365).contains(&days) {
            return Err(ApiError::bad_param(
                "expires_in_days",
                "form_param_value_invalid",
                "`expires_in_days` must be between 1 and 365",
            ));
        }
        let redirect_url = match r.redirect_url.as_deref().filter(|u| !u.is_empty()) {
            Some(raw) => Some(
                settings
                    .redirects
                    .parse(raw)
                    .map_err(|e| {
                        ApiError::bad_param(
                            "redirect_url",
                            "form_param_value_invalid",
                            e.to_string(),
                        )
                    })?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let metadata = |param: &str, m: &Option<Map<String, Value>>| -> ApiResult<Value> {
            let m = m.clone().unwrap_or_default();
            check_metadata(param, &m)?;
            Ok(Value::Object(m))
        };
        // Someone who is a member already with this (verified) address.
        if let Some(user) = state.store.find_user_by_email(&email).await?
            && verified_owner(&user, &email)
            && state.store.membership(&org.id, &user.id).await?.is_some()
        {
            return Err(ApiError::bad_param(
                "email_address",
                "already_a_member_in_organization",
                format!("{email} is already a member of this organization."),
            ));
        }
        let ticket = frontdesk_types::id::random_base62(32);
        let invitation = Invitation {
            id: OrganizationInvitationId::generate(),
            organization_id: org.id.clone(),
            email_address: email,
            role: role.key,
            status: InvitationStatus::Pending,
            public_metadata: metadata("public_metadata", &r.public_metadata)?,
            private_metadata: metadata("private_metadata", &r.private_metadata)?,
            inviter_id: inviter.cloned(),
            redirect_url,
            expires_at: now.plus_secs(days * 86_400),
            created_at: now,
            updated_at: now,
        };
        let new = NewInvitation {
            invitation,
            ticket_hash: ticket_hash(&ticket),
        };
        out.push((new, ticket, r.notify.unwrap_or(true)));
    }
    Ok(out)
}

fn duplicate(email: &str) -> ApiError {
    ApiError::bad_param(
        "email_address",
        "duplicate_record",
        format!("There is a pending invitation for {email} already."),
    )
}

/// Whether `user` owns `email` verified (an invitation to an address is
/// for whoever proved they own it).
pub fn verified_owner(user: &frontdesk_domain::entities::User, email: &str) -> bool {
    user.email_addresses.iter().any(|e| {
        e.email_address.eq_ignore_ascii_case(email)
            && e.verification.as_ref().is_some_and(|v| {
                v.status == frontdesk_domain::entities::VerificationStatus::Verified
            })
    })
}

/// Who sends invitations: an app through the Backend API (trusted), or a
/// signed-in member through the Frontend API, whose invitations are capped
/// per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    App,
    Member,
}

/// Send invitations to `org`, all or none, from `inviter` (who must be a
/// member; the Frontend API checks their permission), and mail each one
/// that asks to be. Each mail counts against its address's mail quota, so
/// no mailbox is flooded whoever invites it.
pub async fn invite(
    state: &AppState,
    org: &Organization,
    requests: &[InvitationRequest],
    inviter: Option<&UserId>,
    sender: Sender,
) -> ApiResult<Vec<Sent>> {
    if requests.is_empty() || requests.len() > MAX_BULK {
        return Err(ApiError::bad_param(
            "email_address",
            "form_param_value_invalid",
            format!("Send between 1 and {MAX_BULK} invitations at once."),
        ));
    }
    let now = UnixMillis::now();
    let prepared = prepare(state, org, requests, inviter, now).await?;
    if let (Sender::Member, Some(user)) = (sender, inviter) {
        mail::inviter_within_quota(state, user.as_str(), prepared.len(), now).await?;
    }
    for (new, _, notify) in &prepared {
        if *notify {
            mail::invitation_within_quota(state, &new.invitation.email_address, now).await?;
        }
    }
    let new: Vec<NewInvitation> = prepared.iter().map(|(n, _, _)| n.clone()).collect();
    let events = state.events();
    let created = state
        .store
        .create_invitations(&org.id, &new, &|v| {
            Some(events.invitation("organizationInvitation.created", v))
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                let emails: Vec<&str> = new
                    .iter()
                    .map(|n| n.invitation.email_address.as_str())
                    .collect();
                duplicate(&emails.join(", "))
            }
            StoreError::NotFound => ApiError::not_found("organization"),
            other => other.into(),
        })?;
    let settings = state.settings();
    let app = &settings.settings.branding.application_name;
    let mut sent = Vec::with_capacity(created.len());
    for (view, (_, ticket, notify)) in created.into_iter().zip(prepared) {
        let url = accept_url(state, &ticket);
        if notify {
            let inviter = view
                .inviter
                .as_ref()
                .map(|u| match (&u.first_name, &u.last_name) {
                    (Some(f), Some(l)) => format!("{f} {l}"),
                    (Some(f), None) => f.clone(),
                    _ => u.identifier.clone(),
                });
            let days = (view.invitation.expires_at.0 - now.0) / 86_400_000;
            let email = mail::invitation_email(
                &view.organization.name,
                inviter.as_deref().filter(|i| !i.is_empty()),
                &url,
                days,
                app,
                settings
                    .settings
                    .emails
                    .get(frontdesk_domain::email_templates::MessageKind::Invitation),
            );
            mail::queue(
                state,
                &view.invitation.email_address,
                &email,
                "organization_invitation",
                true,
                now.plus_secs(86_400),
            )
            .await?;
        }
        sent.push(Sent { view, url });
    }
    Ok(sent)
}

/// One invitation of `org`.
pub async fn load(state: &AppState, org: &Organization, id: &str) -> ApiResult<InvitationView> {
    let id: OrganizationInvitationId = id
        .parse()
        .map_err(|_| ApiError::not_found("organization invitation"))?;
    state
        .store
        .invitation(&id)
        .await?
        .filter(|v| v.invitation.organization_id == org.id)
        .ok_or_else(|| ApiError::not_found("organization invitation"))
}

/// The statuses a list asks for (`status`, repeatable); all when none.
pub fn statuses(raw: &[String]) -> ApiResult<Vec<InvitationStatus>> {
    raw.iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.is_empty())
        .map(|s| {
            InvitationStatus::parse(s).ok_or_else(|| {
                ApiError::bad_param(
                    "status",
                    "form_param_value_invalid",
                    format!("`status` cannot be `{s}`"),
                )
            })
        })
        .collect()
}

/// A page of invitations: one organization's, or a user's (those to their
/// verified addresses).
pub async fn list(
    state: &AppState,
    query: InvitationQuery,
) -> ApiResult<frontdesk_store::organizations::Page<InvitationView>> {
    Ok(state.store.list_invitations(&query).await?)
}

/// The verified addresses of `user`, lower-cased: whose invitations they see.
pub fn verified_addresses(user: &frontdesk_domain::entities::User) -> Vec<String> {
    user.email_addresses
        .iter()
        .filter(|e| verified_owner(user, &e.email_address))
        .map(|e| e.email_address.to_lowercase())
        .collect()
}

pub async fn revoke(state: &AppState, org: &Organization, id: &str) -> ApiResult<InvitationView> {
    let found = load(state, org, id).await?;
    let events = state.events();
    Ok(state
        .store
        .revoke_invitation(&org.id, &found.invitation.id, UnixMillis::now(), &|v| {
            Some(events.invitation("organizationInvitation.revoked", v))
        })
        .await?)
}

/// Accept an invitation as `user`, who must own its address verified: they
/// become a member with its role and metadata, once.
pub async fn accept(
    state: &AppState,
    found: &InvitationView,
    user: &frontdesk_domain::entities::User,
) -> ApiResult<(InvitationView, MembershipView)> {
    if !verified_owner(user, &found.invitation.email_address) {
        return Err(ApiError::not_found("organization invitation"));
    }
    let i = &found.invitation;
    let now = UnixMillis::now();
    let member = Membership {
        id: OrganizationMembershipId::generate(),
        organization_id: i.organization_id.clone(),
        user_id: user.id.clone(),
        role: i.role.clone(),
        public_metadata: i.public_metadata.clone(),
        private_metadata: i.private_metadata.clone(),
        created_at: now,
        updated_at: now,
    };
    let events = state.events();
    let accepted = state
        .store
        .accept_invitation(
            &i.id,
            &member,
            now,
            &|v| Some(events.invitation_accepted(v, &user.id)),
            &|m| Some(events.membership("organizationMembership.created", m)),
        )
        .await?;
    super::organizations::claims_changed(state);
    Ok(accepted)
}

fn ticket_error(code: &str, message: &str) -> ApiError {
    ApiError::bad_param("ticket", code, message)
}

/// The pending invitation a ticket names: `ticket_expired` past its
/// expiry, `ticket_invalid` when unknown, accepted or revoked.
pub async fn by_ticket(state: &AppState, ticket: &str) -> ApiResult<InvitationView> {
    let found = state
        .store
        .invitation_by_ticket(&ticket_hash(ticket.trim()))
        .await?;
    match found
        .as_ref()
        .map(|v| v.invitation.status_at(UnixMillis::now()))
    {
        Some(InvitationStatus::Pending) => Ok(found.expect("matched Some")),
        Some(InvitationStatus::Expired) => Err(ticket_error(
            "ticket_expired",
            "This invitation has expired. Ask for a new one.",
        )),
        _ => Err(ticket_error(
            "ticket_invalid",
            "This invitation link is not valid: it may have been used or revoked.",
        )),
    }
}

/// The end of a sign-in or sign-up through an invitation's ticket: `user`
/// joins. A sign-in is not undone when the invitation closed meanwhile
/// (revoked, or the organization filled up): it is logged.
pub async fn accept_after_ticket(
    state: &AppState,
    invitation: &str,
    user: &UserId,
) -> ApiResult<()> {
    let Ok(id) = invitation.parse::<OrganizationInvitationId>() else {
        return Ok(());
    };
    let (Some(found), Some(user)) = (
        state.store.invitation(&id).await?,
        state.store.get_user(user).await?,
    ) else {
        return Ok(());
    };
    match accept(state, &found, &user).await {
        Ok(_) => Ok(()),
        Err(e) if e.code().is_some() => {
            tracing::warn!(invitation = %id, code = ?e.code(), "an invitation's ticket signed in, but it was not accepted");
            Ok(())
        }
        Err(e) => Err(e),
    }
}
