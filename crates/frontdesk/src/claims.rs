//! Who a verified session token says is signed in: Clerk's claims, read the
//! way `@clerk/backend` reads them (clerk-protocol.md §3.6), organisation
//! fields from v2 tokens (`o`, `fea`) and from v1 ones (`org_*`).

use serde_json::{Map, Value};

/// A verified token's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionClaims {
    raw: Map<String, Value>,
}

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

impl SessionClaims {
    /// The payload of a token whose signature and time claims were checked;
    /// `None` without a `sub`.
    pub(crate) fn from_payload(raw: Map<String, Value>) -> Option<Self> {
        text(&raw, "sub")?;
        Some(Self { raw })
    }

    /// `sub`: the user id.
    pub fn user_id(&self) -> &str {
        text(&self.raw, "sub").unwrap_or_default()
    }

    /// `sid`: the session id.
    pub fn session_id(&self) -> Option<&str> {
        text(&self.raw, "sid")
    }

    /// `sts`: `active`, or `pending` while the session has tasks to finish.
    pub fn session_status(&self) -> Option<&str> {
        text(&self.raw, "sts")
    }

    /// `v`: the claims version (1 when absent).
    pub fn version(&self) -> u64 {
        self.raw.get("v").and_then(Value::as_u64).unwrap_or(1)
    }

    /// `azp`: the origin the token was minted for.
    pub fn authorized_party(&self) -> Option<&str> {
        text(&self.raw, "azp")
    }

    pub fn expires_at(&self) -> Option<i64> {
        self.raw.get("exp").and_then(Value::as_i64)
    }

    pub fn issued_at(&self) -> Option<i64> {
        self.raw.get("iat").and_then(Value::as_i64)
    }

    fn org(&self) -> Option<&Map<String, Value>> {
        self.raw.get("o").and_then(Value::as_object)
    }

    /// The active organisation's id.
    pub fn org_id(&self) -> Option<&str> {
        if self.version() >= 2 {
            self.org().and_then(|o| text(o, "id"))
        } else {
            text(&self.raw, "org_id")
        }
    }

    /// The active organisation's slug.
    pub fn org_slug(&self) -> Option<&str> {
        if self.version() >= 2 {
            self.org().and_then(|o| text(o, "slg"))
        } else {
            text(&self.raw, "org_slug")
        }
    }

    /// The user's role in it, `org:<role>`.
    pub fn org_role(&self) -> Option<String> {
        if self.version() >= 2 {
            self.org()
                .and_then(|o| text(o, "rol"))
                .map(|r| format!("org:{r}"))
        } else {
            text(&self.raw, "org_role").map(str::to_owned)
        }
    }

    /// The user's permissions in it, `org:<feature>:<permission>`. In v2
    /// tokens they are packed: `o.per` lists permission names, `fea` the
    /// features (scoped `o:`/`u:`), and `o.fpm` one bitmask per organisation
    /// feature saying which of the permissions it grants.
    pub fn org_permissions(&self) -> Vec<String> {
        if self.version() < 2 {
            return self
                .raw
                .get("org_permissions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
        }
        let Some(o) = self.org() else {
            return Vec::new();
        };
        let split = |s: Option<&str>| -> Vec<String> {
            s.map(|s| {
                s.split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
        };
        let permissions = split(text(o, "per"));
        let masks: Vec<Vec<bool>> = split(text(o, "fpm")).iter().map(|m| bits(m)).collect();
        let features: Vec<String> = split(text(&self.raw, "fea"))
            .into_iter()
            .filter_map(|f| {
                let (scope, name) = f.split_once(':')?;
                scope.contains('o').then(|| name.to_owned())
            })
            .collect();
        let mut out = Vec::new();
        for (feature, mask) in features.iter().zip(masks) {
            for (i, permission) in permissions.iter().enumerate() {
                if mask.get(i).copied().unwrap_or(false) {
                    out.push(format!("org:{feature}:{permission}"));
                }
            }
        }
        out
    }

    /// Any claim, by name (custom claims from the session token template
    /// included).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// A claim by a dotted path: `metadata.tier`.
    pub fn path(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let first = self.raw.get(parts.next()?)?;
        parts.try_fold(first, |v, p| v.get(p))
    }

    /// The whole payload.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.raw
    }
}

/// The bits of a decimal number of any length, least significant first
/// (`o.fpm` masks have one bit per permission name, and an instance may
/// have more than 64 names); not a number: no bits.
fn bits(decimal: &str) -> Vec<bool> {
    let mut digits: Vec<u8> = Vec::with_capacity(decimal.len());
    for c in decimal.bytes() {
        if !c.is_ascii_digit() {
            return Vec::new();
        }
        digits.push(c - b'0');
    }
    let mut out = Vec::new();
    // Divide by two until nothing is left, keeping the remainders.
    while digits.iter().any(|d| *d != 0) {
        let mut carry = 0u8;
        for d in digits.iter_mut() {
            let v = carry * 10 + *d;
            *d = v / 2;
            carry = v % 2;
        }
        out.push(carry == 1);
    }
    out
}

/// A condition on the signed-in user: what `has()` and `protect()` take.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `org:admin`: the role in the active organisation.
    Role(String),
    /// `org:articles:edit`: a permission in the active organisation.
    Permission(String),
    /// A claim (dotted path) equal to a value: `metadata.tier == "pro"`.
    Claim(String, Value),
}

impl Condition {
    pub fn role(r: &str) -> Self {
        Self::Role(r.to_owned())
    }

