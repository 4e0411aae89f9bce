//! Passkeys (WebAuthn, through webauthn-rs): registration from the user's
//! profile, and sign-in with a passkey as the first factor.
//!
//! **Relying party.** A ceremony runs in the page that calls
//! `navigator.credentials` — the app (`http://localhost:3000`) for clerk-js,
//! Frontdesk's origin for the hosted pages — so the RP ID and the expected
//! `clientDataJSON.origin` come from that page's `Origin`, which the
//! Frontend API has already checked against the instance's trusted origins
//! (security.md D11). The RP ID is the page's host unless the instance sets
//! `sign_in.passkey_rp_id` (a registrable domain the app and Frontdesk
//! share, so one passkey works on both). Browsers refuse IP-address RP IDs;
//! that case is said plainly, with the address that works.
//!
//! **User handle.** The WebAuthn user handle is 16 bytes derived from the
//! user id (SHA-256, truncated): stable, opaque, and not the id itself. A
//! discoverable assertion names its credential; the passkey found by that
//! credential id must belong to the user the handle names.
//!
//! **Atomicity.** A registration is pending (its ceremony state stored)
//! until one conditional update verifies it. An assertion's signature
//! counter is written only over the passkey's version it was checked with;
//! the sign-in's challenge is taken by the attempt's compare-and-swap, so a
//! replayed or parallel assertion signs in at most once.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{PasskeyRecord, User};
use frontdesk_domain::flows::{CodeStatus, PasskeyChallenge};
use frontdesk_store::StoreError;
use frontdesk_types::{ClerkError, UserId};
use serde::{Deserialize, Serialize};
use url::Url;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, Webauthn, WebauthnBuilder,
};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long the browser has to finish a ceremony.
pub const CEREMONY_SECS: i64 = 300;

/// The relying party for a ceremony run in the page at `origin`.
pub struct RelyingParty {
    pub id: String,
    pub origin: String,
    webauthn: Webauthn,
}

fn unavailable(message: &str, long: String) -> ApiError {
    ApiError::client(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ClerkError::new("passkey_not_available", message, long),
    )
}

/// Whether the instance offers passkeys.
pub fn offered(state: &AppState) -> ApiResult<()> {
    if state.settings().settings.sign_in.passkey {
        return Ok(());
    }
    Err(ApiError::bad_param(
        "strategy",
        "strategy_for_user_invalid",
        "Passkeys are not enabled on this instance.",
    ))
}

