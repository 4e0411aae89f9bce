//! Outgoing email.
//!
//! Development instances keep every message in the dev mailbox
//! (`GET /v1/dev/emails`), so local users and tests read codes without a mail
//! server. Addresses containing `+clerk_test` get no mail at all: they accept
//! the fixed code 424242, as on Clerk's development instances.

use frontdesk_domain::entities::DevEmail;
use frontdesk_domain::{InstanceMode, UnixMillis};

use crate::error::ApiResult;
use crate::state::AppState;

/// The code `+clerk_test` addresses accept on development instances.
pub const TEST_CODE: &str = "424242";

/// Whether `address` is a test address whose code is [`TEST_CODE`].
pub fn is_test_address(state: &AppState, address: &str) -> bool {
    state.instance.instance.mode == InstanceMode::Development && address.contains("+clerk_test")
}

/// Send a verification code.
pub async fn send_code(state: &AppState, to: &str, code: &str, purpose: &str) -> ApiResult<()> {
    if is_test_address(state, to) {
        return Ok(());
    }
    let app = "Frontdesk";
    let subject = format!("{code} is your {purpose} code");
    let text = format!(
        "Your {purpose} code is {code}.\n\nIt expires in 10 minutes. If you did not ask for it, ignore this email.\n\n— {app}\n"
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Your {purpose} code is</p>\
         <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
         <p>It expires in 10 minutes. If you did not ask for it, ignore this email.</p><p>— {app}</p></body></html>"
    );
    if state.instance.instance.mode == InstanceMode::Development {
        state
            .store
            .record_dev_email(&DevEmail {
                id: format!("ema_{}", frontdesk_types::id::random_base62(16)),
                to_address: to.to_owned(),
                subject,
                text_body: text,
                html_body: html,
                created_at: UnixMillis::now(),
            })
            .await?;
    } else {
        tracing::warn!("no SMTP server configured; a verification email was not delivered");
    }
    Ok(())
}
