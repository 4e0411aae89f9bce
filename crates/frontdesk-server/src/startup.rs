//! Building and running the application.
//!
//! [`Application::build`] does everything that can fail — checks settings,
//! opens the database, creates the instance and keys, binds the listener — so
//! that a bad setting is reported before anything serves, and so that tests get
//! a bound port (use port 0) with no sleeping or polling.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use frontdesk_domain::entities::Instance;
use frontdesk_domain::{SecretKey, UnixMillis};
use frontdesk_store::Store;
use frontdesk_store_postgres::PostgresStore;
use frontdesk_store_sqlite::{OpenError, SqliteStore};
use frontdesk_types::InstanceId;
use tokio::net::TcpListener;

use crate::admin;
use crate::config::{Config, ConfigError, Database, Validated, default_public_url, redact_url};
use crate::keys::{KeyRing, KeyRingError};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::services::settings::SettingsHolder;
use crate::state::{AppState, InstanceInfo};

/// Why the server could not start. Every variant prints as one line that names
/// what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Store(#[from] frontdesk_store::StoreError),
    #[error("signing keys: {0}")]
    Keys(#[from] KeyRingError),
}

/// Open the configured database, creating the data directory if needed.
pub async fn open_store(
    config: &Config,
    validated: &Validated,
) -> Result<Arc<dyn Store>, StartupError> {
    match &validated.database {
        Database::Sqlite(path) => {
            let dir = path.parent().unwrap_or(Path::new("."));
            prepare_data_dir(dir, config.database_url.is_some())?;
            let key = if config.database_url.is_some() {
                "database_url"
            } else {
                "data_dir"
            };
            let durability = match config.sqlite_synchronous {
                crate::config::SqliteSynchronous::Normal => {
                    frontdesk_store_sqlite::Durability::Normal
                }
                crate::config::SqliteSynchronous::Full => frontdesk_store_sqlite::Durability::Full,
            };
            let store = SqliteStore::open_with(path, durability)
                .await
                .map_err(|e| match e {
                    OpenError::NotADatabase(_) => ConfigError::new(key, e.to_string()),
                    OpenError::Store(e) => ConfigError::new(
                        key,
                        format!(
                            "cannot open {}: {}",
                            path.display(),
                            one_line(&e.to_string())
                        ),
                    ),
                })?;
            Ok(match crate::secrets::cipher(config)? {
                Some(cipher) => Arc::new(store.with_cipher(cipher)),
                None => Arc::new(store),
            })
        }
        Database::Postgres(url) => {
            let store = PostgresStore::connect(url.expose()).await.map_err(|e| {
                ConfigError::new(
                    "database_url",
                    format!(
                        "cannot use PostgreSQL at {}: {}",
                        redact_url(url.expose()),
                        one_line(&e.to_string())
                    ),
                )
            })?;
            Ok(match crate::secrets::cipher(config)? {
                Some(cipher) => Arc::new(store.with_cipher(cipher)),
                None => Arc::new(store),
            })
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Create the data directory (owner-only) and check that it is writable,
/// without touching anything already in it.
fn prepare_data_dir(dir: &Path, from_url: bool) -> Result<(), ConfigError> {
    let key = if from_url { "database_url" } else { "data_dir" };
    let fail = |what: &str, e: std::io::Error| {
        ConfigError::new(key, format!("{what} {}: {e}", dir.display()))
    };
    if dir.exists() && !dir.is_dir() {
        return Err(ConfigError::new(
            key,
            format!("{} exists and is not a directory", dir.display()),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| fail("cannot create directory", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir).map_err(|e| fail("cannot read", e))?;
        if meta.permissions().mode() & 0o077 != 0
            && dir
                .read_dir()
                .map(|mut d| d.next().is_none())
                .unwrap_or(false)
        {
            // A directory we just created (still empty): make it owner-only,
            // since it will hold signing keys.
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    let probe = dir.join(".frontdesk-write-probe");
    std::fs::write(&probe, b"").map_err(|e| fail("cannot write to", e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The instance, created on first start. A stored instance of another mode is
/// an error: its keys were issued for that mode.
pub async fn ensure_instance(store: &dyn Store, config: &Config) -> Result<Instance, StartupError> {
    let candidate = Instance {
        id: InstanceId::generate(),
        mode: config.mode,
        created_at: UnixMillis::now(),
    };
    let instance = store.ensure_instance(&candidate).await?;
    if instance.mode != config.mode {
        return Err(ConfigError::new(
            "mode",
            format!(
                "instance {} was created in {} mode and keeps it; set mode = \"{}\" or use a fresh database",
                instance.id, instance.mode, instance.mode
            ),
        )
        .into());
    }
    Ok(instance)
}

/// The running application: a bound listener and everything it serves.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// A secret key created on the first start of a development instance, to
    /// show the operator once.
    first_secret_key: Option<SecretKey>,
}

impl Application {
    /// Check settings, open the database, prepare the instance and bind.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let validated = config.validate()?;
        let addr = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| ConfigError::new("port", format!("cannot listen on {addr}: {e}")))?;
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or(config.port);
        let public_url = match validated.public_url.clone() {
            Some(url) => url.with_listening_port(port)?,
            None => default_public_url(config.host, port)?,
        };

        let store = open_store(&config, &validated).await?;
        let instance = ensure_instance(store.as_ref(), &config).await?;
        crate::secrets::check_mode(&config, instance.mode)?;
        let publishable_key = public_url.publishable_key(instance.mode)?;
        admin::ensure_signing_key(store.as_ref()).await?;
        crate::engine::organizations::ensure_system_roles(store.as_ref()).await?;

        if let Some(text) = &config.bootstrap_secret_key {
            let key = SecretKey::parse_for(instance.mode, text.expose())
                .map_err(|e| ConfigError::new("bootstrap_secret_key", e.to_string()))?;
            if admin::register_secret_key(store.as_ref(), &key, "bootstrap").await? {
                tracing::info!("registered the bootstrap secret key");
            }
        }
        let first_secret_key = if instance.mode == frontdesk_domain::InstanceMode::Development
            && store.list_secret_keys().await?.is_empty()
        {
            let (key, _) =
                admin::create_secret_key(store.as_ref(), instance.mode, "first start").await?;
            Some(key)
        } else {
            None
        };

        let seed = crate::services::settings::seed_from(&config, instance.mode);
        let (settings, seeded) =
            crate::services::settings::load_or_seed(store.as_ref(), &seed).await?;
        if !seeded {
            for line in crate::services::settings::drift(&config, instance.mode, &settings) {
                tracing::warn!("{line}");
            }
        }

        let keys =
            Arc::new(KeyRing::load(store.as_ref(), config.retired_key_retention_secs).await?);
        let hasher = frontdesk_crypto::PasswordHasher::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            1,
        )
        .map_err(|e| ConfigError::new("argon2_memory_kib", e.to_string()))?;
        let metrics = Arc::new(Metrics::default());
        let hash_threads = match config.password_hash_threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        // Enough waiting room for about a second of hashing.
        let hashes = crate::services::passwords::HashPool::new(
            Arc::new(hasher),
            hash_threads,
            hash_threads * 32,
            metrics.password_hashes.clone(),
        );
        let mailer = crate::services::mail::Mailer::new(&config.smtp)?;
        let webhooks = crate::webhooks::Webhooks::new(&config.webhooks, instance.mode)
            .map_err(|e| ConfigError::new("webhooks", e.to_string()))?;
        let limit = config.backend_rate_limit.unwrap_or(match instance.mode {
            frontdesk_domain::InstanceMode::Development => 100,
            frontdesk_domain::InstanceMode::Production => 1000,
        });
        let (create_limit, attempt_limit) = (
            config.frontend_create_rate_limit,
            config.frontend_attempt_rate_limit,
        );
        let geoip = match &config.geoip_database {
            Some(path) => {
                Some(Arc::new(crate::geoip::GeoIp::open(path).map_err(|e| {
                    ConfigError::new("geoip_database", e.to_string())
                })?))
            }
            None => None,
        };
        let state = AppState {
            geoip,
            store,
            keys,
            settings: Arc::new(SettingsHolder::new(
                settings,
                public_url.url().clone(),
                instance.mode,
            )),
            instance: Arc::new(InstanceInfo {
                instance,
                public_url,
                publishable_key,
            }),
            metrics,
            hashes: Arc::new(hashes),
            lockout: frontdesk_domain::Lockout::default(),
            mint_cache: Arc::default(),
            session_template: Arc::default(),
            secret_keys: Arc::default(),
            mailer: Arc::new(mailer),
            backend_limiter: Arc::new(RateLimiter::new(limit, Duration::from_secs(10))),
            create_limiter: Arc::new(RateLimiter::new(create_limit, Duration::from_secs(10))),
            attempt_limiter: Arc::new(RateLimiter::new(attempt_limit, Duration::from_secs(10))),
            client_limiter: Arc::new(RateLimiter::new(
                config.frontend_client_rate_limit,
                Duration::from_secs(10),
            )),
            in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_requests_in_flight)),
            mail_queued: Arc::default(),
            bundles: Arc::new(crate::bundles::Bundles::new(
                config.bundles_dir.clone(),
                &config.data_dir,
            )),
            webhooks: Arc::new(webhooks),
            providers: Arc::default(),
            cipher: crate::secrets::cipher(&config)?,
            config: Arc::new(config),
        };
        state
            .session_template
            .reload(state.store.as_ref())
            .await
            .map_err(StartupError::from)?;
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
            first_secret_key,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The secret key created on a development instance's first start, if
    /// this start created one. Taking it leaves `None`: it is shown once.
    pub fn take_first_secret_key(&mut self) -> Option<SecretKey> {
        self.first_secret_key.take()
    }

    /// Serve until `shutdown` resolves, then finish in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let refresher = tokio::spawn(refresh_keys(self.state.clone()));
        let (stop_worker, stopped) = tokio::sync::watch::channel(false);
        let (stop_mail, stopped_mail) = tokio::sync::watch::channel(false);
        let worker = self
            .state
            .config
            .webhooks
            .worker
            .then(|| tokio::spawn(crate::webhooks::worker::run(self.state.clone(), stopped)));
        let config = &self.state.config;
        let limits = crate::serve::ServeLimits {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs.into()),
            max_connections: match config.max_connections {
                0 => crate::serve::default_max_connections(),
                n => n,
            },
            max_connections_per_ip: config.max_connections_per_ip,
            shutdown_grace: Duration::from_secs(30),
        };
        let mailer = tokio::spawn(crate::services::mail::worker(
            self.state.clone(),
            stopped_mail,
        ));
        let upkeep = tokio::spawn(crate::services::upkeep::run(self.state.clone()));
        let indexer = tokio::spawn(crate::services::search_index::run(self.state.clone()));
        let settings = tokio::spawn(follow_settings(self.state.clone()));
        let result = crate::serve::serve(self.listener, self.router, limits, shutdown).await;
        refresher.abort();
        upkeep.abort();
        indexer.abort();
        settings.abort();
        let _ = stop_mail.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), mailer).await;
        if let Some(worker) = worker {
            // Attempts in flight end within the timeout; then they are recorded.
            let _ = stop_worker.send(true);
            let grace = self.state.config.webhooks.timeout() + Duration::from_secs(2);
            let _ = tokio::time::timeout(grace, worker).await;
        }
        result
    }
}

/// Reload the key ring now and then, so a rotation made by another node (or by
/// the CLI) is picked up.
async fn refresh_keys(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = state.keys.refresh(state.store.as_ref()).await {
            tracing::warn!(error = %e, "could not refresh signing keys");
        }
        if let Err(e) = state.session_template.reload(state.store.as_ref()).await {
            tracing::warn!(error = %e, "could not reload the session token template");
        }
    }
}

/// Re-read the instance settings every second, so that a change made on
/// another node or with `frontdesk settings` is in force here within about
/// a second.
async fn follow_settings(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.settings.reload(state.store.as_ref()).await;
    }
}

pub use crate::routing::router;

/// Resolves on SIGTERM or Ctrl-C.
///
/// The SIGTERM handler is installed when this is called, not when the future
/// is first polled: a supervisor may send SIGTERM as soon as the server says
/// it is listening, and an uninstalled handler would mean an abrupt kill.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
        tracing::info!("shutting down");
    }
}
