//! Queueing mail, and the worker that delivers it.
//!
//! [`send_code`] does the same work for every address: one quota hit, one
//! transaction (holding the queued message, the dev-mailbox copy and the
//! `email.created` event when there is something to send, nothing when the
//! address has no account), never a network round trip. The worker claims due
//! messages with a lease, so with several nodes each message is attempted by
//! one at a time; failures are retried with growing delays until the code in
//! the message has expired.

use frontdesk_domain::email_templates::MessageKind;
use std::time::Duration;

use frontdesk_domain::entities::DevEmail;
use frontdesk_domain::flows::CODE_TTL_SECS;
use frontdesk_domain::{EmailAddress, InstanceMode, UnixMillis};
use frontdesk_store::{MailOutcome, QueuedMail};
use tokio::sync::watch;

use super::{Email, code_email, is_test_address, taken_email};
use crate::error::{ApiError, ApiResult};
use crate::services::events::SentMail;
use crate::state::AppState;

/// Codes mailed to one address per window (security.md B6, finding F6).
pub const CODES_PER_WINDOW: i32 = 5;
pub const CODE_WINDOW_SECS: i64 = 600;
/// Password-reset mails to one address per hour (security.md B6).
pub const RESETS_PER_HOUR: i32 = 3;

/// Why a code is mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignUp,
    SignIn,
    Reset,
    /// Someone tried to sign up with an address that has an account, and
    /// `hide_user_existence` is on: its owner is told instead of sent a code.
    SignUpTaken,
    /// An organization proves an address at a domain it claims.
    DomainAffiliation,
}

impl Purpose {
    fn words(self) -> &'static str {
        match self {
            Self::SignUp | Self::SignUpTaken => "verification",
            Self::SignIn => "sign-in",
            Self::Reset => "password reset",
            Self::DomainAffiliation => "domain verification",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Reset => "reset_password_code",
            Self::SignUpTaken => "sign_up_existing_account",
            Self::DomainAffiliation => "affiliation_code",
            _ => "verification_code",
        }
    }
}

/// The quota key of an address: its normalized form, so that case variants
/// share one count.
fn quota_key(prefix: &str, to: &str) -> String {
    let normalized = to
        .parse::<EmailAddress>()
        .map(|e| e.normalized())
        .unwrap_or_else(|_| to.to_lowercase());
    format!("{prefix}:{normalized}")
}

/// Count a code for `to` against its quotas; 429 with `Retry-After` past them.
async fn within_quota(
    state: &AppState,
    to: &str,
    purpose: Purpose,
    now: UnixMillis,
) -> ApiResult<()> {
    let hit = state
        .store
        .hit_quota(&quota_key("mail", to), CODE_WINDOW_SECS, now)
        .await?;
    hit.check(CODES_PER_WINDOW, CODE_WINDOW_SECS, now)
        .map_err(ApiError::rate_limited)?;
    if purpose == Purpose::Reset {
        let hit = state
            .store
            .hit_quota(&quota_key("reset", to), 3600, now)
            .await?;
        hit.check(RESETS_PER_HOUR, 3600, now)
            .map_err(ApiError::rate_limited)?;
    }
    Ok(())
}

/// Invitations one signed-in user may send per hour from the Frontend API:
/// anyone can create an organization and invite, and without a cap that
/// is a way to mail strangers in bulk.
pub const INVITATIONS_PER_HOUR: i32 = 100;

/// Count an invitation to be mailed to `to` against the address's mail
/// quota (the one codes count against: a mailbox gets at most
/// [`CODES_PER_WINDOW`] messages from Frontdesk per window, whatever they
/// are); 429 past it.
pub async fn invitation_within_quota(state: &AppState, to: &str, now: UnixMillis) -> ApiResult<()> {
    let hit = state
        .store
        .hit_quota(&quota_key("mail", to), CODE_WINDOW_SECS, now)
        .await?;
    hit.check(CODES_PER_WINDOW, CODE_WINDOW_SECS, now)
        .map_err(ApiError::rate_limited)
}

/// Count `n` invitations sent by `user` against [`INVITATIONS_PER_HOUR`];
/// 429 past it.
pub async fn inviter_within_quota(
    state: &AppState,
    user: &str,
    n: usize,
    now: UnixMillis,
) -> ApiResult<()> {
    for _ in 0..n {
        let hit = state
            .store
            .hit_quota(&format!("invitations:{user}"), 3600, now)
            .await?;
        hit.check(INVITATIONS_PER_HOUR, 3600, now)
            .map_err(ApiError::rate_limited)?;
    }
    Ok(())
}

/// Queue a code for `to`. With `deliver` false (the address has no account)
/// the request does the same work and sends nothing, so neither its answer
/// nor its time tells the two apart. Delivery happens later, in the worker.
pub async fn send_code(
    state: &AppState,
    to: &str,
    code: &str,
    purpose: Purpose,
    deliver: bool,
) -> ApiResult<()> {
    if is_test_address(state, to) {
        return Ok(());
    }
    let now = UnixMillis::now();
    within_quota(state, to, purpose, now).await?;
    let settings = state.settings();
    let app = &settings.settings.branding.application_name;
    let email: Email = match purpose {
        Purpose::SignUpTaken => taken_email(app),
        _ => code_email(
            code,
            purpose.words(),
            app,
            settings.settings.emails.get(MessageKind::VerificationCode),
        ),
    };
    queue(
        state,
        to,
        &email,
        purpose.slug(),
        deliver,
        now.plus_secs(CODE_TTL_SECS),
    )
    .await
}

