// Invitations to organizations: written once for both databases (see
// `ops.rs` for how an adapter includes this file; it shares the helpers of
// `ops_organizations.rs`).

use frontdesk_domain::organizations::InvitationStatus;
use frontdesk_store::org_invitations::{
    InvitationEvents, InvitationQuery, InvitationStore, InvitationView, NewInvitation,
};
use frontdesk_store::org_rows::{INVITATION_COLUMNS, INVITATION_JOINS, InvitationRow};
use frontdesk_types::OrganizationInvitationId;

/// An invitation by `column` (`id` or `ticket_hash`), in a transaction or not.
async fn invitation_by<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    column: &str,
    value: &str,
) -> StoreResult<Option<InvitationView>> {
    sqlx::query_as::<_, InvitationRow>(&q(&format!(
        "SELECT {INVITATION_COLUMNS} FROM organization_invitations i {INVITATION_JOINS} \
         WHERE i.{column} = $1"
    )))
    .bind(value)
    .fetch_optional(ex)
    .await?
    .map(InvitationView::try_from)
    .transpose()
}

/// Move the organization's pending count by `by`.
async fn count_pending(tx: &mut Tx<'_>, org: &OrganizationId, by: i64) -> StoreResult<()> {
    if by != 0 {
        sqlx::query(&q("UPDATE organizations SET pending_invitations_count = \
             pending_invitations_count + $2 WHERE id = $1"))
        .bind(org.as_str())
        .bind(by)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Why a pending-only change to the invitation `id` of `org` matched no
/// row: it is not pending any more, or it is not there.
async fn not_pending(
    tx: &mut Tx<'_>,
    org: Option<&OrganizationId>,
    id: &OrganizationInvitationId,
) -> OrgStoreError {
    match invitation_by(&mut **tx, "id", id.as_str()).await {
        Ok(Some(v)) if org.is_none_or(|o| *o == v.invitation.organization_id) => {
            OrgStoreError::Refused(Refusal::InvitationClosed)
        }
        Ok(_) => OrgStoreError::NotFound,
        Err(e) => e,
    }
}

/// The SQL condition for one status as of `$n` (now): a pending row past
/// its expiry is expired.
fn status_condition(status: InvitationStatus, now: usize) -> String {
    match status {
        InvitationStatus::Pending => format!("(i.status = 'pending' AND i.expires_at > ${now})"),
        InvitationStatus::Expired => {
            format!("(i.status = 'expired' OR (i.status = 'pending' AND i.expires_at <= ${now}))")
        }
        other => format!("i.status = '{}'", other.as_str()),
    }
}

#[async_trait]
impl InvitationStore for ThisStore {
    async fn create_invitations(
        &self,
        org: &OrganizationId,
        invitations: &[NewInvitation],
        events: InvitationEvents<'_>,
    ) -> StoreResult<Vec<InvitationView>> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, org).await? {
            return Err(OrgStoreError::NotFound);
        }
        let mut created = Vec::with_capacity(invitations.len());
        for new in invitations {
            let i = &new.invitation;
            // A pending invitation past its expiry gives way to this one.
            let expired = sqlx::query(&q(
                "UPDATE organization_invitations SET status = 'expired', updated_at = $3 \
                 WHERE organization_id = $1 AND email_address = $2 AND status = 'pending' \
                 AND expires_at <= $3",
            ))
            .bind(org.as_str())
            .bind(&i.email_address)
            .bind(i.created_at.0)
            .execute(&mut *tx)
            .await?;
            count_pending(&mut tx, org, -(expired.rows_affected() as i64)).await?;
            sqlx::query(&q(
                "INSERT INTO organization_invitations (id, organization_id, email_address, role, \
                 status, public_metadata, private_metadata, inviter_id, redirect_url, \
                 ticket_hash, expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $11, $12)",
            ))
            .bind(i.id.as_str())
            .bind(org.as_str())
            .bind(&i.email_address)
            .bind(i.role.as_str())
            .bind(Json(&i.public_metadata))
            .bind(Json(&i.private_metadata))
            .bind(i.inviter_id.as_ref().map(|u| u.as_str()))
            .bind(&i.redirect_url)
            .bind(&new.ticket_hash)
            .bind(i.expires_at.0)
            .bind(i.created_at.0)
            .bind(i.updated_at.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| match OrgStoreError::from(e) {
                OrgStoreError::Conflict(_) => {
                    OrgStoreError::Conflict("organization_invitations.email_address".to_owned())
                }
                OrgStoreError::Database(e) if is_foreign_key(&e) => OrgStoreError::NotFound,
                other => other,
            })?;
        }
        count_pending(&mut tx, org, invitations.len() as i64).await?;
        for new in invitations {
            let view = invitation_by(&mut *tx, "id", new.invitation.id.as_str())
                .await?
                .ok_or(OrgStoreError::NotFound)?;
            created.push(view);
        }
        let all: Vec<OutboxEvent> = created.iter().filter_map(events).collect();
        insert_events(&mut tx, &all).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn invitation(
        &self,
        id: &OrganizationInvitationId,
    ) -> StoreResult<Option<InvitationView>> {
        invitation_by(&self.pool, "id", id.as_str()).await
    }

    async fn invitation_by_ticket(&self, ticket_hash: &str) -> StoreResult<Option<InvitationView>> {
        invitation_by(&self.pool, "ticket_hash", ticket_hash).await
    }

    async fn list_invitations(&self, query: &InvitationQuery) -> StoreResult<Page<InvitationView>> {
        // `$1` is now; the rest are text.
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(org) = &query.organization_id {
            args.push(org.as_str().to_owned());
            conds.push(format!("i.organization_id = ${}", args.len() + 1));
        }
        if !query.email_addresses.is_empty() {
            let start = args.len() + 2;
            args.extend(query.email_addresses.iter().map(|e| e.to_lowercase()));
            let list = (start..args.len() + 2)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            conds.push(format!("i.email_address IN ({list})"));
        }
        if !query.statuses.is_empty() {
            let any = query
                .statuses
                .iter()
                .map(|s| status_condition(*s, 1))
                .collect::<Vec<_>>()
                .join(" OR ");
            conds.push(format!("({any})"));
        } else {
            // Every placeholder is used on both databases.
            conds.push("$1 IS NOT NULL".to_owned());
        }
        let filter = conds.join(" AND ");
        let (limit, offset) = page_args(query.limit, query.offset);
        let n = args.len() + 1;
        let sql = q(&format!(
            "SELECT {INVITATION_COLUMNS} FROM organization_invitations i {INVITATION_JOINS} \
             WHERE {filter} ORDER BY i.created_at DESC, i.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ))
        .into_owned();
        let mut rows = sqlx::query_as::<_, InvitationRow>(&sql).bind(query.now.0);
        for a in &args {
            rows = rows.bind(a);
        }
        let data = rows
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(InvitationView::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let sql = q(&format!(
            "SELECT COUNT(*) FROM organization_invitations i WHERE {filter}"
        ))
        .into_owned();
        let mut count = sqlx::query_scalar::<_, i64>(&sql).bind(query.now.0);
        for a in &args {
            count = count.bind(a);
        }
        let total_count = count.fetch_one(&self.pool).await?;
        Ok(Page { data, total_count })
    }

    async fn revoke_invitation(
        &self,
        org: &OrganizationId,
        id: &OrganizationInvitationId,
        at: UnixMillis,
        events: InvitationEvents<'_>,
    ) -> StoreResult<InvitationView> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, org).await? {
            return Err(OrgStoreError::NotFound);
        }
        let done = sqlx::query(&q(
            "UPDATE organization_invitations SET status = 'revoked', updated_at = $3 \
             WHERE id = $1 AND organization_id = $2 AND status = 'pending'",
        ))
        .bind(id.as_str())
        .bind(org.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(not_pending(&mut tx, Some(org), id).await);
        }
        count_pending(&mut tx, org, -1).await?;
        let view = invitation_by(&mut *tx, "id", id.as_str())
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        insert_events(&mut tx, events(&view).as_slice()).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn expire_invitations(&self, now: UnixMillis, organizations: i64) -> StoreResult<u64> {
        let orgs: Vec<String> = sqlx::query_scalar(&q(
            "SELECT DISTINCT organization_id FROM organization_invitations \
             WHERE status = 'pending' AND expires_at <= $1 LIMIT $2",
        ))
        .bind(now.0)
        .bind(organizations)
        .fetch_all(&self.pool)
        .await?;
        let mut expired = 0;
        for org in orgs {
            let org: OrganizationId = org
                .parse()
                .map_err(|_| OrgStoreError::Corrupt(format!("invitation organization `{org}`")))?;
            let mut tx = begin(&self.pool).await?;
            if !lock_org(&mut tx, &org).await? {
                continue;
            }
            let done = sqlx::query(&q(
                "UPDATE organization_invitations SET status = 'expired', updated_at = $2 \
                 WHERE organization_id = $1 AND status = 'pending' AND expires_at <= $2",
            ))
            .bind(org.as_str())
            .bind(now.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            count_pending(&mut tx, &org, -(done as i64)).await?;
            tx.commit().await?;
            expired += done;
        }
        Ok(expired)
    }

    async fn accept_invitation(
        &self,
        id: &OrganizationInvitationId,
        member: &Membership,
        at: UnixMillis,
        events: InvitationEvents<'_>,
        member_events: MembershipEvents<'_>,
    ) -> StoreResult<(InvitationView, MembershipView)> {
        let org = &member.organization_id;
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, org).await? {
            return Err(OrgStoreError::NotFound);
        }
        let done = sqlx::query(&q(
            "UPDATE organization_invitations SET status = 'accepted', updated_at = $3 \
             WHERE id = $1 AND organization_id = $2 AND status = 'pending' AND expires_at > $3",
        ))
        .bind(id.as_str())
        .bind(org.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(not_pending(&mut tx, Some(org), id).await);
        }
        count_pending(&mut tx, org, -1).await?;
        let joined = match membership_in(&mut *tx, org, &member.user_id).await? {
            Some(already) => already,
            None => insert_membership(&mut tx, member, member_events).await?,
        };
        let view = invitation_by(&mut *tx, "id", id.as_str())
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        let joined = MembershipView {
            organization: view.organization.clone(),
            ..joined
        };
        insert_events(&mut tx, events(&view).as_slice()).await?;
        tx.commit().await?;
        Ok((view, joined))
    }
}
