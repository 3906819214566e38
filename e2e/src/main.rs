//! `smoke`: the REST smoke suite against any deployment.

use clap::Parser;

#[derive(Parser)]
#[command(about = "Smoke-test a Tenant Connect deployment's REST API")]
struct Args {
    /// The deployment's base URL, e.g. https://portal.example.com
    #[arg(long, env = "BASE_URL")]
    base_url: String,
    /// A portal user to sign in as.
    #[arg(long, env = "SMOKE_EMAIL", default_value = "admin@contoso.example")]
    email: String,
    #[arg(
        long,
        env = "SMOKE_PASSWORD",
        default_value = "demo-password",
        hide_env_values = true
    )]
    password: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let outcomes =
        tenant_connect_e2e::smoke::run(&args.base_url, &args.email, &args.password).await;
    let mut failed = 0;
    for outcome in &outcomes {
        match &outcome.error {
            None => println!("ok      {}", outcome.name),
            Some(error) => {
                failed += 1;
                println!("FAILED  {}: {error}", outcome.name);
            }
        }
    }
    println!(
        "smoke: {} passed, {} failed",
        outcomes.len() - failed,
        failed
    );
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
