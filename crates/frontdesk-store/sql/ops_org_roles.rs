// Organization roles and permissions: written once for both databases (see
// `ops.rs` for how an adapter includes this file; it shares the helpers of
// `ops_organizations.rs`).

use frontdesk_domain::organizations::{Permission, PermissionKey};
use frontdesk_store::org_roles::{
    PermissionEvents, PermissionPatch, RoleEvents, RolePatch, RoleStore,
};
use frontdesk_store::org_rows::{PERMISSION_COLUMNS, PermissionRow};
use frontdesk_types::{PermissionId, RoleId};

/// Take the catalog's one lock row (its version moves on), and read the
/// roles: as no other change can rewrite them until this transaction ends.
async fn lock_roles(tx: &mut Tx<'_>) -> StoreResult<Vec<Role>> {
    sqlx::query(&q(
        "UPDATE organization_role_catalog SET version = version + 1 WHERE id = 1",
    ))
    .execute(&mut **tx)
    .await?;
    sqlx::query_as::<_, RoleRow>(&q(&format!(
        "SELECT {ROLE_COLUMNS} FROM organization_roles ORDER BY created_at, key"
    )))
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(Role::try_from)
    .collect()
}

/// Write a role's fields as `r` has them.
async fn write_role(tx: &mut Tx<'_>, r: &Role) -> StoreResult<()> {
    sqlx::query(&q(
        "UPDATE organization_roles SET key = $2, name = $3, description = $4, \
         permissions = $5, updated_at = $6 WHERE id = $1",
    ))
    .bind(r.id.as_str())
    .bind(r.key.as_str())
    .bind(&r.name)
    .bind(&r.description)
    .bind(Json(&r.permissions))
    .bind(r.updated_at.0)
    .execute(&mut **tx)
    .await
    .map_err(|e| match OrgStoreError::from(e) {
        OrgStoreError::Conflict(_) => OrgStoreError::Conflict("organization_roles.key".to_owned()),
        other => other,
    })?;
    Ok(())
}

