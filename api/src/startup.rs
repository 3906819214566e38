//! Builds the whole server from a [`Config`]: used by `main` and by the tests (on port 0).

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    dev::Server,
    middleware::{from_fn, NormalizePath, TrailingSlash},
    web, App, HttpResponse, HttpServer,
};
use anyhow::Context;
use ms_simulator::{RegisteredApp, Simulator, SimulatorConfig, TenantSeed};
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::{Config, MicrosoftMode},
    db::Db,
    domain::{
        accounts,
        hashing::Hashing,
        ids::{AccountId, TenantId},
        session::SessionKeys,
        tenant_connection::{self, checks::Requirements, ActionLimit, Settings, TenantConnections},
        webhooks::Webhooks,
    },
    error::{extractors, ApiError},
    jobs::{
        self,
        runner::{Runner, RunnerSettings},
        webhook_delivery::Dispatcher,
    },
    metrics::{self, Metrics},
    microsoft::{
        client::{CallPolicy, ClientConfig, MicrosoftClient},
        MicrosoftSettings,
    },
    openapi::ApiDoc,
    request_id,
    routes::{self, webhooks::demo_receiver},
    security_headers::{self, SecurityHeaders},
    spa,
    state::AppState,
};

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on METRICS_ADDR, when set, with its port.
    metrics_server: Option<(u16, Server)>,
    state: AppState,
    /// This process's webhook dispatcher; `None` when WEBHOOK_WORKERS is 0.
    webhooks: Option<Dispatcher>,
}

impl Application {
    /// Opens the database (migrating it), seeds the demo if asked, binds the listener.
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        if let Some(reason) = config.simulator_exposure() {
            anyhow::bail!(reason);
        }
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
        let secret = crate::jwt_secret::resolve(config.jwt_secret.as_ref(), &config.data_dir)?;
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
        let webhooks = Webhooks::new(
            secret.expose_secret().as_bytes(),
            config.webhook_url_policy(),
        );
        let state = AppState {
            db,
            sessions: SessionKeys::new(
                secret.expose_secret().as_bytes(),
                config.jwt_ttl_minutes * 60,
            ),
            hashing: Hashing::new(
                config
                    .password_hash_concurrency
                    .unwrap_or_else(Hashing::default_concurrency),
            ),
            config: Arc::new(config),
            connections,
            webhooks,
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
        let metrics_server = match state.config.metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
                let port = listener.local_addr()?.port();
                Some((port, metrics::serve(listener, metrics.clone())?))
            }
            None => None,
        };
        let dispatcher = match state.config.webhook_workers {
            0 => None,
            _ => Some(Dispatcher::new(
                state.db.clone(),
                state.webhooks.clone(),
                state.config.webhook_delivery(),
            )?),
        };
        let server = serve(listener, state.clone(), metrics, simulator)?;
        Ok(Application {
            port: address.port(),
            server,
            metrics_server,
            state,
            webhooks: dispatcher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The port `/metrics` is served on when METRICS_ADDR is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGTERM or SIGINT; in-flight requests are finished first (up to 30 s),
    /// then running jobs and webhook attempts (up to 30 s more; the rest go back to the
    /// queue and the outbox).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let jobs = self.job_runner().map(Runner::start);
        let webhooks = self.webhooks.map(Dispatcher::start);
        let metrics = self.metrics_server.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let result = self.server.await;
        let webhooks_stopped = async {
            if let Some(webhooks) = webhooks {
                webhooks.stop(Duration::from_secs(30)).await;
            }
        };
        let jobs_stopped = async {
            if let Some(jobs) = jobs {
                jobs.stop(Duration::from_secs(30)).await;
            }
        };
        tokio::join!(jobs_stopped, webhooks_stopped);
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        result
    }

    /// This process's job runner (it also schedules the periodic jobs); `None` when
    /// JOB_WORKERS is 0.
    pub fn job_runner(&self) -> Option<Runner> {
        let config = &self.state.config;
        (config.job_workers > 0).then(|| {
            let slot = jobs::periodic::health_slot(config.health_interval_seconds);
            Runner::new(
                self.state.db.clone(),
                self.state.connections.clone(),
                RunnerSettings {
                    telephony: std::sync::Arc::new(config.telephony()),
                    lease: std::time::Duration::from_secs(config.job_lease_seconds),
                    ..RunnerSettings::new(config.job_workers, Some(slot))
                },
            )
        })
    }
}

