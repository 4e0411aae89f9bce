//! Sign-up: email address and password, proven by an emailed code; the
//! user and their first session are created when both are there.

use frontdesk_domain::entities::{User, Verification, VerificationStatus};
use frontdesk_domain::flows::oauth::{
    ExternalIdentity, OAuthPurpose, OAuthStatus, OAuthVerification,
};
use frontdesk_domain::flows::{ATTEMPT_TTL_SECS, CodeStrategy, SignUpAttempt, SignUpStatus};
use frontdesk_domain::metadata::MAX_METADATA_BYTES;
use frontdesk_domain::settings::SignUpMode;
use frontdesk_domain::{EmailAddress, PersonName, UnixMillis, Username};
use frontdesk_store::{StoreError, UserFilter};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::oauth::Trip;
use super::{code_error, flows};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::services::mail::Purpose;
use crate::services::{codes, mail, passwords};
use crate::state::AppState;

/// What a sign-up form or `PATCH` may set, as sent.
#[derive(Deserialize, Default)]
pub struct Fields {
    pub(crate) email_address: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) username: Option<String>,
    /// JSON text in form bodies.
    pub(crate) unsafe_metadata: Option<String>,
}

/// Sign-up fields after the rules the Backend API applies to the same fields
/// (finding F18), with the password already hashed: what is left to do to
/// the attempt awaits nothing.
#[derive(Default)]
struct Checked {
    email_address: Option<String>,
    password_digest: Option<String>,
    first_name: Option<Option<String>>,
    last_name: Option<Option<String>>,
    username: Option<Option<String>>,
    unsafe_metadata: Option<Map<String, Value>>,
}

fn name(param: &str, raw: &str) -> ApiResult<Option<String>> {
    PersonName::parse(raw)
        .map(|n| n.map(PersonName::into_string))
        .map_err(|e| {
            ApiError::bad_param(param, "form_param_format_invalid", format!("{param} {e}"))
        })
}

