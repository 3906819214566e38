//! The command line: serve (the default), the provider's account administration, and the
//! OpenAPI document.

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "tenant-connect",
    version,
    about = "Tenant Connect admin portal: the API server and its web app"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the web app and (when simulated) Microsoft's simulator (the default).
    Serve,
    /// Manage the provider's customer accounts.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account and its first admin; prints a one-time password.
    Create {
        /// The customer's name, e.g. "Contoso Telephony".
        #[arg(long)]
        name: String,
        /// The first admin's email; they sign in with it.
        #[arg(long)]
        admin_email: String,
    },
    /// List the accounts.
    List,
}
