// Secrets at rest: sealing on write, opening on read, and resealing; written
// once for both databases (see `ops.rs` for how an adapter includes this
// file, and `frontdesk_store::secrets` for the scheme).

use frontdesk_store::secrets::{Cipher, Resealed, SecretStore, is_sealed};

/// Where each secret lives: its table, key column, secret column and the
/// context it is sealed for.
fn totp_context(user_id: &str) -> String {
    format!("totps.secret:{user_id}")
}

fn signing_key_context(id: &str) -> String {
    format!("signing_keys.private_pkcs8:{id}")
}

fn webhook_context(column: &str, id: &str) -> String {
    format!("webhook_endpoints.{column}:{id}")
}

impl ThisStore {
    /// Seal `plain` for `context` when a cipher is set; else keep it.
    fn seal_bytes(&self, plain: &[u8], context: &str) -> Vec<u8> {
        match &self.cipher {
            Some(c) => c.seal(plain, context).into_bytes(),
            None => plain.to_vec(),
        }
    }

    fn seal_text(&self, plain: &str, context: &str) -> String {
        match &self.cipher {
            Some(c) => c.seal(plain.as_bytes(), context),
            None => plain.to_owned(),
        }
    }

    /// Open a stored value: sealed ones need the cipher; plain ones (stored
    /// before a key was configured) are read as they are.
    fn open_bytes(&self, stored: &[u8], context: &str) -> StoreResult<Vec<u8>> {
        if !is_sealed(stored) {
            return Ok(stored.to_vec());
        }
        let text = std::str::from_utf8(stored)
            .map_err(|_| StoreError::Corrupt(format!("{context}: sealed value is not text")))?;
        match &self.cipher {
            Some(c) => c
                .open(text, context)
                .map_err(|e| StoreError::Corrupt(format!("{context}: {e}"))),
            None => Err(StoreError::Corrupt(format!(
                "{context} is encrypted and no encryption key is configured"
            ))),
        }
    }

    fn open_text(&self, stored: &str, context: &str) -> StoreResult<String> {
        String::from_utf8(self.open_bytes(stored.as_bytes(), context)?)
            .map_err(|_| StoreError::Corrupt(format!("{context}: not text")))
    }

    /// A stored value as the current key would store it, if it is not so
    /// already: `None` when there is nothing to do.
    fn resealed(
        &self,
        cipher: &dyn Cipher,
        stored: &[u8],
        context: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        if is_sealed(stored) && std::str::from_utf8(stored).is_ok_and(|t| cipher.is_current(t)) {
            return Ok(None);
        }
        let plain = self.open_bytes(stored, context)?;
        Ok(Some(cipher.seal(&plain, context).into_bytes()))
    }

    fn open_endpoint(&self, mut r: EndpointRow) -> StoreResult<WebhookEndpoint> {
        r.secret = self.open_text(&r.secret, &webhook_context("secret", &r.id))?;
        r.previous_secret = r
            .previous_secret
            .map(|s| self.open_text(&s, &webhook_context("previous_secret", &r.id)))
            .transpose()?;
        WebhookEndpoint::try_from(r)
    }

    fn open_signing_key(&self, mut r: SigningKeyRow) -> StoreResult<SigningKeyRecord> {
        r.private_pkcs8 = self.open_bytes(&r.private_pkcs8, &signing_key_context(&r.id))?;
        SigningKeyRecord::try_from(r)
    }

    fn open_totp(&self, mut r: TotpRow) -> StoreResult<TotpRecord> {
        r.secret = self.open_text(&r.secret, &totp_context(&r.user_id))?;
        TotpRecord::try_from(r)
    }
}

impl ThisStore {
    /// Reseal one text secret in `table.column` of the row whose `key`
    /// column is `id`, written over the exact value read: 1 when it was
    /// resealed, 0 when it needed nothing or changed meanwhile.
    async fn reseal_text(
        &self,
        cipher: &dyn Cipher,
        (table, key, column): (&str, &str, &str),
        id: &str,
        stored: &str,
        context: &str,
    ) -> StoreResult<u64> {
        let Some(new) = self.resealed(cipher, stored.as_bytes(), context)? else {
            return Ok(0);
        };
        Ok(sqlx::query(&q(&format!(
            "UPDATE {table} SET {column} = $3 WHERE {key} = $1 AND {column} = $2"
        )))
        .bind(id)
        .bind(stored)
        .bind(String::from_utf8_lossy(&new).into_owned())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

#[async_trait]
impl SecretStore for ThisStore {
    async fn reseal_secrets(&self) -> StoreResult<Resealed> {
        let Some(cipher) = self.cipher.clone() else {
            return Ok(Resealed::default());
        };
        let cipher = cipher.as_ref();
        let mut done = Resealed::default();
        let totps: Vec<(String, String)> = sqlx::query_as(&q("SELECT user_id, secret FROM totps"))
            .fetch_all(&self.pool)
            .await?;
        for (user_id, secret) in totps {
            let at = ("totps", "user_id", "secret");
            done.totp_secrets += self
                .reseal_text(cipher, at, &user_id, &secret, &totp_context(&user_id))
                .await?;
        }
        let keys: Vec<(String, Vec<u8>)> =
            sqlx::query_as(&q("SELECT id, private_pkcs8 FROM signing_keys"))
                .fetch_all(&self.pool)
                .await?;
        for (id, private) in keys {
            if let Some(new) = self.resealed(cipher, &private, &signing_key_context(&id))? {
                let n = sqlx::query(&q(
                    "UPDATE signing_keys SET private_pkcs8 = $3 WHERE id = $1 AND private_pkcs8 = $2",
                ))
                .bind(&id)
                .bind(&private)
                .bind(new)
                .execute(&self.pool)
                .await?
                .rows_affected();
                done.signing_keys += n;
            }
        }
        let endpoints: Vec<(String, String, Option<String>)> = sqlx::query_as(&q(
            "SELECT id, secret, previous_secret FROM webhook_endpoints",
        ))
        .fetch_all(&self.pool)
        .await?;
        for (id, secret, previous) in endpoints {
            for (column, value) in [("secret", Some(secret)), ("previous_secret", previous)] {
                let Some(value) = value else { continue };
                let at = ("webhook_endpoints", "id", column);
                let context = webhook_context(column, &id);
                done.webhook_secrets += self.reseal_text(cipher, at, &id, &value, &context).await?;
            }
        }
        let secrets: Vec<(String, String)> =
            sqlx::query_as(&q("SELECT strategy, secret FROM oauth_client_secrets"))
                .fetch_all(&self.pool)
                .await?;
        for (strategy, secret) in secrets {
            let at = ("oauth_client_secrets", "strategy", "secret");
            let context = client_secret_context(&strategy);
            done.oauth_secrets += self
                .reseal_text(cipher, at, &strategy, &secret, &context)
                .await?;
        }
        let tokens: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(&q(
            "SELECT id, access_token, refresh_token FROM external_accounts",
        ))
        .fetch_all(&self.pool)
        .await?;
        for (id, access, refresh) in tokens {
            for (column, value) in [("access_token", access), ("refresh_token", refresh)] {
                let Some(value) = value else { continue };
                let at = ("external_accounts", "id", column);
                let context = token_context(column, &id);
                done.oauth_secrets += self.reseal_text(cipher, at, &id, &value, &context).await?;
            }
        }
        Ok(done)
    }
}
