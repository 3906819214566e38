//! Builds the whole server from a [`Config`]: used by `main` and by the tests (on port 0).

use std::{io::Write, net::TcpListener, path::Path, sync::Arc, time::Duration};

use actix_web::{
    dev::Server,
    middleware::{from_fn, NormalizePath, TrailingSlash},
    web, App, HttpResponse, HttpServer,
};
use anyhow::Context;
use ms_simulator::{RegisteredApp, Simulator, SimulatorConfig, TenantSeed};
use secrecy::{ExposeSecret, SecretString};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::{Config, MicrosoftMode},
    db::Db,
    domain::{
        accounts, api_token,
        session::SessionKeys,
        tenant_connection::{self, checks::Requirements, Settings, TenantConnections},
    },
    error::{extractors, ApiError},
    jobs,
    metrics::{self, Metrics},
    microsoft::{
        client::{CallPolicy, ClientConfig, MicrosoftClient},
        MicrosoftSettings,
    },
    openapi::ApiDoc,
    request_id, routes, spa,
    state::AppState,
};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Opens the database (migrating it), seeds the demo if asked, binds the listener.
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
        let listener = TcpListener::bind(config.bind_addr)
            .with_context(|| format!("binding {}", config.bind_addr))?;
        let address = listener.local_addr()?;
        if config.public_url.is_none() {
            config.public_url = Some(format!("http://{address}"));
        }

        let db = {
            let (url, size) = (config.database_url(), config.database_pool_size);
            tokio::task::spawn_blocking(move || Db::connect(&url, size)).await??
        };
        if config.demo_seed {
            let (db, password) = (db.clone(), config.demo_password.clone());
            tokio::task::spawn_blocking(move || {
                db.run_now(|conn| accounts::seed_demo(conn, &password))
            })
            .await??;
        }
        let secret = jwt_secret(&config)?;
        let metrics = Metrics::new()?;
        let microsoft = MicrosoftSettings::resolve(&config)?;
        let client = MicrosoftClient::new(
            ClientConfig {
                login_url: microsoft.login_url.clone(),
                graph_url: microsoft.graph_url.clone(),
                client_id: microsoft.client_id.clone(),
                client_secret: microsoft.client_secret.clone(),
            },
            CallPolicy::default(),
            Some(metrics.registry()),
        )?;
        let connections =
            TenantConnections::new(db.clone(), client, connection_settings(&config, &microsoft));
        let state = AppState {
            db,
            sessions: SessionKeys::new(
                secret.expose_secret().as_bytes(),
                config.jwt_ttl_minutes * 60,
            ),
            config: Arc::new(config),
            connections,
        };
        let simulator = match microsoft.mode {
            MicrosoftMode::Simulated => {
                // Generating its RSA key takes a while: not on an async worker.
                let (config, microsoft) = (state.config.clone(), microsoft.clone());
                Some(tokio::task::spawn_blocking(move || simulator(&config, &microsoft)).await??)
            }
            MicrosoftMode::Live => None,
        };
        if let (Some(sim), true) = (&simulator, state.config.demo_seed) {
            seed_demo_legacy_connection(&state, sim).await?;
        }
        let server = serve(listener, state.clone(), metrics, simulator)?;
        Ok(Application {
            port: address.port(),
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or SIGINT; in-flight requests are finished first (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let tick = Duration::from_secs(self.state.config.health_interval_seconds.clamp(1, 30));
        let health = tokio::spawn(jobs::health::run(self.state.connections.clone(), tick));
        let result = self.server.await;
        health.abort();
        result
    }
}

fn serve(
    listener: TcpListener,
    state: AppState,
    metrics: Metrics,
    simulator: Option<Simulator>,
) -> anyhow::Result<Server> {
    let openapi = ApiDoc::openapi();
    let body_limit = state.config.max_body_bytes;
    let web_dir = state.config.web_dir.clone();
    let state = web::Data::new(state);
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        let web_dir = web_dir.clone();
        let simulator = simulator.clone();
        App::new()
            // Innermost first: the request id is known to every layer above the handlers.
            .wrap(from_fn(request_id::middleware))
            .wrap(from_fn(metrics::middleware))
            .wrap(TracingLogger::default())
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(body_limit)
                    .error_handler(extractors::json),
            )
            .app_data(web::PathConfig::default().error_handler(extractors::path))
            .app_data(web::QueryConfig::default().error_handler(extractors::query))
            .app_data(web::PayloadConfig::default().limit(body_limit))
            .service(routes::health::healthz)
            .service(routes::health::readyz)
            .route("/metrics", web::get().to(metrics::endpoint))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api/openapi.json", openapi.clone()))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .configure(|cfg| {
                if let Some(simulator) = &simulator {
                    simulator.configure(cfg);
                }
            })
            .configure(routes::configure)
            .service(web::scope("/api").default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound(
                    "There is no such API endpoint; see /docs for the ones there are.".to_owned(),
                ))
            })))
            .configure(|cfg| spa::configure(cfg, web_dir))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// The built-in simulator of Microsoft, with our app registered as the client will present it.
