//! Sign-in: password, emailed code, and password reset.
//!
//! Unknown identifiers get an attempt that looks like any other (decoy email
//! address id, a dummy password verification that costs the same time, codes
//! that are queued for nobody), so answers do not reveal who has an account.
//! Every decision on the account (wrong password counted, locked, banned) is
//! taken on its state in the database after the check
//! ([`crate::services::credentials`]); every decision on the attempt is a
//! transition of [`SignInAttempt`] run under compare-and-swap.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionStatus, User};
use frontdesk_domain::flows::oauth::{
    CallbackOutcome, ExternalIdentity, OAuthStatus, OAuthVerification,
};
use frontdesk_domain::flows::{
    ATTEMPT_TTL_SECS, AfterCode, AfterFirstFactor, CodeOutcome, CodeStrategy, FirstFactor,
    SecondFactor, SignInAttempt, SignInStatus,
};
use frontdesk_store::{EndSessions, UserPatch};
use frontdesk_types::{EmailAddressId, UserId};

use super::{code_error, flows, mfa, passkeys};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::services::credentials::{self, Credential, Denied};
use crate::services::mail::Purpose;
use crate::services::{codes, mail, passwords};
use crate::state::AppState;

/// A sign-in's answer: the attempt as stored now, and whether the step was
/// accepted (a refused password still leaves an attempt to render).
pub type Step = (SignInAttempt, ApiResult<()>);

fn user_id_of(a: &SignInAttempt) -> ApiResult<Option<UserId>> {
    a.user_id
        .as_deref()
        .map(|id| id.parse().map_err(ApiError::internal))
        .transpose()
}

/// Mark the attempt complete with its session.
async fn completed(
    state: &AppState,
    browser: &Browser,
    id: &str,
    session: &Session,
) -> ApiResult<SignInAttempt> {
    let (attempt, ()) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        a.complete(session.id.to_string());
    })
    .await?;
    if let Some(invitation) = &attempt.ticket {
        super::org_invitations::accept_after_ticket(state, invitation, &session.user_id).await?;
    }
    Ok(attempt)
}

/// Check a password for the attempt's account (spending the same time
/// whether or not there is one) and, if it is right, sign in.
async fn with_password(
    state: &AppState,
    browser: &mut Browser,
    a: &SignInAttempt,
    password: &str,
) -> ApiResult<Result<SignInAttempt, ApiError>> {
    let user_id = user_id_of(a)?;
    let refused = |d: Denied| d.error(state, Credential::Password);
    let user = match credentials::check_password(state, user_id.as_ref(), password).await? {
        Ok(user) => user,
        Err(denied) => {
            flows::change::<SignInAttempt, _>(state, browser, &a.id, |a| a.password_failed())
                .await?;
            return Ok(Err(refused(denied)));
        }
    };
    first_factor_passed(state, browser, &a.id, &user.id, false, UnixMillis::now()).await
}

/// The first factor was right: ask for a second one when the account has
/// one (a reset or an emailed code never skips it), else sign in. A
/// passkey is both factors at once (possession of the authenticator, and
/// the PIN or biometric it verified: `userVerification: required`), as
/// Clerk's `passkey_settings.satisfies_second_factor` says.
async fn first_factor_passed(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    user_id: &UserId,
    passkey: bool,
    now: UnixMillis,
) -> ApiResult<Result<SignInAttempt, ApiError>> {
    let user = state
        .store
        .get_user(user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let factors = if passkey {
        Vec::new()
    } else {
        mfa::second_factors(state, &user)
    };
    let (attempt, next) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        a.first_factor_passed(factors.clone(), now)
    })
    .await?;
    // A provider's identity held while its address was proven (the
    // address's code, or the account's own password): it joins the account
    // now.
    if let Some(identity) = attempt.pending_identity() {
        let client = browser.client.as_ref().map(|c| c.id.to_string());
        super::oauth::join(
            state,
            client.as_deref().unwrap_or_default(),
            user_id,
            identity,
            now,
        )
        .await?;
    }
    let second_factor_at = passkey.then_some(now);
    let setup = !passkey && mfa::setup_required(state, &user);
    match next {
        AfterFirstFactor::AskSecondFactor => Ok(Ok(attempt)),
        AfterFirstFactor::SignIn => match browser
            .sign_in(state, user_id, second_factor_at, setup, now)
            .await?
        {
            Ok((_, session)) => Ok(Ok(completed(state, browser, id, &session).await?)),
            Err(denied) => Ok(Err(denied.error(state, Credential::Password))),
        },
    }
}

