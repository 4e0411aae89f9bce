//! Configuration: defaults < `frontdesk.toml` < `FRONTDESK_*` environment < CLI flags.
//!
//! Every key has one name used everywhere: `port` in the file,
//! `FRONTDESK_PORT` in the environment, `--port` on the command line. Nested
//! sections use `__` in the environment (`FRONTDESK_SMTP__HOST` sets
//! `[smtp] host`). Unknown keys in the file are errors (a typo must not be
//! silently ignored); unknown `FRONTDESK_*` variables are warnings, because the
//! environment is shared with other programs.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use frontdesk_domain::{InstanceMode, PublishableKey};
use serde::{Deserialize, Serialize};
use url::Url;

mod branding;
mod smtp;
mod webhooks;

pub use branding::{BrandingConfig, HexColor};
pub use smtp::{SmtpConfig, SmtpTls};
pub use webhooks::WebhooksConfig;

/// The environment variable prefix.
pub const ENV_PREFIX: &str = "FRONTDESK_";

/// Variables with the prefix that are not settings.
const NON_SETTING_VARS: &[&str] = &[
    "config",
    "log",
    // The tests' (scripts/test-runner, frontdesk-testkit,
    // frontdesk-openapi-check).
    "test_database_url",
    "openapi_dir",
    "test_postgres_unavailable",
    "skip_log",
];

/// Settings whose environment variable is taken verbatim rather than parsed
/// as a TOML-like value: a password such as `123456`, `true` or `"quoted"`
/// must not turn into a number, a boolean or lose its quotes.
const VERBATIM_ENV_KEYS: &[&str] = &["smtp.username", "smtp.password", "encryption_key"];

/// A secret from configuration: deserialises from a string, never prints.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret text; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What an SQLite commit survives (SQLite's `synchronous` pragma, WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Survives the process being killed; the last commits before a power
    /// loss or OS crash may be rolled back (never corrupted). No fsync per
    /// commit.
    #[default]
    Normal,
    /// Survives power loss as well: one fsync per commit.
    Full,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Raw settings as read from all sources.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Where the SQLite database lives.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<Secret>,
    /// SQLite's `synchronous`: `normal` or `full` (what a commit survives).
    pub sqlite_synchronous: SqliteSynchronous,
    /// Where the `@clerk/clerk-js` and `@clerk/ui` npm packages are, served
    /// at `/npm/@clerk/{clerk-js,ui}@*/dist/*`.
    pub bundles_dir: PathBuf,
    /// The URL browsers and apps use to reach this server.
    pub public_url: Option<String>,
    /// `development` or `production`; fixed when the instance is created.
    pub mode: InstanceMode,
    /// A secret key to register on start, for automated deployments.
    pub bootstrap_secret_key: Option<Secret>,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// Lifetime of session JWTs.
    pub session_token_lifetime_secs: u32,
    /// `Cache-Control: max-age` of the JWKS.
    pub jwks_max_age_secs: u32,
    /// How long a retired signing key stays in the JWKS.
    pub retired_key_retention_secs: u32,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Backend API requests per secret key per 10 s; unset: 100 in
    /// development, 1000 in production (Clerk's limits); 0 disables.
    pub backend_rate_limit: Option<u32>,
    /// Minimum password length, in characters.
    pub min_password_length: usize,
    /// argon2id memory cost, KiB.
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    pub argon2_iterations: u32,
    /// Longest a session lives, whatever its activity.
    pub session_lifetime_secs: u32,
    /// Sessions idle this long end; 0 disables the inactivity timeout.
    pub session_inactivity_timeout_secs: u32,
    /// Origins of apps that may receive sessions (handshake, redirects).
    pub allowed_origins: Vec<String>,
    /// Sign-ins and sign-ups one IP may start per 10 s; 0 disables.
    pub frontend_create_rate_limit: u32,
    /// Factor and code attempts one IP may make per 10 s; 0 disables.
    pub frontend_attempt_rate_limit: u32,
    /// Anonymous clients (browsers not signed in) and development browsers
    /// one IP may create per 10 s; 0 disables.
    pub frontend_client_rate_limit: u32,
    /// Proxies whose `X-Forwarded-For` is believed; anyone else's is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// The key sealing TOTP secrets, signing keys and webhook secrets in
    /// the database: base64 of 32 random bytes (`frontdesk keys
    /// new-encryption-key`). Required on production instances.
    pub encryption_key: Option<Secret>,
    /// A file holding `encryption_key` (for secret stores that mount files).
    pub encryption_key_file: Option<PathBuf>,
    /// Earlier keys, which still open what they sealed: during a rotation,
    /// until `frontdesk keys rotate-encryption` has resealed everything.
    pub previous_encryption_keys: Vec<Secret>,
    /// A GeoIP City or Country database (`.mmdb`, e.g. MaxMind's GeoLite2
    /// City) that places sessions in a city and country; unset: sessions
    /// show their address only. Never a call to a third party.
    pub geoip_database: Option<PathBuf>,
    /// Answer as if every account existed: sign-up with a taken address
    /// carries on (the owner is mailed instead), locked and banned accounts
    /// answer like a wrong password. Off: Clerk's answers, which clerk-js
    /// shows as they are.
    pub hide_user_existence: bool,
    /// Threads that hash passwords; 0: one per core.
    pub password_hash_threads: usize,
    /// Longest wait for a request's head (and between kept-alive requests).
    pub header_read_timeout_secs: u32,
    /// Longest wait for a request's body.
    pub body_read_timeout_secs: u32,
    /// Open connections in all; 0: from the open-files limit.
    pub max_connections: usize,
    /// Open connections from one client address.
    pub max_connections_per_ip: usize,
    /// Requests handled at once; more wait up to a second, then get 503.
    pub max_requests_in_flight: usize,
    /// Outgoing mail.
    pub smtp: SmtpConfig,
    /// The hosted pages' name, logo and colour.
    pub branding: BrandingConfig,
    /// Event delivery.
    pub webhooks: WebhooksConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4000,
            data_dir: PathBuf::from("frontdesk-data"),
            database_url: None,
            sqlite_synchronous: SqliteSynchronous::Normal,
            bundles_dir: PathBuf::from("e2e/node_modules/@clerk"),
            public_url: None,
            mode: InstanceMode::Development,
            bootstrap_secret_key: None,
            log_format: LogFormat::Pretty,
            session_token_lifetime_secs: 60,
            jwks_max_age_secs: 300,
            retired_key_retention_secs: 3600,
            max_body_bytes: 1024 * 1024,
            backend_rate_limit: None,
            min_password_length: 8,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            session_lifetime_secs: 7 * 86_400,
            session_inactivity_timeout_secs: 0,
            allowed_origins: Vec::new(),
            frontend_create_rate_limit: 5,
            frontend_attempt_rate_limit: 3,
            frontend_client_rate_limit: 30,
            trusted_proxies: Vec::new(),
            geoip_database: None,
            encryption_key: None,
            encryption_key_file: None,
            previous_encryption_keys: Vec::new(),
            hide_user_existence: false,
            password_hash_threads: 0,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 10,
            max_connections: 0,
            max_connections_per_ip: 256,
            max_requests_in_flight: 256,
            smtp: SmtpConfig::default(),
            branding: BrandingConfig::default(),
            webhooks: WebhooksConfig::default(),
        }
    }
}

