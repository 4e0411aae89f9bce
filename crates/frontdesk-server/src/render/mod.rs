//! Domain entities rendered as Clerk's Backend API objects.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{
    Client, EmailAddressRecord, ExternalAccount, PasskeyRecord, PasskeySummary, Session, User,
    Verification, VerificationStatus,
};
use frontdesk_domain::metadata::as_object;
use frontdesk_types::session as wire_session;
use frontdesk_types::user as wire_user;

use crate::state::AppState;

fn verification(v: &Verification) -> wire_user::Verification {
    let object = match v.strategy.as_str() {
        "admin" => "verification_admin",
        s if s.starts_with("from_oauth") => "verification_from_oauth",
        "email_link" => "verification_email_link",
        "ticket" => "verification_ticket",
        _ => "verification_otp",
    };
    wire_user::Verification {
        object: object.to_owned(),
        status: v.status.as_str().to_owned(),
        strategy: v.strategy.clone(),
        attempts: v.attempts,
        expire_at: v.expire_at.map(|t| t.0),
    }
}

/// An `EmailAddress` object.
pub fn email(e: &EmailAddressRecord) -> wire_user::EmailAddress {
    wire_user::EmailAddress {
        id: e.id.clone(),
        object: "email_address".to_owned(),
        email_address: e.email_address.clone(),
        reserved: false,
        verification: e.verification.as_ref().map(verification),
        linked_to: Vec::new(),
        matches_sso_connection: false,
        created_at: e.created_at.0,
        updated_at: e.updated_at.0,
    }
}

/// One of `u`'s addresses, with the external accounts it came from or
/// joined (`linked_to`, which `@clerk/backend` maps over).
fn linked_email(u: &User, e: &EmailAddressRecord) -> wire_user::EmailAddress {
    let mut out = email(e);
    out.linked_to = u
        .external_accounts
        .iter()
        .filter(|a| {
            a.email_address
                .as_deref()
                .is_some_and(|addr| addr.eq_ignore_ascii_case(&e.email_address))
        })
        .map(|a| serde_json::json!({"type": a.provider, "id": a.identification_id}))
        .collect();
    out
}

/// An `ExternalAccount` (Backend and Frontend API alike): an account at
/// another provider joined to the user, verified when it was joined.
pub fn external_account(a: &ExternalAccount) -> serde_json::Value {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    serde_json::json!({
        "object": "external_account",
        "id": a.id,
        "provider": a.provider,
        "identification_id": a.identification_id,
        "provider_user_id": a.provider_user_id,
        "approved_scopes": a.approved_scopes,
        "email_address": text(&a.email_address),
        "email_address_verified": a.email_address_verified,
        "first_name": text(&a.first_name),
        "last_name": text(&a.last_name),
        "avatar_url": text(&a.image_url),
        "image_url": a.image_url,
        "username": a.username,
        "phone_number": null,
        "public_metadata": {},
        "label": null,
        "created_at": a.created_at.0,
        "updated_at": a.updated_at.0,
        "verification": {
            "object": "verification_oauth",
            "status": "verified",
            "strategy": a.provider,
            "attempts": null,
            "expire_at": a.created_at.0,
            "error": null,
        },
    })
}

/// Whether an address counts as verified.
pub fn is_verified(e: &EmailAddressRecord) -> bool {
    e.verification
        .as_ref()
        .is_some_and(|v| v.status == VerificationStatus::Verified)
}

/// A Backend API `User` object.
pub fn user(state: &AppState, u: &User, now: UnixMillis) -> wire_user::User {
    let default_image = format!("{}/avatar.svg", state.instance.public_url.origin());
    let image_url = u.image_url.clone().unwrap_or(default_image);
    let locked = state.lockout.holds(u.locked_at, now);
    wire_user::User {
        id: u.id.clone(),
        object: "user".to_owned(),
        external_id: u.external_id.clone(),
        primary_email_address_id: u.primary_email_address_id.clone(),
        primary_phone_number_id: None,
        primary_web3_wallet_id: None,
        username: u.username.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        locale: None,
        profile_image_url: image_url.clone(),
        image_url,
        has_image: u.image_url.is_some(),
        public_metadata: as_object(&u.public_metadata),
        private_metadata: Some(as_object(&u.private_metadata)),
        unsafe_metadata: as_object(&u.unsafe_metadata),
        email_addresses: u
            .email_addresses
            .iter()
            .map(|e| linked_email(u, e))
            .collect(),
        phone_numbers: Vec::new(),
        web3_wallets: Vec::new(),
        // The Backend API's schema wants a time: a passkey never used to
        // sign in was last used when it was registered.
        passkeys: u
            .passkeys
            .iter()
            .map(|p| wire_user::Passkey {
                last_used_at: Some(p.last_used_at.unwrap_or(p.created_at).0),
                created_at: None,
                updated_at: None,
                ..passkey(p)
            })
            .collect(),
        password_enabled: u.password_digest.is_some(),
        two_factor_enabled: u.mfa.two_factor_enabled(),
        totp_enabled: u.mfa.totp_enabled,
        backup_code_enabled: u.mfa.backup_code_enabled,
        mfa_enabled_at: u.mfa.enabled_at.map(|t| t.0),
        mfa_disabled_at: u.mfa.disabled_at.map(|t| t.0),
        password_last_updated_at: u.password_last_updated_at.map(|t| t.0),
        external_accounts: u.external_accounts.iter().map(external_account).collect(),
        saml_accounts: Vec::new(),
        enterprise_accounts: Vec::new(),
        last_sign_in_at: u.last_sign_in_at.map(|t| t.0),
        banned: u.banned,
        locked,
        lockout_expires_in_seconds: u
            .locked_at
            .filter(|_| locked)
            .and_then(|at| state.lockout.remaining_secs(at, now)),
        verification_attempts_remaining: None,
        updated_at: u.updated_at.0,
        created_at: u.created_at.0,
        delete_self_enabled: u.delete_self_enabled,
        create_organization_enabled: u.create_organization_enabled,
        create_organizations_limit: None,
        last_active_at: u.last_active_at.map(|t| t.0),
        legal_accepted_at: u.legal_accepted_at.map(|t| t.0),
        bypass_client_trust: false,
        organization_memberships: None,
    }
}