/// Check `f` as the attempt `a` stands (for the password's context words).
async fn check(state: &AppState, a: &SignUpAttempt, f: Fields) -> ApiResult<Checked> {
    let hide = state.settings().settings.hide_user_existence;
    let mut out = Checked::default();
    if let Some(raw) = f.email_address.filter(|s| !s.is_empty()) {
        let email: EmailAddress = raw.parse().map_err(|e| {
            ApiError::bad_param(
                "email_address",
                "form_param_format_invalid",
                format!("Email address {e}"),
            )
        })?;
        if state
            .settings()
            .settings
            .restrictions
            .block_email_subaddresses
            && email.has_subaddress()
        {
            return Err(ApiError::bad_param(
                "email_address",
                "form_email_address_blocked",
                "Email addresses with a `+` tag cannot be used to sign up on this instance.",
            ));
        }
        if !hide
            && state
                .store
                .find_user_by_email(email.as_str())
                .await?
                .is_some()
        {
            return Err(ApiError::identifier_taken("email_address", "email address"));
        }
        out.email_address = Some(email.as_str().to_owned());
    }
    if let Some(v) = &f.first_name {
        out.first_name = Some(name("first_name", v)?);
    }
    if let Some(v) = &f.last_name {
        out.last_name = Some(name("last_name", v)?);
    }
    if let Some(v) = f.username {
        let parsed = match v.trim() {
            "" => None,
            text => Some(Username::parse(text).map_err(|e| {
                ApiError::bad_param("username", "form_username_invalid_character", e.to_string())
            })?),
        };
        if let Some(u) = &parsed {
            let filter = UserFilter {
                usernames: vec![u.as_str().to_owned()],
                ..UserFilter::default()
            };
            if !hide && state.store.count_users(&filter).await? > 0 {
                return Err(ApiError::identifier_taken("username", "username"));
            }
        }
        out.username = Some(parsed.map(Username::into_string));
    }
    if let Some(raw) = f.unsafe_metadata {
        let map = serde_json::from_str::<Map<String, Value>>(&raw)
            .ok()
            .filter(|m| !frontdesk_domain::text::json_has_refused(&Value::Object(m.clone())))
            .ok_or_else(|| {
                ApiError::bad_param(
                    "unsafe_metadata",
                    "form_param_format_invalid",
                    "unsafe_metadata must be a JSON object without control characters",
                )
            })?;
        if raw.len() > MAX_METADATA_BYTES {
            return Err(ApiError::bad_param(
                "unsafe_metadata",
                "form_metadata_too_large",
                format!("`unsafe_metadata` may be at most {MAX_METADATA_BYTES} bytes"),
            ));
        }
        out.unsafe_metadata = Some(map);
    }
    if let Some(pw) = f.password {
        let email = out.email_address.as_ref().or(a.email_address.as_ref());
        let first = out.first_name.as_ref().and_then(Option::as_ref);
        let context: Vec<&str> = [email, first, a.first_name.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let parsed = passwords::parse_new(state, &pw, "password", &context)?;
        out.password_digest = Some(passwords::hash(state, &parsed).await?);
    }
    Ok(out)
}

impl Checked {
    fn apply(&self, a: &mut SignUpAttempt) {
        if let Some(email) = &self.email_address {
            a.set_email(email.clone());
        }
        if let Some(d) = &self.password_digest {
            a.password_digest = Some(d.clone());
        }
        if let Some(v) = &self.first_name {
            a.first_name = v.clone();
        }
        if let Some(v) = &self.last_name {
            a.last_name = v.clone();
        }
        if let Some(v) = &self.username {
            a.username = v.clone();
        }
        if let Some(m) = &self.unsafe_metadata {
            a.unsafe_metadata = m.clone();
        }
    }
}

/// Start a sign-up with `fields`, and through a provider when `trip` says
/// so (the trip out begins); nothing is stored when they are refused.
pub async fn start(
    state: &AppState,
    browser: &mut Browser,
    fields: Fields,
    trip: Option<Trip<'_>>,
) -> ApiResult<SignUpAttempt> {
    refuse_if_restricted(state)?;
    let client = browser.ensure_client(state).await?;
    let now = UnixMillis::now();
    let mut attempt = SignUpAttempt::new(
        format!("sua_{}", frontdesk_types::id::random_base62(16)),
        now.plus_secs(ATTEMPT_TTL_SECS),
    );
    check(state, &attempt, fields).await?.apply(&mut attempt);
    if let Some(trip) = trip {
        let purpose = OAuthPurpose::SignUp {
            attempt_id: attempt.id.clone(),
        };
        attempt.oauth = Some(super::oauth::begin(state, browser, &client.id, purpose, trip).await?);
    }
    flows::insert(state, &client.id, &attempt, now).await?;
    Ok(attempt)
}

/// The caller's attempt `id`.
pub async fn get(state: &AppState, browser: &Browser, id: &str) -> ApiResult<SignUpAttempt> {
    Ok(flows::load::<SignUpAttempt>(state, browser, id).await?.1)
}

/// Change fields of the attempt (checked and hashed first, applied under
/// compare-and-swap). A sign-up whose address was verified and that lacked
/// only a field the instance requires completes with it, as on Clerk.
pub async fn update(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    fields: Fields,
) -> ApiResult<SignUpAttempt> {
    let current = get(state, browser, id).await?;
    let checked = check(state, &current, fields).await?;
    let (attempt, ()) =
        flows::change::<SignUpAttempt, _>(state, browser, id, |a| checked.apply(a)).await?;
    if attempt.status == SignUpStatus::MissingRequirements {
        return complete(state, browser, attempt, UnixMillis::now()).await;
    }
    Ok(attempt)
}

/// Mail a verification code to the sign-up's address (with
/// `hide_user_existence`, an address that has an account gets a notice
/// instead, and the code stored is one nobody knows).
pub async fn send_code(state: &AppState, browser: &Browser, id: &str) -> ApiResult<SignUpAttempt> {
    let now = UnixMillis::now();
    let strategy = CodeStrategy::EmailCode;
    let (attempt, issued) = flows::change::<SignUpAttempt, _>(state, browser, id, |a| {
        let email = a.email_address.clone().ok_or_else(|| {
            ApiError::bad_param(
                "email_address",
                "form_param_missing",
                "Enter an email address first",
            )
        })?;
        let (challenge, code) = codes::issue(
            state,
            &a.id,
            &email,
            strategy,
            a.email_verification.as_ref(),
            now,
        )?;
        a.code_sent(challenge);
        Ok::<_, ApiError>((email, code))
    })
    .await?;
    let (email, code) = issued?;
    let purpose = if state.settings().settings.hide_user_existence
        && state.store.find_user_by_email(&email).await?.is_some()
    {
        Purpose::SignUpTaken
    } else {
        Purpose::SignUp
    };
    mail::send_code(state, &email, &code, purpose, true).await?;
    Ok(attempt)
}

/// Check the emailed code; with it right (and a password set), the user is
/// created and signed in on this browser.
pub async fn verify(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    code: &str,
) -> ApiResult<SignUpAttempt> {
    let now = UnixMillis::now();
    let (attempt, outcome) = flows::change::<SignUpAttempt, _>(state, browser, id, |a| {
        let salt = a.id.clone();
        a.try_code(|c| codes::matches(&salt, c, code), now)
    })
    .await?;
    if outcome != frontdesk_domain::flows::CodeOutcome::Verified {
        return Err(code_error(outcome));
    }
    complete(state, browser, attempt, now).await
}

/// With the email verified and a password set: create the user and a
/// session, and record both on the attempt.
async fn complete(
    state: &AppState,
    browser: &mut Browser,
    attempt: SignUpAttempt,
    now: UnixMillis,
) -> ApiResult<SignUpAttempt> {
    let rules = state.settings().settings.sign_up.clone();
    let Some((email, digest)) = attempt.ready_to_create(&rules) else {
        return Ok(attempt);
    };
    let email: EmailAddress = email.parse().map_err(ApiError::internal)?;
    let digest = digest.map(str::to_owned);
    let identity = attempt.external_identity().cloned();
    let mut user = User::new(now);
    let proof = match identity.as_ref().filter(|_| attempt.email_from_provider()) {
        // An invitation mailed to the address carried the ticket.
        _ if attempt.email_from_ticket() => Verification {
            status: VerificationStatus::Verified,
            strategy: "ticket".into(),
            attempts: None,
            expire_at: None,
        },
        // The provider vouched for the address (Clerk's `from_oauth_google`).
        Some(i) => Verification {
            status: VerificationStatus::Verified,
            strategy: i.strategy.from_strategy(),
            attempts: None,
            expire_at: None,
        },
        None => Verification {
            status: VerificationStatus::Verified,
            strategy: CodeStrategy::EmailCode.as_str().into(),
            attempts: attempt.email_verification.as_ref().map(|v| v.attempts),
            expire_at: attempt.email_verification.as_ref().map(|v| v.expire_at),
        },
    };
    user.add_email(&email, Some(proof), now);
    user.password_last_updated_at = digest.is_some().then_some(now);
    user.password_digest = digest;
    user.first_name = attempt.first_name.clone();
    user.last_name = attempt.last_name.clone();
    user.username = attempt.username.clone();
    user.unsafe_metadata = Value::Object(attempt.unsafe_metadata.clone());
    user.last_sign_in_at = Some(now);
    let event = state.events().user_created(&user);
    state
        .store
        .create_user(&user, &[event])
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) if what.contains("username") => {
                ApiError::identifier_taken("username", "username")
            }
            StoreError::Conflict(_) => ApiError::identifier_taken("email_address", "email address"),
            other => other.into(),
        })?;
    if let Some(identity) = &identity {
        let client = browser.ensure_client(state).await?.id.to_string();
        super::oauth::join(state, &client, &user.id, identity, now).await?;
    }
    if let Some(ticket) = attempt
        .ticket
        .as_ref()
        .filter(|_| attempt.email_from_ticket())
    {
        super::org_invitations::accept_after_ticket(state, &ticket.invitation_id, &user.id).await?;
    }
    let (_, session) = browser
        .sign_in(
            state,
            &user.id,
            None,
            super::mfa::setup_required(state, &user),
            now,
        )
        .await?
        .map_err(|d| d.error(state, crate::services::credentials::Credential::Password))?;
    let (attempt, ()) = flows::change::<SignUpAttempt, _>(state, browser, &attempt.id, |a| {
        a.complete(user.id.to_string(), session.id.to_string());
    })
    .await?;
    Ok(attempt)
}