/// Try a second factor. The code is checked (and spent) by the store first;
/// the try is then counted on the attempt, which takes only one right code.
pub async fn attempt_second(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    factor: SecondFactor,
    code: &str,
) -> ApiResult<Step> {
    let current = get(state, browser, id).await?;
    if !current.awaits_second_factor(factor) {
        return Err(ApiError::bad_param(
            "strategy",
            "verification_not_pending",
            format!("This sign-in does not ask for `{}` now.", factor.as_str()),
        ));
    }
    let user_id = user_id_of(&current)?.ok_or_else(|| ApiError::not_found("user"))?;
    let now = UnixMillis::now();
    let checked = mfa::check(state, &user_id, factor, code, now).await?;
    let (attempt, took) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        a.second_factor_tried(factor, checked.is_ok())
    })
    .await?;
    if let Err(e) = checked {
        return Ok((attempt, Err(e)));
    }
    if !took {
        return Ok((
            attempt,
            Err(ApiError::bad_param(
                "strategy",
                "sign_in_complete",
                "This sign-in is already complete.",
            )),
        ));
    }
    match browser
        .sign_in(state, &user_id, Some(now), false, now)
        .await?
    {
        Ok((_, session)) => Ok((completed(state, browser, id, &session).await?, Ok(()))),
        Err(denied) => Ok((attempt, Err(denied.error(state, Credential::Code)))),
    }
}

/// Start a sign-in for `identifier`, checking `password` at once when given.
/// The attempt is stored whatever the outcome.
pub async fn start(
    state: &AppState,
    browser: &mut Browser,
    identifier: Option<String>,
    password: Option<String>,
    passkey: bool,
) -> ApiResult<Step> {
    let client = browser.ensure_client(state).await?;
    let now = UnixMillis::now();
    let identifier = identifier
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let user = match identifier
        .as_deref()
        .map(str::parse::<frontdesk_domain::EmailAddress>)
    {
        Some(Ok(email)) => state.store.find_user_by_email(email.as_str()).await?,
        _ => None,
    };
    let email_address_id = identifier.as_ref().map(|_| {
        user.as_ref()
            .and_then(|u| u.primary_email_address_id.clone())
            .unwrap_or_else(EmailAddressId::generate)
            .to_string()
    });
    let mut attempt = SignInAttempt::new(
        format!("sia_{}", frontdesk_types::id::random_base62(16)),
        identifier,
        user.as_ref().map(|u| u.id.to_string()),
        email_address_id,
        now.plus_secs(ATTEMPT_TTL_SECS),
    );
    attempt.passkey_available = user.as_ref().is_some_and(|u| !u.passkeys.is_empty());
    attempt.enterprise = attempt.identifier.as_deref().and_then(|email| {
        let settings = state.settings();
        frontdesk_domain::oauth::enterprise_connection(&settings.settings.social, email).map(
            |(strategy, c)| frontdesk_domain::flows::oauth::EnterpriseFactor {
                strategy: strategy.clone(),
                name: c.name_for(strategy.provider()),
            },
        )
    });
    // `strategy=passkey` with no identifier: the "Use passkey" button and
    // autofill, which ask for the challenge with the attempt.
    if passkey {
        attempt.passkey_sent(passkeys::sign_in_challenge(
            state,
            browser.origin.as_deref(),
        )?);
    }
    flows::insert(state, &client.id, &attempt, now).await?;
    match password {
        Some(_) if attempt.enterprise.is_some() => Ok((attempt, Err(enterprise_only()))),
        Some(pw) if attempt.identifier.is_some() => {
            match with_password(state, browser, &attempt, &pw).await? {
                Ok(done) => Ok((done, Ok(()))),
                Err(e) => Ok((attempt, Err(e))),
            }
        }
        _ => Ok((attempt, Ok(()))),
    }
}