/// A verified passkey on a user, as the Frontend API shows it.
pub fn passkey(p: &PasskeySummary) -> wire_user::Passkey {
    wire_user::Passkey {
        id: p.id.clone(),
        object: "passkey".to_owned(),
        name: p.name.clone(),
        last_used_at: p.last_used_at.map(|t| t.0),
        verification: Some(wire_user::PasskeyVerification {
            object: "verification_passkey".to_owned(),
            status: "verified".to_owned(),
            strategy: "passkey".to_owned(),
            attempts: None,
            expire_at: Some(p.created_at.0),
            nonce: None,
        }),
        created_at: Some(p.created_at.0),
        updated_at: Some(p.updated_at.0),
    }
}

/// A passkey record (pending or verified) as the Frontend API shows it: a
/// pending one carries its creation options in `verification.nonce`.
pub fn passkey_record(p: &PasskeyRecord) -> wire_user::Passkey {
    let mut out = passkey(&p.summary());
    if let (false, Some(v)) = (p.verified, out.verification.as_mut()) {
        let open = UnixMillis::now() < p.expire_at;
        v.status = if open { "unverified" } else { "expired" }.to_owned();
        v.expire_at = Some(p.expire_at.0);
        v.nonce = open
            .then(|| crate::engine::passkeys::creation_options(p))
            .flatten();
    }
    out
}

/// A Frontend API user: the Backend API user without private metadata, with
/// organization memberships.
pub fn frontend_user(state: &AppState, u: &User, now: UnixMillis) -> wire_user::User {
    wire_user::User {
        passkeys: u.passkeys.iter().map(passkey).collect(),
        private_metadata: None,
        organization_memberships: Some(Vec::new()),
        // The Frontend API types this as an integer; clerk-js reads 0 as
        // "no limit" (Frontdesk has none).
        create_organizations_limit: Some(0),
        ..user(state, u, now)
    }
}

/// A Backend API `Session` object, with the status as of `now`.
pub fn session(s: &Session, now: UnixMillis) -> wire_session::Session {
    let a = &s.latest_activity;
    wire_session::Session {
        object: "session".to_owned(),
        id: s.id.clone(),
        user_id: s.user_id.clone(),
        client_id: s.client_id.clone(),
        actor: s.actor.clone(),
        status: s.status_at(now).as_str().to_owned(),
        last_active_organization_id: s.last_active_organization_id.clone(),
        last_active_at: s.last_active_at.0,
        latest_activity: wire_session::SessionActivity {
            object: "session_activity".to_owned(),
            id: format!("sess_activity_{}", &s.id.as_str()[5..]),
            device_type: a.device_type.clone(),
            is_mobile: a.is_mobile,
            browser_name: a.browser_name.clone(),
            browser_version: a.browser_version.clone(),
            ip_address: a.ip_address.clone(),
            city: a.city.clone(),
            country: a.country.clone(),
        },
        expire_at: s.expire_at.0,
        abandon_at: s.abandon_at.0,
        updated_at: s.updated_at.0,
        created_at: s.created_at.0,
        // A pending session has one task: adding the second factor the
        // instance requires (clerk-js then shows `<TaskSetupMFA/>`).
        tasks: (s.status == frontdesk_domain::entities::SessionStatus::Pending)
            .then(|| vec![serde_json::json!({"key": crate::engine::mfa::SETUP_TASK})]),
    }
}

/// A Backend API `Client` object with its sessions.
pub fn client(c: &Client, sessions: &[Session], now: UnixMillis) -> wire_session::Client {
    wire_session::Client {
        object: "client".to_owned(),
        id: c.id.clone(),
        session_ids: sessions.iter().map(|s| s.id.clone()).collect(),
        sessions: sessions.iter().map(|s| session(s, now)).collect(),
        sign_in_id: None,
        sign_up_id: None,
        last_active_session_id: c.last_active_session_id.clone(),
        last_authentication_strategy: None,
        updated_at: c.updated_at.0,
        created_at: c.created_at.0,
    }
}

pub mod org_domains;
pub mod organizations;
pub use organizations::{membership, organization, role};
