// Verified domains, suggestions and requests to join: written once for
// both databases (see `ops.rs` for how an adapter includes this file; it
// shares the helpers of `ops_organizations.rs` and `ops_org_invitations.rs`).

use frontdesk_domain::organizations::{Domain, EnrollmentMode, RequestStatus, SuggestionStatus};
use frontdesk_store::org_domains::{
    DOMAIN_COLUMNS, DOMAIN_FROM, DomainEvents, DomainPatch, DomainQuery, DomainRow, DomainStore,
    DomainView, REQUEST_COLUMNS, RequestRow, RequestView, SUGGESTION_COLUMNS, SuggestionRow,
    SuggestionView,
};
use frontdesk_types::{MembershipRequestId, OrganizationDomainId, OrganizationSuggestionId};

/// How long an invitation a domain made stays open.
const DOMAIN_INVITATION_DAYS: i64 = 30;

/// A domain of `org`, in a transaction or not (`now` decides which of its
/// invitations are still pending).
async fn domain_in<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    org: &OrganizationId,
    id: &str,
    now: UnixMillis,
) -> StoreResult<Option<DomainView>> {
    sqlx::query_as::<_, DomainRow>(&q(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM {DOMAIN_FROM} WHERE d.organization_id = $2 AND d.id = $3"
    )))
    .bind(now.0)
    .bind(org.as_str())
    .bind(id)
    .fetch_optional(ex)
    .await?
    .map(DomainView::try_from)
    .transpose()
}

