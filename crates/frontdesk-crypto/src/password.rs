//! Password hashing: argon2id for everything Frontdesk hashes, bcrypt and
//! argon2id accepted for imported digests.
//!
//! Verification reports whether the stored digest should be replaced (an
//! imported bcrypt digest, or argon2 with weaker parameters than configured),
//! so that callers rehash on the next successful sign-in and old digests fade
//! out without a forced reset.
//!
//! argon2id walks `m` KiB of memory per hash (19 MiB by default). The `*_in`
//! methods take that memory from a [`HashMemory`] the caller keeps, so a
//! worker thread reuses one buffer for every hash instead of asking the
//! allocator for 19 MiB each time (which glibc, with one arena per thread,
//! keeps long after the burst: finding F12 saw 600 MiB of RSS stay).

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Outcome of checking a password against a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password is right; `needs_rehash` asks for a fresh argon2id digest.
    Match {
        needs_rehash: bool,
    },
    Mismatch,
}

/// Why an imported digest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("password_hasher must be one of: bcrypt, argon2id")]
    UnsupportedHasher,
    #[error("password_digest is not a valid {0} digest")]
    BadDigest(&'static str),
}

/// The working memory of argon2: reused across hashes by one thread.
#[derive(Default)]
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    /// `blocks` 1 KiB blocks, grown when needed and kept.
    fn blocks(&mut self, blocks: usize) -> &mut [Block] {
        if self.0.len() < blocks {
            self.0.resize(blocks, Block::new());
        }
        &mut self.0[..blocks]
    }

    /// Bytes held.
    pub fn len_bytes(&self) -> usize {
        self.0.len() * Block::SIZE
    }
}

/// Hashes and verifies passwords with configured argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A digest of a random password, verified against when the account does
    /// not exist, so that "no such user" costs the same time as "wrong password".
    /// Made on first use rather than at start-up, which it would slow by a hash.
    dummy: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PasswordHasher(argon2id m={} t={} p={})",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        )
    }
}

impl Default for PasswordHasher {
    /// OWASP's argon2id minimum: m = 19456 KiB, t = 2, p = 1.
    fn default() -> Self {
        Self::new(19_456, 2, 1).expect("OWASP's argon2id parameters are valid")
    }
}

