//! `frontdesk mail`: the development mailbox on the terminal.
//!
//! A development instance without SMTP keeps every message it would send
//! (verification codes, reset codes) in its database instead. The Backend
//! API serves them (`GET /v1/dev/emails`, with a secret key), which is what
//! tests use; a person signing up for the first time wants the code without
//! writing a request, so this prints the newest messages.

use frontdesk_server::Config;

use crate::Failure;
use crate::keys::{Opened, open};

pub async fn run(config: Config, limit: i64) -> Result<(), Failure> {
    let Opened { store, .. } = open(config).await?;
    let emails = store
        .list_dev_emails(limit.clamp(1, 100))
        .await
        .map_err(frontdesk_server::StartupError::from)?;
    if emails.is_empty() {
        println!("The development mailbox is empty.");
        return Ok(());
    }
    for email in emails {
        println!(
            "{}  to {}  {}",
            crate::rfc3339::format(email.created_at),
            email.to_address,
            email.subject
        );
        for line in email.text_body.lines().filter(|l| !l.trim().is_empty()) {
            println!("    {line}");
        }
        println!();
    }
    Ok(())
}
