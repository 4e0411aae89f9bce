//! Cryptography, in one place so that it can be reviewed in one sitting.
//!
//! AWS-LC (through `aws-lc-rs`) does the RSA work: it generates a 2048-bit key
//! in tens of milliseconds, which keeps a cold start fast, and signs at the
//! speed of the machine's best RSA implementation, which is what the token
//! minting benchmark compares against.

pub mod backup;
mod digest;
mod password;
pub mod sealed;
mod signing;
pub mod totp;
mod webhook;

pub use digest::{
    constant_time_eq, cookie_suffix, random_digits, sha256_base64, sha256_hex, sha512_integrity,
};
pub use password::{HashMemory, ImportError, PasswordCheck, PasswordHasher};
pub use sealed::{SealError, Sealer};
pub use signing::{CryptoError, SigningKey, b64url};
pub use webhook::svix_signature;
