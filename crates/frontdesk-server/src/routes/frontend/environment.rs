//! `GET /v1/environment` (production) and `PATCH` (development, clerk-js's
//! `touch`): the instance settings clerk-js renders its forms from, read
//! from the database on every call so that a change shows without a restart
//! on every node.

use axum::extract::State;
use axum::response::Response;
use frontdesk_domain::settings::Attribute;
use serde_json::{Value, json};

use crate::extract::Browser;
use crate::state::AppState;

/// A `user_settings.attributes` entry.
fn attr(enabled: bool, required: bool, first: &[&str], verifications: &[&str]) -> Value {
    json!({
        "enabled": enabled, "required": required, "name": "",
        "used_for_first_factor": !first.is_empty(), "first_factors": first,
        "used_for_second_factor": false, "second_factors": [],
        "verifications": verifications, "verify_at_sign_up": !verifications.is_empty(),
    })
}

/// A second-factor attribute: `<UserProfile/>` offers "Two-step
/// verification" when one is enabled with a non-empty `second_factors`.
fn second_factor(enabled: bool, strategy: &str) -> Value {
    let factors: &[&str] = if enabled { &[strategy] } else { &[] };
    json!({
        "enabled": enabled, "required": false, "name": "",
        "used_for_first_factor": false, "first_factors": [],
        "used_for_second_factor": enabled, "second_factors": factors,
        "verifications": [], "verify_at_sign_up": false,
    })
}

/// The passkey attribute: a first factor (`<SignIn/>`'s "Use passkey",
/// autofill) that `<UserProfile/>` lets users add; never asked at sign-up.
fn passkey(enabled: bool) -> Value {
    let first: &[&str] = if enabled { &["passkey"] } else { &[] };
    json!({
        "enabled": enabled, "required": false, "name": "",
        "used_for_first_factor": enabled, "first_factors": first,
        "used_for_second_factor": false, "second_factors": [],
        "verifications": first, "verify_at_sign_up": false,
    })
}

/// `user_settings.social`: the providers that are on, each a button on
/// `<SignIn/>` and `<SignUp/>` (`enabled` and `authenticatable`).
/// clerk-js shows Clerk's own icons for the named providers and
/// `logo_url` for custom ones.
fn social(settings: &frontdesk_domain::oauth::SocialSettings) -> Value {
    let on = settings
        .iter()
        .filter(|(_, c)| c.enabled && !c.is_enterprise())
        .map(|(s, c)| {
            (
                s.as_str().to_owned(),
                json!({
                    "enabled": true, "required": false, "authenticatable": true,
                    "block_email_subaddresses": false, "strategy": s.as_str(),
                    "not_selectable": false, "deprecated": false,
                    "name": c.name_for(s.provider()),
                    "logo_url": c.logo_url.as_ref().map(url::Url::as_str),
                }),
            )
        });
    Value::Object(on.collect())
}

/// `organization_settings`, what `<OrganizationSwitcher/>` and
/// `<OrganizationProfile/>` read (`max_allowed_memberships` 0: no limit).
fn organization_settings(o: &frontdesk_domain::settings::OrganizationSettings) -> Value {
    json!({
        "enabled": o.enabled,
        "max_allowed_memberships": o.max_allowed_memberships,
        "actions": {"admin_delete": o.admin_delete_enabled},
        "domains": {
            "enabled": o.domains_enabled,
            // None listed: all three (what the domain pages offer).
            "enrollment_modes": if o.domains_enrollment_modes.is_empty() {
                json!(["manual_invitation", "automatic_invitation", "automatic_suggestion"])
            } else {
                json!(o.domains_enrollment_modes)
            },
            "default_role": o.domains_default_role,
        },
        "slug": {"disabled": o.slug_disabled},
        "creator_role": o.creator_role,
    })
}

fn named(a: Attribute) -> Value {
    attr(a.enabled, a.required, &[], &[])
}

