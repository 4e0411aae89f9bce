//! Test-only check that JSON Frontdesk emits matches Clerk's published OpenAPI schemas.
//!
//! Frontdesk promises drop-in compatibility with Clerk's SDKs, and those SDKs are generated
//! from these very specs, so "validates against the spec" is the cheapest proxy we have for
//! "a Clerk SDK can parse it". Typical use in an integration test:
//!
//! ```no_run
//! use frontdesk_openapi_check::{Spec, SpecFile, assert_valid_response};
//! # let body = serde_json::json!({});
//! let Some(spec) = Spec::load(SpecFile::Backend) else { return }; // prints "skipping: …"
//! assert_valid_response(&spec, "get", "/jwks", 200, &body);
//! ```
//!
//! The specs live outside the repository (see [`spec_dir`]); when they are missing every
//! [`Spec::load`] prints a "skipping" line and returns `None`, so tests pass without them.
//! Each spec is parsed once per process, and each schema compiled once, then cached.

// `fixtures::user()` is one `json!` literal with ~45 members, past the default macro depth.
#![recursion_limit = "256"]

mod assert;
mod locate;
mod report;
mod translate;

pub mod fixtures;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

pub use assert::{assert_valid, assert_valid_response, assert_valid_webhook};
pub use locate::{DIR_ENV, spec_dir};

/// One of Clerk's three OpenAPI documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecFile {
    /// Backend API (`api.clerk.com/v1`), the version Frontdesk targets.
    Backend,
    /// Frontend API (what `clerk-js` talks to).
    Frontend,
    /// Webhook payloads (under `x-webhooks`).
    Webhooks,
}

impl SpecFile {
    /// File name inside [`spec_dir`].
    pub fn file_name(self) -> &'static str {
        match self {
            SpecFile::Backend => "backend-api-2026-05-12.yml",
            SpecFile::Frontend => "frontend-api.yml",
            SpecFile::Webhooks => "webhooks.yml",
        }
    }

    /// Full path of the file (which may not exist).
    pub fn path(self) -> PathBuf {
        spec_dir().join(self.file_name())
    }

    /// Base URI the translated document is registered under; never fetched.
    fn uri(self) -> &'static str {
        match self {
            SpecFile::Backend => "urn:clerk-openapi:backend",
            SpecFile::Frontend => "urn:clerk-openapi:frontend",
            SpecFile::Webhooks => "urn:clerk-openapi:webhooks",
        }
    }

    /// Per-file cache slot: `None` inside means "looked, file absent".
    fn slot(self) -> &'static OnceLock<Option<Loaded>> {
        static BACKEND: OnceLock<Option<Loaded>> = OnceLock::new();
        static FRONTEND: OnceLock<Option<Loaded>> = OnceLock::new();
        static WEBHOOKS: OnceLock<Option<Loaded>> = OnceLock::new();
        match self {
            SpecFile::Backend => &BACKEND,
            SpecFile::Frontend => &FRONTEND,
            SpecFile::Webhooks => &WEBHOOKS,
        }
    }
}

impl fmt::Display for SpecFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// A parsed, translated spec plus the validators compiled from it so far.
struct Loaded {
    file: SpecFile,
    /// The whole document with every Schema Object turned into JSON Schema.
    doc: Arc<Value>,
    /// `doc` registered as one resource under [`SpecFile::uri`], so every validator is a
    /// `{"$ref": "<uri>#/components/schemas/X"}` that resolves inside it. Indexing the
    /// document once here saves a ~10 ms copy of the whole spec per compiled schema.
    registry: Registry<'static>,
    /// Compiled validators keyed by JSON pointer; compiling `User` takes a while.
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// Handle to a loaded spec; cheap to copy, lives for the whole test process.
#[derive(Clone, Copy)]
pub struct Spec {
    inner: &'static Loaded,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("file", &self.inner.file)
            .finish()
    }
}

impl Spec {
    /// Loads (once per process) one of Clerk's specs.
    ///
    /// Returns `None` after printing `skipping: … not found` when the file is absent, so a test
    /// can `let Some(spec) = Spec::load(..) else { return };`. A file that exists but does not
    /// parse is a real problem and panics.
    pub fn load(file: SpecFile) -> Option<Spec> {
        let loaded = file.slot().get_or_init(|| read(file)).as_ref();
        if loaded.is_none() {
            frontdesk_testkit::skip(
                &format!(
                    "checks against Clerk's OpenAPI spec {}",
                    file.path().display()
                ),
                &format!("not found (set {DIR_ENV} to its folder)"),
            );
        }
        loaded.map(|inner| Spec { inner })
    }

    /// Which file this is.
    pub fn file(&self) -> SpecFile {
        self.inner.file
    }