    pub fn permission(p: &str) -> Self {
        Self::Permission(p.to_owned())
    }

    pub fn claim(path: &str, value: impl Into<Value>) -> Self {
        Self::Claim(path.to_owned(), value.into())
    }

    /// Whether `claims` satisfy it.
    pub fn holds(&self, claims: &SessionClaims) -> bool {
        match self {
            Self::Role(r) => claims.org_role().as_deref() == Some(r.as_str()),
            Self::Permission(p) => claims.org_permissions().iter().any(|x| x == p),
            Self::Claim(path, value) => claims.path(path) == Some(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> SessionClaims {
        match v {
            Value::Object(m) => SessionClaims::from_payload(m).expect("sub"),
            _ => panic!("object"),
        }
    }

    #[test]
    fn masks_wider_than_64_bits_are_read() {
        // Bit 70 and bit 0: 2^70 + 1.
        let names: Vec<String> = (0..71).map(|i| format!("p{i}")).collect();
        let wide = claims(json!({"v": 2, "sub": "user_1", "fea": "o:big",
               "o": {"id": "org_1", "rol": "admin", "per": names.join(","),
                     "fpm": "1180591620717411303425"}}));
        assert_eq!(wide.org_permissions(), vec!["org:big:p0", "org:big:p70"]);
        assert_eq!(bits("5"), vec![true, false, true]);
        assert!(bits("x1").is_empty());
    }

    #[test]
    fn v2_organisation_claims_unpack() {
        let c = claims(json!({
            "sub": "user_1", "sid": "sess_1", "v": 2,
            "fea": "o:articles,u:billing,o:dashboard",
            "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,1"},
            "metadata": {"tier": "pro"}
        }));
        assert_eq!(c.org_id(), Some("org_1"));
        assert_eq!(c.org_slug(), Some("acme"));
        assert_eq!(c.org_role().as_deref(), Some("org:admin"));
        assert_eq!(
            c.org_permissions(),
            [
                "org:articles:read",
                "org:articles:manage",
                "org:dashboard:read"
            ]
        );
        assert!(Condition::role("org:admin").holds(&c));
        assert!(Condition::permission("org:dashboard:read").holds(&c));
        assert!(!Condition::permission("org:dashboard:manage").holds(&c));
        assert!(Condition::claim("metadata.tier", "pro").holds(&c));
        assert!(!Condition::claim("metadata.tier", "free").holds(&c));
    }

    #[test]
    fn v1_organisation_claims_are_flat() {
        let c = claims(json!({
            "sub": "user_1", "org_id": "org_1", "org_role": "org:member",
            "org_slug": "acme", "org_permissions": ["org:articles:read"]
        }));
        assert_eq!(c.version(), 1);
        assert_eq!(c.org_id(), Some("org_1"));
        assert_eq!(c.org_role().as_deref(), Some("org:member"));
        assert_eq!(c.org_permissions(), ["org:articles:read"]);
    }
}