/// `strategy=ticket`: an invitation's ticket (the link mailed to its
/// address) is the first factor of the address's account, as an email
/// link would be; a second factor is still asked for. The invitation is
/// accepted when the sign-in completes. No account for the address: the
/// invitee signs up instead (`/v1/tickets/accept` sends them there).
///
/// An actor token's ticket (impersonation, as Clerk's `<SignIn/>` spends
/// it from `__clerk_ticket`) is spent at once and completes the attempt:
/// the session carries the actor, its tokens the `act` claim.
pub async fn start_ticket(
    state: &AppState,
    browser: &mut Browser,
    ticket: &str,
) -> ApiResult<Step> {
    let client = browser.ensure_client(state).await?;
    if let Some(token) = super::impersonation::accept_actor_token(state, ticket).await? {
        return as_actor(state, browser, &client.id, &token).await;
    }
    let found = super::org_invitations::by_ticket(state, ticket).await?;
    let email = found.invitation.email_address.clone();
    let user = state
        .store
        .find_user_by_email(&email)
        .await?
        .ok_or_else(|| {
            ApiError::bad_param(
                "identifier",
                "form_identifier_not_found",
                "There is no account for this invitation's address yet: sign up with it.",
            )
        })?;
    let now = UnixMillis::now();
    let mut attempt = attempt_for(&user, Some(email), now);
    attempt.ticket = Some(found.invitation.id.to_string());
    flows::insert(state, &client.id, &attempt, now).await?;
    match first_factor_passed(state, browser, &attempt.id, &user.id, false, now).await? {
        Ok(done) => Ok((done, Ok(()))),
        Err(e) => Ok((attempt, Err(e))),
    }
}

/// Sign in with a spent actor token: an attempt made complete by the
/// session it starts (refused if the user was banned or locked since).
async fn as_actor(
    state: &AppState,
    browser: &mut Browser,
    client: &frontdesk_types::ClientId,
    token: &frontdesk_domain::admin::ActorToken,
) -> ApiResult<Step> {
    let user = state
        .store
        .get_user(&token.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let now = UnixMillis::now();
    let identifier = user.primary_email().map(|e| e.email_address.clone());
    let attempt = attempt_for(&user, identifier, now);
    flows::insert(state, client, &attempt, now).await?;
    match browser.sign_in_as_actor(state, token, now).await? {
        Ok((_, session)) => Ok((
            completed(state, browser, &attempt.id, &session).await?,
            Ok(()),
        )),
        Err(denied) => Ok((attempt, Err(denied.error(state, Credential::Password)))),
    }
}

/// A new attempt of `user`'s, known by `identifier`, that lives
/// [`ATTEMPT_TTL_SECS`] from `now` (tickets: the user is known before any
/// factor is checked).
fn attempt_for(user: &User, identifier: Option<String>, now: UnixMillis) -> SignInAttempt {
    SignInAttempt::new(
        format!("sia_{}", frontdesk_types::id::random_base62(16)),
        identifier,
        Some(user.id.to_string()),
        user.primary_email_address_id
            .as_ref()
            .map(|e| e.to_string()),
        now.plus_secs(ATTEMPT_TTL_SECS),
    )
}

/// The caller's attempt `id`.
pub async fn get(state: &AppState, browser: &Browser, id: &str) -> ApiResult<SignInAttempt> {
    Ok(flows::load::<SignInAttempt>(state, browser, id).await?.1)
}

/// The instance's factors only.
fn offered(state: &AppState, factor: FirstFactor) -> ApiResult<()> {
    if factor.enabled(&state.settings().settings.sign_in) {
        return Ok(());
    }
    Err(ApiError::bad_param(
        "strategy",
        "strategy_for_user_invalid",
        format!("`{}` is not enabled on this instance.", factor.as_str()),
    ))
}

/// Get a first factor ready: for the code factors, queue a code (mailed to
/// real accounts only; the work and the answer are the same either way).
pub async fn prepare(
    state: &AppState,
    browser: &Browser,
    id: &str,
    factor: FirstFactor,
) -> ApiResult<SignInAttempt> {
    offered(state, factor)?;
    // Every factor is named here, so that a new one does not compile
    // until it says how it is prepared.
    let (strategy, purpose) = match factor {
        FirstFactor::Password => return get(state, browser, id).await,
        FirstFactor::Passkey => {
            let challenge = passkeys::sign_in_challenge(state, browser.origin.as_deref())?;
            let (attempt, ()) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
                a.passkey_sent(challenge.clone())
            })
            .await?;
            return Ok(attempt);
        }
        FirstFactor::EmailCode => (CodeStrategy::EmailCode, Purpose::SignIn),
        FirstFactor::ResetPasswordEmailCode => {
            (CodeStrategy::ResetPasswordEmailCode, Purpose::Reset)
        }
        // A trip out: `prepare_enterprise`, with the URLs to come back to.
        FirstFactor::EnterpriseSso => {
            return Err(ApiError::bad_param(
                "redirect_url",
                "form_param_missing",
                "`enterprise_sso` needs `redirect_url`.",
            ));
        }
    };
    let now = UnixMillis::now();
    let (attempt, issued) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        let identifier = a.identifier.clone().ok_or_else(|| {
            ApiError::bad_param(
                "identifier",
                "form_param_missing",
                "Enter your email address first",
            )
        })?;
        let (challenge, code) = codes::issue(
            state,
            &a.id,
            &identifier,
            strategy,
            a.previous_code(strategy),
            now,
        )?;
        a.code_sent(challenge);
        Ok::<_, ApiError>((identifier, code))
    })
    .await?;
    let (identifier, code) = issued?;
    let to = identifier
        .parse::<frontdesk_domain::EmailAddress>()
        .map_or(identifier, |e| e.as_str().to_owned());
    mail::send_code(state, &to, &code, purpose, attempt.user_id.is_some()).await?;
    Ok(attempt)
}

