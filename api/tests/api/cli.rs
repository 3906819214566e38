//! The provider's command line: `accounts create` and `accounts list`.

use std::process::Command;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_provider_creates_an_account_whose_admin_can_sign_in() {
    let app = spawn_app().await;
    let data_dir = app.data_dir.path().display().to_string();
    let database_url = match app.db().backend() {
        tenant_connect::db::Backend::Sqlite => {
            format!("sqlite://{}", app.data_dir.path().join("test.db").display())
        }
        tenant_connect::db::Backend::Postgres => app.postgres_url().unwrap(),
    };
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_tenant-connect"))
            .args(args)
            .env("DATA_DIR", &data_dir)
            .env("DATABASE_URL", &database_url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    let (ok, out, err) = run(&[
        "accounts",
        "create",
        "--name",
        "Northwind",
        "--admin-email",
        "it@northwind.example",
    ]);
    assert!(ok, "{err}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("One-time password (shown once): "))
        .unwrap()
        .to_owned();
    let session = app.login_ok("it@northwind.example", &password).await;
    assert_eq!(session.me.account.name, "Northwind");

    let (ok, _, err) = run(&[
        "accounts",
        "create",
        "--name",
        "Northwind",
        "--admin-email",
        "other@northwind.example",
    ]);
    assert!(!ok);
    assert!(err.contains("exists already"), "{err}");

    let (ok, out, _) = run(&["accounts", "list"]);
    assert!(ok);
    assert!(
        out.lines()
            .any(|l| l.contains("Northwind") && l.contains(" 1 ")),
        "{out}"
    );
}

#[test]
fn help_lists_every_setting_with_its_environment_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_tenant-connect"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for var in [
        "BIND_ADDR",
        "PUBLIC_URL",
        "DATA_DIR",
        "DATABASE_URL",
        "JWT_SECRET",
        "MICROSOFT_MODE",
        "MS_CLIENT_ID",
        "MS_CLIENT_SECRET",
        "MS_LOGIN_URL",
        "MS_GRAPH_URL",
        "MS_REQUIRED_PERMISSIONS",
        "MS_REQUIRED_ROLE",
        "DEMO_SEED",
        "DEMO_PASSWORD",
        "LOG_FORMAT",
        "METRICS_ADDR",
        "TRUSTED_PROXIES",
        "PASSWORD_HASH_CONCURRENCY",
        "ALLOW_SIMULATOR_ON_NETWORK",
    ] {
        assert!(help.contains(&format!("[env: {var}")), "--help lacks {var}");
    }
}

/// A first start on a fresh data directory (as `make run` does) logs no error.
#[test]
fn a_first_start_is_clean() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenant-connect"))
        .env("DATA_DIR", data.path())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("DEMO_SEED", "true")
        .env("WEB_DIR", data.path().join("no-web"))
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        // The last line of the start-up banner.
        let started = line.contains("admin@fabrikam.example");
        seen.push(line);
        if started {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.iter().any(|l| l.contains("running at")), "{seen:#?}");
    assert!(seen.iter().any(|l| l.contains("admin@fabrikam.example")));
    let errors: Vec<_> = seen.iter().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
