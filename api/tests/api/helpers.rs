use std::path::PathBuf;

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{header, Response, StatusCode};
use secrecy::SecretString;
use serde::Serialize;
use shared::{auth::LoginResponse, problem::Problem};
use tenant_connect::{cli::Cli, db::Db, domain::accounts, startup::Application, state::AppState};

pub const PASSWORD: &str = "a long test password";
/// The app's client secret, as registered with the built-in simulator.
pub const TEST_CLIENT_SECRET: &str = "test-client-secret-0123456789";

/// Every server of this test run logs (at debug for our crates) to
/// `target/test-logs/api-<backend>-<pid>.log`, which `make test` then searches for secrets
/// (`scripts/check-test-logs.sh`): what the servers did in every test, not a sample.
fn keep_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::{fmt, prelude::*, EnvFilter};
        let dir = workspace_root().join("target/test-logs");
        std::fs::create_dir_all(&dir).unwrap();
        let backend = std::env::var("TEST_BACKEND").unwrap_or_else(|_| "sqlite".to_owned());
        let file = dir.join(format!("api-{backend}-{}.log", std::process::id()));
        let file = std::fs::File::create(file).unwrap();
        let filter =
            EnvFilter::new("info,tenant_connect=debug,ms_simulator=debug,actix_server=warn");
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file));
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(layer)
            .try_init();
    });
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    _postgres: Option<PostgresDatabase>,
}

/// An account with its first admin, signed in.
pub struct TestAccount {
    pub admin_email: String,
    pub token: String,
    pub account_id: uuid::Uuid,
}

/// Starts the server on port 0 with a fresh database, no demo data and no web app.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The same, with extra command-line settings.
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    keep_logs();
    let data_dir = tempfile::tempdir().unwrap();
    let postgres = match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => Some(PostgresDatabase::create()),
        _ => None,
    };
    let database_url = match &postgres {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", data_dir.path().join("test.db").display()),
    };
    let data = data_dir.path().display().to_string();
    let missing_web = data_dir.path().join("no-web").display().to_string();
    let mut args = vec![
        "tenant-connect",
        "--bind-addr",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--database-url",
        &database_url,
        "--ms-client-secret",
        TEST_CLIENT_SECRET,
        "--sim-operation-delay-ms",
        "200",
    ];
    if !extra.contains(&"--database-pool-size") {
        args.extend_from_slice(&["--database-pool-size", "4"]);
    }
    if !extra.contains(&"--web-dir") {
        args.extend_from_slice(&["--web-dir", &missing_web]);
    }
    args.extend_from_slice(extra);
    let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
    let app = Application::build(cli.config).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        data_dir,
        _postgres: postgres,
    }
}

impl TestApp {
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn postgres_url(&self) -> Option<String> {
        self._postgres.as_ref().map(|pg| pg.url.clone())
    }

    /// Another server on this app's database and DATA_DIR (so with its kept JWT secret, unless
    /// `extra` sets one), as the process would be after a restart; this one keeps running.
    pub async fn restarted(&self, extra: &[&str]) -> TestApp {
        let data = self.data_dir.path().display().to_string();
        let database_url = self.postgres_url().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.path().join("test.db").display()
            )
        });
        let missing_web = self.data_dir.path().join("no-web").display().to_string();
        let mut args = vec![
            "tenant-connect",
            "--bind-addr",
            "127.0.0.1:0",
            "--data-dir",
            &data,
            "--database-url",
            &database_url,
            "--ms-client-secret",
            TEST_CLIENT_SECRET,
            "--database-pool-size",
            "4",
            "--web-dir",
            &missing_web,
        ];
        args.extend_from_slice(extra);
        let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
        let app = Application::build(cli.config).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: self.client.clone(),
            state,
            // Unused: the data is the first app's, and so is the database, dropped with it.
            data_dir: tempfile::tempdir().unwrap(),
            _postgres: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates an account and its admin directly (as the provider's command line does),
    /// then signs the admin in.
    pub async fn account(&self, name: &str, admin_email: &str) -> TestAccount {
        let (name_owned, email) = (name.to_owned(), admin_email.to_owned());
        self.db()
            .run(move |conn| {
                accounts::create(
                    conn,
                    &name_owned,
                    &email,
                    Some(&SecretString::from(PASSWORD)),
                )
            })
            .await
            .unwrap();
        let session = self.login_ok(admin_email, PASSWORD).await;
        TestAccount {
            admin_email: admin_email.to_owned(),
            token: session.access_token,
            account_id: session.me.account.id,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn login_ok(&self, email: &str, password: &str) -> LoginResponse {
        let response = self.login(email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "sign-in of {email} failed"
        );
        response.json().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(reqwest::Method::GET, path, token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(reqwest::Method::DELETE, path, token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &impl Serialize) -> Response {
        self.request(reqwest::Method::POST, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &impl Serialize) -> Response {
        self.request(reqwest::Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A raw body, for malformed input.
    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: &str) -> Response {
        self.request(reqwest::Method::POST, path, token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }
}

/// Asserts a problem+json answer with this status and code, and returns it.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Problem {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let problem: Problem = response.json().await.unwrap();
    assert_eq!(problem.code, code, "unexpected problem: {problem:?}");
    assert_eq!(problem.status, status.as_u16());
    assert_eq!(
        problem.problem_type,
        format!("urn:tenant-connect:problem:{code}")
    );
    assert!(!problem.detail.is_empty());
    problem
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    fn create() -> PostgresDatabase {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .expect("TEST_BACKEND=postgres needs TEST_POSTGRES_URL");
        let name = format!("tc_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin_url).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let mut url = reqwest::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        PostgresDatabase {
            admin_url,
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