pub async fn get(State(state): State<AppState>, fapi: Browser) -> Response {
    let info = &state.instance;
    let snapshot = state.fresh_settings().await;
    let settings = &snapshot.settings;
    let email_first_factors: &[&str] = if settings.sign_in.email_code {
        &["email_code"]
    } else {
        &[]
    };
    let preferred = match settings
        .preferred_sign_in_strategy_when_password_required
        .as_deref()
    {
        Some("otp") => "otp",
        _ => "password",
    };
    let origin = info.public_url.origin();
    let body = json!({
        "object": "environment",
        "id": format!("env_{}", &info.instance.id.as_str()[4..]),
        "auth_config": {"object": "auth_config", "id": "aac_frontdesk", "single_session_mode": true, "claimed_at": null, "reverification": false},
        "display_config": {
            "object": "display_config",
            "id": "dc_frontdesk",
            "instance_environment_type": info.instance.mode.as_str(),
            "application_name": settings.branding.application_name,
            "branded": false,
            "show_devmode_warning": false,
            "captcha_public_key": null,
            "captcha_widget_type": null,
            "captcha_provider": null,
            "captcha_public_key_invisible": null,
            "captcha_oauth_bypass": [],
            "captcha_heartbeat": false,
            "preferred_sign_in_strategy": preferred,
            "home_url": origin,
            // The app's own pages when the settings name them.
            "sign_in_url": settings.paths.sign_in_url.as_ref().map_or_else(|| format!("{origin}/sign-in"), |u| u.to_string()),
            "sign_up_url": settings.paths.sign_up_url.as_ref().map_or_else(|| format!("{origin}/sign-up"), |u| u.to_string()),
            "user_profile_url": format!("{origin}/user"),
            "after_sign_in_url": origin,
            "after_sign_up_url": origin,
            "after_sign_out_one_url": format!("{origin}/sign-in"),
            "after_sign_out_all_url": format!("{origin}/sign-in"),
            "logo_image_url": settings.branding.logo_url.as_ref().map(url::Url::as_str),
            "favicon_image_url": null,
            "terms_url": null,
            "privacy_policy_url": null,
        },
        "user_settings": {
            "attributes": {
                "email_address": attr(true, true, email_first_factors, &["email_code"]),
                "password": attr(true, true, &[], &[]),
                "first_name": named(settings.sign_up.first_name),
                "last_name": named(settings.sign_up.last_name),
                "username": named(settings.sign_up.username),
                "phone_number": attr(false, false, &[], &[]),
                "web3_wallet": attr(false, false, &[], &[]),
                "authenticator_app": second_factor(settings.mfa.totp, "totp"),
                "backup_code": second_factor(settings.mfa.totp && settings.mfa.backup_codes, "backup_code"),
                "passkey": passkey(settings.sign_in.passkey),
            },
            "sign_in": {"second_factor": {"required": settings.mfa.required}},
            "sign_up": {"mode": settings.sign_up.mode.as_str(), "captcha_enabled": false, "captcha_widget_type": "smart", "progressive": true, "legal_consent_enabled": false, "custom_action_required": false},
            "password_settings": {
                "min_length": settings.passwords.min_length,
                "max_length": frontdesk_domain::password::MAX_PASSWORD_CHARS,
                "require_special_char": false, "require_numbers": false, "require_uppercase": false, "require_lowercase": false,
                "show_zxcvbn": false, "min_zxcvbn_strength": 0, "enforce_hibp_on_sign_in": false, "allowed_special_characters": "",
            },
            "social": social(&settings.social),
            "saml": {"enabled": false},
            // Addresses in a domain bound to a connection are sent to it.
            "enterprise_sso": {"enabled": settings.social.values().any(|c| c.enabled && c.is_enterprise())},
            // A passkey with user verification is both factors (engine::sign_in).
            "passkey_settings": {
                "allow_autofill": settings.sign_in.passkey,
                "show_sign_in_button": settings.sign_in.passkey,
                "satisfies_second_factor": true,
            },
            // Any signed-in user may create organizations once they are on.
            "actions": {"delete_self": true, "create_organization": settings.organizations.enabled},
            "attack_protection": {"user_lockout": {"enabled": true, "max_attempts": 10, "duration_in_minutes": 60}},
        },
        "organization_settings": organization_settings(&settings.organizations),
        // clerk-js reads `billing.user` and `billing.organization`
        // unguarded: without them every load fails half-way (status
        // `degraded`, and a later page may fall back to a stale snapshot).
        "commerce_settings": {"billing": {
            "stripe_publishable_key": null, "free_trial_requires_payment_method": false,
            "user": {"enabled": false, "has_paid_plans": false},
            "organization": {"enabled": false, "has_paid_plans": false},
        }},
        "maintenance_mode": false,
        "partitioned_cookies": false,
    });
    fapi.respond(&body)
}