/// Revoke the pending invitations and withdraw the pending suggestions
/// domain `id` of `org` made.
async fn withdraw_offers(
    tx: &mut Tx<'_>,
    org: &OrganizationId,
    id: &str,
    at: UnixMillis,
) -> StoreResult<()> {
    let revoked = sqlx::query(&q(
        "UPDATE organization_invitations SET status = 'revoked', updated_at = $3 \
         WHERE organization_id = $1 AND domain_id = $2 AND status = 'pending'",
    ))
    .bind(org.as_str())
    .bind(id)
    .bind(at.0)
    .execute(&mut **tx)
    .await?;
    count_pending(tx, org, -(revoked.rows_affected() as i64)).await?;
    sqlx::query(&q(
        "DELETE FROM organization_suggestions WHERE domain_id = $1 AND status = 'pending'",
    ))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `IN (…)` for statuses given as text, or nothing when there are none.
fn status_filter(column: &str, args: &mut Vec<String>, statuses: Vec<&'static str>) -> String {
    if statuses.is_empty() {
        return String::new();
    }
    format!(
        " AND {column} IN ({})",
        placeholders(args, statuses.into_iter().map(str::to_owned))
    )
}

/// A page of `table` (`(name alias, alias)`) rows that match `filter`
/// (whose text placeholders are `args`), newest first, read with
/// `select … joins`, and how many match.
async fn newest_first<R, T>(
    pool: &Pool,
    (table, alias): (&str, &str),
    select: &str,
    joins: &str,
    filter: &str,
    args: &[String],
    (limit, offset): (i64, i64),
) -> StoreResult<Page<T>>
where
    R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    T: TryFrom<R, Error = OrgStoreError>,
{
    let (limit, offset) = page_args(limit, offset);
    let data = fetch_page::<R, T>(
        pool,
        &format!(
            "{select} FROM {table} {joins} WHERE {filter} \
             ORDER BY {alias}.created_at DESC, {alias}.id DESC"
        ),
        args,
        limit,
        offset,
    )
    .await?;
    let total_count = count_of(
        pool,
        &format!("SELECT COUNT(*) FROM {table} WHERE {filter}"),
        args,
    )
    .await?;
    Ok(Page { data, total_count })
}

#[async_trait]
impl DomainStore for ThisStore {
    async fn create_domain(&self, d: &Domain, events: DomainEvents<'_>) -> StoreResult<DomainView> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, &d.organization_id).await? {
            return Err(OrgStoreError::NotFound);
        }
        sqlx::query(&q(
            "INSERT INTO organization_domains (id, organization_id, name, enrollment_mode, \
             verification_strategy, verified_at, affiliation_email_address, challenge, \
             created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
        ))
        .bind(d.id.as_str())
        .bind(d.organization_id.as_str())
        .bind(&d.name)
        .bind(d.enrollment_mode.as_str())
        .bind(d.verified.map(|(p, _)| p.as_str()))
        .bind(d.verified.map(|(_, at)| at.0))
        .bind(&d.affiliation_email_address)
        .bind(d.challenge.as_ref().map(Json))
        .bind(d.created_at.0)
        .bind(d.updated_at.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| match OrgStoreError::from(e) {
            OrgStoreError::Conflict(_) => {
                OrgStoreError::Conflict("organization_domains.name".to_owned())
            }
            other => other,
        })?;
        let view = domain_in(&mut *tx, &d.organization_id, d.id.as_str(), d.created_at)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        insert_events(&mut tx, events(&view).as_slice()).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn domain(
        &self,
        org: &OrganizationId,
        id: &OrganizationDomainId,
    ) -> StoreResult<Option<DomainView>> {
        domain_in(&self.pool, org, id.as_str(), UnixMillis::now()).await
    }

    async fn list_domains(&self, query: &DomainQuery) -> StoreResult<Page<DomainView>> {
        // `$1` is now; the rest are text, from `$2`.
        let mut args: Vec<String> = vec![String::new()];
        let mut conds = vec!["$1 IS NOT NULL".to_owned()];
        if let Some(org) = &query.organization_id {
            let p = placeholders(&mut args, [org.as_str().to_owned()]);
            conds.push(format!("d.organization_id = {p}"));
        }
        match query.verified {
            Some(true) => conds.push("d.verified_at IS NOT NULL".to_owned()),
            Some(false) => conds.push("d.verified_at IS NULL".to_owned()),
            None => {}
        }
        if !query.modes.is_empty() {
            let list = placeholders(&mut args, query.modes.iter().map(|m| m.as_str().to_owned()));
            conds.push(format!("d.enrollment_mode IN ({list})"));
        }
        if !query.excluded.is_empty() {
            let list = placeholders(
                &mut args,
                query.excluded.iter().map(|m| m.as_str().to_owned()),
            );
            conds.push(format!("d.enrollment_mode NOT IN ({list})"));
        }
        if !query.names.is_empty() {
            let list = placeholders(&mut args, query.names.iter().map(|n| n.to_lowercase()));
            conds.push(format!("d.name IN ({list})"));
        }
        if let Some(text) = query.query.as_deref().filter(|t| !t.is_empty()) {
            let p = placeholders(&mut args, [text.to_lowercase()]);
            conds.push(format!("{STRPOS}(d.name, {p}) > 0"));
        }
        let filter = conds.join(" AND ");
        let (limit, offset) = page_args(query.limit, query.offset);
        let n = args.len();
        let now = UnixMillis::now();
        let sql = q(&format!(
            "SELECT {DOMAIN_COLUMNS} FROM {DOMAIN_FROM} WHERE {filter} \
             ORDER BY d.created_at DESC, d.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ))
        .into_owned();
        let mut rows = sqlx::query_as::<_, DomainRow>(&sql).bind(now.0);
        for a in &args[1..] {
            rows = rows.bind(a);
        }
        let data = rows
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DomainView::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let sql = q(&format!(
            "SELECT COUNT(*) FROM organization_domains d WHERE {filter}"
        ))
        .into_owned();
        let mut count = sqlx::query_scalar::<_, i64>(&sql).bind(now.0);
        for a in &args[1..] {
            count = count.bind(a);
        }
        let total_count = count.fetch_one(&self.pool).await?;
        Ok(Page { data, total_count })
    }

    async fn update_domain(
        &self,
        org: &OrganizationId,
        id: &OrganizationDomainId,
        p: &DomainPatch,
        at: UnixMillis,
        events: DomainEvents<'_>,
    ) -> StoreResult<DomainView> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, org).await? {
            return Err(OrgStoreError::NotFound);
        }
        // Under the organization's lock: nothing changes the row between
        // this read and the write below.
        let current = domain_in(&mut *tx, org, id.as_str(), at)
            .await?
            .ok_or(OrgStoreError::NotFound)?
            .domain;
        if p.expected_version.is_some_and(|v| v != current.version) {
            return Err(OrgStoreError::Stale);
        }
        let mode = p.enrollment_mode.unwrap_or(current.enrollment_mode);
        let verified = p.verified.unwrap_or(current.verified);
        let address = p
            .affiliation_email_address
            .clone()
            .or(current.affiliation_email_address);
        let challenge = p.challenge.clone().unwrap_or(current.challenge);
        sqlx::query(&q(
            "UPDATE organization_domains SET enrollment_mode = $3, verification_strategy = $4, \
             verified_at = $5, affiliation_email_address = $6, challenge = $7, updated_at = $8, \
             version = version + 1 WHERE organization_id = $1 AND id = $2",
        ))
        .bind(org.as_str())
        .bind(id.as_str())
        .bind(mode.as_str())
        .bind(verified.map(|(p, _)| p.as_str()))
        .bind(verified.map(|(_, at)| at.0))
        .bind(&address)
        .bind(challenge.as_ref().map(Json))
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if p.delete_pending {
            withdraw_offers(&mut tx, org, id.as_str(), at).await?;
        }
        let view = domain_in(&mut *tx, org, id.as_str(), at)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        insert_events(&mut tx, events(&view).as_slice()).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn delete_domain(
        &self,
        org: &OrganizationId,
        id: &OrganizationDomainId,
        at: UnixMillis,
        events: DomainEvents<'_>,
    ) -> StoreResult<DomainView> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, org).await? {
            return Err(OrgStoreError::NotFound);
        }
        let view = domain_in(&mut *tx, org, id.as_str(), at)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        withdraw_offers(&mut tx, org, id.as_str(), at).await?;
        sqlx::query(&q(
            "DELETE FROM organization_suggestions WHERE domain_id = $1",
        ))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(&q(
            "DELETE FROM organization_domains WHERE organization_id = $1 AND id = $2",
        ))
        .bind(org.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events(&view).as_slice()).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn enroll_by_domains(
        &self,
        user: &UserId,
        addresses: &[String],
        role: &RoleKey,
        at: UnixMillis,
    ) -> StoreResult<()> {
        let mut names: Vec<String> = addresses
            .iter()
            .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.to_lowercase()))
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Ok(());
        }
        // What might be offered, read without a lock; each offer is then
        // made, or found made, under its organization's lock.
        let mut args = vec![user.as_str().to_owned()];
        let list = placeholders(&mut args, names);
        let sql = format!(
            "SELECT d.id, d.organization_id, d.enrollment_mode, d.name FROM organization_domains d \
             WHERE d.name IN ({list}) AND d.verified_at IS NOT NULL \
             AND d.enrollment_mode IN ('automatic_invitation', 'automatic_suggestion') \
             AND NOT EXISTS (SELECT 1 FROM organization_memberships m \
                             WHERE m.organization_id = d.organization_id AND m.user_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM organization_suggestions s \
                             WHERE s.organization_id = d.organization_id AND s.user_id = $1)"
        );
        let sql = q(&sql).into_owned();
        let mut query = sqlx::query_as::<_, (String, String, String, String)>(&sql);
        for a in &args {
            query = query.bind(a);
        }
        let candidates = query.fetch_all(&self.pool).await?;
        for (domain_id, org, mode, name) in candidates {
            let org: OrganizationId = org
                .parse()
                .map_err(|_| OrgStoreError::Corrupt(format!("domain organization `{org}`")))?;
            let mut tx = begin(&self.pool).await?;
            if !lock_org(&mut tx, &org).await? {
                continue;
            }
            if mode == EnrollmentMode::AutomaticSuggestion.as_str() {
                sqlx::query(&q(
                    "INSERT INTO organization_suggestions (id, organization_id, user_id, domain_id, \
                     status, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, 'pending', $5, $5 WHERE NOT EXISTS \
                     (SELECT 1 FROM organization_memberships m \
                      WHERE m.organization_id = $2 AND m.user_id = $3) \
                     ON CONFLICT (user_id, organization_id) DO NOTHING",
                ))
                .bind(OrganizationSuggestionId::generate().as_str())
                .bind(org.as_str())
                .bind(user.as_str())
                .bind(&domain_id)
                .bind(at.0)
                .execute(&mut *tx)
                .await?;
            } else {
                for address in addresses
                    .iter()
                    .map(|a| a.to_lowercase())
                    .filter(|a| a.rsplit_once('@').is_some_and(|(_, d)| d == name))
                {
                    // One past its expiry gives way, as when an admin invites.
                    let expired = sqlx::query(&q(
                        "UPDATE organization_invitations SET status = 'expired', updated_at = $3 \
                         WHERE organization_id = $1 AND email_address = $2 \
                         AND status = 'pending' AND expires_at <= $3",
                    ))
                    .bind(org.as_str())
                    .bind(&address)
                    .bind(at.0)
                    .execute(&mut *tx)
                    .await?;
                    count_pending(&mut tx, &org, -(expired.rows_affected() as i64)).await?;
                    let ticket = frontdesk_types::id::random_base62(32);
                    let made = sqlx::query(&q(
                        "INSERT INTO organization_invitations (id, organization_id, email_address, \
                         role, status, ticket_hash, expires_at, created_at, updated_at, domain_id) \
                         SELECT $1, $2, $3, $4, 'pending', $5, $6, $7, $7, $8 \
                         WHERE NOT EXISTS (SELECT 1 FROM organization_memberships m \
                                           WHERE m.organization_id = $2 AND m.user_id = $9) \
                         AND NOT EXISTS (SELECT 1 FROM organization_invitations i \
                                         WHERE i.organization_id = $2 AND i.email_address = $3 \
                                         AND (i.status = 'pending' OR (i.domain_id IS NOT NULL \
                                              AND i.status IN ('revoked', 'accepted'))))",
                    ))
                    .bind(OrganizationInvitationId::generate().as_str())
                    .bind(org.as_str())
                    .bind(&address)
                    .bind(role.as_str())
                    .bind(format!("domain:{ticket}"))
                    .bind(at.plus_secs(DOMAIN_INVITATION_DAYS * 86_400).0)
                    .bind(at.0)
                    .bind(&domain_id)
                    .bind(user.as_str())
                    .execute(&mut *tx)
                    .await?;
                    count_pending(&mut tx, &org, made.rows_affected() as i64).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }

    async fn list_suggestions(
        &self,
        user: &UserId,
        statuses: &[SuggestionStatus],
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<SuggestionView>> {
        let mut args = vec![user.as_str().to_owned()];
        let statuses = status_filter(
            "s.status",
            &mut args,
            statuses.iter().map(|s| s.as_str()).collect(),
        );
        // A suggestion to an organization the user has joined since is done.
        let filter = format!(
            "s.user_id = $1{statuses} AND NOT EXISTS (SELECT 1 FROM organization_memberships m \
             WHERE m.organization_id = s.organization_id AND m.user_id = $1)"
        );
        newest_first::<SuggestionRow, SuggestionView>(
            &self.pool,
            ("organization_suggestions s", "s"),
            &format!("SELECT {SUGGESTION_COLUMNS}"),
            "JOIN organizations o ON o.id = s.organization_id",
            &filter,
            &args,
            (limit, offset),
        )
        .await
    }

    async fn accept_suggestion(
        &self,
        user: &UserId,
        id: &OrganizationSuggestionId,
        request: MembershipRequestId,
        at: UnixMillis,
    ) -> StoreResult<SuggestionView> {
        let select = format!(
            "SELECT {SUGGESTION_COLUMNS} FROM organization_suggestions s \
             JOIN organizations o ON o.id = s.organization_id WHERE s.id = $1 AND s.user_id = $2"
        );
        let found = sqlx::query_as::<_, SuggestionRow>(&q(&select))
            .bind(id.as_str())
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        let org: OrganizationId = found.org.id.parse().map_err(|_| {
            OrgStoreError::Corrupt(format!("suggestion organization `{}`", found.org.id))
        })?;
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, &org).await? {
            return Err(OrgStoreError::NotFound);
        }
        let taken = sqlx::query(&q(
            "UPDATE organization_suggestions SET status = 'accepted', updated_at = $3 \
             WHERE id = $1 AND user_id = $2 AND status = 'pending'",
        ))
        .bind(id.as_str())
        .bind(user.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 1 {
            sqlx::query(&q(
                "INSERT INTO organization_membership_requests (id, organization_id, user_id, \
                 status, created_at, updated_at) \
                 SELECT $1, $2, $3, 'pending', $4, $4 WHERE NOT EXISTS \
                 (SELECT 1 FROM organization_memberships m \
                  WHERE m.organization_id = $2 AND m.user_id = $3) \
                 ON CONFLICT (organization_id, user_id) WHERE status = 'pending' DO NOTHING",
            ))
            .bind(request.as_str())
            .bind(org.as_str())
            .bind(user.as_str())
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        }
        let view = sqlx::query_as::<_, SuggestionRow>(&q(&select))
            .bind(id.as_str())
            .bind(user.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(OrgStoreError::NotFound)
            .and_then(SuggestionView::try_from)?;
        tx.commit().await?;
        Ok(view)
    }

    async fn list_requests(
        &self,
        org: &OrganizationId,
        statuses: &[RequestStatus],
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<RequestView>> {
        let mut args = vec![org.as_str().to_owned()];
        let statuses = status_filter(
            "q.status",
            &mut args,
            statuses.iter().map(|s| s.as_str()).collect(),
        );
        let filter = format!("q.organization_id = $1{statuses}");
        newest_first::<RequestRow, RequestView>(
            &self.pool,
            ("organization_membership_requests q", "q"),
            &format!("SELECT {REQUEST_COLUMNS}"),
            "JOIN users u ON u.id = q.user_id",
            &filter,
            &args,
            (limit, offset),
        )
        .await
    }

    async fn decide_request(
        &self,
        org: &OrganizationId,
        id: &MembershipRequestId,
        accept_as: Option<&RoleKey>,
        at: UnixMillis,
        member_events: MembershipEvents<'_>,
    ) -> StoreResult<(RequestView, Option<MembershipView>)> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, org).await? {
            return Err(OrgStoreError::NotFound);
        }
        let status = if accept_as.is_some() {
            RequestStatus::Accepted
        } else {
            RequestStatus::Rejected
        };
        let decided = sqlx::query(&q(
            "UPDATE organization_membership_requests SET status = $3, updated_at = $4 \
             WHERE id = $1 AND organization_id = $2 AND status = 'pending'",
        ))
        .bind(id.as_str())
        .bind(org.as_str())
        .bind(status.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        let select = format!(
            "SELECT {REQUEST_COLUMNS} FROM organization_membership_requests q \
             JOIN users u ON u.id = q.user_id WHERE q.id = $1 AND q.organization_id = $2"
        );
        let view = sqlx::query_as::<_, RequestRow>(&q(&select))
            .bind(id.as_str())
            .bind(org.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(RequestView::try_from)
            .transpose()?
            .ok_or(OrgStoreError::NotFound)?;
        if decided.rows_affected() != 1 {
            return Err(OrgStoreError::Refused(Refusal::RequestClosed));
        }
        let joined = match accept_as {
            Some(role) => Some(
                match membership_in(&mut *tx, org, &view.request.user_id).await? {
                    Some(already) => already,
                    None => {
                        let m = Membership {
                            id: frontdesk_types::OrganizationMembershipId::generate(),
                            organization_id: org.clone(),
                            user_id: view.request.user_id.clone(),
                            role: role.clone(),
                            public_metadata: serde_json::json!({}),
                            private_metadata: serde_json::json!({}),
                            created_at: at,
                            updated_at: at,
                        };
                        insert_membership(&mut tx, &m, member_events).await?
                    }
                },
            ),
            None => None,
        };
        tx.commit().await?;
        Ok((view, joined))
    }
}
