//! Prefixed, random, time-ordered identifiers: one Rust type per kind of id.
//!
//! Clerk ids look like `user_2NNEqL2nrIRdJ194ndJqAHwEfxC`: a prefix, an
//! underscore and 27 base62 characters. We produce the same shape from a
//! KSUID-style layout (4 bytes of seconds since 2014-05-13, then 16 random
//! bytes), so ids sort roughly by creation time — which keeps B-tree inserts
//! local and makes `ORDER BY id` a sensible default — while still carrying 128
//! bits of randomness.
//!
//! A typed id is parsed at the edge (`"user_…".parse::<UserId>()`): a session id
//! can never be passed where a user id is expected, and a malformed id never
//! reaches a query.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of the random-and-time part of an id, in base62 characters.
pub const ID_BODY_LEN: usize = 27;
const KSUID_EPOCH: u64 = 1_400_000_000;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a valid id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdParseError {
    #[error("expected an id starting with `{expected}_`")]
    WrongPrefix { expected: &'static str },
    #[error("id body must be 1 to 64 characters of [A-Za-z0-9]")]
    BadBody,
}

/// The last id body handed out by this process: (seconds, random part).
static LAST: std::sync::Mutex<(u32, u128)> = std::sync::Mutex::new((0, 0));

/// Generate the body of a new id (27 base62 characters).
///
/// Within one second the random part is incremented rather than redrawn
/// (as monotonic ULIDs do), so ids made by one process sort in creation order
/// even when timestamps tie: list endpoints use the id as their tie-breaker.
fn new_body() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .saturating_sub(KSUID_EPOCH) as u32;
    let mut fresh = [0u8; 16];
    rand::rng().fill_bytes(&mut fresh);
    let random = {
        let mut last = match LAST.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = if last.0 == secs && last.1 < u128::MAX {
            last.1 + 1
        } else {
            // A fresh draw keeps the top bit clear, leaving room to count up.
            u128::from_be_bytes(fresh) >> 1
        };
        *last = (secs, next);
        next
    };
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    bytes[4..].copy_from_slice(&random.to_be_bytes());
    base62_fixed(&bytes, ID_BODY_LEN)
}

/// Big-endian base62 of `bytes`, left-padded with `0` to `width` characters.
fn base62_fixed(bytes: &[u8], width: usize) -> String {
    let mut digits = bytes.to_vec();
    let mut out = Vec::with_capacity(width);
    while digits.iter().any(|&d| d != 0) {
        let mut rem = 0u32;
        for d in digits.iter_mut() {
            let acc = (rem << 8) | u32::from(*d);
            *d = (acc / 62) as u8;
            rem = acc % 62;
        }
        out.push(BASE62[rem as usize]);
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Base62 text of `n` random bytes; used for secret material as well as ids.
pub fn random_base62(n_bytes: usize) -> String {
    let mut bytes = vec![0u8; n_bytes];
    rand::rng().fill_bytes(&mut bytes);
    // ceil(n * 8 / log2(62)) characters hold n bytes.
    let width = (n_bytes * 8 * 1000).div_ceil(5954);
    base62_fixed(&bytes, width)
}

fn valid_body(body: &str) -> bool {
    !body.is_empty() && body.len() <= 64 && body.bytes().all(|b| b.is_ascii_alphanumeric())
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix before the underscore, as Clerk spells it.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, new_body()))
            }

            /// The id as text, prefix included.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let body = s
                    .strip_prefix($prefix)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .ok_or(IdParseError::WrongPrefix { expected: $prefix })?;
                if !valid_body(body) {
                    return Err(IdParseError::BadBody);
                }
                Ok(Self(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

define_id!(
    /// An instance: one deployment of Frontdesk with its own keys and users (`ins_…`).
    InstanceId, "ins"
);
define_id!(
    /// A user account (`user_…`).
    UserId, "user"
);
define_id!(
    /// An email address identification (`idn_…`), as Clerk names identifications.
    EmailAddressId, "idn"
);
define_id!(
    /// A client: one browser or device that holds sessions (`client_…`).
    ClientId, "client"
);
define_id!(
    /// A session of a user on a client (`sess_…`).
    SessionId, "sess"
);
define_id!(
    /// A Backend API secret key record (`ak_…`); the key itself is never stored.
    SecretKeyId, "ak"
);
define_id!(
    /// A JWT signing key; doubles as the JWK `kid` (`ins_…`-independent).
    SigningKeyId, "kid"
);

define_id!(
    /// An organization (`org_…`).
    OrganizationId, "org"
);
define_id!(
    /// A user's membership of an organization (`orgmem_…`).
    OrganizationMembershipId, "orgmem"
);
define_id!(
    /// An invitation to an organization (`orginv_…`).
    OrganizationInvitationId, "orginv"
);
define_id!(
    /// A domain an organization claims (`orgdmn_…`).
    OrganizationDomainId, "orgdmn"
);
define_id!(
    /// A suggestion to join an organization, from a verified domain
    /// (`orgsugg_…`).
    OrganizationSuggestionId, "orgsugg"
);
define_id!(
    /// A user's request to join an organization (`orgmbreq_…`).
    MembershipRequestId, "orgmbreq"
);
define_id!(
    /// One entry of the administrators' audit log (`audit_…`).
    AuditEventId, "audit"
);
define_id!(
    /// A one-time link to sign in as a user, for impersonation (`act_…`).
    ActorTokenId, "act"
);
define_id!(
    /// An organization role (`role_…`).
    RoleId, "role"
);
define_id!(
    /// An organization permission (`perm_…`).
    PermissionId, "perm"
);
define_id!(
    /// A webhook endpoint (`ep_…`), as Svix names them.
    WebhookEndpointId, "ep"
);
define_id!(
    /// A webhook message: one event, delivered with this id as `svix-id` to
    /// every endpoint and on every retry (`msg_…`).
    MessageId, "msg"
);
define_id!(
    /// One delivery attempt of a message to an endpoint (`atmpt_…`).
    AttemptId, "atmpt"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_clerk_shape() {
        let id = UserId::generate();
        let body = id.as_str().strip_prefix("user_").expect("prefix");
        assert_eq!(body.len(), ID_BODY_LEN);
        assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(id.as_str().parse::<UserId>(), Ok(id.clone()));
    }

    #[test]
    fn ids_of_another_kind_are_rejected() {
        let sess = SessionId::generate();
        assert_eq!(
            sess.as_str().parse::<UserId>(),
            Err(IdParseError::WrongPrefix { expected: "user" })
        );
        assert_eq!("user_".parse::<UserId>(), Err(IdParseError::BadBody));
        assert_eq!("user_a'b".parse::<UserId>(), Err(IdParseError::BadBody));
        assert!("users_abc".parse::<UserId>().is_err());
    }

    #[test]
    fn ids_from_one_process_sort_in_creation_order() {
        let ids: Vec<UserId> = (0..1000).map(|_| UserId::generate()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn ids_sort_by_creation_second() {
        let a = base62_fixed(&[0, 0, 0, 1, 0xff], 10);
        let b = base62_fixed(&[0, 0, 0, 2, 0], 10);
        assert!(a < b);
    }

    #[test]
    fn random_base62_holds_256_bits() {
        let s = random_base62(32);
        assert_eq!(s.len(), 43);
    }
}