/// Try a first factor: `secret` is the password or the code, as `factor`
/// says. Tries are counted whatever the outcome.
pub async fn attempt(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    factor: FirstFactor,
    secret: &str,
) -> ApiResult<Step> {
    offered(state, factor)?;
    let current = get(state, browser, id).await?;
    if !current.awaits_first_factor() {
        return Err(ApiError::bad_param(
            "strategy",
            "sign_in_complete",
            "This sign-in is already complete.",
        ));
    }
    // An address bound to an enterprise connection signs in there only.
    if current.enterprise.is_some() {
        return Err(enterprise_only());
    }
    // A provider named this address without vouching for it: the address
    // is what must be proven, by its code.
    if current.pending_identity().is_some() && factor != FirstFactor::EmailCode {
        return Err(ApiError::bad_param(
            "strategy",
            "strategy_for_user_invalid",
            "Prove this email address with the code sent to it to connect the account.",
        ));
    }
    // Every factor is named here, so that a new one does not compile until
    // it says how it is checked.
    match factor {
        FirstFactor::EnterpriseSso => Err(enterprise_only()),
        FirstFactor::Password => match with_password(state, browser, &current, secret).await? {
            Ok(done) => Ok((done, Ok(()))),
            Err(e) => Ok((current, Err(e))),
        },
        FirstFactor::EmailCode => {
            check_code(state, browser, id, CodeStrategy::EmailCode, secret).await
        }
        FirstFactor::Passkey => with_passkey(state, browser, &current, secret).await,
        FirstFactor::ResetPasswordEmailCode => {
            check_code(
                state,
                browser,
                id,
                CodeStrategy::ResetPasswordEmailCode,
                secret,
            )
            .await
        }
    }
}

