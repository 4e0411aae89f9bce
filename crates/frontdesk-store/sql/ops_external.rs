// Accounts at other identity providers and the providers' client secrets:
// written once for both databases (see `ops.rs` for how an adapter includes
// this file).

use frontdesk_domain::entities::{ExternalAccount, ProviderTokens};
use frontdesk_store::ExternalAccountStore;

fn token_context(column: &str, id: &str) -> String {
    format!("external_accounts.{column}:{id}")
}

fn client_secret_context(strategy: &str) -> String {
    format!("oauth_client_secrets.secret:{strategy}")
}

/// Take the user row's lock (a change to its accounts is a change to the
/// user: version and `updated_at` move on), so that a parallel change to
/// the same user's accounts waits and then sees this one. `false` if the
/// user is gone.
async fn lock_user(tx: &mut Tx<'_>, user_id: &UserId, at: UnixMillis) -> StoreResult<bool> {
    let done = sqlx::query(&q(
        "UPDATE users SET updated_at = $2, version = version + 1 WHERE id = $1",
    ))
    .bind(user_id.as_str())
    .bind(at.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Rewrite the (locked) user row's list from the accounts themselves and
/// record `events`: the user as it is now.
async fn summarise_accounts(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    events: UserEvents<'_>,
) -> StoreResult<User> {
    let accounts: Vec<(Json<ExternalAccount>,)> = sqlx::query_as(&q(
        "SELECT account FROM external_accounts WHERE user_id = $1 ORDER BY created_at, id",
    ))
    .bind(user_id.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let list: Vec<ExternalAccount> = accounts.into_iter().map(|(a,)| a.0).collect();
    let row = sqlx::query_as::<_, UserRow>(&q(&format!(
        "UPDATE users SET external_accounts = $2 WHERE id = $1 RETURNING {USER_COLUMNS}"
    )))
    .bind(user_id.as_str())
    .bind(Json(&list))
    .fetch_one(&mut **tx)
    .await?;
    let user = user_with_emails(tx, row).await?;
    insert_events(tx, &events(&user, &[])).await?;
    Ok(user)
}

impl ThisStore {
    fn seal_tokens(&self, id: &str, t: &ProviderTokens) -> (String, Option<String>) {
        (
            self.seal_text(&t.access_token, &token_context("access_token", id)),
            t.refresh_token
                .as_ref()
                .map(|r| self.seal_text(r, &token_context("refresh_token", id))),
        )
    }
}

#[async_trait]
impl ExternalAccountStore for ThisStore {
    async fn link_external_account(
        &self,
        user_id: &UserId,
        a: &ExternalAccount,
        tokens: Option<&ProviderTokens>,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<User> {
        let mut tx = begin(&self.pool).await?;
        if !lock_user(&mut tx, user_id, at).await? {
            return Err(StoreError::NotFound);
        }
        let (access, refresh) = tokens
            .map(|t| self.seal_tokens(&a.id, t))
            .map_or((None, None), |(a, r)| (Some(a), r));
        sqlx::query(&q(
            "INSERT INTO external_accounts (id, user_id, provider, provider_user_id, account, \
             access_token, refresh_token, token_expires_at, scopes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        ))
        .bind(&a.id)
        .bind(user_id.as_str())
        .bind(&a.provider)
        .bind(&a.provider_user_id)
        .bind(Json(a))
        .bind(access)
        .bind(refresh)
        .bind(tokens.and_then(|t| t.expires_at).map(|t| t.0))
        .bind(tokens.map_or("", |t| t.scopes.as_str()))
        .bind(a.created_at.0)
        .bind(a.updated_at.0)
        .execute(&mut *tx)
        .await?;
        let user = summarise_accounts(&mut tx, user_id, events).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn external_account_owner(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<UserId>> {
        let owner: Option<String> = sqlx::query_scalar(&q(
            "SELECT user_id FROM external_accounts WHERE provider = $1 AND provider_user_id = $2",
        ))
        .bind(provider)
        .bind(provider_user_id)
        .fetch_optional(&self.pool)
        .await?;
        owner
            .map(|id| {
                id.parse::<UserId>()
                    .map_err(|_| StoreError::Corrupt(format!("external account owner `{id}`")))
            })
            .transpose()
    }

    async fn store_provider_tokens(
        &self,
        account_id: &str,
        tokens: &ProviderTokens,
        at: UnixMillis,
    ) -> StoreResult<()> {
        let (access, refresh) = self.seal_tokens(account_id, tokens);
        let done = sqlx::query(&q(
            "UPDATE external_accounts SET access_token = $2, refresh_token = $3, \
             token_expires_at = $4, scopes = $5, updated_at = $6 WHERE id = $1",
        ))
        .bind(account_id)
        .bind(access)
        .bind(refresh)
        .bind(tokens.expires_at.map(|t| t.0))
        .bind(&tokens.scopes)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn provider_tokens(
        &self,
        user_id: &UserId,
        provider: &str,
    ) -> StoreResult<Vec<(String, ProviderTokens)>> {
        let rows: Vec<(String, Option<String>, Option<String>, Option<i64>, String)> =
            sqlx::query_as(&q(
                "SELECT id, access_token, refresh_token, token_expires_at, scopes \
                 FROM external_accounts WHERE user_id = $1 AND provider = $2 \
                 ORDER BY created_at, id",
            ))
            .bind(user_id.as_str())
            .bind(provider)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for (id, access, refresh, expires, scopes) in rows {
            let Some(access) = access else { continue };
            let tokens = ProviderTokens {
                access_token: self.open_text(&access, &token_context("access_token", &id))?,
                refresh_token: refresh
                    .map(|r| self.open_text(&r, &token_context("refresh_token", &id)))
                    .transpose()?,
                expires_at: expires.map(UnixMillis),
                scopes,
            };
            out.push((id, tokens));
        }
        Ok(out)
    }

    async fn unlink_external_account(
        &self,
        user_id: &UserId,
        account_id: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>> {
        let mut tx = begin(&self.pool).await?;
        if !lock_user(&mut tx, user_id, at).await? {
            return Ok(None);
        }
        let done = sqlx::query(&q(
            "DELETE FROM external_accounts WHERE id = $1 AND user_id = $2",
        ))
        .bind(account_id)
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Not theirs: the user row is left as it was.
            tx.rollback().await?;
            return Ok(None);
        }
        let user = summarise_accounts(&mut tx, user_id, events).await?;
        tx.commit().await?;
        Ok(Some(user))
    }

    async fn set_client_secret(
        &self,
        strategy: &str,
        secret: Option<&str>,
        at: UnixMillis,
    ) -> StoreResult<()> {
        match secret {
            Some(s) => {
                sqlx::query(&q(
                    "INSERT INTO oauth_client_secrets (strategy, secret, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (strategy) \
                     DO UPDATE SET secret = EXCLUDED.secret, updated_at = EXCLUDED.updated_at",
                ))
                .bind(strategy)
                .bind(self.seal_text(s, &client_secret_context(strategy)))
                .bind(at.0)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query(&q("DELETE FROM oauth_client_secrets WHERE strategy = $1"))
                    .bind(strategy)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    async fn client_secret(&self, strategy: &str) -> StoreResult<Option<String>> {
        let stored: Option<String> = sqlx::query_scalar(&q(
            "SELECT secret FROM oauth_client_secrets WHERE strategy = $1",
        ))
        .bind(strategy)
        .fetch_optional(&self.pool)
        .await?;
        stored
            .map(|s| self.open_text(&s, &client_secret_context(strategy)))
            .transpose()
    }
}
