//! Verified domains (issue 17): an organization claims a domain and proves
//! it with a code mailed to an address there (or the Backend API says it
//! is proven); users whose verified address is in a verified domain then
//! find an invitation waiting (`automatic_invitation`) or are offered to
//! ask to join (`automatic_suggestion`), which an admin accepts or
//! rejects.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::email::EmailAddress;
use frontdesk_domain::entities::User;
use frontdesk_domain::flows::{CodeOutcome, CodeStrategy};
use frontdesk_domain::organizations::{
    Domain, DomainName, DomainProof, EnrollmentMode, OrgError, Organization, RequestStatus,
    SuggestionStatus,
};
use frontdesk_store::StoreError;
use frontdesk_store::org_domains::{
    DomainPatch, DomainQuery, DomainView, RequestView, SuggestionView,
};
use frontdesk_store::organizations::{MembershipView, Page};
use frontdesk_types::{MembershipRequestId, OrganizationDomainId, OrganizationSuggestionId};

use crate::engine::org_invitations::verified_addresses;
use crate::engine::organizations::{claims_changed, role};
use crate::error::{ApiError, ApiResult};
use crate::services::{codes, mail};
use crate::state::AppState;

fn invalid(param: &str, e: OrgError) -> ApiError {
    ApiError::bad_param(param, "form_param_format_invalid", e.to_string())
}

/// An enrollment mode the instance offers (`organizations.domains_enrollment_modes`;
/// all three when the list is empty).
pub fn mode(state: &AppState, raw: Option<&str>) -> ApiResult<EnrollmentMode> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(EnrollmentMode::ManualInvitation);
    };
    let allowed = &state
        .settings()
        .settings
        .organizations
        .domains_enrollment_modes;
    EnrollmentMode::parse(raw)
        .filter(|m| {
            *m == EnrollmentMode::ManualInvitation
                || allowed.is_empty()
                || allowed.iter().any(|a| a == m.as_str())
        })
        .ok_or_else(|| {
            ApiError::bad_param(
                "enrollment_mode",
                "form_param_value_invalid",
                format!("`enrollment_mode` cannot be `{raw}` on this instance"),
            )
        })
}

/// Claim `name` for `org`; proven at once when the Backend API says so.
pub async fn create(
    state: &AppState,
    org: &Organization,
    name: &str,
    enrollment_mode: Option<&str>,
    verified: bool,
) -> ApiResult<DomainView> {
    let name = DomainName::parse(name).map_err(|e| invalid("name", e))?;
    let mode = mode(state, enrollment_mode)?;
    let now = UnixMillis::now();
    let domain = Domain {
        id: OrganizationDomainId::generate(),
        organization_id: org.id.clone(),
        name: name.into(),
        enrollment_mode: mode,
        verified: verified.then_some((DomainProof::Admin, now)),
        affiliation_email_address: None,
        challenge: None,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let events = state.events();
    state
        .store
        .create_domain(&domain, &|v| {
            Some(events.domain("organizationDomain.created", v))
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::bad_param(
                "name",
                "organization_domain_already_exists",
                "The organization has this domain already.",
            ),
            StoreError::NotFound => ApiError::not_found("organization"),
            other => other.into(),
        })
}

/// One domain of `org`.
pub async fn load(state: &AppState, org: &Organization, id: &str) -> ApiResult<DomainView> {
    let id: OrganizationDomainId = id
        .parse()
        .map_err(|_| ApiError::not_found("organization domain"))?;
    state
        .store
        .domain(&org.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization domain"))
}

pub async fn list(state: &AppState, query: &DomainQuery) -> ApiResult<Page<DomainView>> {
    Ok(state.store.list_domains(query).await?)
}

/// Change a domain (its mode, whether it is proven, its code) with events.
async fn write(
    state: &AppState,
    d: &DomainView,
    patch: &DomainPatch,
) -> Result<DomainView, StoreError> {
    let events = state.events();
    state
        .store
        .update_domain(
            &d.organization.id,
            &d.domain.id,
            patch,
            UnixMillis::now(),
            &|v| Some(events.domain("organizationDomain.updated", v)),
        )
        .await
}

fn domain_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("organization domain"),
        other => other.into(),
    }
}