/// The relying party for the page at `origin` (the request's `Origin`, or
/// Frontdesk's own for its hosted pages).
pub fn relying_party(state: &AppState, origin: Option<&str>) -> ApiResult<RelyingParty> {
    let own = state.instance.public_url.origin();
    let origin = origin.unwrap_or(&own);
    let url = Url::parse(origin).map_err(|_| {
        unavailable(
            "Passkeys need a page address",
            format!("`{origin}` is not an origin a passkey can be used on."),
        )
    })?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(_) => {
            let mut instead = url.clone();
            let _ = instead.set_host(Some("localhost"));
            return Err(unavailable(
                "Passkeys need a domain name",
                format!(
                    "Browsers do not use passkeys on an IP address such as {}. Open the page by a domain name{}.",
                    url.host_str().unwrap_or_default(),
                    if url.host_str().is_some_and(is_loopback) {
                        format!(" ({})", instead.origin().ascii_serialization())
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        None => {
            return Err(unavailable(
                "Passkeys need a page address",
                format!("`{origin}` has no host."),
            ));
        }
    };
    let settings = state.settings();
    let rp_id = settings
        .settings
        .sign_in
        .passkey_rp_id
        .clone()
        .unwrap_or(host.clone());
    let name = settings.settings.branding.application_name.clone();
    let webauthn = WebauthnBuilder::new(&rp_id, &url)
        .and_then(|b| b.rp_name(&name).build())
        .map_err(|e| {
            unavailable(
                "Passkeys are not set up for this page",
                format!(
                    "Passkeys bound to `{rp_id}` cannot be used on {origin} ({e}). Set sign_in.passkey_rp_id to a domain that {host} is, or ends in."
                ),
            )
        })?;
    Ok(RelyingParty {
        id: rp_id,
        origin: url.origin().ascii_serialization(),
        webauthn,
    })
}

fn is_loopback(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The WebAuthn user handle of `user_id`.
pub fn user_handle(user_id: &UserId) -> Uuid {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("frontdesk passkey user handle\0{user_id}").as_bytes(),
    );
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    Uuid::from_bytes(bytes)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A pending registration as stored: the ceremony's state, the options the
/// browser was sent (the `nonce`), and the page it runs in.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: PasskeyRegistration,
    options: serde_json::Value,
    origin: String,
}

/// The creation options of a pending passkey (its verification's `nonce`).
pub fn creation_options(p: &PasskeyRecord) -> Option<String> {
    let pending: Pending = serde_json::from_str(p.registration.as_deref()?).ok()?;
    serde_json::to_string(&pending.options).ok()
}

fn stored<T: Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

fn failed(message: &str) -> ApiError {
    ApiError::bad_param(
        "public_key_credential",
        "passkey_verification_failed",
        message,
    )
}

/// Start registering a passkey for `user` from the page at `origin`,
/// naming it after the device (`Chrome on Linux`).
pub async fn begin_registration(
    state: &AppState,
    user: &User,
    origin: Option<&str>,
    name: String,
) -> ApiResult<PasskeyRecord> {
    offered(state)?;
    let rp = relying_party(state, origin)?;
    let existing = state.store.passkeys_of(&user.id).await?;
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(p.credential.as_deref()?).ok())
        .map(|k| k.cred_id().clone())
        .collect();
    let account = user
        .primary_email()
        .map(|e| e.email_address.clone())
        .or_else(|| user.username.clone())
        .unwrap_or_else(|| user.id.to_string());
    let display = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let display = if display.is_empty() {
        account.clone()
    } else {
        display
    };
    let (challenge, registration) = rp
        .webauthn
        .start_passkey_registration(user_handle(&user.id), &account, &display, Some(exclude))
        .map_err(ApiError::internal)?;
    // clerk-js wants the inner options. webauthn-rs asks for a
    // non-resident credential; sign-in here is discoverable (the
    // "Use passkey" button and autofill name no account), which needs
    // the credential kept on the authenticator.
    let mut options = serde_json::to_value(&challenge.public_key).map_err(ApiError::internal)?;
    if let Some(selection) = options
        .get_mut("authenticatorSelection")
        .and_then(|s| s.as_object_mut())
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    let now = UnixMillis::now();
    let record = PasskeyRecord {
        id: format!("pk_{}", frontdesk_types::id::random_base62(27)),
        user_id: user.id.clone(),
        name,
        credential_id: None,
        credential: None,
        registration: Some(stored(&Pending {
            state: registration,
            options,
            origin: rp.origin.clone(),
        })?),
        rp_id: rp.id,
        verified: false,
        expire_at: now.plus_secs(CEREMONY_SECS),
        last_used_at: None,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    state.store.create_pending_passkey(&record).await?;
    Ok(record)
}

/// Finish a registration with the browser's credential (`credential` is
/// clerk-js's `public_key_credential` JSON text).
pub async fn finish_registration(
    state: &AppState,
    user_id: &UserId,
    id: &str,
    credential: &str,
) -> ApiResult<(User, PasskeyRecord)> {
    offered(state)?;
    let record = state
        .store
        .passkey(user_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("passkey"))?;
    let now = UnixMillis::now();
    let pending = match (&record.registration, record.verified) {
        (Some(text), false) if now < record.expire_at => {
            serde_json::from_str::<Pending>(text).map_err(ApiError::internal)?
        }
        _ => {
            return Err(super::code_error(
                frontdesk_domain::flows::CodeOutcome::Expired,
            ));
        }
    };
    let rp = relying_party(state, Some(&pending.origin))?;
    let response: RegisterPublicKeyCredential = serde_json::from_str(credential)
        .map_err(|_| failed("The passkey response could not be read."))?;
    let passkey = rp
        .webauthn
        .finish_passkey_registration(&response, &pending.state)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            failed("The passkey could not be verified. Try again.")
        })?;
    let events = state.events();
    match state
        .store
        .verify_passkey(
            user_id,
            id,
            &b64(passkey.cred_id().as_ref()),
            &stored(&passkey)?,
            UnixMillis::now(),
            &|u, _| vec![events.user_updated(u)],
        )
        .await
    {
        Ok(Some(done)) => Ok(done),
        Ok(None) => Err(super::code_error(
            frontdesk_domain::flows::CodeOutcome::Expired,
        )),
        Err(StoreError::Conflict(_)) => Err(ApiError::bad_param(
            "public_key_credential",
            "passkey_already_registered",
            "This passkey is registered already.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The server's half of a sign-in ceremony, kept on the attempt.
#[derive(Serialize, Deserialize)]
struct Ceremony {
    state: DiscoverableAuthentication,
    origin: String,
}

/// A sign-in challenge for the page at `origin`: any of the instance's
/// passkeys may answer (discoverable), the account is found from the answer.
pub fn sign_in_challenge(state: &AppState, origin: Option<&str>) -> ApiResult<PasskeyChallenge> {
    offered(state)?;
    let rp = relying_party(state, origin)?;
    let (challenge, ceremony) = rp
        .webauthn
        .start_discoverable_authentication()
        .map_err(ApiError::internal)?;
    Ok(PasskeyChallenge {
        options: stored(&challenge.public_key)?,
        state: stored(&Ceremony {
            state: ceremony,
            origin: rp.origin,
        })?,
        status: CodeStatus::Unverified,
        attempts: 0,
        expire_at: UnixMillis::now().plus_secs(CEREMONY_SECS),
    })
}

/// Check an assertion against `challenge`: the account whose passkey made
/// it, with the passkey's counter moved on. `expected` is the account the
/// sign-in names already (identifier first), if any. The outer error is
/// the server's; the inner one is the user's (a wrong or unknown passkey).
pub async fn check_assertion(
    state: &AppState,
    challenge: &PasskeyChallenge,
    credential: &str,
    expected: Option<&UserId>,
) -> ApiResult<Result<UserId, ApiError>> {
    let ceremony: Ceremony = serde_json::from_str(&challenge.state).map_err(ApiError::internal)?;
    let rp = relying_party(state, Some(&ceremony.origin))?;
    let Ok(response) = serde_json::from_str::<PublicKeyCredential>(credential) else {
        return Ok(Err(failed("The passkey response could not be read.")));
    };
    let Ok((handle, credential_id)) = rp.webauthn.identify_discoverable_authentication(&response)
    else {
        return Ok(Err(failed("The passkey did not say whose it is.")));
    };
    let Some(record) = state
        .store
        .passkey_by_credential(&b64(credential_id))
        .await?
    else {
        return Ok(Err(failed(
            "This passkey is not registered here. Sign in another way.",
        )));
    };
    if handle != user_handle(&record.user_id) || expected.is_some_and(|u| *u != record.user_id) {
        return Ok(Err(failed(
            "This passkey belongs to another account. Sign in another way.",
        )));
    }
    let mut passkey: Passkey = record
        .credential
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .ok_or_else(|| ApiError::internal("passkey credential unreadable"))?;
    let result =
        match rp
            .webauthn
            .finish_discoverable_authentication_v2(&response, ceremony.state, &passkey)
        {
            Ok(result) => result,
            Err(e) => {
                tracing::info!(error = %e, "passkey assertion refused");
                return Ok(Err(failed("The passkey could not be verified. Try again.")));
            }
        };
    passkey.update_credential(&result);
    let used = state
        .store
        .use_passkey(
            &record.id,
            record.version,
            &stored(&passkey)?,
            UnixMillis::now(),
        )
        .await?;
    if !used {
        // Another sign-in with this passkey moved its counter first.
        return Ok(Err(failed(
            "The passkey was used at the same time. Try again.",
        )));
    }
    Ok(Ok(record.user_id))
}

/// Rename one of the user's passkeys.
pub async fn rename(
    state: &AppState,
    user_id: &UserId,
    id: &str,
    name: &str,
) -> ApiResult<(User, PasskeyRecord)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_param(
            "name",
            "form_param_value_invalid",
            "Give the passkey a name of 1 to 100 characters.",
        ));
    }
    let events = state.events();
    state
        .store
        .rename_passkey(user_id, id, name, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?
        .ok_or_else(|| ApiError::not_found("passkey"))
}

/// Remove one of the user's passkeys.
pub async fn delete(state: &AppState, user_id: &UserId, id: &str) -> ApiResult<User> {
    let events = state.events();
    state
        .store
        .delete_passkey(user_id, id, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?
        .ok_or_else(|| ApiError::not_found("passkey"))
}

/// The name of a passkey made on this device (`Chrome on Linux`).
pub fn device_name(activity: &frontdesk_domain::entities::SessionActivity) -> String {
    match (&activity.browser_name, &activity.device_type) {
        (Some(b), Some(d)) => format!("{b} on {d}"),
        (Some(b), None) => b.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => "Passkey".to_owned(),
    }
}