/// `@clerk/backend` caches a JWKS for five minutes whatever the headers say.
pub const SDK_JWKS_CACHE_SECS: u32 = 300;

/// The annotated default configuration file (`frontdesk config print-default`).
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// A setting that could not be used. The message names the setting the way the
/// operator set it, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting `{key}` ({env}): {message}")]
pub struct ConfigError {
    pub key: String,
    pub env: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            env: env_name(key),
            message: message.into(),
        }
    }
}

/// `data_dir` → `FRONTDESK_DATA_DIR`; `smtp.host` → `FRONTDESK_SMTP__HOST`.
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

/// Overrides from the command line; `None` leaves the lower layers alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<InstanceMode>,
}

/// Where the configuration file comes from.
#[derive(Debug, Clone)]
pub enum ConfigFile {
    /// `frontdesk.toml` in the working directory, if it exists.
    Default,
    /// A file the operator named; it must exist.
    Explicit(PathBuf),
}

/// The loaded configuration and the warnings worth telling the operator.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

fn known_keys() -> BTreeSet<String> {
    let value = serde_json::to_value(Config::default()).unwrap_or_default();
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

impl Config {
    /// Load from every source, in precedence order.
    pub fn load(file: &ConfigFile, overrides: &Overrides) -> Result<Loaded, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            ConfigFile::Default => {
                let path = Path::new("frontdesk.toml");
                if path.exists() {
                    figment = figment.merge(Toml::file_exact(path));
                }
            }
            ConfigFile::Explicit(path) => {
                if !path.is_file() {
                    return Err(ConfigError {
                        key: "config".into(),
                        env: "FRONTDESK_CONFIG, --config".into(),
                        message: format!("{} does not exist or is not a file", path.display()),
                    });
                }
                figment = figment.merge(Toml::file_exact(path));
            }
        }
        let known = known_keys();
        let mut warnings = Vec::new();
        for (name, _) in std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))) {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = rest.to_lowercase();
            let top = key.split("__").next().unwrap_or_default();
            if !known.contains(top) && !NON_SETTING_VARS.contains(&key.as_str()) {
                warnings.push(format!("ignoring unknown environment variable {name}"));
            }
        }
        let known_for_env = known.clone();
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__").filter(move |k| {
            let key = k.as_str().to_lowercase();
            known_for_env.contains(key.split('.').next().unwrap_or_default())
                && !VERBATIM_ENV_KEYS.contains(&key.as_str())
        }));
        for (name, value) in std::env::vars_os() {
            let Some(key) = VERBATIM_ENV_KEYS.iter().find(|k| {
                name.to_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&env_name(k)))
            }) else {
                continue;
            };
            let value = value.into_string().map_err(|_| {
                ConfigError::new(key, "the environment variable is not valid UTF-8")
            })?;
            figment = figment.merge(Serialized::default(key, value));
        }
        figment = figment.merge(Serialized::defaults(overrides));
        let config: Config = figment.extract().map_err(|e| from_figment(&e))?;
        Ok(Loaded { config, warnings })
    }

    /// The effective settings as TOML (`frontdesk config show`), with every
    /// secret redacted: database passwords, the bootstrap key, SMTP's.
    pub fn to_redacted_toml(&self) -> String {
        let mut value = match toml::Value::try_from(self) {
            Ok(v) => v,
            Err(e) => return format!("# cannot show the settings: {e}\n"),
        };
        if let Some(table) = value.as_table_mut() {
            if let Some(url) = &self.database_url {
                table.insert(
                    "database_url".into(),
                    toml::Value::String(redact_url(url.expose())),
                );
            }
            if self.bootstrap_secret_key.is_some() {
                table.insert(
                    "bootstrap_secret_key".into(),
                    toml::Value::String("[redacted]".into()),
                );
            }
            if self.encryption_key.is_some() {
                table.insert(
                    "encryption_key".into(),
                    toml::Value::String("[redacted]".into()),
                );
            }
            if let Some(keys) = table.get_mut("previous_encryption_keys")
                && let Some(list) = keys.as_array_mut()
            {
                for k in list.iter_mut() {
                    *k = toml::Value::String("[redacted]".into());
                }
            }
            if let Some(smtp) = table.get_mut("smtp").and_then(toml::Value::as_table_mut)
                && smtp.contains_key("password")
            {
                smtp.insert("password".into(), toml::Value::String("[redacted]".into()));
            }
        }
        toml::to_string_pretty(&value).unwrap_or_default()
    }

    /// Check values that parse but cannot work, and resolve derived settings.
    pub fn validate(&self) -> Result<Validated, ConfigError> {
        let database = match &self.database_url {
            None => Database::Sqlite(self.data_dir.join("frontdesk.db")),
            Some(url) => {
                let text = url.expose();
                if text.starts_with("postgres://") || text.starts_with("postgresql://") {
                    Database::Postgres(url.clone())
                } else if let Some(path) = text.strip_prefix("sqlite://") {
                    Database::Sqlite(PathBuf::from(path))
                } else {
                    return Err(ConfigError::new(
                        "database_url",
                        "must start with postgres:// or sqlite:// (leave unset for SQLite in data_dir)",
                    ));
                }
            }
        };
        let public_url = match &self.public_url {
            None => None,
            Some(text) => Some(parse_public_url(text)?),
        };
        if self.session_token_lifetime_secs == 0 || self.session_token_lifetime_secs > 86_400 {
            return Err(ConfigError::new(
                "session_token_lifetime_secs",
                "must be between 1 and 86400 seconds",
            ));
        }
        let needed =
            self.session_token_lifetime_secs + self.jwks_max_age_secs.max(SDK_JWKS_CACHE_SECS);
        if self.retired_key_retention_secs < needed {
            return Err(ConfigError::new(
                "retired_key_retention_secs",
                format!(
                    "must be at least {needed} (token lifetime + JWKS cache time), or verifiers would lose keys still in use"
                ),
            ));
        }
        if !(8..=64).contains(&self.min_password_length) {
            return Err(ConfigError::new(
                "min_password_length",
                "must be between 8 and 64",
            ));
        }
        if self.argon2_memory_kib < 8 || self.argon2_iterations == 0 {
            return Err(ConfigError::new(
                "argon2_memory_kib",
                "argon2 needs at least 8 KiB and 1 iteration",
            ));
        }
        if self.session_lifetime_secs < 60 {
            return Err(ConfigError::new(
                "session_lifetime_secs",
                "must be at least 60",
            ));
        }
        for (key, value) in [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("body_read_timeout_secs", self.body_read_timeout_secs),
        ] {
            if !(1..=600).contains(&value) {
                return Err(ConfigError::new(key, "must be between 1 and 600 seconds"));
            }
        }
        for (key, value) in [
            ("max_connections_per_ip", self.max_connections_per_ip),
            ("max_requests_in_flight", self.max_requests_in_flight),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        if self.bundles_dir.as_os_str().is_empty() {
            return Err(ConfigError::new(
                "bundles_dir",
                "must not be empty (leave unset for the default)",
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::new("max_body_bytes", "must be at least 1024"));
        }
        self.smtp.validate()?;
        branding::validate(&self.branding)?;
        self.webhooks.validate()?;
        Ok(Validated {
            database,
            public_url,
        })
    }
}

/// Settings derived from [`Config`] by [`Config::validate`].
#[derive(Debug, Clone)]
pub struct Validated {
    pub database: Database,
    /// `None` until the listener is bound: the default depends on the port.
    pub public_url: Option<PublicUrl>,
}

/// Which database to use.
#[derive(Clone)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(Secret),
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            Self::Postgres(url) => write!(f, "Postgres({})", redact_url(url.expose())),
        }
    }
}