/// The provider answered a sign-up's trip: `status` with the identity it
/// named (kept for a transfer, or filling the sign-up when verified), then,
/// when nothing else is needed, the account is made.
pub async fn provider_returned(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    status: OAuthStatus,
    identity: Option<ExternalIdentity>,
    error: Option<&str>,
) -> ApiResult<SignUpAttempt> {
    let now = UnixMillis::now();
    let (attempt, ()) = flows::change::<SignUpAttempt, _>(state, browser, id, |a| {
        if let Some(o) = a.oauth.as_mut() {
            o.returned(status, identity.clone(), error);
        }
        if status == OAuthStatus::Verified {
            fill_from(a, identity.as_ref());
        }
    })
    .await?;
    if status == OAuthStatus::Verified {
        return complete(state, browser, attempt, now).await;
    }
    Ok(attempt)
}

/// What the provider said fills what the sign-up lacks.
fn fill_from(a: &mut SignUpAttempt, identity: Option<&ExternalIdentity>) {
    let Some(i) = identity else { return };
    if a.email_address.is_none()
        && let Some(email) = i
            .email
            .as_deref()
            .and_then(|e| e.parse::<EmailAddress>().ok())
    {
        a.set_email(email.as_str().to_owned());
    }
    let name = |n: &Option<String>| {
        n.as_deref()
            .and_then(|n| PersonName::parse(n).ok().flatten())
            .map(PersonName::into_string)
    };
    if a.first_name.is_none() {
        a.first_name = name(&i.first_name);
    }
    if a.last_name.is_none() {
        a.last_name = name(&i.last_name);
    }
}