async fn permission_by<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    id: &PermissionId,
) -> StoreResult<Option<Permission>> {
    sqlx::query_as::<_, PermissionRow>(&q(&format!(
        "SELECT {PERMISSION_COLUMNS} FROM organization_permissions WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(ex)
    .await?
    .map(Permission::try_from)
    .transpose()
}

/// Rewrite `old` in every role's list (`new`: `None` takes it away), and
/// record each changed role's event.
async fn rewrite_permission(
    tx: &mut Tx<'_>,
    roles: Vec<Role>,
    old: &PermissionKey,
    new: Option<&PermissionKey>,
    at: UnixMillis,
    role_events: RoleEvents<'_>,
) -> StoreResult<()> {
    let mut events = Vec::new();
    for mut r in roles {
        if !r.permissions.contains(old) {
            continue;
        }
        r.permissions = r
            .permissions
            .iter()
            .filter_map(|p| {
                if p == old {
                    new.cloned()
                } else {
                    Some(p.clone())
                }
            })
            .collect();
        r.updated_at = at;
        write_role(tx, &r).await?;
        events.extend(role_events(&r));
    }
    insert_events(tx, &events).await
}

/// Whether a membership or a pending invitation holds `key`.
async fn role_held(tx: &mut Tx<'_>, key: &RoleKey) -> StoreResult<bool> {
    let held: i64 = sqlx::query_scalar(&q(
        "SELECT (SELECT COUNT(*) FROM organization_memberships WHERE role = $1) \
         + (SELECT COUNT(*) FROM organization_invitations WHERE role = $1 AND status = 'pending')",
    ))
    .bind(key.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(held > 0)
}

/// Insert a permission; with `quiet`, one whose key or id is stored
/// already is left as it is (the system ones at start).
async fn insert_permission(tx: &mut Tx<'_>, p: &Permission, quiet: bool) -> StoreResult<()> {
    let tail = if quiet { " ON CONFLICT DO NOTHING" } else { "" };
    sqlx::query(&q(&format!(
        "INSERT INTO organization_permissions (id, key, name, description, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6){tail}"
    )))
    .bind(p.id.as_str())
    .bind(p.key.as_str())
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.created_at.0)
    .bind(p.updated_at.0)
    .execute(&mut **tx)
    .await
    .map_err(|e| match OrgStoreError::from(e) {
        OrgStoreError::Conflict(_) => {
            OrgStoreError::Conflict("organization_permissions.key".to_owned())
        }
        other => other,
    })?;
    Ok(())
}

#[async_trait]
impl RoleStore for ThisStore {
    async fn ensure_permissions(&self, permissions: &[Permission]) -> StoreResult<()> {
        let mut tx = begin(&self.pool).await?;
        for p in permissions {
            insert_permission(&mut tx, p, true).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn permissions(&self) -> StoreResult<Vec<Permission>> {
        let all = sqlx::query_as::<_, PermissionRow>(&q(&format!(
            "SELECT {PERMISSION_COLUMNS} FROM organization_permissions ORDER BY created_at, key"
        )))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Permission::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
        // System ones first, each part in creation order.
        let (mut system, custom): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|p| p.key.is_system());
        system.extend(custom);
        Ok(system)
    }

    async fn create_permission(
        &self,
        p: &Permission,
        events: PermissionEvents<'_>,
    ) -> StoreResult<Permission> {
        let mut tx = begin(&self.pool).await?;
        lock_roles(&mut tx).await?;
        insert_permission(&mut tx, p, false).await?;
        insert_events(&mut tx, events(p).as_slice()).await?;
        tx.commit().await?;
        Ok(p.clone())
    }

    async fn update_permission(
        &self,
        id: &PermissionId,
        patch: &PermissionPatch,
        at: UnixMillis,
        events: PermissionEvents<'_>,
        role_events: RoleEvents<'_>,
    ) -> StoreResult<Permission> {
        let mut tx = begin(&self.pool).await?;
        let roles = lock_roles(&mut tx).await?;
        let old = permission_by(&mut *tx, id)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        if old.key.is_system() {
            return Err(OrgStoreError::Refused(Refusal::System));
        }
        let new = Permission {
            key: patch.key.clone().unwrap_or_else(|| old.key.clone()),
            name: patch.name.clone().unwrap_or_else(|| old.name.clone()),
            description: patch
                .description
                .clone()
                .unwrap_or_else(|| old.description.clone()),
            updated_at: at,
            ..old.clone()
        };
        sqlx::query(&q(
            "UPDATE organization_permissions SET key = $2, name = $3, description = $4, \
             updated_at = $5 WHERE id = $1",
        ))
        .bind(id.as_str())
        .bind(new.key.as_str())
        .bind(&new.name)
        .bind(&new.description)
        .bind(at.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| match OrgStoreError::from(e) {
            OrgStoreError::Conflict(_) => {
                OrgStoreError::Conflict("organization_permissions.key".to_owned())
            }
            other => other,
        })?;
        insert_events(&mut tx, events(&new).as_slice()).await?;
        if new.key != old.key {
            rewrite_permission(&mut tx, roles, &old.key, Some(&new.key), at, role_events).await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn delete_permission(
        &self,
        id: &PermissionId,
        events: PermissionEvents<'_>,
        role_events: RoleEvents<'_>,
    ) -> StoreResult<Permission> {
        let mut tx = begin(&self.pool).await?;
        let roles = lock_roles(&mut tx).await?;
        let old = permission_by(&mut *tx, id)
            .await?
            .ok_or(OrgStoreError::NotFound)?;
        if old.key.is_system() {
            return Err(OrgStoreError::Refused(Refusal::System));
        }
        sqlx::query(&q("DELETE FROM organization_permissions WHERE id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        insert_events(&mut tx, events(&old).as_slice()).await?;
        rewrite_permission(
            &mut tx,
            roles,
            &old.key,
            None,
            UnixMillis::now(),
            role_events,
        )
        .await?;
        tx.commit().await?;
        Ok(old)
    }

    async fn create_role(&self, r: &Role, events: RoleEvents<'_>) -> StoreResult<Role> {
        let mut tx = begin(&self.pool).await?;
        lock_roles(&mut tx).await?;
        sqlx::query(&q(
            "INSERT INTO organization_roles (id, key, name, description, permissions, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        ))
        .bind(r.id.as_str())
        .bind(r.key.as_str())
        .bind(&r.name)
        .bind(&r.description)
        .bind(Json(&r.permissions))
        .bind(r.created_at.0)
        .bind(r.updated_at.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| match OrgStoreError::from(e) {
            OrgStoreError::Conflict(_) => {
                OrgStoreError::Conflict("organization_roles.key".to_owned())
            }
            other => other,
        })?;
        insert_events(&mut tx, events(r).as_slice()).await?;
        tx.commit().await?;
        Ok(r.clone())
    }

    async fn role(&self, id: &RoleId) -> StoreResult<Option<Role>> {
        sqlx::query_as::<_, RoleRow>(&q(&format!(
            "SELECT {ROLE_COLUMNS} FROM organization_roles WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(Role::try_from)
        .transpose()
    }

    async fn update_role(
        &self,
        id: &RoleId,
        p: &RolePatch,
        at: UnixMillis,
        events: RoleEvents<'_>,
    ) -> StoreResult<Role> {
        let mut tx = begin(&self.pool).await?;
        let roles = lock_roles(&mut tx).await?;
        let old = roles
            .into_iter()
            .find(|r| &r.id == id)
            .ok_or(OrgStoreError::NotFound)?;
        let mut permissions = p
            .permissions
            .clone()
            .unwrap_or_else(|| old.permissions.clone());
        if let Some(add) = &p.add
            && !permissions.contains(add)
        {
            permissions.push(add.clone());
        }
        if let Some(remove) = &p.remove {
            permissions.retain(|k| k != remove);
        }
        let new = Role {
            key: p.key.clone().unwrap_or_else(|| old.key.clone()),
            name: p.name.clone().unwrap_or_else(|| old.name.clone()),
            description: p
                .description
                .clone()
                .unwrap_or_else(|| old.description.clone()),
            permissions,
            updated_at: at,
            ..old.clone()
        };
        let system = |r: &Role| -> Vec<PermissionKey> {
            let mut s: Vec<_> = r
                .permissions
                .iter()
                .filter(|k| k.is_system())
                .cloned()
                .collect();
            s.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            s
        };
        if system(&old) != system(&new) && role_held(&mut tx, &old.key).await? {
            return Err(OrgStoreError::Refused(Refusal::RoleInUse));
        }
        write_role(&mut tx, &new).await?;
        if new.key != old.key {
            for table in ["organization_memberships", "organization_invitations"] {
                sqlx::query(&q(&format!("UPDATE {table} SET role = $2 WHERE role = $1")))
                    .bind(old.key.as_str())
                    .bind(new.key.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        insert_events(&mut tx, events(&new).as_slice()).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn delete_role(&self, id: &RoleId, events: RoleEvents<'_>) -> StoreResult<Role> {
        let mut tx = begin(&self.pool).await?;
        let roles = lock_roles(&mut tx).await?;
        let old = roles
            .into_iter()
            .find(|r| &r.id == id)
            .ok_or(OrgStoreError::NotFound)?;
        if role_held(&mut tx, &old.key).await? {
            return Err(OrgStoreError::Refused(Refusal::RoleInUse));
        }
        sqlx::query(&q("DELETE FROM organization_roles WHERE id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        insert_events(&mut tx, events(&old).as_slice()).await?;
        tx.commit().await?;
        Ok(old)
    }
}
