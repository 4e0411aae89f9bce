// Store operations written once for both databases.
//
// This file and its siblings (`ops_instance.rs`: instance, keys, clients;
// `ops_users.rs`: users, email addresses, sessions; `ops_webhooks.rs`: the
// webhook outbox) are not modules of `frontdesk-store`: each adapter
// `include!`s them into one child module after defining
//   type Db = sqlx::Sqlite | sqlx::Postgres;
//   type ThisStore = SqliteStore | PostgresStore;      // with a `pool` field
//   fn q(sql: &str) -> std::borrow::Cow<'_, str>;   // `$n` → the dialect's placeholders
//   const SKIP_LOCKED: bool;                          // row locks that skip
//   const STRPOS: &str;                               // strpos | instr
//   const GREATEST: &str;                             // GREATEST | MAX
//   const FOR_UPDATE: Option<&str>;                   // row locks, where there are
//   async fn begin(&Pool) -> Transaction;             // SQLite: BEGIN IMMEDIATE
// and an adapter method `claim_due` (the webhook claim, the one statement
// whose shape differs). Every statement is written with `$n` placeholders
// and passed through `q`; statements shared as text live in
// `frontdesk_store::sql`. What is here is the binding and the sequence of
// each transaction, the same on both databases, compiled once per concrete
// database type (no generic bounds to spell out). The conformance suite
// (`frontdesk-store-tests`) is the contract both compilations meet.

use frontdesk_domain::{AuthState, Lockout};
use frontdesk_store::rows::{AuthStateRow, QueuedMailRow};
use frontdesk_store::sql::{self as shared, Arg};
use frontdesk_store::{
    EndSessions, FlowStore, MailOutcome, MailStore, NewSignIn, PatchedUser, PurgeCounts,
    PurgePolicy, QueuedMail, QuotaHit, SignInOutcome, SignedIn, UpkeepStore, UserEvents, UserPatch,
};

type Tx<'a> = sqlx::Transaction<'a, Db>;
type Pool = sqlx::Pool<Db>;

/// A user and its email addresses, read inside a transaction.
async fn user_with_emails(tx: &mut Tx<'_>, row: UserRow) -> StoreResult<User> {
    let emails = sqlx::query_as::<_, EmailRow>(&q(shared::SELECT_EMAILS_OF_USER))
        .bind(&row.id)
        .fetch_all(&mut **tx)
        .await?;
    row.into_user(emails)
}

/// Move a client on after a change to its sessions (and maybe its token).
async fn touch_client_in(
    tx: &mut Tx<'_>,
    client_id: &str,
    at: UnixMillis,
    active_session: Option<&str>,
    token_hash: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(&q(shared::TOUCH_CLIENT))
        .bind(client_id)
        .bind(at.0)
        .bind(active_session)
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// End a user's live sessions (but `except`), moving their clients on.
async fn end_user_sessions_in(
    tx: &mut Tx<'_>,
    user_id: &str,
    end: &EndSessions,
    at: UnixMillis,
) -> StoreResult<Vec<Session>> {
    let rows = sqlx::query_as::<_, SessionRow>(&q(shared::END_USER_SESSIONS))
        .bind(user_id)
        .bind(end.status.as_str())
        .bind(at.0)
        .bind(end.except.as_ref().map(|s| s.as_str()))
        .fetch_all(&mut **tx)
        .await?;
    let sessions: Vec<Session> = rows
        .into_iter()
        .map(Session::try_from)
        .collect::<Result<_, _>>()?;
    for s in &sessions {
        touch_client_in(tx, s.client_id.as_str(), at, None, None).await?;
    }
    Ok(sessions)
}

fn bind_args<'q>(
    mut query: sqlx::query::QueryAs<'q, Db, UserRow, <Db as sqlx::Database>::Arguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::QueryAs<'q, Db, UserRow, <Db as sqlx::Database>::Arguments<'q>> {
    for a in args {
        query = match a {
            Arg::Text(v) => query.bind(v.as_deref()),
            Arg::Int(v) => query.bind(*v),
            Arg::Bool(v) => query.bind(*v),
            Arg::Json(v) => query.bind(Json(v)),
        };
    }
    query
}