/// Count the try on the attempt (one compare-and-swap: parallel tries each
/// count, a code is used once), then carry out what the attempt decided: a
/// wrong code counts against the account too; a right one signs in (or, for
/// a reset, asks for the new password) unless the account is locked or
/// banned now.
async fn check_code(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    strategy: CodeStrategy,
    code: &str,
) -> ApiResult<Step> {
    let now = UnixMillis::now();
    let (attempt, next) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        let salt = a.id.clone();
        let outcome = a.try_code(strategy, |c| codes::matches(&salt, c, code), now);
        a.after_code(strategy, outcome)
    })
    .await?;
    let refused = |d: Denied| d.error(state, Credential::Code);
    let user_id = user_id_of(&attempt)?;
    let (next, Some(user_id)) = (next, user_id) else {
        let outcome = match next {
            AfterCode::Refuse(o) | AfterCode::CountFailure(o) => o,
            AfterCode::SignIn | AfterCode::AskNewPassword => CodeOutcome::Incorrect,
        };
        return Ok((attempt, Err(code_error(outcome))));
    };
    match next {
        AfterCode::Refuse(outcome) => Ok((attempt, Err(code_error(outcome)))),
        AfterCode::CountFailure(outcome) => {
            let denied = credentials::count_failure(state, &user_id).await?;
            let error = match denied {
                Denied::Incorrect => code_error(outcome),
                other => refused(other),
            };
            Ok((attempt, Err(error)))
        }
        AfterCode::AskNewPassword => {
            if let Err(denied) = credentials::standing(state, &user_id).await? {
                return Ok((attempt, Err(refused(denied))));
            }
            let (attempt, ()) =
                flows::change::<SignInAttempt, _>(state, browser, id, |a| a.await_new_password())
                    .await?;
            Ok((attempt, Ok(())))
        }
        AfterCode::SignIn => {
            match first_factor_passed(state, browser, id, &user_id, false, now).await? {
                Ok(next) => Ok((next, Ok(()))),
                Err(e) => Ok((attempt, Err(e))),
            }
        }
    }
}

/// Check a passkey assertion against the attempt's challenge, take the
/// challenge (one compare-and-swap: a replayed or parallel assertion finds
/// it taken), and sign the passkey's account in.
async fn with_passkey(
    state: &AppState,
    browser: &mut Browser,
    current: &SignInAttempt,
    credential: &str,
) -> ApiResult<Step> {
    let now = UnixMillis::now();
    let Some(challenge) = current.passkey.clone().filter(|c| c.open(now)) else {
        let outcome = match &current.passkey {
            Some(c) if c.status == frontdesk_domain::flows::CodeStatus::Unverified => {
                CodeOutcome::Expired
            }
            Some(c) if c.status == frontdesk_domain::flows::CodeStatus::Failed => {
                CodeOutcome::Failed
            }
            _ => CodeOutcome::NotPending,
        };
        return Ok((current.clone(), Err(code_error(outcome))));
    };
    let expected = user_id_of(current)?;
    let checked =
        passkeys::check_assertion(state, &challenge, credential, expected.as_ref()).await?;
    let user = match &checked {
        Ok(user_id) => state.store.get_user(user_id).await?,
        Err(_) => None,
    };
    let (attempt, took) = flows::change::<SignInAttempt, _>(state, browser, &current.id, |a| {
        let took = a.passkey_tried(&challenge.options, user.is_some(), now);
        if let (true, Some(u)) = (took, &user)
            && a.user_id.is_none()
        {
            // Discoverable: the passkey named the account.
            a.user_id = Some(u.id.to_string());
            a.identifier = u.primary_email().map(|e| e.email_address.clone());
            a.email_address_id = u.primary_email_address_id.as_ref().map(|e| e.to_string());
        }
        took
    })
    .await?;
    let user = match (checked, user) {
        (Err(e), _) => return Ok((attempt, Err(e))),
        (Ok(_), None) => {
            return Ok((
                attempt,
                Err(Denied::Incorrect.error(state, Credential::Code)),
            ));
        }
        (Ok(_), Some(user)) => user,
    };
    if !took {
        return Ok((attempt, Err(code_error(CodeOutcome::NotPending))));
    }
    match first_factor_passed(state, browser, &attempt.id, &user.id, true, now).await? {
        Ok(done) => Ok((done, Ok(()))),
        Err(e) => Ok((attempt, Err(e))),
    }
}

fn reset_not_verified() -> ApiError {
    ApiError::bad_param(
        "password",
        "verification_not_pending",
        "Verify the reset code first.",
    )
}

