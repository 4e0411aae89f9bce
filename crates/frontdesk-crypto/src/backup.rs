//! Backup codes: one-time recovery codes for an account with a second factor.
//!
//! A code is 8 characters from an alphabet without look-alikes (`0/o`,
//! `1/l/i`), 40 bits each: too few to store under a fast hash (NIST 800-63B
//! §5.1.2.2 asks a salted key-derivation function below 112 bits), so each
//! is stored as argon2id under a salt shared by the user's set. Sharing the
//! salt within a set means checking a code costs one argon2 run, not one
//! per stored code, while a dump still needs a separate 2^40 search per user.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// How many codes a set holds.
pub const CODES_PER_SET: usize = 10;
/// Characters per code.
pub const CODE_LEN: usize = 8;
/// 23 letters and 8 digits: no `i`, `l`, `o`, `0` or `1`.
const ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A fresh set of codes, as shown once to the user.
pub fn generate() -> Vec<String> {
    (0..CODES_PER_SET).map(|_| one()).collect()
}

fn one() -> String {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(CODE_LEN);
    let mut buf = [0u8; 16];
    while out.len() < CODE_LEN {
        if rng.fill(&mut buf).is_err() {
            continue;
        }
        // Bytes from 248 (= 31 × 8) up are rejected, so `b % 31` is uniform.
        for b in buf {
            if b < 248 && out.len() < CODE_LEN {
                out.push(char::from(ALPHABET[usize::from(b % 31)]));
            }
        }
    }
    out
}

/// A new salt for a set (16 random bytes, hex).
pub fn new_salt() -> String {
    let mut salt = [0u8; 16];
    // The system RNG failing is not recoverable; an all-zero salt would
    // still be argon2, but it is not allowed to happen silently.
    SystemRandom::new()
        .fill(&mut salt)
        .expect("the system random number generator works");
    salt.iter().map(|b| format!("{b:02x}")).collect()
}

/// A code as typed: spaces, dashes and case do not matter.
pub fn normalize(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_from_the_alphabet() {
        let set = generate();
        assert_eq!(set.len(), CODES_PER_SET);
        for c in &set {
            assert_eq!(c.len(), CODE_LEN);
            assert!(c.bytes().all(|b| ALPHABET.contains(&b)), "{c}");
        }
        let unique: std::collections::BTreeSet<_> = set.iter().collect();
        assert_eq!(unique.len(), set.len());
        assert_eq!(normalize(" AbCd-EfGh "), "abcdefgh");
        assert_eq!(new_salt().len(), 32);
    }
}
