// Organizations, memberships and roles: written once for both databases
// (see `ops.rs` for how an adapter includes this file).

use frontdesk_domain::organizations::{Membership, Organization, Role, RoleKey};
use frontdesk_store::Refusal;
use frontdesk_store::StoreError as OrgStoreError;
use frontdesk_store::org_rows::{
    MEMBERSHIP_COLUMNS, MEMBERSHIP_JOINS, MembershipRow, ORG_COLUMNS, ORG_RETURNING, OrgRow,
    ROLE_COLUMNS, RoleRow,
};
use frontdesk_store::organizations::{
    MemberQuery, MembershipEvents, MembershipPatch, MembershipView, OrgClaimsRow, OrgEvents,
    OrgOrder, OrgPatch, OrgQuery, OrganizationStore, Page,
};
use frontdesk_types::OrganizationId;

/// Take the organization row (its version moves on): changes to one
/// organization's members queue here. `false` if it is gone.
async fn lock_org(tx: &mut Tx<'_>, id: &OrganizationId) -> StoreResult<bool> {
    let done = sqlx::query(&q(
        "UPDATE organizations SET version = version + 1 WHERE id = $1",
    ))
    .bind(id.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An organization by `column` (`id` or `slug`), in a transaction or not.
async fn org_by<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    column: &str,
    value: &str,
) -> StoreResult<Option<Organization>> {
    sqlx::query_as::<_, OrgRow>(&q(&format!(
        "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.{column} = $1"
    )))
    .bind(value)
    .fetch_optional(ex)
    .await?
    .map(Organization::try_from)
    .transpose()
}

async fn membership_in<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    org: &OrganizationId,
    user: &UserId,
) -> StoreResult<Option<MembershipView>> {
    sqlx::query_as::<_, MembershipRow>(&q(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM organization_memberships m {MEMBERSHIP_JOINS} \
         WHERE m.organization_id = $1 AND m.user_id = $2"
    )))
    .bind(org.as_str())
    .bind(user.as_str())
    .fetch_optional(ex)
    .await?
    .map(MembershipView::try_from)
    .transpose()
}

/// Take the organization row, then read `user`'s membership of it.
async fn locked_membership(
    tx: &mut Tx<'_>,
    org: &OrganizationId,
    user: &UserId,
) -> StoreResult<MembershipView> {
    if !lock_org(tx, org).await? {
        return Err(OrgStoreError::NotFound);
    }
    membership_in(&mut **tx, org, user)
        .await?
        .ok_or(OrgStoreError::NotFound)
}

/// Whether the membership's role may manage the members.
fn manages(v: &MembershipView) -> bool {
    v.permissions
        .iter()
        .any(|k| k.as_str() == "org:sys_memberships:manage")
}

/// Whether, without `user`'s membership (or with it holding `new_role`),
/// somebody in `org` could still manage the members.
async fn keeps_a_manager(
    tx: &mut Tx<'_>,
    org: &OrganizationId,
    user: &UserId,
    new_role: Option<&RoleKey>,
) -> StoreResult<bool> {
    let roles: Vec<RoleRow> = sqlx::query_as(&q(&format!(
        "SELECT {ROLE_COLUMNS} FROM organization_roles"
    )))
    .fetch_all(&mut **tx)
    .await?;
    let mut managers = Vec::new();
    for r in roles {
        let role = Role::try_from(r)?;
        if role.manages_members() {
            managers.push(role.key.as_str().to_owned());
        }
    }
    if new_role.is_some_and(|r| managers.iter().any(|m| m == r.as_str())) {
        return Ok(true);
    }
    if managers.is_empty() {
        return Ok(false);
    }
    let list = (0..managers.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT COUNT(*) FROM organization_memberships \
         WHERE organization_id = $1 AND user_id <> $2 AND role IN ({list})"
    );
    let sql = q(&sql).into_owned();
    let mut query = sqlx::query_scalar::<_, i64>(&sql)
        .bind(org.as_str())
        .bind(user.as_str());
    for m in &managers {
        query = query.bind(m);
    }
    Ok(query.fetch_one(&mut **tx).await? > 0)
}