fn serve(
    listener: TcpListener,
    state: AppState,
    metrics: Metrics,
    simulator: Option<Simulator>,
) -> anyhow::Result<Server> {
    let openapi = ApiDoc::openapi();
    // What each documented path takes, for the 405 of a method it does not.
    let allowed_methods = web::Data::new(routes::methods::AllowedMethods::from_document(&openapi));
    let root_paths: Vec<String> = openapi
        .paths
        .paths
        .keys()
        .filter(|path| !path.starts_with("/api/"))
        .cloned()
        .collect();
    let body_limit = state.config.max_body_bytes;
    let web_dir = state.config.web_dir.clone();
    let metrics_here = state.config.metrics_addr.is_none();
    let headers = web::Data::new(SecurityHeaders::new(
        &web_dir,
        state.config.is_https(),
        simulator.is_some(),
    ));
    // The demo's webhook receiver comes with the simulator: simulated mode only.
    let demo_inbox = simulator
        .as_ref()
        .map(|_| web::Data::new(demo_receiver::Inbox::default()));
    let state = web::Data::new(state);
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        let web_dir = web_dir.clone();
        let simulator = simulator.clone();
        let demo_inbox = demo_inbox.clone();
        App::new()
            // Innermost first: the request id is known to every layer above the handlers.
            .wrap(from_fn(request_id::middleware))
            .wrap(from_fn(metrics::middleware))
            .wrap(TracingLogger::<crate::telemetry::RedactingRootSpan>::new())
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .wrap(from_fn(security_headers::middleware))
            .app_data(headers.clone())
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(allowed_methods.clone())
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
            .route("/healthz", web::head().to(routes::health::healthz_head))
            .route("/readyz", web::head().to(routes::health::readyz_head))
            .configure(|cfg| routes::other_methods(cfg, root_paths.clone()))
            .configure(|cfg| {
                // On METRICS_ADDR instead, when set: not on the public listener.
                if metrics_here {
                    cfg.route("/metrics", web::get().to(metrics::endpoint));
                } else {
                    // Not the web app either: a scraper pointed here gets a plain 404.
                    cfg.route(
                        "/metrics",
                        web::to(|| async {
                            Err::<HttpResponse, _>(ApiError::NotFound(
                                "There is no such endpoint.".to_owned(),
                            ))
                        }),
                    );
                }
            })
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
                } else {
                    // Live mode: nothing is there, and the web app must not answer for it
                    // (those paths are exempt from its headers only while the simulator is).
                    cfg.service(web::scope("/_microsoft").default_service(web::to(|| async {
                        Err::<HttpResponse, _>(ApiError::NotFound(
                            "There is no such page.".to_owned(),
                        ))
                    })));
                }
            })
            .configure(|cfg| {
                if let Some(inbox) = demo_inbox {
                    demo_receiver::configure(cfg, inbox);
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
            redirect_uris: vec![config.sign_in_redirect_uri(), config.consent_redirect_uri()],
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
            let (Some(account_id), Some(tenant_id)) =
                (AccountId::parse(&account.id), TenantId::parse(&tenant_id))
            else {
                return Ok(());
            };
            tenant_connection::mark_legacy(
                conn,
                &account_id,
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
        sign_in_redirect_uri: config.sign_in_redirect_uri(),
        consent_redirect_uri: config.consent_redirect_uri(),
        role_assignment_url: microsoft.role_assignment_url(&config.public_url()),
        consent_ttl: chrono::Duration::minutes(
            i64::try_from(config.consent_ttl_minutes).unwrap_or(15),
        ),
        verify_deadline: Duration::from_secs(config.verify_deadline_seconds),
        health_interval: chrono::Duration::seconds(
            i64::try_from(config.health_interval_seconds).unwrap_or(900),
        ),
        action_limit: ActionLimit {
            count: usize::try_from(config.connection_actions_per_window).unwrap_or(usize::MAX),
            window: chrono::Duration::seconds(
                i64::try_from(config.connection_action_window_seconds).unwrap_or(30),
            ),
        },
    }
}