/// `POST /v1/client/sign_ups transfer=true`: the identity a sign-in found
/// nobody for becomes a new account (with `fields`, e.g. `unsafe_metadata`).
pub async fn start_transfer(
    state: &AppState,
    browser: &mut Browser,
    fields: Fields,
) -> ApiResult<SignUpAttempt> {
    refuse_if_restricted(state)?;
    let client = browser.ensure_client(state).await?;
    let (strategy, identity) =
        super::transfer::transferable(state, &client.id, frontdesk_domain::flows::FlowKind::SignIn)
            .await?
            .ok_or_else(super::transfer::nothing_to_transfer)?;
    let now = UnixMillis::now();
    let mut attempt = SignUpAttempt::new(
        format!("sua_{}", frontdesk_types::id::random_base62(16)),
        now.plus_secs(ATTEMPT_TTL_SECS),
    );
    check(state, &attempt, fields).await?.apply(&mut attempt);
    let mut oauth = OAuthVerification::started(strategy, String::new(), now);
    oauth.returned(OAuthStatus::Verified, Some(identity.clone()), None);
    attempt.oauth = Some(oauth);
    fill_from(&mut attempt, Some(&identity));
    flows::insert(state, &client.id, &attempt, now).await?;
    complete(state, browser, attempt, now).await
}

/// `strategy=ticket`: a sign-up for the address an invitation was mailed to,
/// proven by its ticket (no code is sent); it completes once the required
/// fields are given (the password, typically, in a `PATCH`), and the new
/// account joins the organization. Invitations are how people join a
/// restricted instance, so its restriction does not apply.
pub async fn start_ticket(
    state: &AppState,
    browser: &mut Browser,
    ticket: &str,
    fields: Fields,
) -> ApiResult<SignUpAttempt> {
    let client = browser.ensure_client(state).await?;
    let found = super::org_invitations::by_ticket(state, ticket).await?;
    let email = found.invitation.email_address.clone();
    if state.store.find_user_by_email(&email).await?.is_some() {
        return Err(ApiError::identifier_taken("email_address", "email address"));
    }
    let now = UnixMillis::now();
    let mut attempt = SignUpAttempt::new(
        format!("sua_{}", frontdesk_types::id::random_base62(16)),
        now.plus_secs(ATTEMPT_TTL_SECS),
    );
    let fields = Fields {
        email_address: None,
        ..fields
    };
    check(state, &attempt, fields).await?.apply(&mut attempt);
    attempt.set_email(email.clone());
    attempt.ticket = Some(frontdesk_domain::flows::TicketProof {
        invitation_id: found.invitation.id.to_string(),
        email_address: email,
    });
    flows::insert(state, &client.id, &attempt, now).await?;
    complete(state, browser, attempt, now).await
}

/// Sign-ups are closed on a restricted instance.
fn refuse_if_restricted(state: &AppState) -> ApiResult<()> {
    if state.settings().settings.sign_up.mode == SignUpMode::Restricted {
        return Err(ApiError::client(
            axum::http::StatusCode::FORBIDDEN,
            frontdesk_types::ClerkError::new(
                "sign_up_mode_restricted",
                "Sign up is currently restricted.",
                "Sign-ups are restricted on this instance: accounts are created by its administrators.",
            ),
        ));
    }
    Ok(())
}
