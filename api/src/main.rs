use anyhow::Context;
use clap::Parser;
use tenant_connect::{
    cli::{AccountsCommand, Cli, Command},
    db::Db,
    domain::accounts,
    openapi,
    startup::Application,
    telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Openapi => {
            print!("{}", openapi::document()?);
            Ok(())
        }
        Command::Accounts { command } => {
            std::fs::create_dir_all(&cli.config.data_dir)?;
            let db = Db::connect(&cli.config.database_url(), 2)?;
            match command {
                AccountsCommand::Create { name, admin_email } => {
                    let created = db
                        .run_now(|conn| accounts::create(conn, &name, &admin_email, None))
                        .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
                    println!("Created account {name} ({})", created.account_id);
                    println!("Admin: {}", created.admin_email);
                    if let Some(password) = created.one_time_password {
                        println!("One-time password (shown once): {password}");
                    }
                }
                AccountsCommand::List => {
                    let listed = db
                        .run_now(accounts::list)
                        .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
                    println!("{:<38} {:<32} {:>6}  created", "id", "name", "users");
                    for a in listed {
                        println!(
                            "{:<38} {:<32} {:>6}  {}",
                            a.id,
                            a.name,
                            a.users,
                            a.created_at.format("%Y-%m-%d %H:%M")
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

async fn serve(config: tenant_connect::config::Config) -> anyhow::Result<()> {
    if let Some(reason) = config.simulator_exposure() {
        // One line, and a failing exit, for whatever supervises the process.
        eprintln!("tenant-connect: {reason}");
        std::process::exit(2);
    }
    let demo = config.demo_seed.then(|| config.demo_password.clone());
    let app = Application::build(config)
        .await
        .context("starting the server")?;
    let url = app.state().config.public_url();
    tracing::info!(%url, backend = ?app.state().db.backend(), "serving");
    println!("\n  Tenant Connect is running at {url}");
    println!("  API docs: {url}/docs");
    if let Some(password) = demo {
        use secrecy::ExposeSecret;
        println!("  Demo sign-ins (password: {}):", password.expose_secret());
        for email in [
            "admin@contoso.example   (Contoso Telephony, admin)",
            "staff@contoso.example   (Contoso Telephony, staff)",
            "viewer@contoso.example  (Contoso Telephony, viewer)",
            "admin@fabrikam.example  (Fabrikam, admin)",
        ] {
            println!("    {email}");
        }
    }
    println!();
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
