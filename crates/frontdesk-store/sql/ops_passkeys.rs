// Passkeys: written once for both databases (see `ops.rs` for how an
// adapter includes this file).

use frontdesk_domain::entities::PasskeyRecord;
use frontdesk_store::PasskeyStore;
use frontdesk_store::rows::PasskeyRow;

/// The columns of `passkeys`, in the order of `PasskeyRow`.
const PASSKEY_COLUMNS: &str = "id, user_id, name, credential_id, credential, registration, rp_id, \
     verified, expire_at, last_used_at, created_at, updated_at, version";

/// Rewrite the user row's list of verified passkeys from the passkeys
/// themselves, in the transaction that changed them. With `events`, the
/// change is the user's (version and `updated_at` move on, `user.updated`
/// is recorded) and the user is returned; without, only the list moves (a
/// sign-in's "last used").
async fn summarise_passkeys(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    at: UnixMillis,
    events: Option<UserEvents<'_>>,
) -> StoreResult<Option<User>> {
    let rows = sqlx::query_as::<_, PasskeyRow>(&q(&format!(
        "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 AND verified \
         ORDER BY created_at, id"
    )))
    .bind(user_id.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let list = rows
        .into_iter()
        .map(|r| PasskeyRecord::try_from(r).map(|p| p.summary()))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(events) = events else {
        sqlx::query(&q("UPDATE users SET passkeys = $2 WHERE id = $1"))
            .bind(user_id.as_str())
            .bind(sqlx::types::Json(&list))
            .execute(&mut **tx)
            .await?;
        return Ok(None);
    };
    let row = sqlx::query_as::<_, UserRow>(&q(&format!(
        "UPDATE users SET passkeys = $3, updated_at = $2, version = version + 1 \
         WHERE id = $1 RETURNING {USER_COLUMNS}"
    )))
    .bind(user_id.as_str())
    .bind(at.0)
    .bind(sqlx::types::Json(&list))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = user_with_emails(tx, row).await?;
    insert_events(tx, &events(&user, &[])).await?;
    Ok(Some(user))
}

/// The end of a change to one verified passkey (`row`, as the change's
/// UPDATE returned it, or `None` when nothing matched): the user's list
/// rewritten, `events` recorded, committed.
async fn finish_change(
    mut tx: Tx<'_>,
    user_id: &UserId,
    row: Option<PasskeyRow>,
    at: UnixMillis,
    events: UserEvents<'_>,
) -> StoreResult<Option<(User, PasskeyRecord)>> {
    let Some(row) = row else { return Ok(None) };
    let passkey = PasskeyRecord::try_from(row)?;
    let user = summarise_passkeys(&mut tx, user_id, at, Some(events))
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(Some((user, passkey)))
}

async fn passkey_in(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    id: &str,
) -> StoreResult<Option<PasskeyRecord>> {
    sqlx::query_as::<_, PasskeyRow>(&q(&format!(
        "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 AND id = $2"
    )))
    .bind(user_id.as_str())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .map(PasskeyRecord::try_from)
    .transpose()
}

#[async_trait]
impl PasskeyStore for ThisStore {
    async fn create_pending_passkey(&self, p: &PasskeyRecord) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(
            "DELETE FROM passkeys WHERE user_id = $1 AND NOT verified AND expire_at <= $2",
        ))
        .bind(p.user_id.as_str())
        .bind(p.created_at.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&q(&format!(
            "INSERT INTO passkeys ({PASSKEY_COLUMNS}) \
             VALUES ($1, $2, $3, NULL, NULL, $4, $5, FALSE, $6, NULL, $7, $7, 0)"
        )))
        .bind(&p.id)
        .bind(p.user_id.as_str())
        .bind(&p.name)
        .bind(&p.registration)
        .bind(&p.rp_id)
        .bind(p.expire_at.0)
        .bind(p.created_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn passkey(&self, user_id: &UserId, id: &str) -> StoreResult<Option<PasskeyRecord>> {
        // A read: a deferred transaction, beside SQLite's writer.
        let mut tx = self.pool.begin().await?;
        let found = passkey_in(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<PasskeyRecord>> {
        sqlx::query_as::<_, PasskeyRow>(&q(&format!(
            "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1 AND verified"
        )))
        .bind(credential_id)
        .fetch_optional(&self.pool)
        .await?
        .map(PasskeyRecord::try_from)
        .transpose()
    }

    async fn passkeys_of(&self, user_id: &UserId) -> StoreResult<Vec<PasskeyRecord>> {
        sqlx::query_as::<_, PasskeyRow>(&q(&format!(
            "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 AND verified \
             ORDER BY created_at, id"
        )))
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(PasskeyRecord::try_from)
        .collect()
    }

    async fn verify_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        credential_id: &str,
        credential: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<(User, PasskeyRecord)>> {
        let mut tx = begin(&self.pool).await?;
        let row = sqlx::query_as::<_, PasskeyRow>(&q(&format!(
            "UPDATE passkeys SET verified = TRUE, credential_id = $3, credential = $4, \
             registration = NULL, updated_at = $5, version = version + 1 \
             WHERE user_id = $1 AND id = $2 AND NOT verified AND expire_at > $5 \
             RETURNING {PASSKEY_COLUMNS}"
        )))
        .bind(user_id.as_str())
        .bind(id)
        .bind(credential_id)
        .bind(credential)
        .bind(at.0)
        .fetch_optional(&mut *tx)
        .await?;
        finish_change(tx, user_id, row, at, events).await
    }

    async fn use_passkey(
        &self,
        id: &str,
        version: i64,
        credential: &str,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        let mut tx = begin(&self.pool).await?;
        let owner: Option<(String,)> = sqlx::query_as(&q(
            "UPDATE passkeys SET credential = $3, last_used_at = $4, version = version + 1 \
             WHERE id = $1 AND version = $2 AND verified RETURNING user_id",
        ))
        .bind(id)
        .bind(version)
        .bind(credential)
        .bind(at.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((owner,)) = owner else {
            return Ok(false);
        };
        let owner: UserId = owner
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("passkey {id}: user id {owner}")))?;
        summarise_passkeys(&mut tx, &owner, at, None).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn rename_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        name: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<(User, PasskeyRecord)>> {
        let mut tx = begin(&self.pool).await?;
        let row = sqlx::query_as::<_, PasskeyRow>(&q(&format!(
            "UPDATE passkeys SET name = $3, updated_at = $4 \
             WHERE user_id = $1 AND id = $2 AND verified RETURNING {PASSKEY_COLUMNS}"
        )))
        .bind(user_id.as_str())
        .bind(id)
        .bind(name)
        .bind(at.0)
        .fetch_optional(&mut *tx)
        .await?;
        finish_change(tx, user_id, row, at, events).await
    }

    async fn delete_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>> {
        let mut tx = begin(&self.pool).await?;
        let gone = sqlx::query(&q("DELETE FROM passkeys WHERE user_id = $1 AND id = $2"))
            .bind(user_id.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(None);
        }
        let user = summarise_passkeys(&mut tx, user_id, at, Some(events)).await?;
        tx.commit().await?;
        Ok(user)
    }
}