/// Set a new password after a verified reset code, end every session of the
/// user (one transaction), and sign in on this browser. Whoever knew the old
/// password must not stay signed in, so other sessions end whatever the
/// form asked.
pub async fn reset(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    password: &str,
) -> ApiResult<SignInAttempt> {
    let attempt = get(state, browser, id).await?;
    if attempt.status != SignInStatus::NeedsNewPassword {
        return Err(reset_not_verified());
    }
    let user_id = user_id_of(&attempt)?.ok_or_else(|| ApiError::not_found("user"))?;
    let user = state
        .store
        .get_user(&user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let parsed = passwords::parse_new(state, password, "password", &passwords::context_of(&user))?;
    let digest = passwords::hash(state, &parsed).await?;
    // The attempt is used up before the password changes, so one verified
    // code sets one password.
    let (_, claimed) =
        flows::change::<SignInAttempt, _>(state, browser, id, |a| a.take_new_password_turn())
            .await?;
    if !claimed {
        return Err(reset_not_verified());
    }
    let now = UnixMillis::now();
    let events = state.events();
    let patch = UserPatch {
        password_digest: Some(Some(digest)),
        end_sessions: Some(EndSessions {
            status: SessionStatus::Ended,
            except: None,
        }),
        ..UserPatch::default()
    };
    state
        .store
        .patch_user(&user_id, &patch, now, &|u, ended| {
            let mut out = vec![events.user_updated(u)];
            out.extend(ended.iter().filter_map(|s| events.session_ended(s, u)));
            out
        })
        .await?;
    // A reset proves the email address, not the second factor (security.md C7).
    first_factor_passed(state, browser, id, &user_id, false, now).await?
}

/// The provider named the person (at the callback, or on a sign-up's
/// transfer): carry out `outcome` on the sign-in `id`. `true` when a
/// session was made.
pub async fn with_identity(
    state: &AppState,
    browser: &mut Browser,
    id: &str,
    identity: ExternalIdentity,
    outcome: CallbackOutcome,
    now: UnixMillis,
) -> ApiResult<bool> {
    let client = browser.ensure_client(state).await?.id.to_string();
    let returned = |status: OAuthStatus, keep: Option<ExternalIdentity>, error: Option<&str>| {
        let error = error.map(str::to_owned);
        let strategy = identity.strategy.clone();
        move |a: &mut SignInAttempt| {
            let o = a.oauth.get_or_insert_with(|| {
                OAuthVerification::started(strategy.clone(), String::new(), now)
            });
            o.returned(status, keep.clone(), error.as_deref());
        }
    };
    let (user_id, keep) = match outcome {
        CallbackOutcome::SignIn { user_id } | CallbackOutcome::LinkAndSignIn { user_id } => {
            (user_id, None)
        }
        CallbackOutcome::ProveEmail { user_id } => (user_id, Some(identity.clone())),
        CallbackOutcome::TransferToSignUp => {
            let set = returned(
                OAuthStatus::Transferable,
                Some(identity.clone()),
                Some("external_account_not_found"),
            );
            flows::change::<SignInAttempt, _>(state, browser, id, set).await?;
            return Ok(false);
        }
        CallbackOutcome::Refuse { code } => {
            flows::change::<SignInAttempt, _>(
                state,
                browser,
                id,
                returned(OAuthStatus::Failed, None, Some(code)),
            )
            .await?;
            return Ok(false);
        }
        CallbackOutcome::SignUp
        | CallbackOutcome::TransferToSignIn
        | CallbackOutcome::Connect { .. } => {
            let set = returned(OAuthStatus::Failed, None, Some("external_account_exists"));
            flows::change::<SignInAttempt, _>(state, browser, id, set).await?;
            return Ok(false);
        }
    };
    let user_id: UserId = user_id.parse().map_err(ApiError::internal)?;
    let user = if keep.is_none() {
        match super::oauth::join(state, &client, &user_id, &identity, now).await {
            Ok(user) => user,
            Err(e) => {
                let code = e.code().unwrap_or("external_account_exists").to_owned();
                let set = returned(OAuthStatus::Failed, None, Some(&code));
                flows::change::<SignInAttempt, _>(state, browser, id, set).await?;
                return Ok(false);
            }
        }
    } else {
        state
            .store
            .get_user(&user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?
    };
    // The address the sign-in is for: the provider's, as the account holds it.
    let address = identity
        .email
        .as_deref()
        .and_then(|e| {
            user.email_addresses
                .iter()
                .find(|a| a.email_address.eq_ignore_ascii_case(e))
        })
        .or_else(|| user.primary_email());
    let identifier = address.map(|a| a.email_address.clone());
    let address_id = address.map(|a| a.id.to_string());
    let set = returned(OAuthStatus::Verified, keep.clone(), None);
    let passkey_available = !user.passkeys.is_empty();
    flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        a.identifier = identifier.clone();
        a.user_id = Some(user_id.to_string());
        a.email_address_id = address_id.clone();
        a.passkey_available = passkey_available;
        a.status = SignInStatus::NeedsFirstFactor;
        set(a);
    })
    .await?;
    if keep.is_some() {
        // The address is proven first (factor-one).
        return Ok(false);
    }
    match first_factor_passed(state, browser, id, &user_id, false, now).await? {
        Ok(attempt) => Ok(attempt.is_complete()),
        Err(e) => {
            let code = e.code().unwrap_or("user_locked").to_owned();
            let set = returned(OAuthStatus::Failed, None, Some(&code));
            flows::change::<SignInAttempt, _>(state, browser, id, set).await?;
            Ok(false)
        }
    }
}

