//! Hand-built Backend API objects that Clerk's schemas accept, shaped like what
//! `api.clerk.com/v1` actually returns.
//!
//! They are reference shapes for Frontdesk's serializers (compare member by member) and are
//! validated in `tests/fixtures.rs`, so they cannot silently drift from the spec. Timestamps are
//! Unix **milliseconds**, as Clerk sends them. Comments mark members the spec does *not*
//! require but Clerk's real responses include anyway: Frontdesk should send them too.

use serde_json::{Value, json};

/// Creation time used throughout: 2023-11-22T22:00:00Z in Unix milliseconds.
pub const CREATED_AT: i64 = 1_700_690_400_000;

/// A verified primary email address (`EmailAddress`), verified by an email code.
///
/// Required by the spec: `object`, `email_address`, `verification`, `linked_to`, `reserved`,
/// `created_at`, `updated_at` (`id` is optional in the schema but always present in practice).
pub fn email_address() -> Value {
    json!({
        "id": "idn_2abcEmail",
        "object": "email_address",
        "email_address": "ada@example.com",
        "reserved": false,
        "verification": {
            // `object` is optional in every `verification_*` schema; the `oneOf` is decided by
            // `strategy` (its `enum` differs per alternative).
            "object": "verification_otp",
            "status": "verified",
            "strategy": "email_code",
            "attempts": 1,
            "expire_at": CREATED_AT + 600_000
        },
        "linked_to": [],
        "matches_sso_connection": false,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT
    })
}

/// A Backend API `User` with a password and one verified email, no MFA, no orgs.
///
/// The spec requires 35 members: `id object username first_name last_name has_image
/// primary_email_address_id primary_phone_number_id primary_web3_wallet_id password_enabled
/// two_factor_enabled totp_enabled backup_code_enabled email_addresses phone_numbers
/// web3_wallets passkeys external_accounts saml_accounts enterprise_accounts public_metadata
/// external_id last_sign_in_at banned locked lockout_expires_in_seconds
/// verification_attempts_remaining created_at updated_at delete_self_enabled
/// create_organization_enabled last_active_at mfa_enabled_at mfa_disabled_at
/// legal_accepted_at`. Nullable ones must still be present (as `null`).
///
/// Optional but sent by Clerk: `image_url`, `profile_image_url`, `private_metadata`,
/// `unsafe_metadata`, `password_last_updated_at`, `create_organizations_limit`, `locale`,
/// `bypass_client_trust`. Not sent here: `organization_memberships` (only with
/// `include_organization_memberships`-style calls), `deprovisioned`, and `scim`
/// (webhooks only). `User` has `additionalProperties: false`: any other member fails.
pub fn user() -> Value {
    json!({
        "id": "user_2abcUser",
        "object": "user",
        "external_id": null,
        "primary_email_address_id": "idn_2abcEmail",
        "primary_phone_number_id": null,
        "primary_web3_wallet_id": null,
        "username": null,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "locale": null,
        // Deprecated alias of `image_url`; Clerk still sends both.
        "profile_image_url": "https://img.clerk.com/default.png",
        "image_url": "https://img.clerk.com/default.png",
        "has_image": false,
        "public_metadata": {},
        "private_metadata": {},
        "unsafe_metadata": {},
        "email_addresses": [email_address()],
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": true,
        "two_factor_enabled": false,
        "totp_enabled": false,
        "backup_code_enabled": false,
        "mfa_enabled_at": null,
        "mfa_disabled_at": null,
        "password_last_updated_at": CREATED_AT,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": CREATED_AT + 60_000,
        "banned": false,
        "locked": false,
        "lockout_expires_in_seconds": null,
        "verification_attempts_remaining": 100,
        "updated_at": CREATED_AT + 60_000,
        "created_at": CREATED_AT,
        "delete_self_enabled": true,
        "create_organization_enabled": true,
        "create_organizations_limit": null,
        "last_active_at": CREATED_AT,
        "legal_accepted_at": null,
        "bypass_client_trust": false
    })
}

/// An active Backend API `Session` of [`user`].
///
/// Required by the spec: `object id user_id client_id status last_active_at expire_at
/// abandon_at updated_at created_at`. `actor`, `last_active_organization_id` and
/// `latest_activity` are optional but Clerk always sends them (`null` when unset).
pub fn session() -> Value {
    json!({
        "object": "session",
        "id": "sess_2abcSession",
        "user_id": "user_2abcUser",
        "client_id": "client_2abcClient",
        "actor": null,
        "status": "active",
        "last_active_organization_id": null,
        "last_active_at": CREATED_AT + 60_000,
        "latest_activity": {
            "object": "session_activity",
            "id": "sess_activity_2abc",
            "device_type": "Macintosh",
            "is_mobile": false,
            "browser_name": "Firefox",
            "browser_version": "128.0",
            "ip_address": "203.0.113.7",
            "city": "London",
            "country": "GB"
        },
        // 7 days and 30 days: Clerk's defaults for session lifetime and inactivity abandonment.
        "expire_at": CREATED_AT + 7 * 86_400_000,
        "abandon_at": CREATED_AT + 30 * 86_400_000,
        "updated_at": CREATED_AT + 60_000,
        "created_at": CREATED_AT,
        "tasks": []
    })
}

/// A Backend API `Client` holding the one [`session`].
///
/// Every member is required by the spec, the nullable ones included.
pub fn client() -> Value {
    json!({
        "object": "client",
        "id": "client_2abcClient",
        "session_ids": ["sess_2abcSession"],
        "sessions": [session()],
        "sign_in_id": null,
        "sign_up_id": null,
        "last_active_session_id": "sess_2abcSession",
        "last_authentication_strategy": "password",
        "updated_at": CREATED_AT + 60_000,
        "created_at": CREATED_AT
    })
}
