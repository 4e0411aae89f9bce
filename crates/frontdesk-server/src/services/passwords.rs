//! Password hashing: a fixed set of threads behind a bounded queue.
//!
//! argon2id at the configured cost takes tens of milliseconds of CPU and
//! 19 MiB of memory. Hashes therefore run on their own threads (one per core
//! by default, never on an async worker), each reusing one argon2 buffer
//! ([`HashMemory`]), so memory stays at threads × 19 MiB however many
//! sign-ins arrive. The queue in front of them is bounded twice: a request
//! that finds it full, or whose job waited longer than
//! [`HashPool::MAX_WAIT`] before a thread took it, is answered 503 with
//! `Retry-After` instead of joining an ever longer line (security.md §4.2,
//! finding F12). Under any overload, the sign-ins that are accepted finish
//! within about a second plus one hash.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use frontdesk_crypto::{HashMemory, PasswordCheck, PasswordHasher};
use frontdesk_domain::NewPassword;
use frontdesk_domain::entities::User;
use frontdesk_types::ClerkError;
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

type Job = Box<dyn FnOnce(&PasswordHasher, &mut HashMemory) + Send>;

struct Queued {
    /// Dropped unrun if it waited too long: its caller then sees its result
    /// channel closed, and answers 503.
    job: Job,
    enqueued: Instant,
}

/// Hashing threads and their queue.
pub struct HashPool {
    queue: SyncSender<Queued>,
    /// Jobs queued or running, for the metrics and the tests.
    pending: Arc<AtomicUsize>,
    threads: usize,
    /// Hashes run (`frontdesk_password_hashes_total`).
    hashes: prometheus_client::metrics::counter::Counter,
}

impl HashPool {
    /// The longest a job may wait for a thread before it is refused.
    pub const MAX_WAIT: Duration = Duration::from_secs(1);

    /// `threads` hashing threads (at least one) with room for `queue` waiting jobs.
    pub fn new(
        hasher: Arc<PasswordHasher>,
        threads: usize,
        queue: usize,
        hashes: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        let threads = threads.max(1);
        let (tx, rx) = sync_channel::<Queued>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let pending = Arc::new(AtomicUsize::new(0));
        for i in 0..threads {
            let (rx, hasher, pending) = (rx.clone(), hasher.clone(), pending.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("frontdesk-hash-{i}"))
                .spawn(move || work(&rx, &hasher, &pending));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Self {
            queue: tx,
            pending,
            threads,
            hashes,
        }
    }

    /// Jobs waiting or running.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Run `work` on a hashing thread; 503 if the queue is full or the job
    /// waited too long.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher, &mut HashMemory) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (done_tx, done_rx) = oneshot::channel::<T>();
        let hashes = self.hashes.clone();
        let pending = self.pending.clone();
        // Counted out before its caller hears the result, so that once every
        // caller has its answer nothing is left counted as queued.
        let job: Job = Box::new(move |hasher, memory| {
            hashes.inc();
            let out = work(hasher, memory);
            pending.fetch_sub(1, Ordering::Relaxed);
            let _ = done_tx.send(out);
        });
        self.pending.fetch_add(1, Ordering::Relaxed);
        let queued = Queued {
            job,
            enqueued: Instant::now(),
        };
        match self.queue.try_send(queued) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                return Err(overloaded());
            }
        }
        done_rx.await.map_err(|_| overloaded())
    }
}