impl PasswordHasher {
    /// Parameters: memory in KiB, iterations, parallelism.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self, argon2::Error> {
        let params = Params::new(m_kib, t, p, None)?;
        Ok(Self {
            params,
            dummy: Default::default(),
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC-format argon2id digest with a fresh 16-byte salt.
    pub fn hash(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        self.hash_in(password, &mut HashMemory::default())
    }

    /// [`PasswordHasher::hash`] with the caller's working memory.
    pub fn hash_in(
        &self,
        password: &str,
        memory: &mut HashMemory,
    ) -> Result<String, argon2::password_hash::Error> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf)?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.argon2().hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            memory.blocks(self.params.block_count()),
        )?;
        Ok(PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out)?),
        }
        .to_string())
    }

    /// The argon2id of `secret` under a given salt, as hex: for short
    /// one-time secrets (backup codes) compared by equality, so one
    /// derivation checks a candidate against a whole set.
    pub fn derive_in(
        &self,
        secret: &str,
        salt: &[u8],
        memory: &mut HashMemory,
    ) -> Result<String, argon2::Error> {
        let mut out = [0u8; 32];
        self.argon2().hash_password_into_with_memory(
            secret.as_bytes(),
            salt,
            &mut out,
            memory.blocks(self.params.block_count()),
        )?;
        Ok(out.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Check `password` against a stored digest (argon2id or bcrypt).
    pub fn verify(&self, password: &str, digest: &str) -> PasswordCheck {
        self.verify_in(password, digest, &mut HashMemory::default())
    }

    /// [`PasswordHasher::verify`] with the caller's working memory.
    pub fn verify_in(
        &self,
        password: &str,
        digest: &str,
        memory: &mut HashMemory,
    ) -> PasswordCheck {
        if is_bcrypt(digest) {
            return match bcrypt::verify(password, digest) {
                Ok(true) => PasswordCheck::Match { needs_rehash: true },
                _ => PasswordCheck::Mismatch,
            };
        }
        let Ok(parsed) = PasswordHash::new(digest) else {
            return PasswordCheck::Mismatch;
        };
        // Verify with the digest's own parameters, whatever they are.
        let Some(matches) = argon2_matches(&parsed, password.as_bytes(), memory) else {
            return PasswordCheck::Mismatch;
        };
        if !matches {
            return PasswordCheck::Mismatch;
        }
        let weaker = Params::try_from(&parsed)
            .map(|p| {
                p.m_cost() < self.params.m_cost()
                    || p.t_cost() < self.params.t_cost()
                    || parsed.algorithm != Algorithm::Argon2id.ident()
            })
            .unwrap_or(true);
        PasswordCheck::Match {
            needs_rehash: weaker,
        }
    }

    /// Spend the time of one verification without an account, and report no match.
    pub fn verify_dummy(&self, password: &str) -> PasswordCheck {
        self.verify_dummy_in(password, &mut HashMemory::default())
    }

    /// [`PasswordHasher::verify_dummy`] with the caller's working memory.
    pub fn verify_dummy_in(&self, password: &str, memory: &mut HashMemory) -> PasswordCheck {
        let dummy = self.dummy.get_or_init(|| {
            self.hash_in(&frontdesk_types::id::random_base62(16), memory)
                .unwrap_or_default()
        });
        let _ = self.verify_in(password, dummy, memory);
        PasswordCheck::Mismatch
    }

    /// Check an imported digest before storing it.
    pub fn check_import(hasher: &str, digest: &str) -> Result<(), ImportError> {
        match hasher {
            "bcrypt" => {
                if is_bcrypt(digest) && digest.len() == 60 {
                    Ok(())
                } else {
                    Err(ImportError::BadDigest("bcrypt"))
                }
            }
            "argon2id" => match PasswordHash::new(digest) {
                Ok(h) if h.algorithm == Algorithm::Argon2id.ident() && h.hash.is_some() => Ok(()),
                _ => Err(ImportError::BadDigest("argon2id")),
            },
            _ => Err(ImportError::UnsupportedHasher),
        }
    }
}

/// Recompute an argon2 digest (any variant and version, its own parameters)
/// in `memory` and compare in constant time; `None` if it cannot be read.
fn argon2_matches(
    parsed: &PasswordHash<'_>,
    password: &[u8],
    memory: &mut HashMemory,
) -> Option<bool> {
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let params = Params::try_from(parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt_buf = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    // A digest asking for far more memory than configured (an import) gets
    // a buffer of its own, so the worker's stays the configured size.
    let result = if blocks > 4 * memory.0.len().max(1) && !memory.0.is_empty() {
        argon2.hash_password_into(password, salt, &mut out)
    } else {
        argon2.hash_password_into_with_memory(password, salt, &mut out, memory.blocks(blocks))
    };
    result.ok()?;
    Some(crate::constant_time_eq(&out, expected.as_bytes()))
}

fn is_bcrypt(digest: &str) -> bool {
    ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| digest.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(256, 1, 1).expect("params")
    }

    #[test]
    fn argon2id_round_trip_with_default_cost() {
        let h = PasswordHasher::default();
        let digest = h.hash("correct horse battery staple").expect("hash");
        assert!(
            digest.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{digest}"
        );
        assert_eq!(
            h.verify("correct horse battery staple", &digest),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify("correct horse battery stapl", &digest),
            PasswordCheck::Mismatch
        );
        assert_ne!(
            digest,
            h.hash("correct horse battery staple").expect("hash"),
            "salted"
        );
    }

    #[test]
    fn weaker_digests_ask_for_rehash() {
        let weak = fast().hash("pw-123456").expect("hash");
        assert_eq!(
            PasswordHasher::default().verify("pw-123456", &weak),
            PasswordCheck::Match { needs_rehash: true }
        );
        let bcrypt = bcrypt::hash("pw-123456", 4).expect("bcrypt");
        assert!(PasswordHasher::check_import("bcrypt", &bcrypt).is_ok());
        assert_eq!(
            fast().verify("pw-123456", &bcrypt),
            PasswordCheck::Match { needs_rehash: true }
        );
        assert_eq!(
            fast().verify("pw-1234567", &bcrypt),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn memory_is_reused_and_digests_match_the_allocating_path() {
        let h = fast();
        let mut memory = HashMemory::default();
        let digest = h.hash_in("pw-1", &mut memory).expect("hash");
        let held = memory.len_bytes();
        assert_eq!(held, 256 * 1024);
        assert_eq!(
            h.verify("pw-1", &digest),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
        // A digest made by the argon2 crate's own PHC path verifies too.
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let theirs = h
            .argon2()
            .hash_password(b"pw-2", &salt)
            .expect("hash")
            .to_string();
        assert_eq!(
            h.verify_in("pw-2", &theirs, &mut memory),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify_in("pw-3", &theirs, &mut memory),
            PasswordCheck::Mismatch
        );
        assert_eq!(memory.len_bytes(), held, "no growth");
    }

    #[test]
    fn imports_are_checked() {
        assert_eq!(
            PasswordHasher::check_import("md5", "x"),
            Err(ImportError::UnsupportedHasher)
        );
        assert!(PasswordHasher::check_import("bcrypt", "$2b$nope").is_err());
        assert!(
            PasswordHasher::check_import(
                "argon2id",
                "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
            )
            .is_err()
        );
        let good = fast().hash("x").expect("hash");
        assert!(PasswordHasher::check_import("argon2id", &good).is_ok());
        assert_eq!(fast().verify("x", "garbage"), PasswordCheck::Mismatch);
        assert_eq!(fast().verify_dummy("x"), PasswordCheck::Mismatch);
    }
}