pub(super) async fn patch_user_op(
    pool: &Pool,
    id: &UserId,
    patch: &UserPatch,
    at: UnixMillis,
    events: UserEvents<'_>,
) -> StoreResult<PatchedUser> {
    let (sql, args) = shared::patch_user(id.as_str(), patch, at.0);
    let sql = q(&sql).into_owned();
    let mut tx = begin(pool).await?;
    if patch.keep_an_admin {
        lock_admins(&mut tx).await?;
    }
    let row = bind_args(sqlx::query_as::<_, UserRow>(&sql), &args)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        let exists = sqlx::query_as::<_, UserRow>(&q(shared::SELECT_USER_BY_ID))
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        return Err(if exists {
            StoreError::Stale
        } else {
            StoreError::NotFound
        });
    };
    let user = user_with_emails(&mut tx, row).await?;
    if patch.keep_an_admin && !an_admin_can_sign_in(&mut tx, id).await? {
        return Err(StoreError::Refused(frontdesk_store::Refusal::LastAdmin));
    }
    let ended = match &patch.end_sessions {
        Some(end) => end_user_sessions_in(&mut tx, id.as_str(), end, at).await?,
        None => Vec::new(),
    };
    insert_events(&mut tx, &events(&user, &ended)).await?;
    commit_audited(tx).await?;
    Ok(PatchedUser { user, ended })
}

pub(super) async fn record_failed_attempt_op(
    pool: &Pool,
    id: &UserId,
    lockout: &Lockout,
    at: UnixMillis,
) -> StoreResult<Option<AuthState>> {
    Ok(
        sqlx::query_as::<_, AuthStateRow>(&q(shared::RECORD_FAILED_ATTEMPT))
            .bind(id.as_str())
            .bind(at.0)
            .bind(lockout.lapsed_before(at).0)
            .bind(lockout.max_attempts)
            .fetch_optional(pool)
            .await?
            .map(AuthState::from),
    )
}

