#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
//! Starts the real server (demo data, built web app) for the e2e tests.

use std::path::PathBuf;

use tenant_connect::{cli::Cli, startup::Application};

pub struct Server {
    pub base_url: String,
    pub state: tenant_connect::state::AppState,
    _data: tempfile::TempDir,
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub async fn start_demo_server() -> Server {
    start_demo_server_with(&[]).await
}

/// The servers of this test run log (at debug for our crates) to
/// `target/test-logs/e2e-<pid>.log`, which `make test` then searches for secrets
/// (`scripts/check-test-logs.sh`), as it does the integration tests' logs.
fn keep_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::{fmt, prelude::*, EnvFilter};
        let dir = workspace_root().join("target/test-logs");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("e2e-{}.log", std::process::id()));
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

pub async fn start_demo_server_with(extra: &[&str]) -> Server {
    keep_logs();
    let data = tempfile::tempdir().unwrap();
    let web_dir = workspace_root().join("web/dist");
    assert!(
        web_dir.join("index.html").is_file(),
        "web/dist is not built: run `make build` (make test does it first)"
    );
    let data_dir = data.path().display().to_string();
    let web = web_dir.display().to_string();
    let mut args = vec![
        "tenant-connect",
        "--bind-addr",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir,
        "--web-dir",
        &web,
        "--demo-seed",
        "true",
        "--sim-operation-delay-ms",
        "100",
    ];
    args.extend_from_slice(extra);
    let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
    let app = Application::build(cli.config).await.unwrap();
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    Server {
        base_url,
        state,
        _data: data,
    }
}
