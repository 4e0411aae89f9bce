//! `frontdesk`: self-hosted authentication that speaks Clerk's protocols.
//!
//! A thin shell over `frontdesk-server`: parse flags, load configuration, run
//! the command, and turn any error into one line on stderr and a non-zero exit
//! code (2 for a setting to fix, 1 for anything else).

mod admin;
mod keys;
mod mail;
mod rfc3339;
mod settings;
mod template;
mod webhooks;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use frontdesk_domain::InstanceMode;
use frontdesk_server::config::{self, ConfigFile, Loaded, Overrides};
use frontdesk_server::{Application, Config, ConfigError, StartupError, startup, telemetry};

#[derive(Parser)]
#[command(
    name = "frontdesk",
    version,
    about = "Self-hosted authentication that speaks Clerk's protocols"
)]
struct Cli {
    #[command(flatten)]
    settings: SettingFlags,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Flags that override configuration (the highest-precedence layer).
#[derive(Args)]
struct SettingFlags {
    /// Configuration file [default: ./frontdesk.toml if present]
    #[arg(long, global = true, env = "FRONTDESK_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, global = true)]
    host: Option<IpAddr>,
    /// Port to listen on (0: any free port)
    #[arg(long, global = true)]
    port: Option<u16>,
    /// Directory for the SQLite database
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of SQLite
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// URL at which browsers and apps reach this server
    #[arg(long, global = true)]
    public_url: Option<String>,
    /// development or production
    #[arg(long, global = true)]
    mode: Option<InstanceMode>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default command)
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Inspect configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Publishable key, secret keys and signing keys
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The instance's administrators (who may use the dashboard)
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Instance settings: sign-in and sign-up methods, password policy,
    /// session lifetimes, allowed origins, branding (stored in the database)
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    /// Extra claims in every session token (the session token template)
    #[command(subcommand, name = "session-template")]
    SessionTemplate(template::TemplateCommand),
    /// Webhook endpoints, their signing secrets, messages and delivery attempts
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// The clerk-js and @clerk/ui browser bundles the server serves
    #[command(subcommand)]
    Bundles(BundlesCommand),
    /// The development mailbox: codes and mail kept instead of sent, newest first
    Mail {
        /// How many messages
        #[arg(long, default_value_t = 5)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum BundlesCommand {
    /// Download the bundles with npm into bundles_dir, for servers that
    /// cannot reach a registry (the server otherwise fetches them itself)
    Fetch {
        /// clerk-js release or major version
        #[arg(long, default_value = "6")]
        clerk_js: String,
        /// @clerk/ui release or major version
        #[arg(long, default_value = "1")]
        ui: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the annotated default configuration file
    PrintDefault,
    /// Print the effective configuration (secrets redacted)
    Show,
}

/// A failure, with the exit code it maps to.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Bad input on the command line: exit code 2.
    pub fn usage(message: String) -> Self {
        Self { code: 2, message }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Self {
            code: 2,
            message: e.to_string(),
        }
    }
}

impl From<StartupError> for Failure {
    fn from(e: StartupError) -> Self {
        match e {
            StartupError::Config(c) => c.into(),
            other => Self {
                code: 1,
                message: other.to_string(),
            },
        }
    }
}

impl From<frontdesk_store::StoreError> for Failure {
    fn from(e: frontdesk_store::StoreError) -> Self {
        StartupError::from(e).into()
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self {
            code: 1,
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One line, like every other error of ours.
            let text = e.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments"));
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message.replace('\n', " "));
            ExitCode::from(f.code)
        }
    }
}

