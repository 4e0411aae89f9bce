// The instance, its keys and the clients: written once for both databases
// (see `ops.rs` for how an adapter includes this file).

#[async_trait]
impl KeyStore for ThisStore {
    async fn insert_secret_key(&self, key: &SecretKeyRecord) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(
            "INSERT INTO secret_keys (id, key_hash, hint, label, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        ))
        .bind(key.id.as_str())
        .bind(&key.key_hash)
        .bind(&key.hint)
        .bind(&key.label)
        .bind(key.created_at.0)
        .bind(key.revoked_at.map(|t| t.0))
        .execute(&mut *tx)
        .await?;
        commit_audited(tx).await?;
        Ok(())
    }

    async fn list_secret_keys(&self) -> StoreResult<Vec<SecretKeyRecord>> {
        sqlx::query_as::<_, SecretKeyRow>(&q(
            "SELECT id, key_hash, hint, label, created_at, revoked_at FROM secret_keys \
             ORDER BY created_at, id",
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SecretKeyRecord::try_from)
        .collect()
    }

    async fn find_active_secret_key(&self, key_hash: &str) -> StoreResult<Option<SecretKeyRecord>> {
        sqlx::query_as::<_, SecretKeyRow>(&q(
            "SELECT id, key_hash, hint, label, created_at, revoked_at FROM secret_keys \
             WHERE key_hash = $1 AND revoked_at IS NULL",
        ))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(SecretKeyRecord::try_from)
        .transpose()
    }

    async fn revoke_secret_key(&self, id: &SecretKeyId, at: UnixMillis) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q(
            "UPDATE secret_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        ))
        .bind(id.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx).await?;
        Ok(())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        sqlx::query_as::<_, SigningKeyRow>(&q(
            "SELECT id, private_pkcs8, created_at, retired_at FROM signing_keys \
             ORDER BY created_at DESC, id DESC",
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| self.open_signing_key(r))
        .collect()
    }

    async fn rotate_signing_key(&self, new: &SigningKeyRecord) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(
            "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL",
        ))
        .bind(new.created_at.0)
        .execute(&mut *tx)
        .await?;
        let private = self.seal_bytes(&new.private_pkcs8, &signing_key_context(new.id.as_str()));
        insert_signing_key(&mut tx, new, &private).await?;
        commit_audited(tx).await?;
        Ok(())
    }

    async fn ensure_signing_key(&self, new: &SigningKeyRecord) -> StoreResult<SigningKeyRecord> {
        let mut tx = begin(&self.pool).await?;
        let current = sqlx::query_as::<_, SigningKeyRow>(&q(
            "SELECT id, private_pkcs8, created_at, retired_at FROM signing_keys \
             WHERE retired_at IS NULL",
        ))
        .fetch_optional(&mut *tx)
        .await?;
        let current = match current {
            Some(row) => self.open_signing_key(row)?,
            None => {
                let private =
                    self.seal_bytes(&new.private_pkcs8, &signing_key_context(new.id.as_str()));
                insert_signing_key(&mut tx, new, &private).await?;
                new.clone()
            }
        };
        tx.commit().await?;
        Ok(current)
    }
}

#[async_trait]
impl ClientStore for ThisStore {
    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        sqlx::query(&q(
            "INSERT INTO clients (id, token_hash, last_active_session_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind(client.id.as_str())
        .bind(&client.token_hash)
        .bind(client.last_active_session_id.as_ref().map(|s| s.as_str()))
        .bind(client.created_at.0)
        .bind(client.updated_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_client(&self, id: &ClientId) -> StoreResult<Option<Client>> {
        sqlx::query_as::<_, ClientRow>(&q(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(Client::try_from)
        .transpose()
    }

    async fn list_clients(&self, limit: i64, offset: i64) -> StoreResult<Vec<Client>> {
        sqlx::query_as::<_, ClientRow>(&q(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients \
             ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Client::try_from)
        .collect()
    }

    async fn set_client_token(&self, id: &ClientId, token_hash: &str) -> StoreResult<()> {
        let done = sqlx::query(&q("UPDATE clients SET token_hash = $2 WHERE id = $1"))
            .bind(id.as_str())
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn find_client_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Client>> {
        sqlx::query_as::<_, ClientRow>(&q(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients \
             WHERE token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(Client::try_from)
        .transpose()
    }
}

#[async_trait]
impl InstanceStore for ThisStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query(&q("SELECT 1")).execute(&self.pool).await?;
        Ok(())
    }

    async fn instance(&self) -> StoreResult<Option<Instance>> {
        sqlx::query_as::<_, InstanceRow>(&q("SELECT id, mode, created_at FROM instance"))
            .fetch_optional(&self.pool)
            .await?
            .map(Instance::try_from)
            .transpose()
    }

    async fn ensure_instance(&self, candidate: &Instance) -> StoreResult<Instance> {
        sqlx::query(&q(
            "INSERT INTO instance (singleton, id, mode, created_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT DO NOTHING",
        ))
        .bind(candidate.id.as_str())
        .bind(candidate.mode.as_str())
        .bind(candidate.created_at.0)
        .execute(&self.pool)
        .await?;
        self.instance().await?.ok_or(StoreError::NotFound)
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        let text: Option<String> =
            sqlx::query_scalar(&q("SELECT value FROM settings WHERE name = $1"))
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    async fn put_setting(
        &self,
        name: &str,
        value: Option<&serde_json::Value>,
        at: UnixMillis,
    ) -> StoreResult<()> {
        match value {
            Some(v) => {
                sqlx::query(
                    &q("INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at"),
                )
                .bind(name)
                .bind(v.to_string())
                .bind(at.0)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query(&q("DELETE FROM settings WHERE name = $1"))
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    async fn swap_setting(
        &self,
        name: &str,
        expected: Option<&serde_json::Value>,
        new: &serde_json::Value,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        // The stored text is `Value::to_string` of what was written, and a
        // value read back prints the same text, so comparing the text
        // compares the documents.
        let mut tx = begin(&self.pool).await?;
        let done = match expected {
            None => {
                sqlx::query(&q(
                    "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
                ))
                .bind(name)
                .bind(new.to_string())
                .bind(at.0)
                .execute(&mut *tx)
                .await?
            }
            Some(old) => sqlx::query(&q(
                "UPDATE settings SET value = $2, updated_at = $3 WHERE name = $1 AND value = $4",
            ))
            .bind(name)
            .bind(new.to_string())
            .bind(at.0)
            .bind(old.to_string())
            .execute(&mut *tx)
            .await?,
        };
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        commit_audited(tx).await?;
        Ok(true)
    }
}
