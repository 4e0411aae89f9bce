// Second factors: written once for both databases (see `ops.rs` for how an
// adapter includes this file).

/// The columns of `totps`, in the order of `TotpRow`.
const TOTP_COLUMNS: &str = "id, user_id, secret, verified, last_used_step, created_at, updated_at";

/// Change the user row's factor summary, bumping its version, record the
/// change's events, and return the user as left. `$1` user id, `$2` now.
async fn summarise_factors(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    set: &str,
    at: UnixMillis,
    events: UserEvents<'_>,
) -> StoreResult<Option<User>> {
    let row = sqlx::query_as::<_, UserRow>(&q(&format!(
        "UPDATE users SET {set}, updated_at = $2, version = version + 1 \
         WHERE id = $1 RETURNING {USER_COLUMNS}"
    )))
    .bind(user_id.as_str())
    .bind(at.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = user_with_emails(tx, row).await?;
    insert_events(tx, &events(&user, &[])).await?;
    Ok(Some(user))
}

/// Delete a user's rows of a factor table; how many there were.
async fn delete_factor_rows(tx: &mut Tx<'_>, table: &str, user_id: &UserId) -> StoreResult<u64> {
    Ok(
        sqlx::query(&q(&format!("DELETE FROM {table} WHERE user_id = $1")))
            .bind(user_id.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Whether the user still has an unused backup code.
const BACKUP_CODES_LEFT: &str =
    "EXISTS (SELECT 1 FROM backup_codes WHERE user_id = $1 AND used_at IS NULL)";

async fn insert_backup_codes(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    set: &BackupCodeSet,
    at: UnixMillis,
) -> StoreResult<()> {
    delete_factor_rows(tx, "backup_codes", user_id).await?;
    for hash in &set.hashes {
        sqlx::query(&q(
            "INSERT INTO backup_codes (user_id, code_hash, salt, used_at, created_at) \
             VALUES ($1, $2, $3, NULL, $4)",
        ))
        .bind(user_id.as_str())
        .bind(hash)
        .bind(&set.salt)
        .bind(at.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl FactorStore for ThisStore {
    async fn totp(&self, user_id: &UserId) -> StoreResult<Option<TotpRecord>> {
        sqlx::query_as::<_, TotpRow>(&q(&format!(
            "SELECT {TOTP_COLUMNS} FROM totps WHERE user_id = $1"
        )))
        .bind(user_id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| self.open_totp(r))
        .transpose()
    }

    async fn put_pending_totp(&self, t: &TotpRecord) -> StoreResult<bool> {
        // One statement: a verified secret is never replaced, however many
        // enrolments race.
        let done = sqlx::query(&q(&format!(
            "INSERT INTO totps ({TOTP_COLUMNS}) VALUES ($1, $2, $3, FALSE, NULL, $4, $4) \
             ON CONFLICT (user_id) DO UPDATE SET id = $1, secret = $3, last_used_step = NULL, \
             created_at = $4, updated_at = $4 WHERE totps.verified = FALSE"
        )))
        .bind(&t.id)
        .bind(t.user_id.as_str())
        .bind(self.seal_text(&t.secret, &totp_context(t.user_id.as_str())))
        .bind(t.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn spend_totp_step(
        &self,
        user_id: &UserId,
        step: i64,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        let done = sqlx::query(&q(
            "UPDATE totps SET last_used_step = $2, updated_at = $3 WHERE user_id = $1 \
             AND verified AND (last_used_step IS NULL OR last_used_step < $2)",
        ))
        .bind(user_id.as_str())
        .bind(step)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn enable_totp(
        &self,
        user_id: &UserId,
        totp_id: &str,
        step: i64,
        backup: Option<&BackupCodeSet>,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q(
            "UPDATE totps SET verified = TRUE, last_used_step = $3, updated_at = $4 \
             WHERE user_id = $1 AND id = $2 AND NOT verified \
             AND (last_used_step IS NULL OR last_used_step < $3)",
        ))
        .bind(user_id.as_str())
        .bind(totp_id)
        .bind(step)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        if let Some(set) = backup {
            insert_backup_codes(&mut tx, user_id, set, at).await?;
        }
        let user = summarise_factors(
            &mut tx,
            user_id,
            &format!(
                "mfa_enabled_at = CASE WHEN totp_enabled THEN mfa_enabled_at ELSE $2 END, \
                 totp_enabled = TRUE, backup_code_enabled = {BACKUP_CODES_LEFT}"
            ),
            at,
            events,
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_totp(
        &self,
        user_id: &UserId,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>> {
        let mut tx = begin(&self.pool).await?;
        if delete_factor_rows(&mut tx, "totps", user_id).await? == 0 {
            return Ok(None);
        }
        delete_factor_rows(&mut tx, "backup_codes", user_id).await?;
        let user = summarise_factors(
            &mut tx,
            user_id,
            "mfa_disabled_at = CASE WHEN totp_enabled THEN $2 ELSE mfa_disabled_at END, \
             totp_enabled = FALSE, backup_code_enabled = FALSE",
            at,
            events,
        )
        .await?;
        commit_audited(tx).await?;
        Ok(user)
    }

    async fn replace_backup_codes(
        &self,
        user_id: &UserId,
        set: &BackupCodeSet,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<User> {
        let mut tx = begin(&self.pool).await?;
        insert_backup_codes(&mut tx, user_id, set, at).await?;
        let user = summarise_factors(
            &mut tx,
            user_id,
            &format!("backup_code_enabled = {BACKUP_CODES_LEFT}"),
            at,
            events,
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_backup_codes(
        &self,
        user_id: &UserId,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>> {
        let mut tx = begin(&self.pool).await?;
        if delete_factor_rows(&mut tx, "backup_codes", user_id).await? == 0 {
            return Ok(None);
        }
        let user =
            summarise_factors(&mut tx, user_id, "backup_code_enabled = FALSE", at, events).await?;
        commit_audited(tx).await?;
        Ok(user)
    }

    async fn backup_code_salt(&self, user_id: &UserId) -> StoreResult<Option<String>> {
        Ok(sqlx::query_as::<_, (String,)>(&q(
            "SELECT salt FROM backup_codes WHERE user_id = $1 AND used_at IS NULL LIMIT 1",
        ))
        .bind(user_id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|(salt,)| salt))
    }

    async fn spend_backup_code(
        &self,
        user_id: &UserId,
        code_hash: &str,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q("UPDATE backup_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"))
        .bind(user_id.as_str())
        .bind(code_hash)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        // Bookkeeping, like a digest upgrade: no version bump, no event.
        sqlx::query(&q(&format!(
            "UPDATE users SET backup_code_enabled = {BACKUP_CODES_LEFT} WHERE id = $1"
        )))
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