/// `postgres://user:pass@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "[unparseable url]".into(),
    }
}

/// The public base URL of this server, and the Frontend API host derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    url: Url,
    host: String,
}

impl PublicUrl {
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `host[:port]`, as encoded in the publishable key.
    ///
    /// Clerk's SDKs refuse a key whose host has no dot, so `localhost` is
    /// written `localhost.`: the fully qualified spelling of the same name,
    /// which resolves to loopback too. Nothing reaches Frontdesk through it
    /// (the apps' `proxyUrl` is the public URL); it only has to stay on this
    /// machine if an app ever uses it.
    pub fn frontend_host(&self) -> &str {
        &self.host
    }

    /// The base URL without a trailing slash, e.g. `http://localhost:4000`.
    pub fn origin(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_owned()
    }

    /// The publishable key for this URL.
    pub fn publishable_key(&self, mode: InstanceMode) -> Result<PublishableKey, ConfigError> {
        PublishableKey::for_host(mode, &self.host)
            .map_err(|e| ConfigError::new("public_url", e.to_string()))
    }

    /// The same URL with `port`; `public_url = "http://127.0.0.1:0"` means
    /// "the port the server listens on", which is known only once bound.
    pub fn with_listening_port(self, port: u16) -> Result<Self, ConfigError> {
        if self.url.port() != Some(0) {
            return Ok(self);
        }
        let mut url = self.url;
        let _ = url.set_port(Some(port));
        parse_public_url(url.as_str())
    }
}