/// A new sign-in with no identifier yet (`needs_identifier`) for the
/// caller's client; through a provider when `trip` says so (the trip out
/// begins).
pub async fn start_blank(
    state: &AppState,
    browser: &mut Browser,
    trip: Option<super::oauth::Trip<'_>>,
) -> ApiResult<SignInAttempt> {
    let client = browser.ensure_client(state).await?;
    let now = UnixMillis::now();
    let mut attempt = SignInAttempt::new(
        format!("sia_{}", frontdesk_types::id::random_base62(16)),
        None,
        None,
        None,
        now.plus_secs(ATTEMPT_TTL_SECS),
    );
    if let Some(trip) = trip {
        let purpose = frontdesk_domain::flows::oauth::OAuthPurpose::SignIn {
            attempt_id: attempt.id.clone(),
        };
        attempt.oauth = Some(super::oauth::begin(state, browser, &client.id, purpose, trip).await?);
    }
    flows::insert(state, &client.id, &attempt, now).await?;
    Ok(attempt)
}

/// `POST /v1/client/sign_ins transfer=true`: the identity a sign-up found
/// taken signs in on a new sign-in.
pub async fn start_transfer(state: &AppState, browser: &mut Browser) -> ApiResult<SignInAttempt> {
    let attempt = start_blank(state, browser, None).await?;
    super::transfer::transfer_to_sign_in(state, browser, &attempt.id, UnixMillis::now()).await?;
    get(state, browser, &attempt.id).await
}

/// Why an address bound to an enterprise connection is refused any other
/// factor.
fn enterprise_only() -> ApiError {
    ApiError::bad_param(
        "strategy",
        "strategy_for_user_invalid",
        "This email address signs in with its organization's identity provider (enterprise_sso).",
    )
}

/// `prepare_first_factor strategy=enterprise_sso`: the trip to the
/// connection the sign-in's address belongs to.
pub async fn prepare_enterprise(
    state: &AppState,
    browser: &Browser,
    id: &str,
    redirect_url: Option<&str>,
    action_complete_redirect_url: Option<&str>,
) -> ApiResult<SignInAttempt> {
    let current = get(state, browser, id).await?;
    let enterprise = current.enterprise.clone().ok_or_else(|| {
        ApiError::bad_param(
            "strategy",
            "strategy_for_user_invalid",
            "This email address has no enterprise connection.",
        )
    })?;
    let client = browser
        .client
        .as_ref()
        .ok_or_else(|| ApiError::not_found("sign_in"))?;
    let trip = super::oauth::Trip {
        strategy: enterprise.strategy.as_str(),
        redirect_url,
        action_complete_redirect_url,
    };
    let purpose = frontdesk_domain::flows::oauth::OAuthPurpose::SignIn {
        attempt_id: id.to_owned(),
    };
    let mut verification = super::oauth::begin(state, browser, &client.id, purpose, trip).await?;
    verification.enterprise = true;
    let (attempt, ()) = flows::change::<SignInAttempt, _>(state, browser, id, |a| {
        a.oauth = Some(verification.clone());
    })
    .await?;
    Ok(attempt)
}