pub(super) async fn upgrade_password_digest_op(
    pool: &Pool,
    id: &UserId,
    old: &str,
    new: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(&q(shared::UPGRADE_PASSWORD_DIGEST))
        .bind(id.as_str())
        .bind(old)
        .bind(new)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Insert a session row.
async fn insert_session(tx: &mut Tx<'_>, s: &Session) -> StoreResult<()> {
    let a = &s.latest_activity;
    sqlx::query(&q(shared::INSERT_SESSION))
        .bind(s.id.as_str())
        .bind(s.client_id.as_str())
        .bind(s.user_id.as_str())
        .bind(s.status.as_str())
        .bind(s.last_active_at.0)
        .bind(s.expire_at.0)
        .bind(s.abandon_at.0)
        .bind(&s.last_active_organization_id)
        .bind(s.actor.as_ref().map(Json))
        .bind(&a.ip_address)
        .bind(&a.user_agent)
        .bind(&a.browser_name)
        .bind(&a.browser_version)
        .bind(&a.device_type)
        .bind(a.is_mobile)
        .bind(&a.city)
        .bind(&a.country)
        .bind(s.created_at.0)
        .bind(s.updated_at.0)
        .bind(s.first_factor_verified_at.0)
        .bind(s.second_factor_verified_at.map(|t| t.0))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A user active at `at` (a sign-in, a session touched): the first time on
/// a UTC day, `users.last_active_at` moves to it and the day gets a row in
/// `user_activity` (the dashboard's active users per day); `true` then.
/// Later activity that day changes nothing, so `last_active_at` moves at
/// most once a day. The user's row is locked before the activity row, the
/// order a sign-in takes them in. Impersonations are not the user's
/// activity: callers pass only sessions without an actor.
async fn note_activity(tx: &mut Tx<'_>, user_id: &str, at: UnixMillis) -> StoreResult<bool> {
    let day = at.0 - at.0.rem_euclid(frontdesk_store::DAY_MS);
    let moved = sqlx::query(&q("UPDATE users SET last_active_at = $2 WHERE id = $1 \
         AND (last_active_at IS NULL OR last_active_at < $3)"))
    .bind(user_id)
    .bind(at.0)
    .bind(day)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(&q(
        "INSERT INTO user_activity (day, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    ))
    .bind(day)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// [`note_activity`] after a session was touched, in its own short
/// transaction and only when a read says it is the day's first: the touch
/// (which locked the session) never waits on the user's row, which a
/// sign-in or a ban locks before the sessions. Best effort: the touch has
/// committed, and a failure here only leaves a day uncounted.
async fn note_touch(pool: &Pool, user_id: &str, at: UnixMillis) {
    let day = at.0 - at.0.rem_euclid(frontdesk_store::DAY_MS);
    let last: Result<Option<(Option<i64>,)>, _> =
        sqlx::query_as(&q("SELECT last_active_at FROM users WHERE id = $1"))
            .bind(user_id)
            .fetch_optional(pool)
            .await;
    if !matches!(last, Ok(Some((last,))) if last.is_none_or(|t| t < day)) {
        return;
    }
    let noted = async {
        let mut tx = begin(pool).await?;
        note_activity(&mut tx, user_id, at).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    };
    // Not the session's outcome (see above).
    drop(noted.await);
}

/// A session created on its own (`POST /v1/sessions`), active on its client.
pub(super) async fn create_session_op(
    pool: &Pool,
    s: &Session,
    events: &[OutboxEvent],
) -> StoreResult<()> {
    let mut tx = begin(pool).await?;
    insert_session(&mut tx, s).await?;
    if s.actor.is_none() {
        note_activity(&mut tx, s.user_id.as_str(), s.created_at).await?;
    }
    touch_client_in(
        &mut tx,
        s.client_id.as_str(),
        s.created_at,
        Some(s.id.as_str()),
        None,
    )
    .await?;
    insert_events(&mut tx, events).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn sign_in_op(
    pool: &Pool,
    req: &NewSignIn<'_>,
    at: UnixMillis,
) -> StoreResult<SignInOutcome> {
    let mut tx = begin(pool).await?;
    let row = sqlx::query_as::<_, UserRow>(&q(shared::SIGN_IN_USER))
        .bind(req.user_id.as_str())
        .bind(at.0)
        .bind(req.lock_lapsed_before.0)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        let blocks: Option<(bool, Option<i64>)> = sqlx::query_as(&q(shared::USER_BLOCKS))
            .bind(req.user_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        return Ok(match blocks {
            None => SignInOutcome::UserGone,
            Some((true, _)) => SignInOutcome::Banned,
            Some((false, locked_at)) => SignInOutcome::Locked {
                locked_at: UnixMillis(locked_at.unwrap_or(at.0)),
            },
        });
    };
    let s = req.session;
    // The user's row is this transaction's already (`SIGN_IN_USER`).
    let active = s.actor.is_none() && note_activity(&mut tx, s.user_id.as_str(), at).await?;
    let mut user = user_with_emails(&mut tx, row).await?;
    if active {
        user.last_active_at = Some(at);
    }
    let ended: Vec<Session> = sqlx::query_as::<_, SessionRow>(&q(shared::END_CLIENT_SESSIONS))
        .bind(s.client_id.as_str())
        .bind(at.0)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(Session::try_from)
        .collect::<Result<_, _>>()?;
    insert_session(&mut tx, s).await?;
    touch_client_in(
        &mut tx,
        s.client_id.as_str(),
        at,
        Some(s.id.as_str()),
        req.new_client_token_hash,
    )
    .await?;
    insert_events(&mut tx, &(req.events)(&user, s, &ended)).await?;
    tx.commit().await?;
    Ok(SignInOutcome::SignedIn(Box::new(SignedIn {
        user,
        session: s.clone(),
        ended,
    })))
}

pub(super) async fn insert_flow_op(pool: &Pool, f: &FlowRecord) -> StoreResult<()> {
    sqlx::query(&q(shared::INSERT_FLOW))
        .bind(&f.id)
        .bind(f.client_id.as_str())
        .bind(&f.kind)
        .bind(Json(&f.data))
        .bind(f.created_at.0)
        .bind(f.updated_at.0)
        .bind(f.version)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn update_flow_op(pool: &Pool, f: &FlowRecord) -> StoreResult<FlowRecord> {
    let row = sqlx::query_as::<_, FlowRow>(&q(shared::UPDATE_FLOW))
        .bind(&f.id)
        .bind(Json(&f.data))
        .bind(f.updated_at.0)
        .bind(f.version)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(row) => FlowRecord::try_from(row),
        None if get_flow_op(pool, &f.id).await?.is_some() => Err(StoreError::Stale),
        None => Err(StoreError::NotFound),
    }
}

pub(super) async fn get_flow_op(pool: &Pool, id: &str) -> StoreResult<Option<FlowRecord>> {
    sqlx::query_as::<_, FlowRow>(&q(shared::SELECT_FLOW))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(FlowRecord::try_from)
        .transpose()
}

pub(super) async fn latest_flow_op(
    pool: &Pool,
    client_id: &ClientId,
    kind: &str,
) -> StoreResult<Option<FlowRecord>> {
    sqlx::query_as::<_, FlowRow>(&q(shared::LATEST_FLOW))
        .bind(client_id.as_str())
        .bind(kind)
        .fetch_optional(pool)
        .await?
        .map(FlowRecord::try_from)
        .transpose()
}

pub(super) async fn insert_handshake_nonce_op(
    pool: &Pool,
    id: &str,
    directives: &serde_json::Value,
    expire_at: UnixMillis,
    at: UnixMillis,
) -> StoreResult<()> {
    sqlx::query(&q(shared::INSERT_HANDSHAKE_NONCE))
        .bind(id)
        .bind(Json(directives))
        .bind(expire_at.0)
        .bind(at.0)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn take_handshake_nonce_op(
    pool: &Pool,
    id: &str,
    now: UnixMillis,
) -> StoreResult<Option<serde_json::Value>> {
    let row: Option<(Json<serde_json::Value>,)> = sqlx::query_as(&q(shared::TAKE_HANDSHAKE_NONCE))
        .bind(id)
        .bind(now.0)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(j,)| j.0))
}

pub(super) async fn queue_mail_op(
    pool: &Pool,
    mail: Option<&QueuedMail>,
    dev_copy: Option<&DevEmail>,
    events: &[OutboxEvent],
) -> StoreResult<()> {
    let mut tx = begin(pool).await?;
    if let Some(m) = mail {
        sqlx::query(&q(shared::INSERT_MAIL))
            .bind(&m.id)
            .bind(&m.to_address)
            .bind(&m.subject)
            .bind(&m.text_body)
            .bind(&m.html_body)
            .bind(m.created_at.0)
            .bind(m.give_up_at.0)
            .bind(m.next_attempt_at.0)
            .bind(m.attempts)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(e) = dev_copy {
        sqlx::query(&q(shared::INSERT_DEV_EMAIL))
            .bind(&e.id)
            .bind(&e.to_address)
            .bind(&e.subject)
            .bind(&e.text_body)
            .bind(&e.html_body)
            .bind(e.created_at.0)
            .execute(&mut *tx)
            .await?;
    }
    insert_events(&mut tx, events).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn claim_mail_op(
    pool: &Pool,
    limit: i64,
    now: UnixMillis,
    lease_until: UnixMillis,
    lease: &str,
) -> StoreResult<Vec<QueuedMail>> {
    let sql = shared::claim_mail(SKIP_LOCKED);
    Ok(sqlx::query_as::<_, QueuedMailRow>(&q(&sql))
        .bind(now.0)
        .bind(limit)
        .bind(lease)
        .bind(lease_until.0)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(QueuedMail::from)
        .collect())
}

pub(super) async fn finish_mail_op(
    pool: &Pool,
    id: &str,
    lease: &str,
    outcome: MailOutcome,
) -> StoreResult<()> {
    match outcome {
        MailOutcome::Done => {
            sqlx::query(&q(shared::DELETE_MAIL))
                .bind(id)
                .bind(lease)
                .execute(pool)
                .await?;
        }
        MailOutcome::RetryAt(at) => {
            sqlx::query(&q(shared::RETRY_MAIL))
                .bind(id)
                .bind(lease)
                .bind(at.0)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

pub(super) async fn hit_quota_op(
    pool: &Pool,
    name: &str,
    window_secs: i64,
    now: UnixMillis,
) -> StoreResult<QuotaHit> {
    let (hits, start): (i32, i64) = sqlx::query_as(&q(shared::HIT_QUOTA))
        .bind(name)
        .bind(now.0)
        .bind(now.plus_secs(-window_secs).0)
        .fetch_one(pool)
        .await?;
    Ok(QuotaHit {
        hits,
        window_start: UnixMillis(start),
    })
}

pub(super) async fn purge_op(pool: &Pool, p: &PurgePolicy) -> StoreResult<PurgeCounts> {
    async fn run(pool: &Pool, sql: &str, before: UnixMillis) -> StoreResult<u64> {
        Ok(sqlx::query(&q(sql))
            .bind(before.0)
            .bind(shared::PURGE_BATCH)
            .execute(pool)
            .await?
            .rows_affected())
    }
    Ok(PurgeCounts {
        flows: run(pool, shared::PURGE_FLOWS, p.flows_created_before).await?,
        clients: run(pool, shared::PURGE_CLIENTS, p.anonymous_clients_before).await?,
        nonces: run(pool, shared::PURGE_NONCES, p.now).await?,
        quotas: run(pool, shared::PURGE_QUOTAS, p.quotas_before).await?,
        mail: run(pool, shared::PURGE_MAIL, p.now).await?,
    })
}

#[async_trait]
impl FlowStore for ThisStore {
    async fn insert_flow(&self, flow: &FlowRecord) -> StoreResult<()> {
        insert_flow_op(&self.pool, flow).await
    }

    async fn update_flow(&self, flow: &FlowRecord) -> StoreResult<FlowRecord> {
        update_flow_op(&self.pool, flow).await
    }

    async fn get_flow(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
        get_flow_op(&self.pool, id).await
    }

    async fn latest_flow(
        &self,
        client_id: &ClientId,
        kind: &str,
    ) -> StoreResult<Option<FlowRecord>> {
        latest_flow_op(&self.pool, client_id, kind).await
    }

    async fn insert_handshake_nonce(
        &self,
        id: &str,
        directives: &serde_json::Value,
        expire_at: UnixMillis,
        at: UnixMillis,
    ) -> StoreResult<()> {
        insert_handshake_nonce_op(&self.pool, id, directives, expire_at, at).await
    }

    async fn take_handshake_nonce(
        &self,
        id: &str,
        now: UnixMillis,
    ) -> StoreResult<Option<serde_json::Value>> {
        take_handshake_nonce_op(&self.pool, id, now).await
    }

    async fn list_dev_emails(&self, limit: i64) -> StoreResult<Vec<DevEmail>> {
        Ok(sqlx::query_as::<_, DevEmailRow>(&q(
            "SELECT id, to_address, subject, text_body, html_body, created_at FROM dev_emails \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(DevEmail::from)
        .collect())
    }
}

#[async_trait]
impl MailStore for ThisStore {
    async fn queue_mail(
        &self,
        mail: Option<&QueuedMail>,
        dev_copy: Option<&DevEmail>,
        events: &[OutboxEvent],
    ) -> StoreResult<()> {
        queue_mail_op(&self.pool, mail, dev_copy, events).await
    }

    async fn claim_mail(
        &self,
        limit: i64,
        now: UnixMillis,
        lease_until: UnixMillis,
        lease: &str,
    ) -> StoreResult<Vec<QueuedMail>> {
        claim_mail_op(&self.pool, limit, now, lease_until, lease).await
    }

    async fn finish_mail(&self, id: &str, lease: &str, outcome: MailOutcome) -> StoreResult<()> {
        finish_mail_op(&self.pool, id, lease, outcome).await
    }
}

#[async_trait]
impl UpkeepStore for ThisStore {
    async fn hit_quota(
        &self,
        name: &str,
        window_secs: i64,
        now: UnixMillis,
    ) -> StoreResult<QuotaHit> {
        hit_quota_op(&self.pool, name, window_secs, now).await
    }

    async fn purge(&self, policy: &PurgePolicy) -> StoreResult<PurgeCounts> {
        purge_op(&self.pool, policy).await
    }
}
