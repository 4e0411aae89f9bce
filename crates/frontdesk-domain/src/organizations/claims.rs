//! How an active organization is written into a v2 session token.

use serde_json::{Map, Value, json};

use super::keys::{PermissionKey, RoleKey};

/// The active organization as a v2 session token carries it: the `o`
/// claim and the top-level `fea` (`None`: no custom permission, no `fea`).
///
/// `@clerk/backend` (`jwtPayloadParser`) reads `o.rol` as the role without
/// `org:`, `fea` as `o:<feature>` entries, `o.per` as the action names and
/// `o.fpm` as one decimal bit mask per feature, in `fea`'s order, bit *i*
/// granting `per[i]`. System permissions are left out, as Clerk leaves them
/// out to keep the cookie small: server-side checks of those use the role.
pub fn org_claims(
    id: &str,
    slug: &str,
    role: &RoleKey,
    permissions: &[PermissionKey],
) -> (Value, Option<String>) {
    let mut custom: Vec<&PermissionKey> = permissions.iter().filter(|p| !p.is_system()).collect();
    custom.sort();
    custom.dedup();
    let mut features: Vec<&str> = custom.iter().map(|p| p.feature()).collect();
    features.dedup();
    let mut actions: Vec<&str> = Vec::new();
    for p in &custom {
        if !actions.contains(&p.action()) {
            actions.push(p.action());
        }
    }
    let mut o = Map::new();
    o.insert("id".into(), json!(id));
    o.insert("slg".into(), json!(slug));
    o.insert("rol".into(), json!(role.short()));
    if custom.is_empty() {
        return (Value::Object(o), None);
    }
    let masks: Vec<String> = features
        .iter()
        .map(|f| {
            // Arbitrary length: a u128 holds 128 actions, more than any key
            // list a token can carry (the cookie caps it first).
            let mask = custom
                .iter()
                .filter(|p| p.feature() == *f)
                .filter_map(|p| actions.iter().position(|a| *a == p.action()))
                .fold(0u128, |m, i| m | (1u128 << i.min(127)));
            mask.to_string()
        })
        .collect();
    o.insert("per".into(), json!(actions.join(",")));
    o.insert("fpm".into(), json!(masks.join(",")));
    let fea = features
        .iter()
        .map(|f| format!("o:{f}"))
        .collect::<Vec<_>>()
        .join(",");
    (Value::Object(o), Some(fea))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys(ks: &[&str]) -> Vec<PermissionKey> {
        ks.iter()
            .map(|k| PermissionKey::parse(k).unwrap())
            .collect()
    }

    /// What `@clerk/shared`'s `buildOrgPermissions` derives from the claims.
    fn decode(o: &Value, fea: Option<&str>) -> Vec<String> {
        let (Some(per), Some(fpm), Some(fea)) = (o["per"].as_str(), o["fpm"].as_str(), fea) else {
            return Vec::new();
        };
        let per: Vec<&str> = per.split(',').collect();
        let features: Vec<&str> = fea.split(',').map(|f| &f[2..]).collect();
        let mut out = Vec::new();
        for (f, mask) in features.iter().zip(fpm.split(',')) {
            let mask: u128 = mask.parse().unwrap();
            for (i, a) in per.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    out.push(format!("org:{f}:{a}"));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_worked_example_of_the_protocol_decodes_back() {
        let perms = keys(&[
            "org:posts:create",
            "org:posts:read",
            "org:billing:manage",
            "org:sys_profile:manage",
        ]);
        let (o, fea) = org_claims("org_1", "acme", &RoleKey::admin(), &perms);
        assert_eq!(o["rol"], "admin");
        assert_eq!(o["slg"], "acme");
        assert_eq!(fea.as_deref(), Some("o:billing,o:posts"));
        assert_eq!(o["per"], "manage,create,read");
        assert_eq!(o["fpm"], "1,6");
        assert_eq!(
            decode(&o, fea.as_deref()),
            ["org:billing:manage", "org:posts:create", "org:posts:read"]
        );
    }

    /// `@clerk/shared`'s own vector (`jwtPayloadParser.spec.ts`): the
    /// encoding Frontdesk makes of these keys is the one Clerk decodes.
    #[test]
    fn clerks_test_vector_is_what_frontdesk_encodes() {
        let perms = keys(&[
            "org:impersonation:read",
            "org:memberships:read",
            "org:memberships:manage",
        ]);
        let (o, fea) = org_claims("org_1", "a", &RoleKey::admin(), &perms);
        assert_eq!(fea.as_deref(), Some("o:impersonation,o:memberships"));
        assert_eq!(o["per"], "read,manage");
        assert_eq!(o["fpm"], "1,3");
    }

    #[test]
    fn only_system_permissions_leave_per_fpm_and_fea_out() {
        let (o, fea) = org_claims(
            "org_1",
            "a",
            &RoleKey::member(),
            &keys(&["org:sys_memberships:read"]),
        );
        assert_eq!(o, json!({"id": "org_1", "slg": "a", "rol": "member"}));
        assert_eq!(fea, None);
    }

    #[test]
    fn many_permissions_survive_the_round_trip() {
        let raw: Vec<String> = (0..40)
            .flat_map(|f| (0..3).map(move |a| format!("org:f{f}:a{}", (f + a) % 70)))
            .collect();
        let perms: Vec<PermissionKey> = raw
            .iter()
            .map(|k| PermissionKey::parse(k).unwrap())
            .collect();
        let (o, fea) = org_claims("org_1", "a", &RoleKey::admin(), &perms);
        let mut want = raw.clone();
        want.sort();
        want.dedup();
        assert_eq!(decode(&o, fea.as_deref()), want);
    }
}