/// Set the enrollment mode (withdrawing what the domain offered and nobody
/// took up, with `delete_pending`) and, from the Backend API, whether it is
/// proven.
pub async fn update(
    state: &AppState,
    d: &DomainView,
    enrollment_mode: Option<&str>,
    verified: Option<bool>,
    delete_pending: bool,
) -> ApiResult<DomainView> {
    let mode = enrollment_mode.map(|m| mode(state, Some(m))).transpose()?;
    let verified = verified.map(|v| {
        if v {
            d.domain
                .verified
                .or(Some((DomainProof::Admin, UnixMillis::now())))
        } else {
            None
        }
    });
    let patch = DomainPatch {
        enrollment_mode: mode,
        verified,
        delete_pending,
        ..DomainPatch::default()
    };
    write(state, d, &patch).await.map_err(domain_error)
}

pub async fn delete(state: &AppState, d: &DomainView) -> ApiResult<DomainView> {
    let events = state.events();
    state
        .store
        .delete_domain(&d.organization.id, &d.domain.id, UnixMillis::now(), &|v| {
            Some(events.domain_deleted(v))
        })
        .await
        .map_err(domain_error)
}

fn already_verified() -> ApiError {
    ApiError::bad_param(
        "affiliation_email_address",
        "organization_domain_already_verified",
        "This domain is verified already.",
    )
}

/// Mail a code to `address`, an address at the domain, to prove the
/// organization is affiliated with it.
pub async fn prepare_affiliation(
    state: &AppState,
    d: &DomainView,
    address: &str,
) -> ApiResult<DomainView> {
    if d.domain.verified.is_some() {
        return Err(already_verified());
    }
    let param = "affiliation_email_address";
    let address: EmailAddress =
        address
            .parse()
            .map_err(|e: frontdesk_domain::email::EmailError| {
                ApiError::bad_param(param, "form_param_format_invalid", e.to_string())
            })?;
    let address = address.normalized();
    let name = DomainName::parse(&d.domain.name).map_err(|e| invalid("name", e))?;
    if !name.holds(&address) {
        return Err(ApiError::bad_param(
            param,
            "form_param_value_invalid",
            format!("The address must be at {}.", d.domain.name),
        ));
    }
    let now = UnixMillis::now();
    let (challenge, code) = codes::issue(
        state,
        d.domain.id.as_str(),
        &address,
        CodeStrategy::EmailCode,
        d.domain.challenge.as_ref(),
        now,
    )?;
    let patch = DomainPatch {
        affiliation_email_address: Some(address.clone()),
        challenge: Some(Some(challenge)),
        expected_version: Some(d.domain.version),
        ..DomainPatch::default()
    };
    let view = write(state, d, &patch).await.map_err(|e| match e {
        // Another code was sent meanwhile: that one stands.
        StoreError::Stale => ApiError::rate_limited(1),
        other => domain_error(other),
    })?;
    mail::send_code(
        state,
        &address,
        &code,
        mail::Purpose::DomainAffiliation,
        true,
    )
    .await?;
    Ok(view)
}