/// Queue `email` for `to`, retried until `give_up_at`, with its copy in the
/// development mailbox and its `email.created` event (`slug` names the
/// template, as Clerk's do). With `deliver` false nothing is queued.
pub async fn queue(
    state: &AppState,
    to: &str,
    email: &Email,
    slug: &str,
    deliver: bool,
    give_up_at: UnixMillis,
) -> ApiResult<()> {
    let now = UnixMillis::now();
    let settings = state.settings();
    let app = &settings.settings.branding.application_name;
    let id = format!("ema_{}", frontdesk_types::id::random_base62(16));
    let development = state.instance.instance.mode == InstanceMode::Development;
    let smtp = state.mailer.delivers();
    let queued = (deliver && smtp).then(|| QueuedMail {
        id: id.clone(),
        to_address: to.to_owned(),
        subject: email.subject.clone(),
        text_body: email.text.clone(),
        html_body: email.html.clone(),
        created_at: now,
        give_up_at,
        next_attempt_at: now,
        attempts: 0,
    });
    let dev_copy = (deliver && development).then(|| DevEmail {
        id: id.clone(),
        to_address: to.to_owned(),
        subject: email.subject.clone(),
        text_body: email.text.clone(),
        html_body: email.html.clone(),
        created_at: now,
    });
    let events = if deliver {
        vec![state.events().email_created(&SentMail {
            id: &id,
            slug,
            from_name: app,
            to,
            subject: &email.subject,
            html: &email.html,
            text: &email.text,
            status: "queued",
        })]
    } else {
        Vec::new()
    };
    if deliver && !smtp && !development {
        tracing::warn!("no SMTP server configured; an email was not delivered");
    }
    state
        .store
        .queue_mail(queued.as_ref(), dev_copy.as_ref(), &events)
        .await?;
    if queued.is_some() {
        state.mail_queued.notify_one();
    }
    Ok(())
}

/// Delays before each retry of a failed delivery.
const RETRY_DELAYS_SECS: [i64; 6] = [5, 15, 30, 60, 120, 240];
/// Messages one worker delivers at once.
const BATCH: i64 = 8;

/// When to try a message again after `attempts` failed, or `None` once the
/// code in it will have expired.
fn next_attempt(mail: &QueuedMail, now: UnixMillis) -> Option<UnixMillis> {
    let i = usize::try_from(mail.attempts - 1).unwrap_or(0);
    let delay = RETRY_DELAYS_SECS[i.min(RETRY_DELAYS_SECS.len() - 1)];
    let at = now.plus_secs(delay);
    (at < mail.give_up_at).then_some(at)
}

/// Deliver one claimed message and say what to record.
async fn deliver_one(state: &AppState, mail: &QueuedMail) -> MailOutcome {
    let email = Email {
        subject: mail.subject.clone(),
        text: mail.text_body.clone(),
        html: mail.html_body.clone(),
    };
    match state.mailer.deliver(&mail.to_address, &email).await {
        Ok(()) => MailOutcome::Done,
        Err(e) => {
            let now = UnixMillis::now();
            match next_attempt(mail, now) {
                Some(at) => {
                    tracing::warn!(error = %e, server = %state.mailer, attempt = mail.attempts, "mail delivery failed; will retry");
                    MailOutcome::RetryAt(at)
                }
                None => {
                    tracing::error!(error = %e, server = %state.mailer, attempts = mail.attempts, "mail delivery failed; giving up (the code has expired)");
                    MailOutcome::Done
                }
            }
        }
    }
}

/// Deliver queued mail until `stop` turns true. Without SMTP there is
/// nothing to deliver and the worker only waits.
pub async fn worker(state: AppState, mut stop: watch::Receiver<bool>) {
    if !state.mailer.delivers() {
        let _ = stop.wait_for(|s| *s).await;
        return;
    }
    let lease = format!("mail_{}", frontdesk_types::id::random_base62(12));
    let lease_secs = i64::from(state.config.smtp.timeout_secs) * 2 + 5;
    loop {
        if *stop.borrow() {
            return;
        }
        let now = UnixMillis::now();
        let claimed = match state
            .store
            .claim_mail(BATCH, now, now.plus_secs(lease_secs), &lease)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim mail to deliver");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                () = state.mail_queued.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            continue;
        }
        let outcomes =
            futures_util::future::join_all(claimed.iter().map(|m| deliver_one(&state, m))).await;
        for (mail, outcome) in claimed.iter().zip(outcomes) {
            if let Err(e) = state.store.finish_mail(&mail.id, &lease, outcome).await {
                tracing::warn!(error = %e, "could not record a mail delivery");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stop_when_the_code_expires() {
        let now = UnixMillis(1_000_000);
        let mut mail = QueuedMail {
            id: "m".into(),
            to_address: "a@example.com".into(),
            subject: String::new(),
            text_body: String::new(),
            html_body: String::new(),
            created_at: now,
            give_up_at: now.plus_secs(CODE_TTL_SECS),
            next_attempt_at: now,
            attempts: 1,
        };
        assert_eq!(next_attempt(&mail, now), Some(now.plus_secs(5)));
        mail.attempts = 9;
        assert_eq!(next_attempt(&mail, now), Some(now.plus_secs(240)));
        assert_eq!(
            next_attempt(&mail, now.plus_secs(CODE_TTL_SECS - 100)),
            None
        );
    }

    #[test]
    fn case_variants_share_a_quota() {
        assert_eq!(
            quota_key("mail", "Alice@Example.COM"),
            quota_key("mail", "alice@example.com")
        );
    }
}
