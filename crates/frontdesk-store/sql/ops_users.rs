// Users, their email addresses and their sessions: written once for both
// databases (see `ops.rs` for how an adapter includes this file).

impl ThisStore {
    /// Load the email addresses of `rows` in one query and build the users.
    async fn attach_emails(&self, rows: Vec<UserRow>) -> StoreResult<Vec<User>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=rows.len()).map(Self::placeholder).collect();
        let sql = format!(
            "SELECT {EMAIL_COLUMNS} FROM email_addresses WHERE user_id IN ({}) ORDER BY created_at, id",
            placeholders.join(", ")
        );
        let mut q = sqlx::query_as::<_, EmailRow>(&sql);
        for r in &rows {
            q = q.bind(&r.id);
        }
        let mut emails = q.fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|row| {
                let mine: Vec<EmailRow> = emails.extract_if(.., |e| e.user_id == row.id).collect();
                row.into_user(mine)
            })
            .collect()
    }

    async fn load_user(&self, where_clause: &str, arg: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {where_clause}");
        let Some(row) = sqlx::query_as::<_, UserRow>(&q(&sql))
            .bind(arg)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let emails = sqlx::query_as::<_, EmailRow>(&q(&format!(
            "SELECT {EMAIL_COLUMNS} FROM email_addresses WHERE user_id = $1 ORDER BY created_at, id"
        )))
        .bind(&row.id)
        .fetch_all(&self.pool)
        .await?;
        row.into_user(emails).map(Some)
    }
}

