//! `frontdesk admin …`: the instance's administrators, from the server's
//! terminal — for the first one when the printed link is gone, and for
//! more.

use clap::Subcommand;
use frontdesk_server::Config;
use frontdesk_server::engine::admin::{self, Audit};
use frontdesk_store::admin::Revoked;

use crate::Failure;
use crate::keys::open;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Make an existing user an administrator (they sign up first; the
    /// grant is in the audit log as the command line's)
    Create {
        /// The user's email address
        #[arg(long)]
        email: String,
    },
    /// Make an administrator a user again (never the last one; recorded in
    /// the audit log as the command line's)
    Revoke {
        /// The administrator's email address
        #[arg(long)]
        email: String,
    },
    /// Print a new one-time link that makes the first administrator (only
    /// while the instance has none; it replaces any link printed before)
    Link,
    /// List the administrators
    List,
}

pub async fn run(cmd: AdminCommand, config: Config) -> Result<(), Failure> {
    let opened = open(config).await?;
    let store = opened.store.as_ref();
    match cmd {
        AdminCommand::Create { email } => {
            match admin::grant_by_email(store, email.trim(), &Audit::command_line()).await? {
                Some((id, true)) => println!("{email} ({id}) is now an administrator"),
                Some((id, false)) => println!("{email} ({id}) was an administrator already"),
                None => {
                    return Err(Failure::usage(format!(
                        "no user has the address {email}: sign up first at {}/sign-up",
                        opened.public_url.origin()
                    )));
                }
            }
        }
        AdminCommand::Revoke { email } => {
            match admin::revoke_by_email(store, email.trim(), &Audit::command_line()).await? {
                Some((id, Revoked::Done)) => {
                    println!("{email} ({id}) is no longer an administrator")
                }
                Some((id, Revoked::NotAnAdmin)) => {
                    println!("{email} ({id}) was not an administrator")
                }
                Some((_, Revoked::LastAdmin)) => {
                    return Err(Failure::usage(format!(
                        "{email} is the last administrator who can sign in: make another first \
                         (`frontdesk admin create --email …`)"
                    )));
                }
                None => return Err(Failure::usage(format!("no user has the address {email}"))),
            }
        }
        AdminCommand::Link => match admin::setup_link(store, &opened.public_url.origin()).await? {
            Some(link) => println!(
                "Open this link within 24 hours to become the administrator (it works once):\n\n    {link}\n"
            ),
            None => {
                return Err(Failure::usage(
                    "this instance has an administrator: they can use the dashboard, or run \
                     `frontdesk admin create --email …`"
                        .to_owned(),
                ));
            }
        },
        AdminCommand::List => {
            for a in store.list_admins().await? {
                let user = store.get_user(&a.user_id).await?;
                let label = user.as_ref().map_or_else(|| "?".to_owned(), admin::label);
                println!("{}\t{label}\tgranted by {}", a.user_id, a.granted_by);
            }
        }
    }
    Ok(())
}
