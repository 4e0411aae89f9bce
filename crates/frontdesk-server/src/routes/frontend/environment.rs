//! `GET /v1/environment` (production) and `PATCH` (development, clerk-js's
//! `touch`): the instance settings clerk-js renders its forms from.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::ctx::Fapi;
use crate::state::AppState;

pub async fn get(State(state): State<AppState>, fapi: Fapi) -> Response {
    let info = &state.instance;
    let attr = |enabled: bool, required: bool, first: &[&str], verifications: &[&str]| {
        json!({
            "enabled": enabled, "required": required, "name": "",
            "used_for_first_factor": !first.is_empty(), "first_factors": first,
            "used_for_second_factor": false, "second_factors": [],
            "verifications": verifications, "verify_at_sign_up": !verifications.is_empty(),
        })
    };
    let body = json!({
        "object": "environment",
        "id": format!("env_{}", &info.instance.id.as_str()[4..]),
        "auth_config": {"object": "auth_config", "id": "aac_frontdesk", "single_session_mode": true, "claimed_at": null, "reverification": false},
        "display_config": {
            "object": "display_config",
            "id": "dc_frontdesk",
            "instance_environment_type": info.instance.mode.as_str(),
            "application_name": state.config.branding.application_name,
            "branded": false,
            "show_devmode_warning": false,
            "captcha_public_key": null,
            "captcha_widget_type": null,
            "captcha_provider": null,
            "captcha_public_key_invisible": null,
            "captcha_oauth_bypass": [],
            "captcha_heartbeat": false,
            "preferred_sign_in_strategy": "password",
            "home_url": info.public_url.origin(),
            "sign_in_url": format!("{}/sign-in", info.public_url.origin()),
            "sign_up_url": format!("{}/sign-up", info.public_url.origin()),
            "user_profile_url": format!("{}/user", info.public_url.origin()),
            "after_sign_in_url": info.public_url.origin(),
            "after_sign_up_url": info.public_url.origin(),
            "after_sign_out_one_url": format!("{}/sign-in", info.public_url.origin()),
            "after_sign_out_all_url": format!("{}/sign-in", info.public_url.origin()),
            "logo_image_url": null,
            "favicon_image_url": null,
            "terms_url": null,
            "privacy_policy_url": null,
        },
        "user_settings": {
            "attributes": {
                "email_address": attr(true, true, &["email_code"], &["email_code"]),
                "password": attr(true, true, &[], &[]),
                "first_name": attr(true, false, &[], &[]),
                "last_name": attr(true, false, &[], &[]),
                "username": attr(false, false, &[], &[]),
                "phone_number": attr(false, false, &[], &[]),
            },
            "sign_in": {"second_factor": {"required": false}},
            "sign_up": {"mode": "public", "captcha_enabled": false, "captcha_widget_type": "smart", "progressive": true, "legal_consent_enabled": false, "custom_action_required": false},
            "password_settings": {
                "min_length": state.config.min_password_length,
                "max_length": frontdesk_domain::password::MAX_PASSWORD_CHARS,
                "require_special_char": false, "require_numbers": false, "require_uppercase": false, "require_lowercase": false,
                "show_zxcvbn": false, "min_zxcvbn_strength": 0, "enforce_hibp_on_sign_in": false, "allowed_special_characters": "",
            },
            "social": {},
            "saml": {"enabled": false},
            "enterprise_sso": {"enabled": false},
            "passkey_settings": {"allow_autofill": false, "show_sign_in_button": false},
            "actions": {"delete_self": true, "create_organization": false},
            "attack_protection": {"user_lockout": {"enabled": true, "max_attempts": 10, "duration_in_minutes": 60}},
        },
        "organization_settings": {"enabled": false},
        "commerce_settings": {"billing": {"enabled": false, "has_paid_user_plans": false, "has_paid_org_plans": false}},
        "maintenance_mode": false,
        "partitioned_cookies": false,
    });
    fapi.respond(&body)
}