async fn touch_client(
    tx: &mut Tx<'_>,
    client_id: &ClientId,
    last_active: Option<&SessionId>,
    at: UnixMillis,
) -> StoreResult<()> {
    // `updated_at` only moves forward: it is the `__client_uat` that tokens
    // must not predate.
    sqlx::query(&q(&format!(
        "UPDATE clients SET updated_at = {GREATEST}(updated_at, $2), \
         last_active_session_id = COALESCE($3, last_active_session_id) WHERE id = $1"
    )))
    .bind(client_id.as_str())
    .bind(at.0)
    .bind(last_active.map(SessionId::as_str))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `private` is the key as stored (sealed when a cipher is set).
async fn insert_signing_key(
    tx: &mut Tx<'_>,
    key: &SigningKeyRecord,
    private: &[u8],
) -> StoreResult<()> {
    sqlx::query(
        &q("INSERT INTO signing_keys (id, private_pkcs8, created_at, retired_at) VALUES ($1, $2, $3, $4)"),
    )
    .bind(key.id.as_str())
    .bind(private)
    .bind(key.created_at.0)
    .bind(key.retired_at.map(|t| t.0))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_email(tx: &mut Tx<'_>, e: &EmailAddressRecord) -> StoreResult<()> {
    let v = e.verification.as_ref();
    sqlx::query(&q(&format!(
        "INSERT INTO email_addresses ({EMAIL_COLUMNS}, normalized) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(e.id.as_str())
    .bind(e.user_id.as_str())
    .bind(&e.email_address)
    .bind(v.map(|v| v.status.as_str()))
    .bind(v.map(|v| v.strategy.as_str()))
    .bind(v.and_then(|v| v.attempts))
    .bind(v.and_then(|v| v.expire_at).map(|t| t.0))
    .bind(e.created_at.0)
    .bind(e.updated_at.0)
    .bind(e.email_address.to_lowercase())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl UserStore for ThisStore {
    async fn create_user(&self, user: &User, events: &[OutboxEvent]) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(&format!(
            "INSERT INTO users ({USER_COLUMNS}, username_normalized) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
              $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)"
        )))
        .bind(user.id.as_str())
        .bind(&user.external_id)
        .bind(&user.username)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.image_url)
        .bind(Json(&user.public_metadata))
        .bind(Json(&user.private_metadata))
        .bind(Json(&user.unsafe_metadata))
        .bind(&user.password_digest)
        .bind(user.password_last_updated_at.map(|t| t.0))
        .bind(user.primary_email_address_id.as_ref().map(|i| i.as_str()))
        .bind(user.banned)
        .bind(user.locked_at.map(|t| t.0))
        .bind(user.failed_attempts)
        .bind(user.last_sign_in_at.map(|t| t.0))
        .bind(user.last_active_at.map(|t| t.0))
        .bind(user.legal_accepted_at.map(|t| t.0))
        .bind(user.delete_self_enabled)
        .bind(user.create_organization_enabled)
        .bind(user.created_at.0)
        .bind(user.updated_at.0)
        .bind(user.version)
        .bind(user.mfa.totp_enabled)
        .bind(user.mfa.backup_code_enabled)
        .bind(user.mfa.enabled_at.map(|t| t.0))
        .bind(user.mfa.disabled_at.map(|t| t.0))
        .bind(Json(&user.passkeys))
        .bind(Json(&user.external_accounts))
        .bind(user.username.as_ref().map(|u| u.to_lowercase()))
        .execute(&mut *tx)
        .await?;
        for e in &user.email_addresses {
            insert_email(&mut tx, e).await?;
        }
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.load_user("id = $1", id.as_str()).await
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.load_user(
            "id = (SELECT user_id FROM email_addresses WHERE normalized = $1)",
            &email.to_lowercase(),
        )
        .await
    }

    async fn patch_user(
        &self,
        id: &UserId,
        patch: &UserPatch,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<PatchedUser> {
        ops::patch_user_op(&self.pool, id, patch, at, events).await
    }

    async fn record_failed_attempt(
        &self,
        id: &UserId,
        lockout: &Lockout,
        at: UnixMillis,
    ) -> StoreResult<Option<AuthState>> {
        ops::record_failed_attempt_op(&self.pool, id, lockout, at).await
    }

    async fn upgrade_password_digest(
        &self,
        id: &UserId,
        old: &str,
        new: &str,
    ) -> StoreResult<bool> {
        ops::upgrade_password_digest_op(&self.pool, id, old, new).await
    }

    async fn delete_user(&self, id: &UserId, events: &[OutboxEvent]) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        // The memberships go with the user (cascade); their organizations'
        // counts first, in the same transaction.
        sqlx::query(&q(
            "UPDATE organizations SET members_count = members_count - 1, version = version + 1 \
             WHERE id IN (SELECT organization_id FROM organization_memberships WHERE user_id = $1)",
        ))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(&q("DELETE FROM users WHERE id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_events(&mut tx, events).await?;
        commit_audited(tx).await?;
        Ok(())
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        let (sql, binds) = query.to_select::<Self>(USER_COLUMNS);
        // Placeholders already in the dialect's form (`to_select::<Self>`).
        let mut select = sqlx::query_as::<_, UserRow>(&sql);
        for b in &binds {
            select = match b {
                Bind::Text(t) => select.bind(t),
                Bind::Int(i) => select.bind(i),
            };
        }
        let rows = select.fetch_all(&self.pool).await?;
        self.attach_emails(rows).await
    }

    async fn count_users(&self, filter: &UserFilter) -> StoreResult<i64> {
        let w = filter.to_where::<Self>();
        let sql = format!("SELECT COUNT(*) FROM users {}", w.sql);
        // Placeholders already in the dialect's form (`to_where::<Self>`).
        let mut select = sqlx::query_as::<_, (i64,)>(&sql);
        for b in &w.binds {
            select = match b {
                Bind::Text(t) => select.bind(t),
                Bind::Int(i) => select.bind(i),
            };
        }
        Ok(select.fetch_one(&self.pool).await?.0)
    }

    async fn index_user_search(&self, batch: i64) -> StoreResult<u64> {
        Ok(index_search(&self.pool, batch).await?)
    }

    async fn add_email(
        &self,
        email: &EmailAddressRecord,
        events: &[OutboxEvent],
    ) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        insert_email(&mut tx, email).await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_email(&self, id: &EmailAddressId) -> StoreResult<Option<EmailAddressRecord>> {
        sqlx::query_as::<_, EmailRow>(&q(&format!(
            "SELECT {EMAIL_COLUMNS} FROM email_addresses WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(EmailAddressRecord::try_from)
        .transpose()
    }

    async fn update_email(
        &self,
        e: &EmailAddressRecord,
        events: &[OutboxEvent],
    ) -> StoreResult<()> {
        let v = e.verification.as_ref();
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(
            &q("UPDATE email_addresses SET verification_status = $2, verification_strategy = $3, \
             verification_attempts = $4, verification_expire_at = $5, updated_at = $6 WHERE id = $1"),
        )
        .bind(e.id.as_str())
        .bind(v.map(|v| v.status.as_str()))
        .bind(v.map(|v| v.strategy.as_str()))
        .bind(v.and_then(|v| v.attempts))
        .bind(v.and_then(|v| v.expire_at).map(|t| t.0))
        .bind(e.updated_at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pend_email_verification(
        &self,
        id: &EmailAddressId,
        v: &Verification,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        let done = sqlx::query(&q(
            "UPDATE email_addresses SET verification_status = $2, verification_strategy = $3, \
             verification_attempts = $4, verification_expire_at = $5, updated_at = $6 \
             WHERE id = $1 AND (verification_status IS NULL OR verification_status <> 'verified')",
        ))
        .bind(id.as_str())
        .bind(v.status.as_str())
        .bind(v.strategy.as_str())
        .bind(v.attempts)
        .bind(v.expire_at.map(|t| t.0))
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_email(&self, id: &EmailAddressId, events: &[OutboxEvent]) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(
            "UPDATE users SET primary_email_address_id = NULL WHERE primary_email_address_id = $1",
        ))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(&q("DELETE FROM email_addresses WHERE id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for ThisStore {
    async fn create_session(&self, s: &Session, events: &[OutboxEvent]) -> StoreResult<()> {
        ops::create_session_op(&self.pool, s, events).await
    }

    async fn get_session(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, SessionRow>(&q(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(Session::try_from)
        .transpose()
    }

    async fn session_for_token(
        &self,
        id: &SessionId,
    ) -> StoreResult<Option<(Session, UnixMillis)>> {
        let columns = SESSION_COLUMNS
            .split(", ")
            .map(|c| format!("s.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query_as::<_, SessionWithClientRow>(&q(&format!(
            "SELECT {columns}, c.updated_at AS client_updated_at FROM sessions s \
             JOIN clients c ON c.id = s.client_id WHERE s.id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                Session::try_from(r.session)?,
                UnixMillis(r.client_updated_at),
            ))
        })
        .transpose()
    }

    async fn list_sessions_for_user(&self, user_id: &UserId) -> StoreResult<Vec<Session>> {
        sqlx::query_as::<_, SessionRow>(&q(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        )))
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Session::try_from)
        .collect()
    }

    async fn list_sessions(&self, query: &SessionQuery) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) \
             AND (CAST($2 AS TEXT) IS NULL OR client_id = $2) AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
             ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
        );
        sqlx::query_as::<_, SessionRow>(&q(&sql))
            .bind(query.user_id.as_ref().map(UserId::as_str))
            .bind(query.client_id.as_ref().map(ClientId::as_str))
            .bind(query.status.map(SessionStatus::as_str))
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Session::try_from)
            .collect()
    }

    async fn end_user_sessions(
        &self,
        user_id: &UserId,
        status: SessionStatus,
        at: UnixMillis,
        events: SessionEvents<'_>,
    ) -> StoreResult<Vec<Session>> {
        let mut tx = begin(&self.pool).await?;
        let rows = sqlx::query_as::<_, SessionRow>(&q(&format!(
            "UPDATE sessions SET status = $2, updated_at = $3 \
             WHERE user_id = $1 AND status IN ('active', 'pending') RETURNING {SESSION_COLUMNS}"
        )))
        .bind(user_id.as_str())
        .bind(status.as_str())
        .bind(at.0)
        .fetch_all(&mut *tx)
        .await?;
        let sessions: Vec<Session> = rows
            .into_iter()
            .map(Session::try_from)
            .collect::<Result<_, _>>()?;
        for s in &sessions {
            touch_client(&mut tx, &s.client_id, None, at).await?;
        }
        let events: Vec<OutboxEvent> = sessions.iter().filter_map(events).collect();
        insert_events(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(sessions)
    }

    async fn sign_in(&self, req: &NewSignIn<'_>, at: UnixMillis) -> StoreResult<SignInOutcome> {
        ops::sign_in_op(&self.pool, req, at).await
    }

    async fn activate_pending_sessions(
        &self,
        user_id: &UserId,
        at: UnixMillis,
    ) -> StoreResult<Vec<Session>> {
        let mut tx = begin(&self.pool).await?;
        let rows = sqlx::query_as::<_, SessionRow>(&q(&format!(
            "UPDATE sessions SET status = 'active', updated_at = $2 \
             WHERE user_id = $1 AND status = 'pending' RETURNING {SESSION_COLUMNS}"
        )))
        .bind(user_id.as_str())
        .bind(at.0)
        .fetch_all(&mut *tx)
        .await?;
        let sessions: Vec<Session> = rows
            .into_iter()
            .map(Session::try_from)
            .collect::<Result<_, _>>()?;
        // Clients see the change (`__client_uat`), so tokens say `active`.
        for s in &sessions {
            touch_client(&mut tx, &s.client_id, None, at).await?;
        }
        tx.commit().await?;
        Ok(sessions)
    }

    async fn record_factor_check(
        &self,
        id: &SessionId,
        first: Option<UnixMillis>,
        second: Option<UnixMillis>,
        at: UnixMillis,
    ) -> StoreResult<Session> {
        let row = sqlx::query_as::<_, SessionRow>(&q(&format!(
            "UPDATE sessions SET updated_at = $2, \
             first_factor_verified_at = COALESCE($3, first_factor_verified_at), \
             second_factor_verified_at = COALESCE($4, second_factor_verified_at) \
             WHERE id = $1 AND status IN ('active', 'pending') AND expire_at > $2 AND abandon_at > $2 \
             RETURNING {SESSION_COLUMNS}"
        )))
        .bind(id.as_str())
        .bind(at.0)
        .bind(first.map(|t| t.0))
        .bind(second.map(|t| t.0))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Session::try_from(row)
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        at: UnixMillis,
        abandon_at: UnixMillis,
        a: &SessionActivity,
    ) -> StoreResult<Session> {
        let mut tx = begin(&self.pool).await?;
        let row = sqlx::query_as::<_, SessionRow>(&q(&format!(
            "UPDATE sessions SET last_active_at = $2, abandon_at = $3, updated_at = $2, \
             ip_address = COALESCE($4, ip_address), user_agent = COALESCE($5, user_agent), \
             browser_name = COALESCE($6, browser_name), browser_version = COALESCE($7, browser_version), \
             device_type = COALESCE($8, device_type), is_mobile = $9 \
             WHERE id = $1 AND status IN ('active', 'pending') AND expire_at > $2 AND abandon_at > $2 \
             RETURNING {SESSION_COLUMNS}"
        )))
        .bind(id.as_str())
        .bind(at.0)
        .bind(abandon_at.0)
        .bind(&a.ip_address)
        .bind(&a.user_agent)
        .bind(&a.browser_name)
        .bind(&a.browser_version)
        .bind(&a.device_type)
        .bind(a.is_mobile)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let session = Session::try_from(row)?;
        touch_client(&mut tx, &session.client_id, Some(&session.id), at).await?;
        tx.commit().await?;
        if session.actor.is_none() {
            note_touch(&self.pool, session.user_id.as_str(), at).await;
        }
        Ok(session)
    }

    async fn end_session(
        &self,
        id: &SessionId,
        status: SessionStatus,
        at: UnixMillis,
        events: SessionEvents<'_>,
    ) -> StoreResult<Session> {
        let mut tx = begin(&self.pool).await?;
        let row = sqlx::query_as::<_, SessionRow>(&q(&format!(
            "UPDATE sessions SET status = $2, updated_at = $3 \
             WHERE id = $1 AND status IN ('active', 'pending') RETURNING {SESSION_COLUMNS}"
        )))
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(at.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let session = Session::try_from(row)?;
        touch_client(&mut tx, &session.client_id, None, at).await?;
        let events: Vec<OutboxEvent> = events(&session).into_iter().collect();
        insert_events(&mut tx, &events).await?;
        commit_audited(tx).await?;
        Ok(session)
    }
}