fn simulator(config: &Config, microsoft: &MicrosoftSettings) -> anyhow::Result<Simulator> {
    Simulator::new(SimulatorConfig {
        app: RegisteredApp {
            client_id: microsoft.client_id.clone(),
            client_secret: microsoft.client_secret.clone(),
            display_name: config.ms_app_display_name.clone(),
            redirect_uris: vec![config.consent_redirect_uri()],
            permissions: config.ms_required_permissions.clone(),
        },
        tenants: vec![
            TenantSeed::demo(),
            TenantSeed {
                name: "Fabrikam".to_owned(),
                domain: "fabrikam.onmicrosoft.com".to_owned(),
                users: 60,
            },
        ],
        operation_delay: Duration::from_millis(config.sim_operation_delay_ms),
        token_lifetime: Duration::from_secs(3599),
    })
}

/// The demo's Fabrikam was connected the old way, so "Update Your Connection" can be seen.
async fn seed_demo_legacy_connection(
    state: &AppState,
    simulator: &Simulator,
) -> anyhow::Result<()> {
    let Some((tenant_id, name, domain)) = simulator
        .tenant_summaries()
        .into_iter()
        .find(|(_, name, _)| name == "Fabrikam")
    else {
        return Ok(());
    };
    state
        .db
        .run(move |conn| {
            let Some(account) = crate::db::accounts::find_by_name(conn, "Fabrikam")? else {
                return Ok(());
            };
            tenant_connection::mark_legacy(
                conn,
                &account.id,
                &tenant_id,
                Some(&name),
                &format!("teams-admin@{domain}"),
            )
        })
        .await?;
    Ok(())
}

fn connection_settings(config: &Config, microsoft: &MicrosoftSettings) -> Settings {
    Settings {
        requirements: Requirements {
            permissions: config.ms_required_permissions.clone(),
            role: config.ms_required_role.clone(),
            app_display_name: config.ms_app_display_name.clone(),
        },
        client_id: microsoft.client_id.clone(),
        redirect_uri: config.consent_redirect_uri(),
        role_assignment_url: microsoft.role_assignment_url(&config.public_url()),
        consent_ttl: chrono::Duration::minutes(
            i64::try_from(config.consent_ttl_minutes).unwrap_or(15),
        ),
        verify_deadline: Duration::from_secs(config.verify_deadline_seconds),
        health_interval: chrono::Duration::seconds(
            i64::try_from(config.health_interval_seconds).unwrap_or(900),
        ),
    }
}

/// `JWT_SECRET`, or the one kept in DATA_DIR (made on first run, readable by the owner only).
fn jwt_secret(config: &Config) -> anyhow::Result<SecretString> {
    if let Some(secret) = &config.jwt_secret {
        anyhow::ensure!(
            secret.expose_secret().len() >= 32,
            "JWT_SECRET must have at least 32 characters"
        );
        return Ok(secret.clone());
    }
    let path = config.data_dir.join("jwt-secret");
    if path.is_file() {
        let kept = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok(SecretString::from(kept.trim()));
    }
    let secret = api_token::random_secret(64);
    write_private(&path, &secret)?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(SecretString::from(secret))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
