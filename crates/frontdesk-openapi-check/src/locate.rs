//! Finding Clerk's OpenAPI files on disk.
//!
//! The specs are reference material kept outside the repository, in a `shared/` folder that sits
//! *beside* the checkout (locally `/work/shared`, in CI a read-only copy next to a fresh clone).
//! So the path is derived from the checkout's location, never from where the tests happen
//! to be started, and can be overridden with `FRONTDESK_OPENAPI_DIR`. The checkout is found
//! at run time (cargo runs tests in their package's directory) before this crate's compile-time
//! location, which is stale when one build directory serves several clones.

use std::path::{Path, PathBuf};

/// Environment variable that, when set, names the folder holding the three spec files.
pub const DIR_ENV: &str = "FRONTDESK_OPENAPI_DIR";

/// The spec folder: `$FRONTDESK_OPENAPI_DIR`, else `<repo root>/../shared/reference/clerk-openapi`.
pub fn spec_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // crates/<package> → crates → repo root → the folder holding the repo.
    let beside = |package_dir: &Path| {
        let beside_repo = package_dir.ancestors().nth(3).unwrap_or(package_dir);
        beside_repo.join("shared/reference/clerk-openapi")
    };
    let compiled = beside(Path::new(env!("CARGO_MANIFEST_DIR")));
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            // Tests run in their package's directory: a crate, or an example
            // one level deeper (`examples/rust-seed`), both two below the root.
            cwd.ancestors()
                .map(|a| a.join("shared/reference/clerk-openapi"))
                .find(|d| d.is_dir())
        })
        .filter(|_| !compiled.is_dir())
        .unwrap_or(compiled)
}
