//! Finding Clerk's OpenAPI files on disk.
//!
//! The specs are reference material kept outside the repository, in a `shared/` folder that sits
//! *beside* the checkout (locally `/work/shared`, in CI a read-only copy next to a fresh clone).
//! So the path is always derived from this crate's own location, never from the working
//! directory, and can be overridden with `FRONTDESK_OPENAPI_DIR`.

use std::path::{Path, PathBuf};

/// Environment variable that, when set, names the folder holding the three spec files.
pub const DIR_ENV: &str = "FRONTDESK_OPENAPI_DIR";

/// The spec folder: `$FRONTDESK_OPENAPI_DIR`, else `<repo root>/../shared/reference/clerk-openapi`.
pub fn spec_dir() -> PathBuf {
    match std::env::var_os(DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        // crates/frontdesk-openapi-check → crates → repo root → the folder holding the repo.
        _ => {
            let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
            let beside_repo = crate_dir.ancestors().nth(3).unwrap_or(crate_dir);
            beside_repo.join("shared/reference/clerk-openapi")
        }
    }
}