fn load(flags: &SettingFlags) -> Result<Loaded, Failure> {
    let file = match &flags.config {
        Some(path) => ConfigFile::Explicit(path.clone()),
        None => ConfigFile::Default,
    };
    let overrides = Overrides {
        host: flags.host,
        port: flags.port,
        data_dir: flags.data_dir.clone(),
        database_url: flags.database_url.clone(),
        public_url: flags.public_url.clone(),
        mode: flags.mode,
    };
    Ok(Config::load(&file, &overrides)?)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Config(ConfigCommand::PrintDefault) = command {
        print!("{}", config::DEFAULT_TOML);
        return Ok(());
    }
    let Loaded { config, warnings } = load(&cli.settings)?;
    telemetry::init(config.log_format);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let validated = config.validate()?;
            let store = startup::open_store(&config, &validated).await?;
            drop(store);
            println!("migrations applied");
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => {
            config.validate()?;
            print!("{}", config.to_redacted_toml());
            Ok(())
        }
        Command::Config(ConfigCommand::PrintDefault) => Ok(()),
        Command::Keys(cmd) => keys::run(cmd, config).await,
        Command::Admin(cmd) => admin::run(cmd, config).await,
        Command::SessionTemplate(cmd) => template::run(cmd, config).await,
        Command::Settings(cmd) => settings::run(cmd, config).await,
        Command::Webhooks(cmd) => webhooks::run(cmd, config).await,
        Command::Mail { limit } => mail::run(config, limit).await,
        Command::Bundles(BundlesCommand::Fetch { clerk_js, ui }) => {
            let dir = &config.bundles_dir;
            for (package, spec) in [("clerk-js", clerk_js), ("ui", ui)] {
                let failed = |e: frontdesk_server::bundles::BundleError| Failure {
                    code: 1,
                    message: format!("@clerk/{package}@{spec}: {e}"),
                };
                let version = frontdesk_server::bundles::resolve_version(package, &spec, dir)
                    .await
                    .map_err(failed)?;
                frontdesk_server::bundles::fetch_into(package, &version, dir, &dir.join(package))
                    .await
                    .map_err(failed)?;
                println!(
                    "@clerk/{package}@{version} → {}",
                    dir.join(package).display()
                );
            }
            Ok(())
        }
    }
}

async fn serve(config: Config) -> Result<(), Failure> {
    let mut app = Application::build(config).await?;
    // Install the signal handlers before announcing that we listen.
    let shutdown = startup::shutdown_signal();
    let info = app.state().instance.clone();
    if let Some(key) = app.take_first_secret_key() {
        // Shown once, on the terminal, never through the logger.
        let origin = info.public_url.origin();
        println!(
            "\nFirst start of development instance {}.\n\
             Your secret key (shown only now; create more with `frontdesk keys secret create`):\n\n    {}\n\n\
             What next:\n\
             \x20 Sign up and sign in   {origin}/sign-up   {origin}/sign-in   (your profile: {origin}/user)\n\
             \x20 Publishable key       {}\n\
             \x20 Codes and mail        kept, not sent (no SMTP set): `frontdesk mail` prints the newest, run\n\
             \x20                       here; addresses with +clerk_test take the code 424242\n\
             \x20 A Next.js app         (run here) frontdesk keys show --format nextjs --new-secret-key > your-app/.env.local\n\
             \x20 This page again       {origin}/\n",
            info.instance.id,
            key.expose(),
            info.publishable_key,
        );
    }
    // No administrator yet: a one-time link to become the first, on the
    // terminal only (it is a credential; the log never sees it).
    if let Some(link) = frontdesk_server::engine::admin::setup_link(
        app.state().store.as_ref(),
        &info.public_url.origin(),
    )
    .await?
    {
        println!(
            "\nThis instance has no administrator. To become the first, sign up and open this link\n\
             within 24 hours (it works once; `frontdesk admin link` prints a new one):\n\n    {link}\n"
        );
    }
    tracing::info!(
        port = app.port(),
        public_url = %info.public_url.origin(),
        publishable_key = %info.publishable_key,
        instance = %info.instance.id,
        "frontdesk listening"
    );
    app.run_until_stopped(shutdown).await?;
    Ok(())
}
