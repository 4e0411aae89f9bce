//! `seed-app`: the seed's app in Rust (see the library's docs and the README).

use std::sync::Arc;

use frontdesk::Builder;
use frontdesk::webhook::Webhook;
use frontdesk_example_seed::{App, app, db, env};

/// Frontdesk's local default, when nothing says otherwise.
const LOCAL_FRONTDESK: &str = "http://127.0.0.1:4000";

/// The SDK's settings from the environment; for a local development
/// Frontdesk only the secret key is needed: the URL defaults to
/// [`LOCAL_FRONTDESK`] and the publishable key is the one a development
/// instance at that URL has (`pk_test_` + base64 of `host:port$`).
fn settings() -> anyhow::Result<frontdesk::Settings> {
    let url = env(&["FRONTDESK_API_URL", "CLERK_API_URL"]).unwrap_or(LOCAL_FRONTDESK.into());
    let mut builder = Builder::from_env();
    if env(&["FRONTDESK_API_URL", "CLERK_API_URL"]).is_none() {
        builder = builder.api_url(&url).proxy_url(&url);
    }
    if env(&["FRONTDESK_PUBLISHABLE_KEY", "CLERK_PUBLISHABLE_KEY"]).is_none() {
        use base64::Engine;
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or_default()
            .trim_end_matches('/');
        let pk = format!(
            "pk_test_{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{host}$"))
        );
        builder = builder.publishable_key(&pk);
    }
    Ok(builder.build()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = settings()?;
    let db =
        db::Db::open(&env(&["APP_DATABASE_URL"]).unwrap_or("sqlite://seed-app.db".into())).await?;
    let webhook = env(&["FRONTDESK_WEBHOOK_SECRET", "CLERK_WEBHOOK_SIGNING_SECRET"])
        .map(|s| Webhook::new(&s).map(Arc::new))
        .transpose()?;
    let port: u16 = env(&["APP_PORT"]).map_or(Ok(3000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "seed app on http://localhost:{}",
        listener.local_addr()?.port()
    );
    axum::serve(listener, app(settings, App { db, webhook })).await?;
    Ok(())
}
