//! `GET /npm/@clerk/{clerk-js,ui}@<version>/dist/<file>`: the clerk-js and
//! `@clerk/ui` browser bundles, as Clerk's CDN serves them.
//!
//! clerk-js is loaded from `/npm/@clerk/clerk-js@6/dist/clerk.browser.js` and
//! then loads its lazy chunks with the exact version in the path
//! (`@clerk/ui@1.36.0/dist/signin_ui_…_1.36.0.js`). Where the files come from
//! is [`crate::bundles`]: `bundles_dir` when it holds the package (any
//! version in the URL gets it), else the named version from the npm registry,
//! fetched once into the data directory. They are never committed. Scripts
//! are fetched with `crossorigin="anonymous"`, hence
//! `Access-Control-Allow-Origin: *`.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::bundles::PACKAGES;
use crate::error::ApiError;
use crate::state::AppState;

/// `Content-Type` by file extension.
fn content_type(file: &str) -> &'static str {
    let ext = file.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "js" | "mjs" | "cjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "map" | "json" => "application/json",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "png" => "image/png",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `@clerk/<package>@<version>/dist/<file…>` → (`<package>`, `<version>`,
/// `<file…>` as relative path segments). `None` for anything else, including
/// any `..`, `.` or empty segment and hidden files.
fn parse(path: &str) -> Option<(&'static str, &str, Vec<&str>)> {
    let mut segments = path.trim_start_matches('/').split('/');
    if segments.next()? != "@clerk" {
        return None;
    }
    let (name, version) = segments.next()?.split_once('@')?;
    let package = *PACKAGES.iter().find(|p| **p == name)?;
    let version_ok = !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'));
    if !version_ok || segments.next()? != "dist" {
        return None;
    }
    let rest: Vec<&str> = segments.collect();
    let safe = |s: &&str| {
        !s.is_empty() && !s.starts_with('.') && !s.contains(['\\', '\0', ':']) && s.len() <= 255
    };
    if rest.is_empty() || rest.len() > 8 || !rest.iter().all(safe) {
        return None;
    }
    Some((package, version, rest))
}

/// The file on disk, only if it is (after resolving links) inside `dist`.
async fn locate(dist: &FsPath, rest: &[&str]) -> Option<PathBuf> {
    let dist = tokio::fs::canonicalize(dist).await.ok()?;
    let file = tokio::fs::canonicalize(rest.iter().fold(dist.clone(), |p, s| p.join(s)))
        .await
        .ok()?;
    let meta = tokio::fs::metadata(&file).await.ok()?;
    (file.starts_with(&dist) && meta.is_file()).then_some(file)
}

fn with_cors(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

pub async fn serve(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let Some((package, version, rest)) = parse(&path) else {
        return with_cors(ApiError::not_found("file").into_response());
    };
    let dist = match state.bundles.dist(package, version).await {
        Ok(dist) => dist,
        Err(e) => {
            let error = frontdesk_types::ClerkError::new(
                "bundle_unavailable",
                "The UI bundle is not available",
                format!("@clerk/{package}@{version}: {e}"),
            );
            return with_cors(
                ApiError::client(axum::http::StatusCode::SERVICE_UNAVAILABLE, error)
                    .into_response(),
            );
        }
    };
    let Some(file) = locate(&dist, &rest).await else {
        return with_cors(ApiError::not_found("file").into_response());
    };
    let bytes = match tokio::fs::read(&file).await {
        Ok(b) => b,
        Err(_) => return with_cors(ApiError::not_found("file").into_response()),
    };
    let name = rest.last().copied().unwrap_or_default();
    with_cors(
        (
            [
                (header::CONTENT_TYPE, content_type(name)),
                (header::CACHE_CONTROL, "public, max-age=3600"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dist_files_of_the_two_packages() {
        assert_eq!(
            parse("@clerk/clerk-js@6/dist/clerk.browser.js"),
            Some(("clerk-js", "6", vec!["clerk.browser.js"]))
        );
        assert_eq!(
            parse("@clerk/ui@1.36.0/dist/framework_ui_58d0c7_1.36.0.js"),
            Some(("ui", "1.36.0", vec!["framework_ui_58d0c7_1.36.0.js"]))
        );
        assert_eq!(
            parse("@clerk/ui@latest/dist/themes/dark.js"),
            Some(("ui", "latest", vec!["themes", "dark.js"]))
        );
        for bad in [
            "@clerk/clerk-js/dist/clerk.browser.js",
            "@clerk/clerk-js@/dist/clerk.browser.js",
            "@clerk/backend@3/dist/index.js",
            "@clerk/clerk-js@6/package.json",
            "@clerk/clerk-js@6/dist/../package.json",
            "@clerk/clerk-js@6/dist/a/../../package.json",
            "@clerk/clerk-js@6/dist/./clerk.browser.js",
            "@clerk/clerk-js@6/dist/",
            "@clerk/clerk-js@6/dist//etc/passwd",
            "@clerk/clerk-js@6/dist/.hidden",
            "@clerk/clerk-js@6/dist/a\\..\\b.js",
            "@clerk/clerk-js@6/../dist/clerk.browser.js",
            "@clerk/clerk-js@6/dist",
            "react@19/dist/react.js",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("a.js.map"), "application/json");
        assert_eq!(content_type("a.json"), "application/json");
        assert_eq!(content_type("a.svg"), "image/svg+xml");
        assert_eq!(content_type("a.woff2"), "font/woff2");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
