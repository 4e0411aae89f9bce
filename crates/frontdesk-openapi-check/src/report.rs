//! Turning `jsonschema` errors into one readable line per violation.
//!
//! The library's own messages embed the whole offending value, which for a `User` is kilobytes,
//! and for `oneOf`/`anyOf` say only "not valid under any of the schemas". Clerk's specs nest
//! `oneOf`s (verifications, JWKs) and every nullable `$ref` becomes an `anyOf`, so a bare
//! "no alternative matched" would hide the real problem. Instead we descend into the
//! alternative that came closest and report *its* violations.

use jsonschema::error::{ValidationError, ValidationErrorKind};

/// Longest message kept for one violation; values inside messages can be huge.
const MAX_LINE: usize = 400;

/// Appends one line per leaf violation of `error` to `out`.
pub(crate) fn flatten(error: &ValidationError<'_>, out: &mut Vec<String>) {
    let path = pointer(error.instance_path().as_str());
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let keyword = match error.kind() {
                ValidationErrorKind::AnyOf { .. } => "anyOf",
                _ => "oneOf",
            };
            let depth = segments(error);
            let Some((index, branch)) = closest(context, depth) else {
                out.push(format!("{path}: matches no {keyword} alternative"));
                return;
            };
            // `anyOf: [{type: null}, X]` is how a nullable X was translated; naming the
            // alternative would only be noise there.
            let only_null_arm = context.len() == 2
                && context
                    .iter()
                    .enumerate()
                    .all(|(i, b)| i == index || (b.len() == 1 && is_mismatch(&b[0], depth)));
            for inner in branch {
                let mut lines = Vec::new();
                flatten(inner, &mut lines);
                if only_null_arm {
                    out.extend(lines);
                } else {
                    let n = context.len();
                    let note = format!("  [closest of {n} {keyword} alternatives]");
                    out.extend(lines.into_iter().map(|line| line + &note));
                }
            }
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => out.push(format!(
            "{path}: matches more than one oneOf alternative{}",
            origin(error)
        )),
        ValidationErrorKind::AdditionalProperties { unexpected } => out.push(format!(
            "{path}: unexpected member(s) {} (additionalProperties: false){}",
            unexpected.join(", "),
            origin(error)
        )),
        _ => out.push(truncate(format!("{path}: {error}")) + &origin(error)),
    }
}

/// `  [User]` — the component schema the failing keyword belongs to. `schema_path` is the
/// keyword's location in the document (after `$ref`s), e.g. `/components/schemas/User/required`.
/// Inline schemas are named by the first three segments (`#/paths/~1jwks/get`).
fn origin(error: &ValidationError<'_>) -> String {
    let location = error.schema_path().as_str();
    if let Some(rest) = location.strip_prefix("/components/schemas/") {
        let name = rest.split('/').next().unwrap_or(rest);
        return format!("  [{}]", name.replace("~1", "/").replace("~0", "~"));
    }
    let head: Vec<&str> = location.split('/').skip(1).take(3).collect();
    format!("  [#/{}]", head.join("/"))
}

/// Picks the alternative most likely intended: fewest violations that are a plain type/enum
/// mismatch of the value itself (those mean "wrong alternative", e.g. `kty: "RSA"` against the
/// EC key schema, or a non-null value against the `{type: null}` arm of a nullable), then fewest
/// violations overall, then the later one (the `null` arm is always first).
fn closest<'a>(
    context: &'a [Vec<ValidationError<'static>>],
    depth: usize,
) -> Option<(usize, &'a [ValidationError<'static>])> {
    context
        .iter()
        .enumerate()
        .filter(|(_, branch)| !branch.is_empty())
        .min_by_key(|(index, branch)| {
            let mismatches = branch.iter().filter(|e| is_mismatch(e, depth)).count();
            (mismatches, branch.len(), usize::MAX - index)
        })
        .map(|(index, branch)| (index, branch.as_slice()))
}

/// A type/enum/const failure on the value itself or on one of its direct members — the
/// signature of trying the wrong alternative rather than of a broken object.
fn is_mismatch(error: &ValidationError<'_>, depth: usize) -> bool {
    segments(error) <= depth + 1
        && matches!(
            error.kind(),
            ValidationErrorKind::Type { .. }
                | ValidationErrorKind::Enum { .. }
                | ValidationErrorKind::Constant { .. }
        )
}

/// How deep in the validated value the error sits (number of JSON-pointer segments).
fn segments(error: &ValidationError<'_>) -> usize {
    error.instance_path().as_str().matches('/').count()
}

fn pointer(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

fn truncate(mut line: String) -> String {
    if line.len() > MAX_LINE {
        let mut cut = MAX_LINE;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push('…');
    }
    line
}
