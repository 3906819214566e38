//! `ms-simulator`: the Microsoft simulator as a standalone server.

use std::{net::SocketAddr, time::Duration};

use actix_web::{App, HttpServer};
use clap::Parser;
use ms_simulator::{
    RegisteredApp, Simulator, SimulatorConfig, TenantSeed, DEFAULT_PERMISSIONS, PERSONAL_USER_UPN,
};
use secrecy::SecretString;

/// A simulator of the Microsoft identity platform and the Graph subset Tenant Connect calls.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address and port to listen on.
    #[arg(long, env = "SIM_BIND", default_value = "127.0.0.1:8090")]
    bind: SocketAddr,
    /// The registered app's client (application) id.
    #[arg(
        long,
        env = "SIM_CLIENT_ID",
        default_value = "8f7d3a52-3c1e-4a2b-9d0e-5b6c7d8e9f01"
    )]
    client_id: String,
    /// The registered app's client secret.
    #[arg(
        long,
        env = "SIM_CLIENT_SECRET",
        default_value = "simulator-secret",
        hide_env_values = true,
        hide_default_value = true
    )]
    client_secret: SecretString,
    /// The app's display name (what admins search for in Entra).
    #[arg(long, env = "SIM_APP_NAME", default_value = "Tenant Connect")]
    app_name: String,
    /// A registered redirect URI (repeatable; comma-separated in the environment variable).
    #[arg(
        long = "redirect-uri",
        env = "SIM_REDIRECT_URIS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8080/api/v1/tenant-connection/callback"
    )]
    redirect_uris: Vec<String>,
    /// Application permissions the app requests (comma list). Default: CONTRACT.md section 5's
    /// five plus TeamsPolicyUserAssign.ReadWrite.All (ms_simulator::DEFAULT_PERMISSIONS).
    #[arg(long, env = "SIM_PERMISSIONS", value_delimiter = ',')]
    permissions: Vec<String>,
    /// Tenants seeded at start (the first is the demo Contoso).
    #[arg(long, env = "SIM_TENANTS", default_value_t = 1)]
    tenants: usize,
    /// Directory users per seeded tenant.
    #[arg(long, env = "SIM_USERS_PER_TENANT", default_value_t = 250)]
    users_per_tenant: usize,
    /// How long number operations take (notStarted -> running -> done).
    #[arg(long, env = "SIM_OPERATION_DELAY_MS", default_value_t = 2000)]
    operation_delay_ms: u64,
    /// numberAssignments lists emit @odata.nextLink (Microsoft is reported not to).
    #[arg(long, env = "SIM_NUMBER_NEXT_LINKS")]
    number_next_links: bool,
    /// How long after a policy assign/unassign userConfigurations shows it.
    #[arg(long, env = "SIM_POLICY_DELAY_MS", default_value_t = 0)]
    policy_delay_ms: u64,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let mut permissions: Vec<String> = args
        .permissions
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if permissions.is_empty() {
        permissions = DEFAULT_PERMISSIONS.iter().map(|p| p.to_string()).collect();
    }
    let tenants = (0..args.tenants)
        .map(|n| TenantSeed::numbered(n, args.users_per_tenant))
        .collect();
    let sim = Simulator::new(SimulatorConfig {
        app: RegisteredApp {
            client_id: args.client_id.clone(),
            client_secret: args.client_secret,
            display_name: args.app_name,
            redirect_uris: args.redirect_uris,
            permissions,
        },
        tenants,
        operation_delay: Duration::from_millis(args.operation_delay_ms),
        token_lifetime: Duration::from_secs(3599),
    })?;
    sim.set_number_next_links(args.number_next_links);
    sim.set_policy_delay(Duration::from_millis(args.policy_delay_ms));
    let server = {
        let sim = sim.clone();
        HttpServer::new(move || {
            let sim = sim.clone();
            App::new().configure(move |c| sim.configure(c))
        })
        .bind(args.bind)?
    };
    let origin = format!("http://{}", args.bind);
    println!("ms-simulator listening on {origin}");
    println!("  login (identity platform): {origin}/_microsoft/login");
    println!("  graph:                     {origin}/_microsoft/graph");
    println!("  control API:               {origin}/_microsoft/control/tenants");
    println!("  client id:                 {}", args.client_id);
    println!(
        "  sign-in (OpenID Connect):  {origin}/_microsoft/login/organizations/oauth2/v2.0/authorize?client_id={}&response_type=code&scope=openid%20profile%20email&redirect_uri=...&code_challenge=...&code_challenge_method=S256",
        args.client_id
    );
    println!(
        "  admin consent:             {origin}/_microsoft/login/organizations/v2.0/adminconsent?client_id={}&scope=https://graph.microsoft.com/.default&redirect_uri=...",
        args.client_id
    );
    println!("  personal account:          {PERSONAL_USER_UPN}");
    for t in sim.tenant_summaries() {
        println!(
            "  tenant {} {} ({}) - Entra roles page: {origin}/_microsoft/entra/{}/roles",
            t.0, t.1, t.2, t.0
        );
    }
    server.run().await?;
    Ok(())
}
