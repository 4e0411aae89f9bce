//! Account lockout (security.md B1, B2): failed password and code attempts
//! count per account, over every address and client; at the limit the account
//! locks for a while. The counting itself is one atomic statement in the
//! store, so parallel guesses cannot overwrite each other's count; these types
//! say what the statement decides with.

use crate::UnixMillis;

/// Failed attempts before an account locks.
pub const MAX_FAILED_ATTEMPTS: i32 = 10;
/// How long a lock lasts.
pub const LOCKOUT_SECS: i64 = 3600;

/// The lockout rule of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures that lock the account.
    pub max_attempts: i32,
    /// How long a lock lasts; 0 or less: until an administrator unlocks it.
    pub duration_secs: i64,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            max_attempts: MAX_FAILED_ATTEMPTS,
            duration_secs: LOCKOUT_SECS,
        }
    }
}

impl Lockout {
    /// Locks set at or before this moment have lapsed at `now`.
    pub fn lapsed_before(&self, now: UnixMillis) -> UnixMillis {
        if self.duration_secs <= 0 {
            UnixMillis(i64::MIN)
        } else {
            now.plus_secs(-self.duration_secs)
        }
    }

    /// Whether a lock set at `locked_at` still holds at `now`.
    pub fn holds(&self, locked_at: Option<UnixMillis>, now: UnixMillis) -> bool {
        locked_at.is_some_and(|at| at > self.lapsed_before(now))
    }

    /// Seconds until a lock set at `locked_at` lapses (for `Retry-After`).
    pub fn remaining_secs(&self, locked_at: UnixMillis, now: UnixMillis) -> Option<i64> {
        (self.duration_secs > 0)
            .then(|| (locked_at.plus_secs(self.duration_secs).0 - now.0 + 999) / 1000)
            .filter(|s| *s > 0)
    }
}

/// What the store returns after counting a failure: the account's state as
/// that statement left it, which is what the caller decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthState {
    pub failed_attempts: i32,
    pub locked_at: Option<UnixMillis>,
    pub banned: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_lapse_after_their_duration() {
        let l = Lockout::default();
        let at = UnixMillis(10_000_000);
        assert!(l.holds(Some(at), at));
        assert!(l.holds(Some(at), at.plus_secs(LOCKOUT_SECS - 1)));
        assert!(!l.holds(Some(at), at.plus_secs(LOCKOUT_SECS)));
        assert!(!l.holds(None, at));
        assert_eq!(
            l.remaining_secs(at, at.plus_secs(60)),
            Some(LOCKOUT_SECS - 60)
        );
    }

    #[test]
    fn a_zero_duration_never_lapses() {
        let l = Lockout {
            max_attempts: 5,
            duration_secs: 0,
        };
        assert!(l.holds(Some(UnixMillis(0)), UnixMillis(i64::MAX / 2)));
    }
}