/// A hashing thread: take jobs until the pool is dropped.
fn work(rx: &Mutex<Receiver<Queued>>, hasher: &PasswordHasher, pending: &AtomicUsize) {
    let mut memory = HashMemory::default();
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(queued) = next else { return };
        if queued.enqueued.elapsed() <= HashPool::MAX_WAIT {
            // The job counts itself out.
            (queued.job)(hasher, &mut memory);
        } else {
            pending.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// 503 with `Retry-After`: more passwords to check than this server can in time.
fn overloaded() -> ApiError {
    ApiError::Client {
        status: StatusCode::SERVICE_UNAVAILABLE,
        error: Box::new(ClerkError::new(
            "service_unavailable",
            "The service is busy",
            "Too many sign-ins are being processed right now. Please try again in a moment.",
        )),
        retry_after: Some(1),
    }
}

/// Parse a new password chosen by a person: the configured minimum length,
/// not on the common list, not built from the application's name or from
/// `context` (their email address, their names). `param` names the field in
/// the error.
pub fn parse_new(
    state: &AppState,
    text: &str,
    param: &str,
    context: &[&str],
) -> ApiResult<NewPassword> {
    let settings = state.settings();
    let min_length = usize::try_from(settings.settings.passwords.min_length).unwrap_or(usize::MAX);
    let mut words: Vec<&str> = vec!["frontdesk", &settings.settings.branding.application_name];
    for c in context {
        words.push(c);
        // The local part of an address alone is the likelier guess.
        if let Some((local, _)) = c.split_once('@') {
            words.push(local);
        }
    }
    NewPassword::parse_checked(text, min_length, &words)
        .map_err(|e| ApiError::bad_param(param, e.code(), e.to_string()))
}

/// The words of a user that their password must not be built from.
pub fn context_of(user: &User) -> Vec<&str> {
    let mut words: Vec<&str> = user
        .email_addresses
        .iter()
        .map(|e| e.email_address.as_str())
        .collect();
    words.extend(user.first_name.as_deref());
    words.extend(user.last_name.as_deref());
    words.extend(user.username.as_deref());
    words
}

/// Hash a new password.
pub async fn hash(state: &AppState, password: &NewPassword) -> ApiResult<String> {
    let text = password.expose().to_owned();
    state
        .hashes
        .run(move |h, memory| h.hash_in(&text, memory))
        .await?
        .map_err(ApiError::internal)
}

/// The argon2id of each of `secrets` under `salt` (hex), in one job on the
/// hashing threads: backup codes as stored, or a candidate to compare.
pub async fn derive(state: &AppState, secrets: Vec<String>, salt: &str) -> ApiResult<Vec<String>> {
    let salt = salt.as_bytes().to_vec();
    state
        .hashes
        .run(move |h, memory| {
            secrets
                .iter()
                .map(|s| h.derive_in(s, &salt, memory))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?
        .map_err(ApiError::internal)
}

/// Check a password against a digest (`None`: a user without a password,
/// which costs the same time as a mismatch). A match with an imported or
/// weaker digest is upgraded, only if the digest is still the one checked (a
/// password change made meanwhile wins): a targeted write, never the user
/// read before the check.
pub async fn verify(
    state: &AppState,
    user: &User,
    digest: Option<String>,
    password: &str,
) -> ApiResult<bool> {
    let text = password.to_owned();
    let check = state
        .hashes
        .run(move |h, memory| match digest {
            Some(d) => (h.verify_in(&text, &d, memory), Some(d)),
            None => (h.verify_dummy_in(&text, memory), None),
        })
        .await?;
    match check {
        (PasswordCheck::Mismatch, _) => Ok(false),
        (PasswordCheck::Match { needs_rehash }, old) => {
            if let (true, Some(old)) = (needs_rehash, old) {
                upgrade(state, user, old, password).await;
            }
            Ok(true)
        }
    }
}

/// Replace a weak digest by a fresh argon2id one. Best effort: a failed
/// upgrade must not fail the sign-in, and is tried again at the next one.
async fn upgrade(state: &AppState, user: &User, old: String, password: &str) {
    let Ok(new) = NewPassword::parse(password, 0) else {
        return;
    };
    let result = match hash(state, &new).await {
        Ok(digest) => state
            .store
            .upgrade_password_digest(&user.id, &old, &digest)
            .await
            .map(drop)
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not upgrade a password digest");
    }
}

/// Spend one verification's time for an account that does not exist, on a
/// hashing thread like a real one, so that timing does not tell them apart.
pub async fn verify_nobody(state: &AppState, password: &str) -> ApiResult<()> {
    let text = password.to_owned();
    state
        .hashes
        .run(move |h, memory| h.verify_dummy_in(&text, memory))
        .await?;
    Ok(())
}
