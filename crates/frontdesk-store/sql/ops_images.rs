// Profile images: written once for both databases (see `ops.rs` for how an
// adapter includes this file).

/// Point the user's `image_url` at `$3` (or NULL), bump its version, record
/// the events; the user as left.
async fn set_image_url(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    url: Option<&str>,
    at: UnixMillis,
    events: UserEvents<'_>,
) -> StoreResult<Option<User>> {
    let row = sqlx::query_as::<_, UserRow>(&q(&format!(
        "UPDATE users SET image_url = $3, updated_at = $2, version = version + 1 \
         WHERE id = $1 RETURNING {USER_COLUMNS}"
    )))
    .bind(user_id.as_str())
    .bind(at.0)
    .bind(url)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = user_with_emails(tx, row).await?;
    insert_events(tx, &events(&user, &[])).await?;
    Ok(Some(user))
}

#[async_trait]
impl ImageStore for ThisStore {
    async fn set_profile_image(
        &self,
        image: &ImageRecord,
        url: &str,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<User> {
        let mut tx = begin(&self.pool).await?;
        delete_factor_rows(&mut tx, "images", &image.user_id).await?;
        let user = set_image_url(&mut tx, &image.user_id, Some(url), at, events)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query(&q(
            "INSERT INTO images (id, user_id, content_type, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind(&image.id)
        .bind(image.user_id.as_str())
        .bind(&image.content_type)
        .bind(&image.bytes)
        .bind(image.created_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn image(&self, id: &str) -> StoreResult<Option<ImageRecord>> {
        let row = sqlx::query_as::<_, (String, String, String, Vec<u8>, i64)>(&q(
            "SELECT id, user_id, content_type, bytes, created_at FROM images WHERE id = $1",
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, user_id, content_type, bytes, created_at)| {
            Ok(ImageRecord {
                id,
                user_id: user_id
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("image user id `{user_id}`")))?,
                content_type,
                bytes,
                created_at: UnixMillis(created_at),
            })
        })
        .transpose()
    }

    async fn remove_profile_image(
        &self,
        user_id: &UserId,
        at: UnixMillis,
        events: UserEvents<'_>,
    ) -> StoreResult<Option<User>> {
        let mut tx = begin(&self.pool).await?;
        let uploaded = delete_factor_rows(&mut tx, "images", user_id).await?;
        let had_url = sqlx::query_as::<_, (i64,)>(&q(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND image_url IS NOT NULL",
        ))
        .bind(user_id.as_str())
        .fetch_one(&mut *tx)
        .await?
        .0 > 0;
        if uploaded == 0 && !had_url {
            return Ok(None);
        }
        let user = set_image_url(&mut tx, user_id, None, at, events).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_organization_logo(
        &self,
        logo: &frontdesk_store::organizations::LogoRecord,
        url: &str,
        at: UnixMillis,
        events: frontdesk_store::organizations::OrgEvents<'_>,
    ) -> StoreResult<Organization> {
        let mut tx = begin(&self.pool).await?;
        let org = set_logo_url(&mut tx, &logo.organization_id, Some(url), at, events)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query(&q(
            "DELETE FROM organization_logos WHERE organization_id = $1",
        ))
        .bind(logo.organization_id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(&q(
            "INSERT INTO organization_logos (id, organization_id, content_type, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind(&logo.id)
        .bind(logo.organization_id.as_str())
        .bind(&logo.content_type)
        .bind(&logo.bytes)
        .bind(logo.created_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn remove_organization_logo(
        &self,
        org: &OrganizationId,
        at: UnixMillis,
        events: frontdesk_store::organizations::OrgEvents<'_>,
    ) -> StoreResult<Option<Organization>> {
        let mut tx = begin(&self.pool).await?;
        let uploaded = sqlx::query(&q(
            "DELETE FROM organization_logos WHERE organization_id = $1",
        ))
        .bind(org.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let had_url = sqlx::query_as::<_, (i64,)>(&q(
            "SELECT COUNT(*) FROM organizations WHERE id = $1 AND image_url IS NOT NULL",
        ))
        .bind(org.as_str())
        .fetch_one(&mut *tx)
        .await?
        .0 > 0;
        if uploaded == 0 && !had_url {
            return Ok(None);
        }
        let org = set_logo_url(&mut tx, org, None, at, events).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn organization_logo(&self, id: &str) -> StoreResult<Option<(String, Vec<u8>)>> {
        Ok(sqlx::query_as::<_, (String, Vec<u8>)>(&q(
            "SELECT content_type, bytes FROM organization_logos WHERE id = $1",
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// Point the organization's `image_url` at `url` (or NULL), bump its
/// version, record the events; the organization as left.
async fn set_logo_url(
    tx: &mut Tx<'_>,
    org: &OrganizationId,
    url: Option<&str>,
    at: UnixMillis,
    events: frontdesk_store::organizations::OrgEvents<'_>,
) -> StoreResult<Option<Organization>> {
    let row = sqlx::query_as::<_, OrgRow>(&q(&format!(
        "UPDATE organizations SET image_url = $3, updated_at = $2, version = version + 1 \
         WHERE id = $1 RETURNING {ORG_RETURNING}"
    )))
    .bind(org.as_str())
    .bind(at.0)
    .bind(url)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let org = Organization::try_from(row)?;
    insert_events(tx, events(&org).as_slice()).await?;
    Ok(Some(org))
}