/// Store a membership in a transaction that holds the organization row:
/// counted, within the limit, recorded with its event.
async fn insert_membership(
    tx: &mut Tx<'_>,
    m: &Membership,
    events: MembershipEvents<'_>,
) -> StoreResult<MembershipView> {
    let counted = sqlx::query(&q(
        "UPDATE organizations SET members_count = members_count + 1 \
         WHERE id = $1 AND (max_allowed_memberships = 0 OR members_count < max_allowed_memberships)",
    ))
    .bind(m.organization_id.as_str())
    .execute(&mut **tx)
    .await?;
    if counted.rows_affected() != 1 {
        return Err(OrgStoreError::Refused(Refusal::MembershipLimit));
    }
    sqlx::query(&q(
        "INSERT INTO organization_memberships (id, organization_id, user_id, role, \
         public_metadata, private_metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    ))
    .bind(m.id.as_str())
    .bind(m.organization_id.as_str())
    .bind(m.user_id.as_str())
    .bind(m.role.as_str())
    .bind(Json(&m.public_metadata))
    .bind(Json(&m.private_metadata))
    .bind(m.created_at.0)
    .bind(m.updated_at.0)
    .execute(&mut **tx)
    .await
    .map_err(|e| match OrgStoreError::from(e) {
        OrgStoreError::Conflict(_) => {
            OrgStoreError::Conflict("organization_memberships".to_owned())
        }
        // The user (foreign key) is gone.
        OrgStoreError::Database(e) if is_foreign_key(&e) => OrgStoreError::NotFound,
        other => other,
    })?;
    let view = membership_in(&mut **tx, &m.organization_id, &m.user_id)
        .await?
        .ok_or(OrgStoreError::NotFound)?;
    insert_events(tx, events(&view).as_slice()).await?;
    Ok(view)
}

fn is_foreign_key(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
}

fn page_args(limit: i64, offset: i64) -> (i64, i64) {
    (limit.clamp(1, 500), offset.max(0))
}

/// Append `values` to `args` and return their placeholders (`$4, $5`).
fn placeholders(args: &mut Vec<String>, values: impl IntoIterator<Item = String>) -> String {
    let start = args.len();
    args.extend(values);
    (start..args.len())
        .map(|i| format!("${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of `select` (whose filter takes `args`), a page of them: the
/// statement ends with `LIMIT` and `OFFSET` placeholders after `args`.
async fn fetch_page<R, T>(
    pool: &Pool,
    select: &str,
    args: &[String],
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<T>>
where
    R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    T: TryFrom<R, Error = OrgStoreError>,
{
    let n = args.len();
    let sql = q(&format!("{select} LIMIT ${} OFFSET ${}", n + 1, n + 2)).into_owned();
    let mut rows = sqlx::query_as::<_, R>(&sql);
    for a in args {
        rows = rows.bind(a);
    }
    rows.bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(T::try_from)
        .collect()
}

/// `SELECT COUNT(*) …` with `args`.
async fn count_of(pool: &Pool, sql: &str, args: &[String]) -> StoreResult<i64> {
    let sql = q(sql).into_owned();
    let mut count = sqlx::query_scalar::<_, i64>(&sql);
    for a in args {
        count = count.bind(a);
    }
    Ok(count.fetch_one(pool).await?)
}

#[async_trait]
impl OrganizationStore for ThisStore {
    async fn create_organization(
        &self,
        org: &Organization,
        creator: Option<&Membership>,
        events: OrgEvents<'_>,
        member_events: MembershipEvents<'_>,
    ) -> StoreResult<Organization> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&q(
            "INSERT INTO organizations (id, name, slug, image_url, public_metadata, \
             private_metadata, max_allowed_memberships, admin_delete_enabled, members_count, \
             pending_invitations_count, created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $10, $11, 0)",
        ))
        .bind(org.id.as_str())
        .bind(&org.name)
        .bind(&org.slug)
        .bind(&org.image_url)
        .bind(Json(&org.public_metadata))
        .bind(Json(&org.private_metadata))
        .bind(org.max_allowed_memberships)
        .bind(org.admin_delete_enabled)
        .bind(org.created_by.as_ref().map(|u| u.as_str()))
        .bind(org.created_at.0)
        .bind(org.updated_at.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| match OrgStoreError::from(e) {
            OrgStoreError::Conflict(_) => OrgStoreError::Conflict("organizations.slug".to_owned()),
            other => other,
        })?;
        let mut member_event = None;
        if let Some(m) = creator {
            let view = insert_membership(&mut tx, m, &|_| None).await?;
            member_event = member_events(&view);
        }
        let stored = org_by(&mut *tx, "id", org.id.as_str())
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        // The organization's event first, then its first member's.
        let mut all: Vec<OutboxEvent> = events(&stored).into_iter().collect();
        all.extend(member_event);
        insert_events(&mut tx, &all).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn organization(&self, id: &OrganizationId) -> StoreResult<Option<Organization>> {
        org_by(&self.pool, "id", id.as_str()).await
    }

    async fn organization_by_slug(&self, slug: &str) -> StoreResult<Option<Organization>> {
        org_by(&self.pool, "slug", slug).await
    }

    async fn update_organization(
        &self,
        id: &OrganizationId,
        p: &OrgPatch,
        at: UnixMillis,
        events: OrgEvents<'_>,
    ) -> StoreResult<Organization> {
        let mut tx = begin(&self.pool).await?;
        let row = sqlx::query_as::<_, OrgRow>(&q(&format!(
            "UPDATE organizations SET \
             name = COALESCE($3, name), slug = COALESCE($4, slug), \
             image_url = CASE WHEN $5 THEN $6 ELSE image_url END, \
             max_allowed_memberships = COALESCE($7, max_allowed_memberships), \
             admin_delete_enabled = COALESCE($8, admin_delete_enabled), \
             public_metadata = COALESCE($9, public_metadata), \
             private_metadata = COALESCE($10, private_metadata), \
             updated_at = $2, version = version + 1 \
             WHERE id = $1 AND ($11 IS NULL OR version = $11) RETURNING {ORG_RETURNING}"
        )))
        .bind(id.as_str())
        .bind(at.0)
        .bind(&p.name)
        .bind(&p.slug)
        .bind(p.image_url.is_some())
        .bind(p.image_url.clone().flatten())
        .bind(p.max_allowed_memberships)
        .bind(p.admin_delete_enabled)
        .bind(p.public_metadata.as_ref().map(Json))
        .bind(p.private_metadata.as_ref().map(Json))
        .bind(p.expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| match OrgStoreError::from(e) {
            OrgStoreError::Conflict(_) => OrgStoreError::Conflict("organizations.slug".to_owned()),
            other => other,
        })?;
        let Some(row) = row else {
            let exists = org_by(&mut *tx, "id", id.as_str()).await?.is_some();
            return Err(if exists {
                OrgStoreError::Stale
            } else {
                OrgStoreError::NotFound
            });
        };
        let org = Organization::try_from(row)?;
        insert_events(&mut tx, events(&org).as_slice()).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn delete_organization(
        &self,
        id: &OrganizationId,
        events: &[OutboxEvent],
    ) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        let done = sqlx::query(&q("DELETE FROM organizations WHERE id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(OrgStoreError::NotFound);
        }
        // Sessions that had it active are in their personal workspace now.
        sqlx::query(&q(
            "UPDATE sessions SET last_active_organization_id = NULL \
             WHERE last_active_organization_id = $1",
        ))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_organizations(&self, query: &OrgQuery) -> StoreResult<Page<Organization>> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(text) = query.query.as_deref().filter(|t| !t.is_empty()) {
            args.push(text.to_lowercase());
            let n = args.len();
            conds.push(format!(
                "({STRPOS}(lower(o.id), ${n}) > 0 OR {STRPOS}(lower(o.name), ${n}) > 0 \
                 OR {STRPOS}(o.slug, ${n}) > 0)"
            ));
        }
        if !query.organization_ids.is_empty() {
            let ids = query.organization_ids.iter().map(|i| i.as_str().to_owned());
            let list = placeholders(&mut args, ids);
            conds.push(format!("o.id IN ({list})"));
        }
        if !query.user_ids.is_empty() {
            let ids = query.user_ids.iter().map(|i| i.as_str().to_owned());
            let list = placeholders(&mut args, ids);
            conds.push(format!(
                "o.id IN (SELECT organization_id FROM organization_memberships \
                 WHERE user_id IN ({list}))"
            ));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let dir = if query.descending { "DESC" } else { "ASC" };
        let order = match query.order_by {
            OrgOrder::CreatedAt => format!("o.created_at {dir}, o.id {dir}"),
            OrgOrder::Name => format!("o.name {dir}, o.id {dir}"),
            OrgOrder::MembersCount => format!("o.members_count {dir}, o.id {dir}"),
        };
        let (limit, offset) = page_args(query.limit, query.offset);
        let select = format!("SELECT {ORG_COLUMNS} FROM organizations o {filter} ORDER BY {order}");
        let data =
            fetch_page::<OrgRow, Organization>(&self.pool, &select, &args, limit, offset).await?;
        let total_count = count_of(
            &self.pool,
            &format!("SELECT COUNT(*) FROM organizations o {filter}"),
            &args,
        )
        .await?;
        Ok(Page { data, total_count })
    }

    async fn add_membership(
        &self,
        m: &Membership,
        events: MembershipEvents<'_>,
    ) -> StoreResult<MembershipView> {
        let mut tx = begin(&self.pool).await?;
        if !lock_org(&mut tx, &m.organization_id).await? {
            return Err(OrgStoreError::NotFound);
        }
        let view = insert_membership(&mut tx, m, events).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn membership(
        &self,
        org: &OrganizationId,
        user: &UserId,
    ) -> StoreResult<Option<MembershipView>> {
        membership_in(&self.pool, org, user).await
    }

    async fn update_membership(
        &self,
        org: &OrganizationId,
        user: &UserId,
        p: &MembershipPatch,
        at: UnixMillis,
        events: MembershipEvents<'_>,
    ) -> StoreResult<MembershipView> {
        let mut tx = begin(&self.pool).await?;
        let current = locked_membership(&mut tx, org, user).await?;
        if let Some((public, private)) = &p.if_metadata
            && (*public != current.membership.public_metadata
                || *private != current.membership.private_metadata)
        {
            return Err(OrgStoreError::Stale);
        }
        if let Some(role) = &p.role
            && manages(&current)
            && !keeps_a_manager(&mut tx, org, user, Some(role)).await?
        {
            return Err(OrgStoreError::Refused(Refusal::LastManager));
        }
        sqlx::query(&q(
            "UPDATE organization_memberships SET role = COALESCE($3, role), \
             public_metadata = COALESCE($4, public_metadata), \
             private_metadata = COALESCE($5, private_metadata), updated_at = $6 \
             WHERE organization_id = $1 AND user_id = $2",
        ))
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(p.role.as_ref().map(|r| r.as_str()))
        .bind(p.public_metadata.as_ref().map(Json))
        .bind(p.private_metadata.as_ref().map(Json))
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        let view = membership_in(&mut *tx, org, user)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        insert_events(&mut tx, events(&view).as_slice()).await?;
        commit_audited(tx).await?;
        Ok(view)
    }

    async fn remove_membership(
        &self,
        org: &OrganizationId,
        user: &UserId,
        events: MembershipEvents<'_>,
    ) -> StoreResult<MembershipView> {
        let mut tx = begin(&self.pool).await?;
        let current = locked_membership(&mut tx, org, user).await?;
        if manages(&current) && !keeps_a_manager(&mut tx, org, user, None).await? {
            return Err(OrgStoreError::Refused(Refusal::LastManager));
        }
        sqlx::query(&q(
            "DELETE FROM organization_memberships WHERE organization_id = $1 AND user_id = $2",
        ))
        .bind(org.as_str())
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
        // The member's sessions that had it active are in their personal
        // workspace now (clerk-js reads `last_active_organization_id`).
        sqlx::query(&q(
            "UPDATE sessions SET last_active_organization_id = NULL \
             WHERE user_id = $2 AND last_active_organization_id = $1",
        ))
        .bind(org.as_str())
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query_as::<_, OrgRow>(&q(&format!(
            "UPDATE organizations SET members_count = members_count - 1 WHERE id = $1 \
             RETURNING {ORG_RETURNING}"
        )))
        .bind(org.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let view = MembershipView {
            organization: Organization::try_from(row)?,
            ..current
        };
        insert_events(&mut tx, events(&view).as_slice()).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn list_memberships(&self, query: &MemberQuery) -> StoreResult<Page<MembershipView>> {
        let mut conds = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(org) = &query.organization_id {
            let p = placeholders(&mut args, [org.as_str().to_owned()]);
            conds.push(format!("m.organization_id = {p}"));
        }
        if !query.roles.is_empty() {
            let roles = query.roles.iter().map(|r| r.as_str().to_owned());
            let list = placeholders(&mut args, roles);
            conds.push(format!("m.role IN ({list})"));
        }
        if !query.user_ids.is_empty() {
            let ids = query.user_ids.iter().map(|u| u.as_str().to_owned());
            let list = placeholders(&mut args, ids);
            conds.push(format!("m.user_id IN ({list})"));
        }
        if !query.email_addresses.is_empty() {
            let emails = query.email_addresses.iter().map(|e| e.to_lowercase());
            let list = placeholders(&mut args, emails);
            conds.push(format!(
                "m.user_id IN (SELECT user_id FROM email_addresses WHERE normalized IN ({list}))"
            ));
        }
        if let Some(text) = query.query.as_deref().filter(|t| !t.is_empty()) {
            args.push(text.to_lowercase());
            let n = args.len();
            conds.push(format!(
                "({STRPOS}(lower(m.user_id), ${n}) > 0 \
                 OR {STRPOS}(lower(COALESCE(u.first_name, '')), ${n}) > 0 \
                 OR {STRPOS}(lower(COALESCE(u.last_name, '')), ${n}) > 0 \
                 OR EXISTS (SELECT 1 FROM email_addresses e WHERE e.user_id = m.user_id \
                            AND {STRPOS}(e.normalized, ${n}) > 0))"
            ));
        }
        let narrowed = conds.len() > usize::from(query.organization_id.is_some());
        if conds.is_empty() {
            conds.push("1 = 1".to_owned());
        }
        let filter = conds.join(" AND ");
        let dir = if query.descending { "DESC" } else { "ASC" };
        let (limit, offset) = page_args(query.limit, query.offset);
        // The page's ids first, from the index alone (the user row only when
        // the text filter needs it), then everything shown for those ten:
        // a deep page skips 100,000 index entries, not 100,000 joins.
        let users = if query.query.is_some() {
            "JOIN users u ON u.id = m.user_id"
        } else {
            ""
        };
        let n = args.len();
        let sql = q(&format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM organization_memberships m {MEMBERSHIP_JOINS} \
             WHERE m.id IN (SELECT m.id FROM organization_memberships m {users} WHERE {filter} \
             ORDER BY m.created_at {dir}, m.id {dir} LIMIT ${} OFFSET ${}) \
             ORDER BY m.created_at {dir}, m.id {dir}",
            n + 1,
            n + 2
        ))
        .into_owned();
        let mut rows = sqlx::query_as::<_, MembershipRow>(&sql);
        for a in &args {
            rows = rows.bind(a);
        }
        let data = rows
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(MembershipView::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        // The organization's own count when nothing narrows the list: one
        // row read instead of counting 100,000.
        let total_count = if let (false, Some(org)) = (narrowed, &query.organization_id) {
            sqlx::query_scalar::<_, i64>(&q(
                "SELECT members_count FROM organizations WHERE id = $1",
            ))
            .bind(org.as_str())
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or(0)
        } else {
            count_of(
                &self.pool,
                &format!(
                    "SELECT COUNT(*) FROM organization_memberships m \
                     JOIN users u ON u.id = m.user_id WHERE {filter}"
                ),
                &args,
            )
            .await?
        };
        Ok(Page { data, total_count })
    }

    async fn user_memberships(
        &self,
        user: &UserId,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<MembershipView>> {
        let (limit, offset) = page_args(limit, offset);
        let data = sqlx::query_as::<_, MembershipRow>(&q(&format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM organization_memberships m {MEMBERSHIP_JOINS} \
             WHERE m.user_id = $1 ORDER BY m.created_at, m.id LIMIT $2 OFFSET $3"
        )))
        .bind(user.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(MembershipView::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
        let total_count = sqlx::query_scalar::<_, i64>(&q(
            "SELECT COUNT(*) FROM organization_memberships WHERE user_id = $1",
        ))
        .bind(user.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(Page { data, total_count })
    }

    async fn org_claims(
        &self,
        org: &OrganizationId,
        user: &UserId,
    ) -> StoreResult<Option<OrgClaimsRow>> {
        let row: Option<(
            String,
            String,
            Option<Json<Vec<frontdesk_domain::organizations::PermissionKey>>>,
        )> = sqlx::query_as(&q(
            "SELECT o.slug, m.role, r.permissions FROM organization_memberships m \
                 JOIN organizations o ON o.id = m.organization_id \
                 LEFT JOIN organization_roles r ON r.key = m.role \
                 WHERE m.organization_id = $1 AND m.user_id = $2",
        ))
        .bind(org.as_str())
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(slug, role, permissions)| {
            Ok(OrgClaimsRow {
                slug,
                role: RoleKey::parse(&role)
                    .map_err(|_| OrgStoreError::Corrupt(format!("role `{role}`")))?,
                permissions: permissions.map(|p| p.0).unwrap_or_default(),
            })
        })
        .transpose()
    }

    async fn set_active_organization(
        &self,
        session: &SessionId,
        org: Option<&OrganizationId>,
        at: UnixMillis,
    ) -> StoreResult<Session> {
        let row = sqlx::query_as::<_, SessionRow>(&q(&format!(
            "UPDATE sessions SET last_active_organization_id = $2, updated_at = $3 \
             WHERE id = $1 AND status IN ('active', 'pending') \
             AND ($2 IS NULL OR EXISTS (SELECT 1 FROM organization_memberships m \
                  WHERE m.organization_id = $2 AND m.user_id = sessions.user_id)) \
             RETURNING {SESSION_COLUMNS}"
        )))
        .bind(session.as_str())
        .bind(org.map(|o| o.as_str()))
        .bind(at.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(OrgStoreError::NotFound)?;
        Session::try_from(row)
    }

    async fn ensure_roles(&self, roles: &[Role]) -> StoreResult<()> {
        // Any unique column: nodes starting at once may insert the same
        // role with the same id, which PostgreSQL reports on the primary
        // key, not on `key`.
        let mut tx = begin(&self.pool).await?;
        for r in roles {
            sqlx::query(&q(
                "INSERT INTO organization_roles (id, key, name, description, permissions, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT DO NOTHING",
            ))
            .bind(r.id.as_str())
            .bind(r.key.as_str())
            .bind(&r.name)
            .bind(&r.description)
            .bind(Json(&r.permissions))
            .bind(r.created_at.0)
            .bind(r.updated_at.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn roles(&self) -> StoreResult<Vec<Role>> {
        sqlx::query_as::<_, RoleRow>(&q(&format!(
            "SELECT {ROLE_COLUMNS} FROM organization_roles ORDER BY created_at, key"
        )))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Role::try_from)
        .collect()
    }
}
