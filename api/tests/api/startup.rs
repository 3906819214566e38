//! Start-up refuses what is unsafe: the simulator on a network, an unusable kept JWT secret;
//! and `/metrics` can move to a listener of its own.

use std::process::Command;

use reqwest::StatusCode;
use tenant_connect::{cli::Cli, startup::Application};

fn config(data_dir: &std::path::Path, extra: &[&str]) -> tenant_connect::config::Config {
    let data = data_dir.display().to_string();
    let database = format!("sqlite://{}", data_dir.join("test.db").display());
    let mut args = vec![
        "tenant-connect",
        "--data-dir",
        &data,
        "--database-url",
        &database,
        "--web-dir",
        "/nonexistent",
    ];
    args.extend_from_slice(extra);
    <Cli as clap::Parser>::try_parse_from(args).unwrap().config
}

/// The binary in simulated mode on a network address, or behind https: one line, exit 2,
/// nothing served.
#[test]
fn the_simulator_refuses_to_start_where_others_could_reach_it() {
    let data = tempfile::tempdir().unwrap();
    for (bind, public_url) in [
        ("0.0.0.0:0", None),
        ("127.0.0.1:0", Some("https://portal.example")),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tenant-connect"));
        command
            .env("DATA_DIR", data.path())
            .env("BIND_ADDR", bind)
            .env("WEB_DIR", data.path().join("no-web"))
            .env_remove("DATABASE_URL")
            .env_remove("MICROSOFT_MODE")
            .env_remove("PUBLIC_URL");
        if let Some(url) = public_url {
            command.env("PUBLIC_URL", url);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bind}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("refusing to start"), "{stderr}");
        assert!(stderr.contains("--allow-simulator-on-network"), "{stderr}");
        assert!(
            output.stdout.is_empty(),
            "it served: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[tokio::test]
async fn the_simulator_starts_on_a_network_only_when_allowed() {
    let data = tempfile::tempdir().unwrap();
    let refused = Application::build(config(data.path(), &["--bind-addr", "0.0.0.0:0"])).await;
    let reason = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(reason.contains("refusing to start"), "{reason}");

    let allowed = Application::build(config(
        data.path(),
        &["--bind-addr", "0.0.0.0:0", "--allow-simulator-on-network"],
    ))
    .await;
    assert!(allowed.is_ok());
    let live = Application::build(config(
        data.path(),
        &[
            "--bind-addr",
            "0.0.0.0:0",
            "--microsoft-mode",
            "live",
            "--ms-client-id",
            "app",
            "--ms-client-secret",
            "secret",
        ],
    ))
    .await;
    assert!(live.is_ok(), "{:?}", live.err());
}

#[tokio::test]
async fn an_unusable_kept_jwt_secret_stops_start_up() {
    for kept in ["", "too short to sign anything"] {
        let data = tempfile::tempdir().unwrap();
        let path = data.path().join("jwt-secret");
        std::fs::write(&path, kept).unwrap();
        let started =
            Application::build(config(data.path(), &["--bind-addr", "127.0.0.1:0"])).await;
        let error = started.err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(error.contains("unusable"), "{kept:?}: {error}");
        assert!(error.contains("jwt-secret"), "{error}");
        // Never silently replaced.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), kept);
    }
}

#[tokio::test]
async fn a_generated_jwt_secret_is_written_whole_and_kept() {
    let data = tempfile::tempdir().unwrap();
    let first = Application::build(config(data.path(), &["--bind-addr", "127.0.0.1:0"]))
        .await
        .unwrap();
    let kept = std::fs::read_to_string(data.path().join("jwt-secret")).unwrap();
    assert_eq!(kept.len(), 64);
    let leftovers: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("jwt-secret."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(first);
    Application::build(config(data.path(), &["--bind-addr", "127.0.0.1:0"]))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(data.path().join("jwt-secret")).unwrap(),
        kept
    );
}

#[tokio::test]
async fn metrics_move_to_their_own_listener_when_asked() {
    let data = tempfile::tempdir().unwrap();
    let app = Application::build(config(
        data.path(),
        &[
            "--bind-addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
        ],
    ))
    .await
    .unwrap();
    let (port, metrics_port) = (app.port(), app.metrics_port().unwrap());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let healthz = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), StatusCode::OK);
    let public = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let private = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    let text = private.text().await.unwrap();
    // The main listener's requests are counted there.
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("/healthz"), "{text}");
}

#[tokio::test]
async fn metrics_stay_on_the_main_listener_by_default() {
    let data = tempfile::tempdir().unwrap();
    let app = Application::build(config(data.path(), &["--bind-addr", "127.0.0.1:0"]))
        .await
        .unwrap();
    assert_eq!(app.metrics_port(), None);
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