    /// The whole document after translation (examples are kept verbatim), for tests that want
    /// to look things up, e.g. the spec's own sample payloads.
    pub fn document(&self) -> &'static Value {
        &self.inner.doc
    }

    /// The translated (JSON Schema) form of `#/components/schemas/<name>`, if it exists.
    pub fn schema(&self, name: &str) -> Option<&'static Value> {
        self.inner.doc.get("components")?.get("schemas")?.get(name)
    }

    /// Validates `value` against `#/components/schemas/<schema_name>`.
    ///
    /// `Err` holds one line per violation, each starting with the JSON pointer of the offending
    /// member, e.g. `/email_addresses/0: "linked_to" is a required property`.
    pub fn validate(&self, schema_name: &str, value: &Value) -> Result<(), Vec<String>> {
        if self.schema(schema_name).is_none() {
            return Err(vec![format!(
                "{}: no schema named `{schema_name}`",
                self.inner.file
            )]);
        }
        self.validate_at(
            &format!("/components/schemas/{}", escape(schema_name)),
            value,
        )
    }

    /// Validates `value` against the JSON body schema of an operation's response, e.g.
    /// `("get", "/jwks", 200)`. `path` is the spec's path template (`/users/{user_id}`).
    /// The status falls back to `2XX`-style ranges and then `default`, like OpenAPI itself.
    pub fn validate_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        value: &Value,
    ) -> Result<(), Vec<String>> {
        let op = format!("/paths/{}/{}", escape(path), method.to_ascii_lowercase());
        let what = format!("{} {path}", method.to_ascii_uppercase());
        let responses = format!("{op}/responses");
        let Some(codes) = self
            .inner
            .doc
            .pointer(&responses)
            .and_then(Value::as_object)
        else {
            return Err(vec![format!("{}: no operation {what}", self.inner.file)]);
        };
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let Some(code) = [exact.as_str(), range.as_str(), "default"]
            .into_iter()
            .find(|c| codes.contains_key(*c))
        else {
            return Err(vec![format!(
                "{}: {what} documents no {status} response",
                self.inner.file
            )]);
        };
        self.validate_body(
            &format!("{responses}/{code}"),
            &format!("{what} {status}"),
            value,
        )
    }

    /// Validates a webhook payload (the whole envelope: `{"data": …, "object": "event",
    /// "type": …}`) against the schema of the event type, e.g. `"user.created"`.
    pub fn validate_webhook(&self, event_type: &str, value: &Value) -> Result<(), Vec<String>> {
        let body = format!("/x-webhooks/{}/post/requestBody", escape(event_type));
        self.validate_body(&body, &format!("webhook {event_type}"), value)
    }

    /// Validates against the JSON schema of a Response or Request Body object at `pointer`,
    /// following `$ref`s to `#/components/responses/…` (those are not schemas, so the
    /// validator cannot follow them for us).
    fn validate_body(&self, pointer: &str, what: &str, value: &Value) -> Result<(), Vec<String>> {
        let file = self.inner.file;
        let mut pointer = pointer.to_owned();
        for _ in 0..8 {
            let Some(object) = self.inner.doc.pointer(&pointer) else {
                return Err(vec![format!("{file}: {what}: nothing at #{pointer}")]);
            };
            if let Some(target) = object.get("$ref").and_then(Value::as_str) {
                pointer = target.trim_start_matches('#').to_owned();
                continue;
            }
            let Some(content) = object.get("content").and_then(Value::as_object) else {
                return Err(vec![format!("{file}: {what} has no body")]);
            };
            let Some(media) = ["application/json"]
                .into_iter()
                .find(|m| content.contains_key(*m))
                .or_else(|| {
                    content
                        .keys()
                        .map(String::as_str)
                        .find(|m| m.contains("json"))
                })
            else {
                return Err(vec![format!("{file}: {what} has no JSON body")]);
            };
            return self.validate_at(
                &format!("{pointer}/content/{}/schema", escape(media)),
                value,
            );
        }
        Err(vec![format!("{file}: {what}: too many $ref hops")])
    }

    /// Validates against the schema at a JSON pointer into the (translated) document.
    fn validate_at(&self, pointer: &str, value: &Value) -> Result<(), Vec<String>> {
        let validator = self.validator(pointer)?;
        let mut lines = Vec::new();
        for error in validator.iter_errors(value) {
            report::flatten(&error, &mut lines);
        }
        if lines.is_empty() { Ok(()) } else { Err(lines) }
    }

    /// Compiles (or fetches from the cache) the validator for the schema at `pointer`.
    fn validator(&self, pointer: &str) -> Result<Arc<Validator>, Vec<String>> {
        let mut cache = self
            .inner
            .validators
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(validator) = cache.get(pointer) {
            return Ok(Arc::clone(validator));
        }
        let root = serde_json::json!({
            "$ref": format!("{}#{}", self.inner.file.uri(), fragment(pointer))
        });
        let validator = jsonschema::options()
            .with_draft(Draft::Draft4)
            .with_registry(&self.inner.registry)
            // `email`, `uri`, `date-time` are checked; Clerk's `int64`/`double` are unknown
            // formats and ignored.
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| {
                vec![format!(
                    "{}: cannot compile #{pointer}: {e}",
                    self.inner.file
                )]
            })?;
        let validator = Arc::new(validator);
        cache.insert(pointer.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// Reads, parses and translates one spec file; `None` if it does not exist.
fn read(file: SpecFile) -> Option<Loaded> {
    let path = file.path();
    if !path.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut doc: Value = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("cannot parse {} as YAML: {e}", path.display()));
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    // 3.1 documents are already JSON Schema 2020-12 and `nullable` means nothing there;
    // translating them as 3.0 would be wrong, so refuse loudly rather than mis-validate.
    assert!(
        version.starts_with("3.0"),
        "{}: openapi {version:?} is not 3.0.x; the translation in this crate assumes 3.0",
        path.display()
    );
    translate::document(&mut doc);
    let doc = Arc::new(doc);
    let registry = Registry::new()
        .draft(Draft::Draft4)
        .add(file.uri(), Arc::clone(&doc))
        .and_then(|builder| builder.prepare())
        .unwrap_or_else(|e| panic!("cannot index {}: {e}", path.display()));
    Some(Loaded {
        file,
        doc,
        registry,
        validators: Mutex::new(HashMap::new()),
    })
}

/// Escapes one JSON-pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Percent-encodes a JSON pointer for use as a URI fragment (`{user_id}` is not legal there).
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