/// The public URL when none is configured: `http://localhost:<port>` on a
/// loopback address. `localhost` rather than `127.0.0.1` because that is
/// what development servers print and people open (`next dev`,
/// `next start`, Vite), and browsers keep a sign-in cookie of one
/// spelling away from pages of the other; `next dev` also serves its
/// development scripts to `localhost` only.
pub fn default_public_url(host: IpAddr, port: u16) -> Result<PublicUrl, ConfigError> {
    let host = if host.is_unspecified() || host.is_loopback() {
        "localhost".to_owned()
    } else if host.is_ipv6() {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    parse_public_url(&format!("http://{host}:{port}"))
}

/// Parse and check `public_url`.
pub fn parse_public_url(text: &str) -> Result<PublicUrl, ConfigError> {
    let bad = |m: &str| ConfigError::new("public_url", format!("`{text}` {m}"));
    let url = Url::parse(text).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http:// or https:// URL"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must be an origin only (no path, query or fragment)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    let host = url.host_str().ok_or_else(|| bad("has no host"))?;
    let host = if host.eq_ignore_ascii_case("localhost") {
        "localhost."
    } else {
        host
    };
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let public = PublicUrl { url, host };
    public.publishable_key(InstanceMode::Development)?;
    Ok(public)
}

fn from_figment(e: &figment::Error) -> ConfigError {
    use figment::error::Kind;
    let key = if e.path.is_empty() {
        match &e.kind {
            Kind::UnknownField(f, _) => f.clone(),
            _ => "config".to_owned(),
        }
    } else {
        e.path.join(".")
    };
    let source = e
        .metadata
        .as_ref()
        .map(|m| match m.source.as_ref().and_then(|s| s.file_path()) {
            Some(p) => format!(" (from {})", p.display()),
            None => format!(" (from {})", m.name),
        })
        .unwrap_or_default();
    let message = match &e.kind {
        Kind::UnknownField(f, _) => format!("unknown setting `{f}`"),
        Kind::InvalidType(actual, expected) => {
            format!("invalid value {actual}, expected {expected}")
        }
        Kind::InvalidValue(actual, expected) => {
            format!("invalid value {actual}, expected {expected}")
        }
        Kind::UnknownVariant(v, allowed) => {
            format!(
                "unknown value `{v}`, expected one of: {}",
                allowed.join(", ")
            )
        }
        other => other.to_string(),
    };
    ConfigError::new(&key, format!("{message}{source}").replace('\n', " "))
}

// figment::Jail's closures return its large error type.
#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests;