/// Check the code mailed by [`prepare_affiliation`]: the domain is verified
/// once it matches. Each try counts against the code, on the row it was
/// read from (two tries at once never count as one).
pub async fn attempt_affiliation(
    state: &AppState,
    org: &Organization,
    id: &str,
    code: &str,
) -> ApiResult<DomainView> {
    loop {
        let d = load(state, org, id).await?;
        if d.domain.verified.is_some() {
            return Err(already_verified());
        }
        let Some(mut challenge) = d.domain.challenge.clone() else {
            return Err(super::code_error(CodeOutcome::NotPending));
        };
        let now = UnixMillis::now();
        let matches = codes::matches(d.domain.id.as_str(), &challenge, code);
        let outcome = challenge.attempt(matches, now);
        let patch = DomainPatch {
            challenge: Some(Some(challenge)),
            verified: (outcome == CodeOutcome::Verified)
                .then_some(Some((DomainProof::EmailCode, now))),
            expected_version: Some(d.domain.version),
            ..DomainPatch::default()
        };
        match write(state, &d, &patch).await {
            Err(StoreError::Stale) => continue,
            Err(e) => return Err(domain_error(e)),
            Ok(view) if outcome == CodeOutcome::Verified => return Ok(view),
            Ok(_) => return Err(super::code_error(outcome)),
        }
    }
}

/// Make the offers `user`'s verified addresses earn (invitations and
/// suggestions from verified domains), when the instance has domains on.
pub async fn enroll(state: &AppState, user: &User) -> ApiResult<()> {
    let settings = state.settings();
    let orgs = &settings.settings.organizations;
    if !orgs.enabled || !orgs.domains_enabled {
        return Ok(());
    }
    let addresses = verified_addresses(user);
    if addresses.is_empty() {
        return Ok(());
    }
    let role = role(state, &orgs.domains_default_role).await?.key;
    state
        .store
        .enroll_by_domains(&user.id, &addresses, &role, UnixMillis::now())
        .await?;
    Ok(())
}

/// The statuses a list asks for (`status`, repeatable or comma-separated).
pub fn statuses<T>(raw: &[String], parse: fn(&str) -> Option<T>) -> ApiResult<Vec<T>> {
    raw.iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse(s).ok_or_else(|| {
                ApiError::bad_param(
                    "status",
                    "form_param_value_invalid",
                    format!("`status` cannot be `{s}`"),
                )
            })
        })
        .collect()
}

pub async fn suggestions(
    state: &AppState,
    user: &User,
    statuses: &[SuggestionStatus],
    limit: i64,
    offset: i64,
) -> ApiResult<Page<SuggestionView>> {
    enroll(state, user).await?;
    Ok(state
        .store
        .list_suggestions(&user.id, statuses, limit, offset)
        .await?)
}

/// Take up a suggestion: a request to join goes to the organization's
/// admins.
pub async fn accept_suggestion(
    state: &AppState,
    user: &User,
    id: &str,
) -> ApiResult<SuggestionView> {
    let id: OrganizationSuggestionId = id
        .parse()
        .map_err(|_| ApiError::not_found("organization suggestion"))?;
    state
        .store
        .accept_suggestion(
            &user.id,
            &id,
            MembershipRequestId::generate(),
            UnixMillis::now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("organization suggestion"),
            other => other.into(),
        })
}

pub async fn requests(
    state: &AppState,
    org: &Organization,
    statuses: &[RequestStatus],
    limit: i64,
    offset: i64,
) -> ApiResult<Page<RequestView>> {
    Ok(state
        .store
        .list_requests(&org.id, statuses, limit, offset)
        .await?)
}

/// Accept (the user joins with the domains' default role) or reject a
/// request to join, once.
pub async fn decide(
    state: &AppState,
    org: &Organization,
    id: &str,
    accept: bool,
) -> ApiResult<(RequestView, Option<MembershipView>)> {
    let id: MembershipRequestId = id
        .parse()
        .map_err(|_| ApiError::not_found("organization membership request"))?;
    let role = if accept {
        let settings = state.settings();
        Some(
            role(state, &settings.settings.organizations.domains_default_role)
                .await?
                .key,
        )
    } else {
        None
    };
    let events = state.events();
    let decided = state
        .store
        .decide_request(&org.id, &id, role.as_ref(), UnixMillis::now(), &|m| {
            Some(events.membership("organizationMembership.created", m))
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("organization membership request"),
            other => other.into(),
        })?;
    if decided.1.is_some() {
        claims_changed(state);
    }
    Ok(decided)
}
